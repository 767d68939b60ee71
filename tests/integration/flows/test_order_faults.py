"""A failure in the middle of routing an order, injected at each step, leaves nothing that
reconciliation cannot settle: afterwards no reservation is without its Fulfillment Order, no
active Fulfillment Order is without its reservation, and the order can be routed again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc, select

from flows import order_queries, order_routing
from flows.bootstrap import Services
from flows.db import metadata
from flows.order_reconcile import reconcile
from flows.order_routing import route_summary
from flows.order_sources import take_order
from flows.order_store import OrderUnitOfWork
from inventory.errors import InventoryUnavailable, UnknownReservation
from summary.fulfillment import ACTIVE
from tests.support.orders import STOCK, order


@pytest.fixture
def services(order_services: Services) -> Services:
    return order_services


class Boom(RuntimeError):
    """The injected failure."""


def fail_reservations(monkeypatch: pytest.MonkeyPatch, services: Services) -> None:
    def down(*_: Any, **__: Any) -> Any:
        raise InventoryUnavailable("injected: Redis went away")

    monkeypatch.setattr(services.inventory, "reserve_many", down)


def fail_after_reserving(monkeypatch: pytest.MonkeyPatch, services: Services) -> None:
    def crash(*_: Any, **__: Any) -> Any:
        raise exc.OperationalError("UPDATE", {}, Exception("injected: database went away"))

    monkeypatch.setattr(order_routing, "_activate_all", crash)  # the common path
    monkeypatch.setattr(order_routing, "_settle", crash)


def fail_recording_the_plan(monkeypatch: pytest.MonkeyPatch, services: Services) -> None:
    def crash(*_: Any, **__: Any) -> Any:
        raise exc.OperationalError("INSERT", {}, Exception("injected: database went away"))

    monkeypatch.setattr(OrderUnitOfWork, "add_routing_attempt", crash)


FAULTS = {
    "while reserving": fail_reservations,
    "after reserving, before activating": fail_after_reserving,
}


def broken_links(services: Services) -> list[str]:
    """Every reservation of an FO with its FO active, and every active FO with its
    reservation holding exactly its open units."""
    problems = []
    table = metadata.tables["inventory_reservations"]
    with services.store.engine.connect() as conn:
        held = set(
            conn.execute(
                select(table.c.id).where(table.c.status == "active", table.c.id.like("FO-%"))
            ).scalars()
        )
    fos = order_queries.fulfillment_orders(
        services, location_id=None, status=None, cursor=None, limit=500
    )["items"]
    active = {fo["id"]: fo for fo in fos if fo["status"] in ACTIVE}
    problems += [f"reservation {r} without an active FO" for r in held - set(active)]
    for fo_id, fo in active.items():
        try:
            reservation = services.inventory.get_reservation(fo_id)
        except UnknownReservation:
            problems.append(f"FO {fo_id} without a reservation")
            continue
        held_units = sum(line.quantity for line in reservation.lines)
        open_units = sum(
            line["quantity"] - line["quantity_fulfilled"] - line["quantity_canceled"]
            for line in fo["lines"]
        )
        if reservation.status != "active" or held_units != open_units:
            problems.append(f"FO {fo_id} holds {open_units}, its reservation {held_units}")
    problems += [f"FO {fo['id']} still Draft" for fo in fos if fo["status"] == "Draft"]
    return problems


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failure_while_routing_is_settled_by_reconciliation_and_the_order_routes_again(
    services: Services, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    with monkeypatch.context() as patch:
        FAULTS[fault](patch, services)
        placed = take_order(services, order(), "{}").placed  # routing fails inside
    summary = order_queries.order_summary(services, placed.summary_id)
    assert summary["order_number"] == "W-1001"  # the order is never lost

    reconcile(services, draft_age=0.0)
    assert broken_links(services) == []
    summary = order_queries.order_summary(services, placed.summary_id)
    assert [i["status"] for i in summary["items"]] == ["allocated"] * 3  # routed again
    route_summary(services, placed.summary_id)  # and on demand: nothing left to route
    assert broken_links(services) == []
    a = services.inventory.availability("DC01", "SKU-A")
    assert a.reserved == 2


def test_a_failure_while_recording_the_plan_at_intake_stores_nothing_and_a_retry_routes(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Intake records the order and its plan (Draft FOs) in one transaction: all or nothing.
    with monkeypatch.context() as patch:
        fail_recording_the_plan(patch, services)
        with pytest.raises(exc.OperationalError):
            take_order(services, order(), "{}")
    assert broken_links(services) == []
    assert services.inventory.availability("DC01", "SKU-A").reserved == 0
    placed = take_order(services, order(), "{}").placed
    assert placed.created
    summary = order_queries.order_summary(services, placed.summary_id)
    assert [i["status"] for i in summary["items"]] == ["allocated"] * 3


@pytest.mark.parametrize("fault", [*FAULTS, "while recording the plan"])
def test_a_failure_while_routing_on_demand_leaves_what_reconciliation_settles(
    services: Services, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    empty = [{"location_id": r["location_id"], "sku": r["sku"], "on_hand": 0} for r in STOCK]
    from inventory.records import parse_json

    services.inventory.upsert(parse_json(empty))
    placed = take_order(services, order(), "{}").placed  # nothing to route yet
    services.inventory.upsert(parse_json(STOCK))
    inject = FAULTS.get(fault, fail_recording_the_plan)
    with monkeypatch.context() as patch:
        inject(patch, services)
        with pytest.raises((InventoryUnavailable, exc.OperationalError)):
            route_summary(services, placed.summary_id)
    reconcile(services, draft_age=0.0)
    assert broken_links(services) == []
    route_summary(services, placed.summary_id)  # a person routes it again after the fix
    summary = order_queries.order_summary(services, placed.summary_id)
    assert [i["status"] for i in summary["items"]] == ["allocated"] * 3
    assert broken_links(services) == []


def test_reconciliation_with_nothing_broken_changes_nothing(services: Services) -> None:
    placed = take_order(services, order(), "{}").placed
    before = order_queries.order_summary(services, placed.summary_id)
    report = reconcile(services, draft_age=0.0)
    assert set(report.as_dict().values()) == {0}
    assert order_queries.order_summary(services, placed.summary_id) == before
    assert broken_links(services) == []


def test_a_shipment_whose_reservation_was_not_consumed_is_consumed_by_reconciliation(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import order_fulfilment

    placed = take_order(services, order(), "{}").placed
    fo = order_queries.order_summary(services, placed.summary_id)["fulfillment_orders"][0]
    with monkeypatch.context() as patch:
        patch.setattr(order_fulfilment, "consume_shipped", _raise_boom)
        with pytest.raises(Boom):
            order_fulfilment.change_status(services, fo["id"], "Fulfilled", lines=[("1", 1)])
    assert services.inventory.availability("DC01", "SKU-A").on_hand == 5  # not consumed yet
    reconcile(services, draft_age=0.0)
    figures = services.inventory.availability("DC01", "SKU-A")
    assert (figures.on_hand, figures.reserved) == (4, 1)
    assert broken_links(services) == []


def _raise_boom(*_: Any, **__: Any) -> None:
    raise Boom("injected: crash after the shipment was recorded")
