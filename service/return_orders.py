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

from collections.abc import Sequence
from dataclasses import dataclass

from service.changes import ChangeLine, ChangeOrder
from service.returns import ReturnPolicy
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
    plan = _plan_change(summary, ro, change_id, returned, policy)
    change_order_id = plan.change.id if plan.change is not None else None
    ro.record_receipt(lines, Receipt(key, fingerprint, change_order_id))
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
) -> ReceiptPlan:
    """The change order of the returned units, as :func:`service.returns.plan_return` makes
    it (the same shares and the same fee rule)."""
    if not returned:
        return ReceiptPlan(None, ())
    change_lines, restock, fee, reasons = [], [], 0, set()
    for line_id, count in returned:
        item = summary.item(line_id)
        reason = ro.line(line_id).reason
        reasons.add(reason)
        product, discount, tax = item.return_part(count)
        change_line = ChangeLine(
            line_id, item.sku, count, product, discount, tax, post_fulfilment=True
        )
        change_lines.append(change_line)
        fee_per_unit, restocks = 0, True  # without a returns section: restock, no fee
        if policy is not None:
            rule = policy.for_reason(reason)
            fee_per_unit, restocks = rule.fee_per_unit, rule.restock
        fee += min(fee_per_unit * count, change_line.total)  # a fee never exceeds the credit
        if restocks:
            restock.append((item.sku, count))
    total = sum(line.total for line in change_lines)
    change = ChangeOrder(
        id=change_id,
        order_summary_id=summary.id,
        kind="return",
        reason=", ".join(sorted(reasons)),
        lines=tuple(change_lines),
        delivery=0,
        delivery_tax=0,
        refund=total - fee,
        capture_reduced=0,
        fee=fee,
        linked_id=ro.id,
    )
    return ReceiptPlan(change, tuple(restock))


def _check_belongs(summary: OrderSummary, ro: ReturnOrder) -> None:
    if ro.order_summary_id != summary.id:
        raise InvalidRequest(
            "order_summary_id", f"return order {ro.id} is not of order summary {summary.id}"
        )
