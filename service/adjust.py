"""Adjust (discount, appeasement): money off a line after the order was placed.

Discounts only, never an increase. The discount (an amount, or a percentage of what the line
still charges) is spread evenly over the line's units still in the order: the part on units
not yet shipped (pre- and in-fulfilment) lowers what their shipments will capture; the part
on shipped units was captured already, so it is a Credit Memo refunded now. The line's tax
falls in proportion to its price (tax on the discounted price).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from service.changes import ChangeLine, ChangeOrder
from summary.errors import InvalidRequest
from summary.items import OrderItemSummary
from summary.summary import OrderSummary


@dataclass(frozen=True, slots=True)
class AdjustLine:
    """One line's adjustment: exactly one of ``amount`` (minor units) or ``percent``."""

    line_id: str
    amount: int | None = None
    percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Split:
    """An adjustment of one line, on its open units (not yet shipped) and shipped units."""

    discount_open: int
    tax_open: int
    discount_shipped: int
    tax_shipped: int


def plan_adjust(
    summary: OrderSummary, change_id: str, lines: Sequence[AdjustLine], reason: str
) -> ChangeOrder:
    """The change order an adjustment of ``lines`` would be; changes nothing."""
    if not lines:
        raise InvalidRequest("lines", "name at least one line to adjust")
    seen: set[str] = set()
    change_lines, refund, reduced = [], 0, 0
    for i, asked in enumerate(lines):
        item = summary.item(asked.line_id, f"lines[{i}].line_id")
        if asked.line_id in seen:
            raise InvalidRequest(f"lines[{i}].line_id", "one adjustment per line")
        seen.add(asked.line_id)
        discount = _discount(item, asked, f"lines[{i}]")
        tax = item.amounts[2] * discount // _net(item)  # the tax falls with the price
        split = split_of(item, discount, tax)
        if item.units_open:  # pre- and in-fulfilment: lowers what their shipments capture
            change_lines.append(
                ChangeLine(
                    item.line_id, item.sku, item.units_open, 0, -split.discount_open, split.tax_open
                )
            )
        if item.units_kept:  # post-fulfilment: credited and refunded now
            change_lines.append(
                ChangeLine(
                    item.line_id,
                    item.sku,
                    item.units_kept,
                    0,
                    -split.discount_shipped,
                    split.tax_shipped,
                    post_fulfilment=True,
                )
            )
        refund += split.discount_shipped + split.tax_shipped
        reduced += split.discount_open + split.tax_open
    return ChangeOrder(
        id=change_id,
        order_summary_id=summary.id,
        kind="adjust",
        reason=reason,
        lines=tuple(change_lines),
        delivery=0,
        delivery_tax=0,
        refund=refund,
        capture_reduced=reduced,
    )


def apply_adjust(summary: OrderSummary, change: ChangeOrder) -> None:
    """Apply a planned adjustment: each line's parts go to the pool of its units (checked
    again: the units each part covers must not have moved since it was planned)."""
    for i, line in enumerate(change.lines):
        item = summary.item(line.line_id)
        units = item.units_kept if line.post_fulfilment else item.units_open
        if units != line.quantity or -line.discount > _net(item):
            raise InvalidRequest(f"lines[{i}]", "the line changed since the adjustment was planned")
    for line in change.lines:
        item = summary.item(line.line_id)
        if line.post_fulfilment:
            item.adjust_shipped_discount -= line.discount
            item.adjust_shipped_tax += line.tax
        else:
            item.adjust_open_discount -= line.discount
            item.adjust_open_tax += line.tax


def split_of(item: OrderItemSummary, discount: int, tax: int) -> Split:
    """Evenly per unit over the units still in the order, within what each side has room
    for (so a nearly free line is never discounted below zero on either side)."""
    units = item.units_open + item.units_kept
    open_room, kept_room = item.open_room(), item.kept_room()
    discount_open = min(
        open_room[0], max(discount * item.units_open // units, discount - kept_room[0])
    )
    tax_open = min(open_room[1], max(tax * item.units_open // units, tax - kept_room[1]))
    return Split(discount_open, tax_open, discount - discount_open, tax - tax_open)


def _net(item: OrderItemSummary) -> int:
    product, discount, _ = item.amounts
    return product - discount


def _discount(item: OrderItemSummary, asked: AdjustLine, where: str) -> int:
    net = _net(item)
    if item.quantity == 0 or net <= 0:
        raise InvalidRequest(
            f"{where}.line_id", f"line {item.line_id} has nothing left to discount"
        )
    if (asked.amount is None) == (asked.percent is None):
        raise InvalidRequest(where, "give either amount or percent")
    if asked.percent is not None:
        if not Decimal(0) < asked.percent <= Decimal(100):
            raise InvalidRequest(
                f"{where}.percent", "discounts only: a percentage above 0 and at most 100"
            )
        exact = Decimal(net) * asked.percent / Decimal(100)
        amount = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if amount == 0:
            raise InvalidRequest(f"{where}.percent", f"{asked.percent}% of {net} rounds to nothing")
        return amount
    assert asked.amount is not None
    if asked.amount <= 0:
        raise InvalidRequest(
            f"{where}.amount", "discounts only: the amount off must be positive (it never raises)"
        )
    if asked.amount > net:
        raise InvalidRequest(
            f"{where}.amount",
            f"{asked.amount} is more than line {item.line_id} still charges ({net})",
        )
    return asked.amount
