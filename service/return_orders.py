"""Return Orders (RMA) on an Order Summary: what opening, canceling and receiving one does to
the summary's quantities and money.

Opening an RMA raises the items' return-initiated quantities by the units expected (so they
are no longer available to return). A receipt's returned units come back as a direct
return's do (service/returns.py: their shipment's price, discount and tax shares given back,
the reason's fee kept, the rest a Credit Memo refunded), except that they were already
return initiated; its rejected and canceled units, and a canceled RMA's units, stop being
return initiated (they stay with the customer, or are not coming).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from service.changes import ChangeOrder
from service.returns import ReturnPolicy, give_back_delivery, return_change
from summary.errors import InvalidRequest
from summary.return_order import Receipt, ReceiptLine, ReturnOrder, ReturnOrderLine
from summary.summary import OrderSummary

RmaLine = tuple[str, int, str]  # (line id, quantity expected, reason)


@dataclass(frozen=True, slots=True)
class ReceiptPlan:
    change: ChangeOrder | None  # None: nothing was returned
    restock: tuple[tuple[str, int], ...]  # (sku, units) going back into stock


def open_return_order(
    summary: OrderSummary, ro_id: str, lines: Sequence[RmaLine], location_id: str | None
) -> ReturnOrder:
    """A new Submitted return order for ``lines``; their units become return initiated."""
    ro_lines: list[ReturnOrderLine] = []
    for i, (line_id, count, reason) in enumerate(lines):
        item = summary.item(line_id, f"lines[{i}].line_id")
        if any(x.line_id == line_id for x in ro_lines):
            raise InvalidRequest(f"lines[{i}].line_id", f"line {line_id} named twice")
        if count <= 0:
            raise InvalidRequest(f"lines[{i}].quantity", "must be at least 1")
        if count > item.quantity_available_to_return:
            raise InvalidRequest(
                f"lines[{i}].quantity",
                f"{count} of line {line_id}: only {item.quantity_available_to_return} "
                "shipped and not yet returned nor being returned",
            )
        if not reason:
            raise InvalidRequest(f"lines[{i}].reason", "say why the units come back")
        ro_lines.append(ReturnOrderLine(line_id, item.sku, reason, count))
    if not ro_lines:
        raise InvalidRequest("lines", "name at least one line to return")
    for line in ro_lines:
        summary.item(line.line_id).quantity_return_initiated += line.quantity_expected
    return ReturnOrder(
        id=ro_id, order_summary_id=summary.id, lines=ro_lines, location_id=location_id
    )


def cancel_return_order(summary: OrderSummary, ro: ReturnOrder) -> None:
    """Cancel ``ro`` (Submitted or Approved): its units stop being return initiated."""
    _check_belongs(summary, ro)
    for line_id, count in ro.cancel():
        summary.item(line_id).quantity_return_initiated -= count


def receive(
    summary: OrderSummary,
    ro: ReturnOrder,
    lines: Sequence[ReceiptLine],
    *,
    change_id: str,
    policy: ReturnPolicy | None,
    key: str | None,
    fingerprint: str,
    refund_delivery: bool = False,
) -> ReceiptPlan:
    """Receive ``lines`` against ``ro`` (checked first; nothing changes on refusal). Returned
    units make a change order ``change_id`` (kind return, linked to the RMA) and restock when
    their reason says so; the summary and the RMA are updated."""
    _check_belongs(summary, ro)
    ro.check_receipt(lines)
    for i, got in enumerate(lines):
        item = summary.item(got.line_id, f"lines[{i}].line_id")
        pending = item.quantity_return_initiated - item.quantity_returned
        if got.received + got.canceled > pending:  # the summary disagrees with its RMA
            raise InvalidRequest(
                f"lines[{i}].quantity_received",
                f"line {got.line_id} has only {pending} units being returned",
            )
    returned = [(got.line_id, got.returned) for got in lines if got.returned]
    plan = _plan_change(summary, ro, change_id, returned, policy, refund_delivery)
    change_order_id = plan.change.id if plan.change is not None else None
    ro.record_receipt(lines, Receipt(key, fingerprint, change_order_id))
    if plan.change is not None:
        give_back_delivery(summary, plan.change)
    for got in lines:
        item = summary.item(got.line_id)
        item.quantity_return_initiated -= got.rejected + got.canceled
        if got.returned:
            item.take_return(got.returned)
    if plan.change is not None:
        summary.return_fees += plan.change.fee
    return plan


def _plan_change(
    summary: OrderSummary,
    ro: ReturnOrder,
    change_id: str,
    returned: Sequence[tuple[str, int]],
    policy: ReturnPolicy | None,
    refund_delivery: bool,
) -> ReceiptPlan:
    """The change order of the returned units, as a direct return makes it (the same shares,
    fee rule and delivery refund), linked to the RMA."""
    if not returned:
        return ReceiptPlan(None, ())
    asked = dict(returned)
    reasons = {line_id: ro.line(line_id).reason for line_id in asked}
    planned = return_change(summary, change_id, asked, reasons, policy, refund_delivery)
    return ReceiptPlan(dataclasses.replace(planned.change, linked_id=ro.id), planned.restock)


def _check_belongs(summary: OrderSummary, ro: ReturnOrder) -> None:
    if ro.order_summary_id != summary.id:
        raise InvalidRequest(
            "order_summary_id", f"return order {ro.id} is not of order summary {summary.id}"
        )
