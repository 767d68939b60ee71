"""The fulfilment flow of a Fulfillment Order: status steps, shipment, rejection, cancel.

The summary's record is written first; the inventory follows (consume at shipment, release
at rejection), by difference with what the reservation already shows, so a retry or a
reconciliation run repeats nothing. A shipment's invoice is captured right after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from engine.order import Order as EngineOrder
from engine.order import OrderLine, PickupDelivery
from engine.preview import preview
from flows.bootstrap import Services
from flows.order_capture import capture_invoice
from flows.order_routing import route_summary
from inventory.errors import UnknownReservation
from inventory.model import Reservation, ReservationLine, StockSet
from summary.errors import InvalidRequest
from summary.fulfillment import FoStatus, FulfillmentOrder
from summary.summary import OrderSummary, Quantities

NOT_IN_STOCK = "not_in_stock"


def change_status(
    services: Services,
    fo_id: str,
    status: FoStatus,
    *,
    reason: str | None = None,
    lines: Quantities | None = None,
) -> FulfillmentOrder:
    """DESIGN.md's ``POST /v1/fulfillment-orders/{id}/status``."""
    if lines is not None and status != "Fulfilled":
        raise InvalidRequest("lines", "only a Fulfilled status takes lines (a partial shipment)")
    if status == "Fulfilled":
        return ship(services, fo_id, lines)
    if status == "Rejected":
        if not reason:
            raise InvalidRequest("reason", "a rejection needs a reason (e.g. not_in_stock)")
        return reject(services, fo_id, reason)
    if status == "Canceled":
        return cancel(services, fo_id, reason)
    with services.uow() as uow:
        summary = uow.summary(uow.fulfillment_order_summary_id(fo_id))
        fo = summary.set_status(fo_id, status)
        uow.save_summary(summary)
        uow.commit()
    return fo


def ship(services: Services, fo_id: str, lines: Quantities | None) -> FulfillmentOrder:
    """Record a shipment (all open lines, or ``lines``) with its invoice; consume the
    reservation; capture the invoice (managed summaries)."""
    with services.uow() as uow:
        summary = uow.summary(uow.fulfillment_order_summary_id(fo_id))
        invoice = summary.ship(fo_id, lines, f"INV-{uuid.uuid4().hex[:20]}")
        uow.save_summary(summary)
        if summary.managed:
            uow.add_invoice(invoice)
        uow.commit()
    fo = summary.fulfillment_order(fo_id)
    if summary.managed:
        consume_shipped(services, fo)
        capture_invoice(services, invoice.id, automatic=True)
    return fo


def consume_shipped(services: Services, fo: FulfillmentOrder) -> None:
    """Make the reservation's fulfilled units match what the FO shipped."""
    reservation = _reservation(services, fo)
    if reservation is None or reservation.status != "active":
        return  # nothing held (e.g. expired and purged): reconciliation reports it
    done = _per_sku((line.sku, line.quantity) for line in reservation.fulfilled)
    shipped = _per_sku((line.sku, line.quantity_fulfilled) for line in fo.lines)
    due = _beyond(fo, shipped, done)
    if due:
        services.inventory.fulfill(reservation.id, due)


def release_rest(services: Services, fo: FulfillmentOrder) -> None:
    """Give back what the reservation still holds once the FO holds nothing open."""
    reservation = _reservation(services, fo)
    if reservation is not None and reservation.status == "active" and reservation.lines:
        services.inventory.release(reservation.id)


def release_beyond_open(services: Services, fo: FulfillmentOrder) -> None:
    """Give back what the reservation holds beyond the FO's open units (by difference, so
    a retry releases nothing twice)."""
    reservation = _reservation(services, fo)
    if reservation is None or reservation.status != "active":
        return
    held = _per_sku((line.sku, line.quantity) for line in reservation.lines)
    open_units = _per_sku((line.sku, line.quantity_open) for line in fo.lines)
    extra = _beyond(fo, held, open_units)
    if extra:
        services.inventory.release(reservation.id, extra)


def _reservation(services: Services, fo: FulfillmentOrder) -> Reservation | None:
    if not fo.reservation_id:
        return None
    try:
        return services.inventory.get_reservation(fo.reservation_id)
    except UnknownReservation:
        return None


def _per_sku(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for sku, count in pairs:
        total[sku] = total.get(sku, 0) + count
    return total


def _beyond(
    fo: FulfillmentOrder, more: dict[str, int], than: dict[str, int]
) -> list[ReservationLine]:
    """Per SKU, the units of ``more`` beyond ``than``, as reservation lines at the FO's location."""
    return [
        ReservationLine(fo.location_id, sku, count - than.get(sku, 0))
        for sku, count in more.items()
        if count > than.get(sku, 0)
    ]


def reject(services: Services, fo_id: str, reason: str) -> FulfillmentOrder:
    """The location cannot fulfil: open units go back, the location is excluded for this
    group, and (``not_in_stock``) its stock of those SKUs is set to zero. A ship group is
    routed again; a pickup group waits for a person (a Process Exception lists the stores
    that could serve it instead): a customer's pickup store never changes silently."""
    with services.uow() as uow:
        summary = uow.summary(uow.fulfillment_order_summary_id(fo_id))
        released = summary.release_open(fo_id, "Rejected", reason[:255])
        uow.save_summary(summary)
        uow.commit()
    fo = summary.fulfillment_order(fo_id)
    if not summary.managed:
        return fo
    consume_shipped(services, fo)
    release_rest(services, fo)
    skus = sorted({fo.line(line_id, "lines").sku for line_id, _ in released})
    if reason == NOT_IN_STOCK and skus:
        services.inventory.write_stock([StockSet(fo.location_id, sku, on_hand=0) for sku in skus])
    group = summary.group(fo.delivery_group)
    if group.method == "pickup":
        _pickup_rejected(services, summary, fo, reason)
    else:
        route_summary(services, summary.id, groups={group.id})
    return fo


def _pickup_rejected(
    services: Services, summary: OrderSummary, fo: FulfillmentOrder, reason: str
) -> None:
    alternatives = _pickup_alternatives(services, summary, fo)
    listed = ", ".join(f"{a['location_id']} ({a['distance_km']:.1f} km)" for a in alternatives)
    with services.uow() as uow:
        uow.raise_exception(
            summary.id,
            "fulfillment",
            ("delivery_group", fo.delivery_group),
            f"pickup at {fo.location_id} rejected ({reason}); "
            f"stores that could serve it: {listed or 'none'}",
            description="ask the customer which store to use, or cancel the lines",
        )
        uow.commit()


def _pickup_alternatives(
    services: Services, summary: OrderSummary, fo: FulfillmentOrder
) -> Sequence[dict[str, object]]:
    lines = [
        OrderLine(id=i.line_id, sku=i.sku, quantity=i.quantity_available_to_fulfill)
        for i in summary.items_of(fo.delivery_group)
        if i.quantity_available_to_fulfill > 0
    ]
    if not lines:
        return []
    order = EngineOrder(
        id=f"{summary.order_number}/{fo.delivery_group}",
        channel=summary.channel,
        lines=tuple(lines),
        delivery=PickupDelivery(method="pickup", location_id=fo.location_id),
    )
    config = services.config()
    answer = preview(
        order,
        network=config.network,
        rules=config.rules.rules,
        rules_version=config.rules.version,
        stock=services.inventory,
        now=services.now(),
        max_routes=1,
    )
    return [dict(a) for a in answer.pickup_alternatives]


def cancel(services: Services, fo_id: str, reason: str | None) -> FulfillmentOrder:
    """Cancel an FO's open units: they go back to available to fulfill, the reservation
    releases what it still holds."""
    with services.uow() as uow:
        summary = uow.summary(uow.fulfillment_order_summary_id(fo_id))
        summary.release_open(fo_id, "Canceled", reason)
        uow.save_summary(summary)
        uow.commit()
    fo = summary.fulfillment_order(fo_id)
    if summary.managed:
        consume_shipped(services, fo)
        release_rest(services, fo)
    return fo
