"""Cancel: units available to cancel (ordered − canceled − allocated) leave the order.

Money, as Salesforce Order Management does it: units never shipped were never captured, so
their amount simply shrinks what is still to capture; a delivery charge given back (prorated,
on request) after the group's first shipment was captured, so it is excess funds: refunded.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.changes import ChangeLine, ChangeOrder, summed_lines
from summary.errors import InvalidRequest
from summary.summary import OrderSummary


def plan_cancel(
    summary: OrderSummary,
    change_id: str,
    lines: Sequence[tuple[str, int]],
    reason: str,
    *,
    prorate_delivery: bool = False,
) -> ChangeOrder:
    """The change order a cancel of ``lines`` would be; changes nothing."""
    asked = _asked(summary, lines)
    change_lines = []
    for line_id, count in asked.items():
        item = summary.item(line_id)
        change_lines.append(ChangeLine(line_id, item.sku, count, *item.cancel_part(count)))
    delivery, delivery_tax, refund = _delivery(summary, asked, prorate_delivery)
    total = sum(line.total for line in change_lines) + delivery + delivery_tax
    return ChangeOrder(
        id=change_id,
        order_summary_id=summary.id,
        kind="cancel",
        reason=reason,
        lines=tuple(change_lines),
        delivery=delivery,
        delivery_tax=delivery_tax,
        refund=refund,
        capture_reduced=total - refund,
        prorate_delivery=prorate_delivery,
    )


def apply_cancel(summary: OrderSummary, change: ChangeOrder) -> None:
    """Apply a planned cancel to ``summary`` (check again: the summary may have moved)."""
    asked = _asked(summary, [(line.line_id, line.quantity) for line in change.lines])
    gives = _group_gives(summary, asked, change.prorate_delivery)
    for i, line in enumerate(change.lines):
        item = summary.item(line.line_id)
        if item.cancel_part(line.quantity) != (line.product, line.discount, line.tax):
            raise InvalidRequest(f"lines[{i}]", "the line changed since the cancel was planned")
    for line in change.lines:
        summary.item(line.line_id).take_cancel(line.quantity)
    for group_id, (charge, tax) in gives.items():
        group = summary.group(group_id)
        group.charge_canceled += charge
        group.charge_tax_canceled += tax


def _asked(summary: OrderSummary, lines: Sequence[tuple[str, int]]) -> dict[str, int]:
    return summed_lines(
        summary,
        lines,
        lambda item: item.quantity_available_to_cancel,
        what="available to cancel (units in fulfillment orders are canceled there first)",
        verb="cancel",
    )


def _delivery(summary: OrderSummary, asked: dict[str, int], prorate: bool) -> tuple[int, int, int]:
    """The delivery charge and tax the cancel gives back, and how much of it was already
    captured (refunded)."""
    charge = tax = refund = 0
    for group_id, (give, give_tax) in _group_gives(summary, asked, prorate).items():
        charge, tax = charge + give, tax + give_tax
        if summary.group(group_id).charge_invoiced:  # captured with its first shipment
            refund += give + give_tax
    return charge, tax, refund


def _group_gives(
    summary: OrderSummary, asked: dict[str, int], prorate: bool
) -> dict[str, tuple[int, int]]:
    """Per group the cancel touches, the charge and tax it gives back: all that is left when
    its last units go (a group that will never ship owes no delivery); with ``prorate``, in
    proportion to the units left; otherwise nothing. Read before the units are canceled."""
    out: dict[str, tuple[int, int]] = {}
    for group in summary.groups:
        touched = any(i.line_id in asked for i in summary.items_of(group.id))
        # replacement units (reshipments) carry no share of the delivery charge
        units = [i for i in summary.items_of(group.id) if i.reship_of is None]
        if not touched or not units:
            continue
        whole = sum(i.quantity_ordered for i in units)
        left = sum(
            i.quantity_ordered - i.quantity_canceled - asked.get(i.line_id, 0) for i in units
        )
        if left == 0:
            out[group.id] = (group.charge_net, group.charge_tax_net)
        elif prorate:  # never below nothing: a return may have refunded the charge already
            out[group.id] = (
                max(0, group.charge_net - group.charge * left // whole),
                max(0, group.charge_tax_net - group.charge_tax * left // whole),
            )
    return out
