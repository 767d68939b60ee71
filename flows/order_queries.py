"""Reads of the order life, and the small writes beside them (process exception status,
Fulfillment Orders reported for unmanaged summaries), as plain documents for the edges."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from flows.bootstrap import Services
from flows.order_intake import summary_document
from flows.order_records import ExceptionSort
from flows.order_routing import NotManaged
from flows.order_store import NotFound
from summary.exceptions import PeStatus, ProcessException
from summary.fulfillment import FoStatus, FulfillmentOrder, FulfillmentType
from summary.invoice import Invoice
from summary.summary import Quantities

MAX_PAGE = 500


def order_summary(services: Services, key: str) -> dict[str, Any]:
    with services.uow() as uow:
        summary = uow.summary(key, lock=False)
        return summary_document(summary, uow.active_exception_count(summary.id))


def summary_currency(services: Services, key: str) -> str:
    """The currency of a summary (by id, order number or external id): one column, not the
    whole summary (the console's money forms need it to read amounts)."""
    with services.uow() as uow:
        return uow.summary_currency(key)


def original_order(services: Services, order_number: str) -> str:
    """The Order's document exactly as it was received."""
    with services.uow() as uow:
        row = uow.order_row(order_number)
    if row is None:
        raise NotFound("order", order_number)
    return str(row.body)


def routing_attempts(services: Services, key: str) -> dict[str, Any]:
    with services.uow() as uow:
        summary_id = uow.summary_id_of(key)
        return {"order_summary_id": summary_id, "attempts": uow.routing_attempts(summary_id)}


def fulfillment_order(
    services: Services, fo_id: str, *, visible: frozenset[str] | None = None
) -> dict[str, Any]:
    """An FO with its status history; ``visible``: the locations the caller works for (an FO
    elsewhere is NotFound, as if it did not exist)."""
    with services.uow() as uow:
        summary = uow.summary(uow.fulfillment_order_summary_id(fo_id, visible), lock=False)
        history = uow.fulfillment_order_history(fo_id)
    document = fo_document(summary.fulfillment_order(fo_id))
    document["history"] = [{"status": s, "at": at} for s, at in history]
    return document


def check_visible(services: Services, fo_id: str, visible: frozenset[str] | None) -> None:
    """NotFound unless the FO exists at one of ``visible`` (None: anywhere)."""
    if visible is None:
        return
    with services.uow() as uow:
        uow.fulfillment_order_summary_id(fo_id, visible)


def fulfillment_orders(
    services: Services,
    *,
    location_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
    visible: frozenset[str] | None = None,
) -> dict[str, Any]:
    """A page of a work queue; ``next_cursor`` is None on the last page; ``visible``: only
    the FOs of these locations."""
    with services.uow() as uow:
        page = uow.fulfillment_order_page(
            location_id=location_id, status=status, after=cursor, limit=limit + 1, visible=visible
        )
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [fo_document(fo) for fo in page],
        "next_cursor": page[-1].id if more and page else None,
    }


def fo_document(fo: FulfillmentOrder) -> dict[str, Any]:
    return {
        "id": fo.id,
        "order_summary_id": fo.order_summary_id,
        "delivery_group": fo.delivery_group,
        "location_id": fo.location_id,
        "fulfillment_type": fo.fulfillment_type,
        "status": fo.status,
        "reason": fo.reason,
        "lines": [
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "quantity_fulfilled": line.quantity_fulfilled,
                "quantity_canceled": line.quantity_canceled,
            }
            for line in fo.lines
        ],
        "reservation_id": fo.reservation_id,
        "invoice_id": fo.invoice_id,
        "invoice_ids": list(fo.invoice_ids),
    }


def invoice(services: Services, invoice_id: str) -> dict[str, Any]:
    with services.uow() as uow:
        return invoice_document(uow.invoice(invoice_id))


def invoice_document(inv: Invoice) -> dict[str, Any]:
    return {
        "id": inv.id,
        "order_summary_id": inv.order_summary_id,
        "fulfillment_order_id": inv.fulfillment_order_id,
        "lines": [
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "amount": line.amount,
                "discount": line.discount,
                "tax": line.tax,
            }
            for line in inv.lines
        ],
        "product": inv.product,
        "delivery": inv.delivery,
        "tax": inv.tax,
        "discount": inv.discount,
        "total": inv.total,
        "status": inv.status,
        "captured": inv.captured,
    }


def process_exceptions(
    services: Services,
    *,
    status: str | None,
    category: str | None,
    summary_key: str | None,
    cursor: str | None,
    limit: int,
    statuses: Collection[str] | None = None,
    sort: ExceptionSort = "id",
    descending: bool = False,
) -> dict[str, Any]:
    """A page of process exceptions in ``sort`` order (the database orders and pages them);
    ``next_cursor`` is None on the last page; ``statuses``: any of these."""
    with services.uow() as uow:
        summary_id = None if summary_key is None else uow.summary_id_of(summary_key)
        if status is not None:
            statuses = {status} if statuses is None else set(statuses) & {status}
        found = uow.exceptions(
            statuses=statuses,
            category=category,
            summary_id=summary_id,
            after=cursor,
            limit=limit + 1,
            sort=sort,
            descending=descending,
        )
    more = len(found) > limit
    found = found[:limit]
    return {
        "items": [exception_document(pe) for pe in found],
        "next_cursor": found[-1].id if more and found else None,
    }


def process_exception(services: Services, exception_id: str) -> dict[str, Any]:
    with services.uow() as uow:
        return exception_document(uow.exception(exception_id))


def move_exception(
    services: Services, exception_id: str, status: PeStatus, note: str | None
) -> dict[str, Any]:
    with services.uow() as uow:
        pe = uow.exception(exception_id)
        pe.move_to(status, uow.now, note)
        uow.save_exception(pe)
        uow.commit()
    return exception_document(pe)


def exception_document(pe: ProcessException) -> dict[str, Any]:
    return {
        "id": pe.id,
        "order_summary_id": pe.order_summary_id,
        "category": pe.category,
        "severity": pe.severity,
        "priority": pe.priority,
        "status": pe.status,
        "message": pe.message,
        "description": pe.description,
        "attached_to": {"kind": pe.attached_kind, "id": pe.attached_id},
        "note": pe.note,
        "created_at": pe.created_at,
        "updated_at": pe.updated_at,
    }


def report_fulfillment_order(
    services: Services,
    key: str,
    *,
    group_id: str,
    location_id: str,
    fulfillment_type: FulfillmentType,
    status: FoStatus,
    lines: Quantities,
) -> dict[str, Any]:
    """An unmanaged summary's FO, as the external system that runs it reports it."""
    with services.uow() as uow:
        summary = uow.summary(key)
        if summary.managed:
            raise NotManaged(
                f"order summary {summary.id} is managed: omniroute creates its fulfillment orders"
            )
        fo = summary.add_fulfillment_order(
            fo_id=f"FO-{uuid.uuid4().hex[:20]}",
            group_id=group_id,
            location_id=location_id,
            fulfillment_type=fulfillment_type,
            lines=lines,
            reservation_id=None,
            status=status if status != "Draft" else "Allocated",
        )
        uow.save_summary(summary)
        uow.commit()
    return fo_document(fo)
