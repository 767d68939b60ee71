"""Usable stock = max(0, on hand − reserved − safety stock − the policy's buffer)."""

from __future__ import annotations

from engine.answer import RouteOut
from tests.unit.preview.helpers import (
    FakeStock,
    location,
    network,
    rules,
    run,
    ship_order,
    ship_policy,
    units,
)

NET = network(
    location("DC", 40.1, -75.0),
    location("ST", 40.2, -75.0, type="store"),
)


def filled(routes: list[RouteOut]) -> int:
    return sum(units(fo) for fo in routes[0].fulfillment_orders)


def test_reserved_units_and_safety_stock_are_not_usable() -> None:
    stock = FakeStock().set("DC", "S", on_hand=10, reserved=4, safety=3)
    answer = run(ship_order([("S", 5)]), NET, rules(ship_policy()), stock)
    assert answer.status == "partial"
    assert filled(answer.routes) == 10 - 4 - 3
    assert [u["quantity"] for u in answer.routes[0].unfilled] == [5 - (10 - 4 - 3)]


def test_store_buffer_holds_units_back_at_stores_only() -> None:
    policy = ship_policy(inventory={"buffer_units": {"store": 2, "warehouse": 0}})
    stock = FakeStock().set("DC", "S", 1).set("ST", "S", 3)
    answer = run(ship_order([("S", 5)]), NET, rules(policy), stock)
    by_loc = {fo.location_id: units(fo) for fo in answer.routes[0].fulfillment_orders}
    assert by_loc == {"DC": 1, "ST": 3 - 2}


def test_an_oversold_location_counts_as_empty_not_negative() -> None:
    stock = FakeStock().set("DC", "S", on_hand=2, reserved=5).set("ST", "S", 1)
    answer = run(ship_order([("S", 1)]), NET, rules(ship_policy()), stock)
    assert answer.status == "routable"
    assert {fo.location_id for fo in answer.routes[0].fulfillment_orders} == {"ST"}


def test_lines_of_the_same_sku_share_its_stock() -> None:
    stock = FakeStock().set("DC", "S", 3)
    one_dc = network(location("DC", 40.1, -75.0))
    answer = run(ship_order([("S", 2), ("S", 2)]), one_dc, rules(ship_policy()), stock)
    assert answer.status == "partial"
    assert filled(answer.routes) == 3
    assert sum(u["quantity"] for u in answer.routes[0].unfilled) == 1


def test_stock_is_read_once_for_the_distinct_skus_at_every_location() -> None:
    stock = FakeStock().set("DC", "A", 3).set("DC", "B", 3)
    run(ship_order([("A", 1), ("B", 1), ("A", 1)]), NET, rules(ship_policy()), stock)
    assert stock.calls == [(("A", "B"), NET.location_ids)]


def test_an_unknown_sku_is_left_unfilled_beside_a_known_one() -> None:
    stock = FakeStock().set("DC", "S", 3)
    answer = run(ship_order([("S", 1), ("NOPE", 2)]), NET, rules(ship_policy()), stock)
    assert answer.status == "partial"
    assert [(u["sku"], u["quantity"]) for u in answer.routes[0].unfilled] == [("NOPE", 2)]


def test_an_order_of_only_unknown_skus_is_unroutable() -> None:
    answer = run(ship_order([("NOPE", 1)]), NET, rules(ship_policy()), FakeStock())
    assert answer.status == "unroutable"
    assert answer.routes == []
    assert answer.reason == "no stock at eligible locations"
    assert answer.explanation.eligible == 2
    assert answer.explanation.stocked == 0


def test_ship_complete_with_too_little_stock_is_unroutable() -> None:
    policy = ship_policy(split={"ship_complete": True})
    stock = FakeStock().set("DC", "S", 1)
    answer = run(ship_order([("S", 2)]), NET, rules(policy), stock)
    assert answer.status == "unroutable"
    assert answer.reason is not None
    assert "ship_complete" in answer.reason
