"""Return (direct, at a store counter, without an RMA): fulfilled units come back.

Returned units raise the return-initiated and returned quantities and give back what their
shipment charged (price, and the discount and tax shares the invoice took); the return fee of
the reason is kept; the rest is a Credit Memo refunded against the captured payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from service.changes import ChangeLine, ChangeOrder, summed_lines
from summary.errors import InvalidRequest
from summary.summary import OrderSummary

ReturnLine = tuple[str, int, str]  # (line id, quantity, reason)


class ReturnRule(Protocol):
    """What a return for one reason does (the rules file's ``returns`` section has these)."""

    @property
    def restock(self) -> bool: ...

    @property
    def fee_per_unit(self) -> int: ...


class ReturnPolicy(Protocol):
    def for_reason(self, reason: str) -> ReturnRule: ...


@dataclass(frozen=True, slots=True)
class _Always:
    """Without a ``returns`` section: every return restocks, no fee."""

    restock: bool = True
    fee_per_unit: int = 0

    def for_reason(self, reason: str) -> ReturnRule:
        del reason
        return self


@dataclass(frozen=True, slots=True)
class ReturnPlan:
    change: ChangeOrder
    restock: tuple[tuple[str, int], ...]  # (sku, units) going back into stock


def plan_return(
    summary: OrderSummary,
    change_id: str,
    lines: Sequence[ReturnLine],
    policy: ReturnPolicy | None,
    *,
    refund_delivery: bool = False,
) -> ReturnPlan:
    """The change order (and what restocks) a return of ``lines`` would be; changes nothing.
    ``refund_delivery``: the delivery charge their groups still hold is credited too."""
    reasons: dict[str, str] = {}

    def one_reason(i: int, line_id: str) -> None:
        if reasons.setdefault(line_id, lines[i][2]) != lines[i][2]:
            raise InvalidRequest(f"lines[{i}].reason", "one reason per line in one return")

    asked = summed_lines(
        summary,
        [(line_id, count) for line_id, count, _ in lines],
        lambda item: item.quantity_available_to_return,
        what="shipped and not yet returned",
        verb="return",
        each=one_reason,
    )
    return return_change(summary, change_id, asked, reasons, policy, refund_delivery)


def return_change(
    summary: OrderSummary,
    change_id: str,
    asked: dict[str, int],
    reasons: dict[str, str],
    policy: ReturnPolicy | None,
    refund_delivery: bool = False,
) -> ReturnPlan:
    """The change order of ``asked`` units coming back (checked by the caller: a direct
    return against what is available to return, an RMA receipt against what it expects)."""
    policy = policy or _Always()
    change_lines, restock, fee = [], [], 0
    for line_id, count in asked.items():
        item = summary.item(line_id)
        product, discount, tax = item.return_part(count)
        line = ChangeLine(line_id, item.sku, count, product, discount, tax, post_fulfilment=True)
        change_lines.append(line)
        rule = policy.for_reason(reasons[line_id])
        fee += min(rule.fee_per_unit * count, line.total)  # a fee never exceeds the credit
        if rule.restock:
            restock.append((item.sku, count))
    delivery, delivery_tax = delivery_held(summary, asked) if refund_delivery else (0, 0)
    total = sum(line.total for line in change_lines) + delivery + delivery_tax
    change = ChangeOrder(
        id=change_id,
        order_summary_id=summary.id,
        kind="return",
        reason=", ".join(sorted(set(reasons.values()))),
        lines=tuple(change_lines),
        delivery=delivery,
        delivery_tax=delivery_tax,
        refund=total - fee,
        capture_reduced=0,
        fee=fee,
    )
    return ReturnPlan(change, tuple(restock))


def delivery_held(summary: OrderSummary, line_ids: Iterable[str]) -> tuple[int, int]:
    """The delivery charge and tax still held by the groups of ``line_ids``: what a return
    that refunds the delivery gives back (charged with the group's first shipment)."""
    groups = {summary.item(line_id).delivery_group for line_id in line_ids}
    held = [summary.group(g) for g in sorted(groups)]
    return sum(g.charge_net for g in held), sum(g.charge_tax_net for g in held)


def give_back_delivery(summary: OrderSummary, change: ChangeOrder) -> None:
    """Record a return's delivery refund on its groups (checked: nothing moved meanwhile)."""
    if not (change.delivery or change.delivery_tax):
        return
    line_ids = [line.line_id for line in change.lines]
    if delivery_held(summary, line_ids) != (change.delivery, change.delivery_tax):
        raise InvalidRequest("refund_delivery", "the delivery charge changed since it was planned")
    for group_id in {summary.item(line_id).delivery_group for line_id in line_ids}:
        group = summary.group(group_id)
        group.charge_canceled, group.charge_tax_canceled = group.charge, group.charge_tax


def apply_return(summary: OrderSummary, change: ChangeOrder) -> None:
    """Apply a planned return (checked again: the summary may have moved)."""
    for i, line in enumerate(change.lines):
        item = summary.item(line.line_id)
        if line.quantity > item.quantity_available_to_return:
            raise InvalidRequest(f"lines[{i}].quantity", "no longer available to return")
        if item.return_part(line.quantity) != (line.product, line.discount, line.tax):
            raise InvalidRequest(f"lines[{i}]", "the line changed since the return was planned")
    give_back_delivery(summary, change)
    for line in change.lines:
        item = summary.item(line.line_id)
        item.quantity_return_initiated += line.quantity
        item.take_return(line.quantity)
    summary.return_fees += change.fee
