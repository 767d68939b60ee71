"""Reship: replacement units for a lost or damaged shipment, at no charge.

The replacement is a new line on the same summary (``{line}-R{n}``, ``reship_of`` the line it
replaces) at the same price with a full discount and no tax, in the same delivery group, so
it is routed into new Fulfillment Orders like any unit and its invoice is zero. The replaced
line's quantity reshipped rises; units can be reshipped once each, and only units shipped
and not returned.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.changes import ChangeLine, ChangeOrder, summed_lines
from summary.errors import InvalidRequest
from summary.items import OrderItemSummary
from summary.summary import OrderSummary


def plan_reship(
    summary: OrderSummary, change_id: str, lines: Sequence[tuple[str, int]], reason: str
) -> ChangeOrder:
    """The change order a reshipment of ``lines`` would be; changes nothing. Each change line
    names the replaced line; it adds units priced and discounted in full (negative amounts)."""
    asked = summed_lines(
        summary,
        lines,
        available_to_reship,
        what="shipped, not returned and not reshipped yet",
        verb="reship",
    )
    change_lines = []
    for line_id, count in asked.items():
        item = summary.item(line_id)
        price = item.unit_price * count
        change_lines.append(ChangeLine(line_id, item.sku, count, -price, -price, 0))
    return ChangeOrder(
        id=change_id,
        order_summary_id=summary.id,
        kind="reship",
        reason=reason,
        lines=tuple(change_lines),
        delivery=0,
        delivery_tax=0,
        refund=0,
        capture_reduced=0,
    )


def apply_reship(summary: OrderSummary, change: ChangeOrder) -> list[str]:
    """Add the replacement lines; returns their delivery groups (to route)."""
    for i, line in enumerate(change.lines):
        if line.quantity > available_to_reship(summary.item(line.line_id)):
            raise InvalidRequest(f"lines[{i}].quantity", "no longer available to reship")
    groups = []
    for line in change.lines:
        item = summary.item(line.line_id)
        item.quantity_reshipped += line.quantity
        summary.items.append(
            OrderItemSummary(
                line_id=_new_line_id(summary, item.line_id),
                sku=item.sku,
                delivery_group=item.delivery_group,
                unit_price=item.unit_price,
                tax=0,
                discount=item.unit_price * line.quantity,
                quantity_ordered=line.quantity,
                reship_of=item.line_id,
            )
        )
        groups.append(item.delivery_group)
    return groups


def available_to_reship(item: OrderItemSummary) -> int:
    return item.units_kept - item.quantity_reshipped


def _new_line_id(summary: OrderSummary, line_id: str) -> str:
    taken = {i.line_id for i in summary.items}
    n = 1
    while f"{line_id}-R{n}" in taken:
        n += 1
    return f"{line_id}-R{n}"
