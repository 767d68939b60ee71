"""Order intake: every order source (HTTP, Shopify webhook, JSON Lines import) ends here.

The order number is the idempotency key: the same order again answers the summary that
exists; another order under that number is a conflict. The Order and its new Summary are
written in one transaction, then a managed summary is routed (a routing failure never loses
the order: it is recorded first, and routing can run again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import exc, select

from engine.network import Network
from flows.bootstrap import Services
from flows.db import metadata
from flows.documents import issues_from
from flows.errors import FlowError, InvalidDocument, Issue
from flows.geocode import geocode_postal_code
from flows.order_routing import Plan, plan_groups
from flows.order_store import OrderUnitOfWork
from inventory.errors import InventoryError
from summary.errors import InvalidOrder
from summary.order import Order, check_order
from summary.summary import OrderSummary, summary_from_order

log = logging.getLogger(__name__)


class OrderConflict(FlowError):
    """The order number is taken by a different order (HTTP 409)."""

    def __init__(self, order_number: str) -> None:
        self.order_number = order_number
        super().__init__(f"order_number: {order_number!r} was already placed with a different body")


@dataclass(frozen=True, slots=True)
class Placed:
    summary_id: str
    created: bool  # False: the same order was already there (a retry)
    plan: Plan | None = None  # a new managed order's routing, recorded with it (steps 2-3 left)


def parse_order(data: object, *, prefix: str = "") -> Order:
    """Validate an intake document: field rules, then cross-field rules; every problem named."""
    try:
        order = Order.model_validate(data)
    except ValidationError as error:
        raise InvalidDocument("order", issues_from(error, Order, data, prefix)) from None
    try:
        return check_order(order)
    except InvalidOrder as error:
        issues = [Issue(f"{prefix}.{f}" if prefix else f, m) for f, m in error.issues]
        raise InvalidDocument("order", issues) from None


def fingerprint(order: Order) -> str:
    canonical = json.dumps(order.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def place_order(services: Services, order: Order, body: str) -> Placed:
    """Record ``order`` (``body``: the document exactly as received) and its summary."""
    print_ = fingerprint(order)
    with services.uow() as uow:
        issues = _against_network(services.config().network, order) + _unknown_skus(uow, order)
        if issues:
            raise InvalidDocument("order", issues)
        summary = summary_from_order(order, f"OS-{uuid.uuid4().hex[:20]}")
        try:
            uow.add_order(
                order.order_number, summary.id, print_, body, order.source, order.external_id
            )
        except exc.IntegrityError:
            # The number is taken (a retry, or another worker just now): the primary key
            # decides, so the common case (a new order) needs no read first.
            uow.conn.rollback()
            with services.uow() as again:
                found = _existing(again, order.order_number, print_)
            assert found is not None
            return found
        plan = record_summary(services, uow, summary)
        uow.commit()
    return Placed(summary.id, created=True, plan=plan)


def record_summary(services: Services, uow: OrderUnitOfWork, summary: OrderSummary) -> Plan | None:
    """Insert a new summary in ``uow`` (its Order row added already; the caller commits):
    its ship groups located and, when managed, routing step 1 (its Draft FOs); the plan's
    steps 2-3 (:func:`flows.order_routing.carry_out`) follow the commit."""
    located = _locate(uow, summary)
    plan = _first_plan(services, uow, summary) if summary.managed and located else None
    uow.add_summary(summary)
    return plan


def _first_plan(services: Services, uow: OrderUnitOfWork, summary: OrderSummary) -> Plan | None:
    """Routing step 1 of a new order, in its intake transaction (one commit fewer per order).
    If the stock cannot be read now, the order is recorded all the same, unrouted."""
    try:
        return plan_groups(services, uow, summary, None, [])
    except InventoryError as error:
        log.warning("order %s recorded, not routed yet: %s", summary.order_number, error)
        return None


def _existing(uow: OrderUnitOfWork, order_number: str, print_: str) -> Placed | None:
    row = uow.order_row(order_number)
    if row is None:
        return None
    if row.fingerprint != print_:
        raise OrderConflict(order_number)
    return Placed(row.summary_id, created=False)


def _locate(uow: OrderUnitOfWork, summary: OrderSummary) -> bool:
    """Fill a ship group's missing coordinates from its postal code, offline; where that
    fails the group cannot be routed, and a person is asked (never a guessed destination).
    True when every group is located."""
    located = True
    for group in summary.groups:
        if group.method != "ship" or (group.lat is not None and group.lon is not None):
            continue
        found = None
        if group.country and group.postal_code:
            found = geocode_postal_code(group.country, group.postal_code)
        if found is not None:
            group.lat, group.lon = found
            continue
        uow.raise_exception(
            summary.id,
            "routing",
            ("delivery_group", group.id),
            f"delivery group {group.id}: no coordinates and postal code "
            f"{group.postal_code!r} ({group.country}) could not be located",
        )
        located = False
    return located


def _against_network(network: Network, order: Order) -> list[Issue]:
    issues = []
    for i, group in enumerate(order.delivery_groups):
        if group.method != "pickup":
            continue
        where = f"delivery_groups[{i}].location_id"
        index = network.index.get(group.location_id)
        if index is None:
            issues.append(Issue(where, f"unknown location {group.location_id!r}"))
        elif "pickup" not in network.locations[index].capabilities:
            issues.append(Issue(where, f"{group.location_id} does not offer pickup"))
    return issues


def _unknown_skus(uow: OrderUnitOfWork, order: Order) -> list[Issue]:
    known = known_skus(uow, [line.sku for line in order.lines])
    return [
        Issue(f"lines[{i}].sku", f"unknown SKU {line.sku!r}")
        for i, line in enumerate(order.lines)
        if line.sku not in known
    ]


def known_skus(uow: OrderUnitOfWork, skus: Collection[str]) -> set[str]:
    """Those of ``skus`` the inventory knows (an order may name no other)."""
    table = metadata.tables["inventory_skus"]
    query = select(table.c.sku).where(table.c.sku.in_(sorted(set(skus))))
    return set(uow.conn.execute(query).scalars())


def summary_document(summary: OrderSummary, active_exceptions: int) -> dict[str, Any]:
    """DESIGN.md's Order Summary answer."""
    totals = summary.totals
    payment = summary.payment
    authorized = payment.authorized if payment else 0
    captured = payment.captured if payment else 0
    refunded = payment.refunded if payment else 0
    return {
        "id": summary.id,
        "order_number": summary.order_number,
        "lifecycle": summary.lifecycle,
        "status": summary.status,
        "currency": summary.currency,
        "channel": summary.channel,
        "source": summary.source,
        "external_id": summary.external_id,
        "exchange_of": summary.exchange_of,
        "placed_at": summary.placed_at,
        "items": [_item_document(i) for i in summary.items],
        "delivery_groups": [_group_document(g) for g in summary.groups],
        "totals": {
            "product": totals.product,
            "discount": totals.discount,
            "delivery": totals.delivery,
            "tax": totals.tax,
            "fees": totals.fees,
            "grand_total": totals.grand_total,
        },
        "payment": {
            "authorization_id": payment.authorization_id if payment else None,
            "authorized": authorized,
            "captured": captured,
            "refunded": refunded,
            "credit": payment.credit if payment else 0,
            "credit_used": payment.credit_used if payment else 0,
            "transferred": payment.transferred if payment else 0,
            "balance_due": totals.grand_total
            - captured
            + refunded
            + (payment.transferred if payment else 0),
        },
        "active_process_exception_count": active_exceptions,
        "fulfillment_orders": [
            {
                "id": fo.id,
                "delivery_group": fo.delivery_group,
                "location_id": fo.location_id,
                "fulfillment_type": fo.fulfillment_type,
                "status": fo.status,
            }
            for fo in summary.fulfillment_orders
        ],
    }


def _item_document(item: Any) -> dict[str, Any]:
    return {
        "line_id": item.line_id,
        "sku": item.sku,
        "delivery_group": item.delivery_group,
        "status": item.status,
        "unit_price": item.unit_price,
        "discount": item.discount,
        "tax": item.tax,
        "quantity_ordered": item.quantity_ordered,
        "quantity_canceled": item.quantity_canceled,
        "quantity_allocated": item.quantity_allocated,
        "quantity_fulfilled": item.quantity_fulfilled,
        "quantity_return_initiated": item.quantity_return_initiated,
        "quantity_returned": item.quantity_returned,
        "quantity_reshipped": item.quantity_reshipped,
        "reship_of": item.reship_of,
        "adjusted": {  # discounts given after the order was placed, and the tax they took
            "discount": item.adjust_open_discount + item.adjust_shipped_discount,
            "tax": item.adjust_open_tax + item.adjust_shipped_tax,
        },
        "quantity_available_to_fulfill": item.quantity_available_to_fulfill,
        "quantity_available_to_cancel": item.quantity_available_to_cancel,
        "quantity_available_to_return": item.quantity_available_to_return,
    }


def _group_document(group: Any) -> dict[str, Any]:
    return {
        "id": group.id,
        "method": group.method,
        "location_id": group.location_id,
        "lat": group.lat,
        "lon": group.lon,
        "charge": group.charge,
        "charge_tax": group.charge_tax,
        "excluded_locations": list(group.excluded_locations),
    }
