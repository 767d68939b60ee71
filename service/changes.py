"""Change Orders: what a service action changed on an Order Summary, in units and money.

The original Order never changes; the summary's totals are always the original's plus its
change orders (a change line carries the amounts it *removes*, as positive numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from summary.errors import InvalidRequest
from summary.items import OrderItemSummary
from summary.summary import OrderSummary

ChangeKind = Literal["cancel", "return", "adjust", "reship", "exchange"]


@dataclass(frozen=True, slots=True)
class ChangeLine:
    line_id: str
    sku: str
    quantity: int
    product: int
    discount: int
    tax: int
    post_fulfilment: bool = False  # on shipped units: part of the change's credit memo

    @property
    def total(self) -> int:
        return self.product - self.discount + self.tax


@dataclass(frozen=True, slots=True)
class ChangeOrder:
    """``refund``: minor units to refund now (captured for what the change removed: excess
    funds, or a return's credit); ``capture_reduced``: what will no longer be captured;
    ``fee``: what a return keeps; ``applied``: an exchange's credit applied to its new
    summary (``linked_id``). ``refund + capture_reduced + fee + applied == total``.

    A line's amounts are what the change removes from the summary: an adjustment removes a
    negative discount (it adds one) and the tax it took off; a reshipment adds its line at
    full discount, so its product and discount are negative and its total zero."""

    id: str
    order_summary_id: str
    kind: ChangeKind
    reason: str
    lines: tuple[ChangeLine, ...]
    delivery: int
    delivery_tax: int
    refund: int
    capture_reduced: int
    prorate_delivery: bool = False
    fee: int = 0  # kept from the refund (a return fee)
    applied: int = 0
    linked_id: str | None = None

    @property
    def total(self) -> int:
        """What the change takes off the grand total."""
        return sum(line.total for line in self.lines) + self.delivery + self.delivery_tax


def summed_lines(
    summary: OrderSummary,
    lines: Sequence[tuple[str, int]],
    room: Callable[[OrderItemSummary], int],
    *,
    what: str,
    verb: str,
    each: Callable[[int, str], None] | None = None,
) -> dict[str, int]:
    """The units ``lines`` ask of each line (a line may be named more than once), each at
    least 1 and in all within ``room`` of the line (``what`` says what that room is);
    ``each(i, line_id)`` checks more of request line ``i``. Raises naming the field."""
    asked: dict[str, int] = {}
    for i, (line_id, count) in enumerate(lines):
        item = summary.item(line_id, f"lines[{i}].line_id")
        asked[line_id] = asked.get(line_id, 0) + count
        if count <= 0:
            raise InvalidRequest(f"lines[{i}].quantity", "must be at least 1")
        if asked[line_id] > room(item):
            raise InvalidRequest(
                f"lines[{i}].quantity",
                f"{asked[line_id]} of line {line_id}: only {room(item)} {what}",
            )
        if each is not None:
            each(i, line_id)
    if not asked:
        raise InvalidRequest("lines", f"name at least one line to {verb}")
    return asked
