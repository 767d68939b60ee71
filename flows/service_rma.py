"""Return Orders (RMA): open one on a managed Order Summary, approve, cancel, receive, read.

Every write loads the summary for change first (it locks it), then the return order, so two
workers acting on one RMA serialise. Opening and receiving are idempotent on the caller's
``Idempotency-Key``: the same key with the same body answers again (a receipt's pending
refund is retried, never paid twice), with another body it is refused (409).

A receipt's returned units are recorded as a change order (kind return, linked to the RMA)
with a Credit Memo, refunded against the captured payment through
:func:`flows.service_flows.refund` (once: the change order's refund status guards it), and
restocked at the receiving location when their reason says so.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from flows.bootstrap import Services
from flows.order_intake import summary_document
from flows.order_routing import NotManaged
from flows.order_store import OrderUnitOfWork
from flows.return_order_records import StoredReturnOrder
from flows.service_flows import KeyReused, change_document, credit_memo_id, fingerprint_of, refund
from inventory.model import StockAdjust
from service.changes import ChangeOrder
from service.return_orders import (
    ReceiptPlan,
    RmaLine,
    cancel_return_order,
    open_return_order,
    receive,
)
from summary.errors import InvalidRequest
from summary.return_order import ReceiptLine, ReturnOrder
from summary.summary import OrderSummary


def create(
    services: Services,
    key: str,
    *,
    lines: Sequence[RmaLine],
    location_id: str | None,
    idempotency_key: str | None,
    body: dict[str, Any],
    preview: bool = False,
) -> dict[str, Any]:
    """Open a Submitted return order for ``lines`` of summary ``key`` (``preview``: the
    return order and the summary it would make, nothing written)."""
    _check_location(services, location_id)
    print_ = fingerprint_of(body)
    with services.uow() as uow:
        summary = uow.summary(key)
        _check_managed(summary)
        if idempotency_key and not preview:
            found = uow.return_order_by_key(summary.id, idempotency_key)
            if found is not None:
                stored, earlier_print = found
                _check_same_body(idempotency_key, earlier_print, print_)
                return return_order_document(stored)
        ro = open_return_order(summary, f"RO-{uuid.uuid4().hex[:20]}", lines, location_id)
        if preview:  # the loaded copies changed; nothing is saved and the uow rolls back
            opened = _preview(uow, StoredReturnOrder(ro, uow.now, uow.now), summary)
            return opened | {"id": None}  # nothing was created
        uow.save_summary(summary)
        uow.add_return_order(ro, key=idempotency_key, fingerprint=print_)
        stored = uow.return_order(ro.id)
        uow.commit()
    return return_order_document(stored)


def approve(services: Services, ro_id: str) -> dict[str, Any]:
    """Submitted → Approved: the units may now be received."""
    return _step(services, ro_id, lambda _, ro: ro.approve())


def cancel(services: Services, ro_id: str) -> dict[str, Any]:
    """Cancel a Submitted or Approved return order: its units stop being return initiated."""
    return _step(services, ro_id, cancel_return_order)


def _step(
    services: Services, ro_id: str, act: Callable[[OrderSummary, ReturnOrder], None]
) -> dict[str, Any]:
    with services.uow() as uow:
        summary = uow.summary(uow.return_order_summary_id(ro_id))
        _check_managed(summary)
        ro = uow.return_order(ro_id).order
        act(summary, ro)
        uow.save_summary(summary)
        uow.save_return_order(ro)
        stored = uow.return_order(ro_id)
        uow.commit()
    return return_order_document(stored)


def receive_units(
    services: Services,
    ro_id: str,
    *,
    lines: Sequence[ReceiptLine],
    location_id: str | None,
    idempotency_key: str | None,
    body: dict[str, Any],
    refund_delivery: bool = False,
    preview: bool = False,
) -> dict[str, Any]:
    """Receive units against an Approved (or Received) return order: the answer is the
    return order with ``change_order_id``, ``refund``, ``credit_memo_id``, ``change_order``
    and ``summary``. ``location_id`` overrides where the units were received."""
    _check_location(services, location_id)
    print_ = fingerprint_of(body)
    policy = services.config().rules.rules.returns
    planned: ReceiptPlan | None = None
    with services.uow() as uow:
        summary = uow.summary(uow.return_order_summary_id(ro_id))
        _check_managed(summary)
        stored = uow.return_order(ro_id)
        ro = stored.order
        earlier = ro.receipt_by_key(idempotency_key) if idempotency_key and not preview else None
        if earlier is not None:
            _check_same_body(earlier.key or "", earlier.fingerprint, print_)
            change_id = earlier.change_order_id
            changes = uow.change_orders_of(summary.id) if change_id else []
            change = next((c for c, _ in changes if c.id == change_id), None)
        else:
            planned = receive(
                summary,
                ro,
                lines,
                change_id=f"CO-{uuid.uuid4().hex[:20]}",
                policy=policy,
                key=idempotency_key,
                fingerprint=print_,
                refund_delivery=refund_delivery,
            )
            change = planned.change
            if preview:
                return _preview(uow, stored._replace(updated_at=uow.now), summary) | {
                    "change_order_id": None,  # nothing was written, so nothing has an id
                    "refund": change.refund if change else 0,
                    "credit_memo_id": None,
                    "change_order": change_document(change) if change else None,
                }
            uow.save_summary(summary)
            memo = credit_memo_id(change) if change is not None else None
            if change is not None and memo is not None:
                uow.add_change_order(change, key=None, fingerprint=None)
                uow.add_credit_memo(memo, change)
            uow.save_return_order(ro)
            uow.commit()
    where = location_id or ro.location_id
    if planned is not None and planned.restock and where is not None:
        services.inventory.write_stock(
            [StockAdjust(where, sku, count) for sku, count in planned.restock]
        )
    if change is not None and change.refund:
        refund(services, change.id)  # a replay retries a refund still pending, never twice
    return _receipt_answer(services, ro_id, change)


def _preview(
    uow: OrderUnitOfWork, stored: StoredReturnOrder, summary: OrderSummary
) -> dict[str, Any]:
    """The return order and the summary as an action would leave them (nothing written)."""
    active = uow.active_exception_count(summary.id)
    return {**return_order_document(stored), "summary": summary_document(summary, active)}


def _receipt_answer(services: Services, ro_id: str, change: ChangeOrder | None) -> dict[str, Any]:
    with services.uow() as uow:
        stored = uow.return_order(ro_id)
        summary = uow.summary(stored.order.order_summary_id, lock=False)
        active = uow.active_exception_count(summary.id)
    return {
        **return_order_document(stored),
        "change_order_id": change.id if change else None,
        "refund": change.refund if change else 0,
        "credit_memo_id": credit_memo_id(change) if change else None,
        "change_order": change_document(change) if change else None,
        "summary": summary_document(summary, active),
    }


def return_order(services: Services, ro_id: str) -> dict[str, Any]:
    with services.uow() as uow:
        stored = uow.return_order(ro_id)
    return return_order_document(stored)


def return_orders(services: Services, key: str) -> dict[str, Any]:
    """The return orders of summary ``key`` (its id or order number), oldest first."""
    with services.uow() as uow:
        summary_id = uow.summary_id_of(key)
        found = uow.return_orders_of(summary_id)
    return {
        "order_summary_id": summary_id,
        "return_orders": [return_order_document(stored) for stored in found],
    }


def return_order_document(stored: StoredReturnOrder) -> dict[str, Any]:
    ro = stored.order
    return {
        "id": ro.id,
        "order_summary_id": ro.order_summary_id,
        "status": ro.status,
        "location_id": ro.location_id,
        "lines": [
            dataclasses.asdict(x) | {"quantity_outstanding": x.quantity_outstanding}
            for x in ro.lines
        ],
        "change_order_ids": ro.change_order_ids,
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
    }


def _check_location(services: Services, location_id: str | None) -> None:
    if location_id is not None and location_id not in services.config().network.index:
        raise InvalidRequest("location_id", f"unknown location {location_id!r}")


def _check_managed(summary: OrderSummary) -> None:
    if not summary.managed:
        raise NotManaged(
            f"order summary {summary.id} is unmanaged: the system that runs it takes returns"
        )


def _check_same_body(key: str, earlier_print: str, print_: str) -> None:
    if earlier_print != print_:
        raise KeyReused(f"Idempotency-Key {key!r} was used with another body")
