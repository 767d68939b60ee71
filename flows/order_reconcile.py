"""Reconciliation of the order life with the inventory: finishes or undoes what a failure
between the steps of routing, shipping or capture left behind.

Routing writes Draft FOs, then reservations, then activates; shipping writes the summary,
then consumes the reservation, then captures. A crash between two steps leaves one of:

- a Draft FO older than ``draft_age``: its reservation exists → activate it; none → cancel
  the FO (its units go back to available to fulfill, to be routed again);
- a reservation named after an FO that is gone, canceled, rejected or fulfilled → consume
  what shipped, release the rest (an FO-less reservation never holds stock for long);
- shipped units the reservation has not consumed → consume the difference;
- an unpaid invoice → capture it (automatic: skipped while the summary has active process
  exceptions);
- a managed summary with units available to fulfill and no active exception → route it.

Every repair is idempotent, so ``omniroute reconcile`` and the periodic task in ``serve``
can run at any time, on any worker, even together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import timedelta

from sqlalchemy import and_, select

from flows.bootstrap import Services
from flows.db import metadata
from flows.order_capture import capture_invoice
from flows.order_fulfilment import consume_shipped, release_rest
from flows.order_routing import route_summary
from flows.order_schema import (
    fulfillment_order_lines,
    fulfillment_orders,
    invoices,
    order_item_summaries,
    order_summaries,
)
from flows.service_flows import refund
from inventory.errors import InventoryError, UnknownReservation
from inventory.model import MAX_TTL_SECONDS
from summary.fulfillment import ACTIVE, FulfillmentOrder

log = logging.getLogger(__name__)
DRAFT_AGE_SECONDS = 60.0  # a route attempt takes milliseconds; a Draft this old was abandoned


@dataclass
class ReconcileReport:
    drafts_activated: int = 0
    drafts_canceled: int = 0
    reservations_settled: int = 0
    shipments_consumed: int = 0
    invoices_captured: int = 0
    summaries_routed: int = 0
    refunds_made: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def reconcile(services: Services, *, draft_age: float = DRAFT_AGE_SECONDS) -> ReconcileReport:
    report = ReconcileReport()
    _drafts(services, draft_age, report)
    _orphan_reservations(services, draft_age, report)
    _unconsumed(services, report)
    _unpaid(services, report)
    _unrouted(services, report)
    _refunds(services, report)
    return report


def _refunds(services: Services, report: ReconcileReport) -> None:
    """Refunds a change order owes that the gateway has not confirmed yet."""
    with services.uow() as uow:
        pending = uow.pending_refunds()
    for change_id, _ in pending:
        if refund(services, change_id):
            report.refunds_made += 1


def _drafts(services: Services, draft_age: float, report: ReconcileReport) -> None:
    with services.uow() as uow:
        stale = uow.stale_drafts(services.now() - timedelta(seconds=draft_age))
    for fo_id, summary_id in stale:
        try:
            reservation = services.inventory.get_reservation(fo_id)
            held = reservation.status == "active"
        except UnknownReservation:
            held = False
        with services.uow() as uow:
            summary = uow.summary(summary_id)
            fo = summary.fulfillment_order(fo_id)
            if fo.status != "Draft":
                continue  # its routing finished meanwhile
            if held:
                summary.set_status(fo_id, "Allocated")
                report.drafts_activated += 1
            else:
                summary.release_open(fo_id, "Canceled", "abandoned while routing: no reservation")
                report.drafts_canceled += 1
            uow.save_summary(summary)
            uow.commit()


def _orphan_reservations(services: Services, draft_age: float, report: ReconcileReport) -> None:
    table = metadata.tables["inventory_reservations"]
    # A reservation made for an FO that routing has not recorded yet is young: leave it.
    made_before = services.clock() - draft_age
    query = select(table.c.id).where(
        and_(
            table.c.status == "active",
            table.c.id.like("FO-%"),
            table.c.expires_at - MAX_TTL_SECONDS < made_before,
        )
    )
    with services.store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    if not ids:
        return
    with services.uow() as uow:
        states = uow.fulfillment_order_states(ids)
    for reservation_id in ids:
        status = states.get(reservation_id)
        if status in ACTIVE or status == "Draft":
            continue
        if status is None:
            _release(services, reservation_id)
        else:
            with services.uow() as uow:
                summary = uow.summary(uow.fulfillment_order_summary_id(reservation_id), lock=False)
            fo = summary.fulfillment_order(reservation_id)
            consume_shipped(services, fo)
            release_rest(services, fo)
        report.reservations_settled += 1


def _release(services: Services, reservation_id: str) -> None:
    try:
        services.inventory.release(reservation_id)
    except InventoryError as error:
        log.warning("reconcile: could not release %s: %s", reservation_id, error)


def _unconsumed(services: Services, report: ReconcileReport) -> None:
    """Active FOs that shipped part of their units: the reservation must show it."""
    lines, fos = fulfillment_order_lines, fulfillment_orders
    query = (
        select(fos.c.id, fos.c.summary_id)
        .join(lines, lines.c.fulfillment_order_id == fos.c.id)
        .where(and_(fos.c.status.in_(sorted(ACTIVE)), lines.c.quantity_fulfilled > 0))
        .distinct()
    )
    with services.store.engine.connect() as conn:
        rows = conn.execute(query).all()
    for fo_id, summary_id in rows:
        with services.uow() as uow:
            fo: FulfillmentOrder = uow.summary(summary_id, lock=False).fulfillment_order(fo_id)
        consume_shipped(services, fo)
        report.shipments_consumed += 1


def _unpaid(services: Services, report: ReconcileReport) -> None:
    query = (
        select(invoices.c.id)
        .join(order_summaries, order_summaries.c.id == invoices.c.summary_id)
        .where(and_(invoices.c.status == "unpaid", order_summaries.c.lifecycle == "managed"))
    )
    with services.store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    for invoice_id in ids:
        if capture_invoice(services, invoice_id, automatic=True).status == "paid":
            report.invoices_captured += 1


def _unrouted(services: Services, report: ReconcileReport) -> None:
    items = order_item_summaries
    open_units = items.c.quantity_ordered - items.c.quantity_canceled - items.c.quantity_allocated
    query = (
        select(order_summaries.c.id)
        .join(items, items.c.summary_id == order_summaries.c.id)
        .where(and_(order_summaries.c.lifecycle == "managed", open_units > 0))
        .distinct()
    )
    with services.store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    for summary_id in ids:
        try:
            outcome = route_summary(services, summary_id, automatic=True)
        except InventoryError as error:
            log.warning("reconcile: could not route %s: %s", summary_id, error)
            continue
        if outcome.skipped is None and outcome.fulfillment_order_ids:
            report.summaries_routed += 1
