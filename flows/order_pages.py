"""Reads for the console's order pages: a page of recent Order Summaries, and everything one
summary's page shows (summary, invoices, credit memos, change orders, return orders, routing
attempts, the status history of every Fulfillment Order, who ordered), each in one query per
kind, never one per row. Documents come from the same functions the HTTP API answers with."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, or_, select

from flows.bootstrap import Services
from flows.order_intake import summary_document
from flows.order_queries import fo_document, invoice_document
from flows.order_records import as_utc
from flows.order_schema import fulfillment_order_history, order_summaries
from flows.service_flows import change_document, credit_memo_id
from flows.service_rma import return_order_document


def recent_summaries(services: Services, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """Newest first (by when omniroute recorded them); ``cursor``: the last id of the page
    before; ``next_cursor`` is None on the last page."""
    table = order_summaries
    query = (
        select(
            table.c.id,
            table.c.order_number,
            table.c.channel,
            table.c.source,
            table.c.lifecycle,
            table.c.currency,
            table.c.placed_at,
            table.c.created_at,
        )
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(limit + 1)
    )
    with services.uow() as uow:
        if cursor is not None:
            after = uow.conn.execute(
                select(table.c.created_at).where(table.c.id == cursor)
            ).scalar_one_or_none()
            if after is not None:
                query = query.where(
                    or_(
                        table.c.created_at < after,
                        and_(table.c.created_at == after, table.c.id < cursor),
                    )
                )
        rows = uow.conn.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            {
                "id": r.id,
                "order_number": r.order_number,
                "channel": r.channel,
                "source": r.source,
                "lifecycle": r.lifecycle,
                "currency": r.currency,
                "placed_at": as_utc(r.placed_at),
            }
            for r in rows
        ],
        "next_cursor": rows[-1].id if more and rows else None,
    }


def summary_page(services: Services, key: str) -> dict[str, Any]:
    """Everything the Order Summary page shows (NotFound for an unknown key)."""
    with services.uow() as uow:
        summary = uow.summary(key, lock=False)
        document = summary_document(summary, uow.active_exception_count(summary.id))
        invoices = [invoice_document(inv) for inv in uow.invoices_of(summary.id)]
        changes = uow.change_orders_of(summary.id)
        attempts = uow.routing_attempts(summary.id)
        returns = [return_order_document(stored) for stored in uow.return_orders_of(summary.id)]
        fo_ids = [fo.id for fo in summary.fulfillment_orders]
        history = _histories(uow.conn, fo_ids)
        row = uow.order_row(summary.order_number)
    fos = [
        {**fo_document(fo), "history": history.get(fo.id, [])} for fo in summary.fulfillment_orders
    ]
    change_docs = [
        {**change_document(c), "refund_status": status, "credit_memo_id": credit_memo_id(c)}
        for c, status in changes
    ]
    return {
        "summary": document,
        "fulfillment_orders": fos,
        "invoices": invoices,
        "change_orders": change_docs,
        "credit_memos": [c for c in change_docs if c["credit_memo_id"]],
        "return_orders": returns,
        "routing_attempts": attempts,
        "placed": _as_placed(None if row is None else str(row.body)),
    }


def _histories(conn: Any, fo_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not fo_ids:
        return {}
    table = fulfillment_order_history
    query = (
        select(table.c.fulfillment_order_id, table.c.status, table.c.at)
        .where(table.c.fulfillment_order_id.in_(fo_ids))
        .order_by(table.c.id)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(query):
        found.setdefault(r.fulfillment_order_id, []).append(
            {"status": r.status, "at": as_utc(r.at)}
        )
    return found


def _as_placed(body: str | None) -> dict[str, Any]:
    """Who ordered and where it goes, read from the order as received (an intake document;
    another source's payload, e.g. Shopify's, shows nothing here rather than a guess)."""
    empty: dict[str, Any] = {"customer": {}, "addresses": {}}
    if body is None:
        return empty
    try:
        document = json.loads(body)
    except ValueError:
        return empty
    if not isinstance(document, dict):
        return empty
    customer = document.get("customer")
    addresses: dict[str, dict[str, str]] = {}
    groups = document.get("delivery_groups")
    for group in groups if isinstance(groups, list) else []:
        if isinstance(group, dict) and isinstance(group.get("address"), dict):
            addresses[str(group.get("id"))] = _texts(group["address"])
    return {
        "customer": _texts(customer) if isinstance(customer, dict) else {},
        "addresses": addresses,
    }


def _texts(values: dict[str, Any]) -> dict[str, str]:
    return {
        str(name): str(value)
        for name, value in values.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def summary_id_of(services: Services, key: str) -> str:
    """The summary id of a summary id, an order number or a source's external id."""
    with services.uow() as uow:
        return uow.summary_id_of(key)
