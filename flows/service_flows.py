"""Service actions on an Order Summary: preview (nothing written) and submit, idempotent on
the caller's ``Idempotency-Key``, each recorded as a Change Order.

Submit writes the change order and the summary in one transaction; a refund it owes (excess
funds) is then sent to the gateway with the change order's id as the idempotency key and
marked done once confirmed, exactly once however often it is retried: a refund the gateway
refuses stays pending, raises a payment process exception, and reconciliation retries it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flows.bootstrap import Services
from flows.errors import FlowError
from flows.order_fulfilment import release_beyond_open
from flows.order_intake import summary_document
from flows.order_routing import NotManaged
from flows.order_store import OrderUnitOfWork
from flows.refunds import refund as refund
from inventory.model import StockAdjust
from service.cancel import apply_cancel, plan_cancel
from service.changes import ChangeLine, ChangeOrder
from service.returns import ReturnPlan, apply_return, plan_return
from summary.errors import InvalidRequest
from summary.summary import OrderSummary, Quantities

T = TypeVar("T")


class KeyReused(FlowError):
    """An ``Idempotency-Key`` sent again with another body (HTTP 409)."""


def fingerprint_of(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cancel(
    services: Services,
    key: str,
    *,
    lines: Quantities,
    reason: str,
    prorate_delivery: bool,
    idempotency_key: str | None,
    body: dict[str, Any],
    preview: bool,
) -> dict[str, Any]:
    """DESIGN.md's cancel (and its preview): the answer is ``{change_order_id, refund,
    capture_reduced, credit_memo_id, summary}``."""

    def plan(summary: OrderSummary, change_id: str) -> tuple[ChangeOrder, None]:
        change = plan_cancel(summary, change_id, lines, reason, prorate_delivery=prorate_delivery)
        return change, None

    done = submit_change(
        services, key, "cancels it", plan, apply_cancel, idempotency_key, body, preview=preview
    )
    return done if isinstance(done, dict) else settle(services, done[0])


def direct_return(
    services: Services,
    key: str,
    *,
    lines: list[tuple[str, int, str]],
    location_id: str | None,
    idempotency_key: str | None,
    body: dict[str, Any],
    preview: bool,
    refund_delivery: bool = False,
) -> dict[str, Any]:
    """A return at a store counter, without an RMA: the units come back now, restock at
    ``location_id`` when their reason says so, and a Credit Memo is refunded (with the
    delivery charge of their groups when ``refund_delivery``)."""
    if location_id is not None and location_id not in services.config().network.index:
        raise InvalidRequest("location_id", f"unknown location {location_id!r}")
    policy = services.config().rules.rules.returns

    def plan(summary: OrderSummary, change_id: str) -> tuple[ChangeOrder, ReturnPlan]:
        planned = plan_return(summary, change_id, lines, policy, refund_delivery=refund_delivery)
        return planned.change, planned

    done = submit_change(
        services, key, "takes returns", plan, apply_return, idempotency_key, body, preview=preview
    )
    if isinstance(done, dict):
        return done
    change, planned = done
    if location_id is not None and planned.restock:
        services.inventory.write_stock(
            [StockAdjust(location_id, sku, count) for sku, count in planned.restock]
        )
    return settle(services, change)


def open_for_change(
    uow: OrderUnitOfWork,
    key: str,
    who_else: str,
    idempotency_key: str | None,
    print_: str,
    preview: bool,
) -> tuple[OrderSummary, ChangeOrder | None]:
    """The managed summary a service action changes (locked unless previewed), and the
    change order an earlier submit with the same key made (another body: :class:`KeyReused`)."""
    summary = uow.summary(key, lock=not preview)
    if not summary.managed:
        raise NotManaged(
            f"order summary {summary.id} is unmanaged: the system that runs it {who_else}"
        )
    if not idempotency_key or preview:
        return summary, None
    found = uow.change_order_by_key(summary.id, idempotency_key)
    if found is None:
        return summary, None
    change, earlier_print = found
    if earlier_print != print_:
        raise KeyReused(f"Idempotency-Key {idempotency_key!r} was used with another body")
    return summary, change


def settle(services: Services, change: ChangeOrder) -> dict[str, Any]:
    """After a submit: the refund the change owes, sent once, and the action's answer."""
    if change.refund:
        refund(services, change.id)
    return order_answer(services, change.order_summary_id, change)


def submit_change(
    services: Services,
    key: str,
    who_else: str,
    plan: Callable[[OrderSummary, str], tuple[ChangeOrder, T]],
    apply: Callable[[OrderSummary, ChangeOrder], None],
    idempotency_key: str | None,
    body: dict[str, Any],
    *,
    preview: bool,
) -> dict[str, Any] | tuple[ChangeOrder, T]:
    """The shared part of every service action, in one transaction: a managed summary, the
    answer of an earlier submit with the same key, the plan (applied to a copy for a preview,
    else applied and recorded with its key and, for a return, its credit memo). Returns the
    answer when nothing more is to be done, else the recorded change and the plan's extra."""
    print_ = fingerprint_of(body)
    with services.uow() as uow:
        summary, earlier = open_for_change(uow, key, who_else, idempotency_key, print_, preview)
        if earlier is not None:
            return _answer(earlier.id, earlier, summary, uow.active_exception_count(summary.id))
        change, extra = plan(summary, f"CO-{uuid.uuid4().hex[:20]}")
        if preview:
            after = copy.deepcopy(summary)
            apply(after, change)
            return _answer(None, change, after, uow.active_exception_count(summary.id))
        apply(summary, change)
        uow.save_summary(summary)
        uow.add_change_order(change, key=idempotency_key, fingerprint=print_)
        memo = credit_memo_id(change)
        if memo is not None:
            uow.add_credit_memo(memo, change)
        uow.commit()
    return change, extra


def credit_memo_id(change: ChangeOrder) -> str | None:
    """A credit memo is named after its change order: every return and exchange has one, an
    adjustment when it credits shipped units; cancels (excess funds) and reships have none."""
    credits = change.kind in ("return", "exchange") or (change.kind == "adjust" and change.refund)
    return f"CM-{change.id.removeprefix('CO-')}" if credits else None


def credit_memo(services: Services, memo_id: str) -> dict[str, Any]:
    with services.uow() as uow:
        change, status, made = uow.credit_memo(memo_id)
    credited = [x for x in change.lines if x.post_fulfilment]  # what shipped units give back
    return {
        "id": memo_id,
        "order_summary_id": change.order_summary_id,
        "change_order_id": change.id,
        "lines": [_line_document(x) for x in credited],
        "product": sum(x.product for x in credited),
        "discount": sum(x.discount for x in credited),
        "tax": sum(x.tax for x in credited),
        "delivery": change.delivery + change.delivery_tax,
        "fee": change.fee,
        "applied": change.applied,  # an exchange's credit spent on its new summary
        "total": change.refund + change.applied,
        "refunded": change.refund,
        "refund_status": status,
        "created_at": made,
    }


def order_answer(services: Services, summary_id: str, change: ChangeOrder) -> dict[str, Any]:
    with services.uow() as uow:
        summary = uow.summary(summary_id, lock=False)
        return _answer(change.id, change, summary, uow.active_exception_count(summary_id))


def _answer(
    change_id: str | None, change: ChangeOrder, summary: OrderSummary, active: int
) -> dict[str, Any]:
    memo = credit_memo_id(change) if change_id else None
    return {
        "change_order_id": change_id,
        "refund": change.refund,
        "capture_reduced": change.capture_reduced,
        "credit_memo_id": memo,
        "change_order": change_document(change),
        "summary": summary_document(summary, active),
    }


def change_document(change: ChangeOrder) -> dict[str, Any]:
    return {
        "id": change.id,
        "kind": change.kind,
        "reason": change.reason,
        "lines": [_line_document(x) for x in change.lines],
        "delivery": change.delivery,
        "delivery_tax": change.delivery_tax,
        "total": change.total,
        "refund": change.refund,
        "capture_reduced": change.capture_reduced,
        "fee": change.fee,
        "applied": change.applied,
        "linked_id": change.linked_id,
    }


def _line_document(line: ChangeLine) -> dict[str, Any]:
    return {
        "line_id": line.line_id,
        "sku": line.sku,
        "quantity": line.quantity,
        "product": line.product,
        "discount": line.discount,
        "tax": line.tax,
        "total": line.total,
        "post_fulfilment": line.post_fulfilment,
    }


def change_orders(services: Services, key: str) -> dict[str, Any]:
    with services.uow() as uow:
        summary_id = uow.summary_id_of(key)
        found = uow.change_orders_of(summary_id)
    return {
        "order_summary_id": summary_id,
        "change_orders": [
            {
                **change_document(change),
                "refund_status": status,
                "credit_memo_id": credit_memo_id(change),
            }
            for change, status in found
        ],
    }


def cancel_fulfillment_lines(
    services: Services,
    fo_id: str,
    lines: Quantities,
    *,
    idempotency_key: str | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Take units off an Allocated or Assigned FO; its reservation gives them back. With an
    ``idempotency_key``, the same key and body again change nothing more (another body: 409)."""
    print_ = fingerprint_of(body or {})
    with services.uow() as uow:
        summary = uow.summary(uow.fulfillment_order_summary_id(fo_id))
        if not summary.managed:
            raise NotManaged(f"order summary {summary.id} is unmanaged")
        earlier = uow.fo_cancel_print(fo_id, idempotency_key) if idempotency_key else None
        if earlier is not None and earlier != print_:
            raise KeyReused(f"Idempotency-Key {idempotency_key!r} was used with another body")
        if earlier is None:
            summary.cancel_fulfillment_lines(fo_id, lines)
            uow.save_summary(summary)
            if idempotency_key:
                uow.add_fo_cancel_key(fo_id, idempotency_key, print_)
            uow.commit()
    fo = summary.fulfillment_order(fo_id)
    release_beyond_open(services, fo)
    from flows.order_queries import fo_document

    return fo_document(fo)
