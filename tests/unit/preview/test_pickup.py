"""Buy online, pick up in store: the named store alone, and alternatives when it falls short."""

from __future__ import annotations

import pytest

from engine.errors import UnknownLocation
from engine.geo import haversine_km
from engine.preview import preview_many
from tests.unit.preview.helpers import (
    NOW,
    VERSION,
    FakeStock,
    excluded,
    location,
    network,
    pickup_order,
    pickup_policy,
    rules,
    run,
    ship_policy,
    units,
)

PICK = ("ship", "pickup")
NET = network(
    location("HOME", 40.0, -75.0, type="store", capabilities=PICK),
    location("ST1", 40.3, -75.0, type="store", capabilities=PICK),
    location("ST2", 40.1, -75.0, type="store", capabilities=PICK),
    location("ST3", 40.5, -75.0, type="store", capabilities=PICK),
    location("ST4", 40.2, -75.0, type="store", capabilities=PICK),
    location("SHIPONLY", 40.05, -75.0, type="store", capabilities=("ship",)),
    location("DC", 40.01, -75.0, capabilities=PICK),
    location("NOPICK", 40.02, -75.0, type="store", capabilities=("ship",)),
)
RULES = rules(pickup_policy(inventory={"buffer_units": {"store": 1}}), ship_policy())


def test_a_pickup_routes_to_the_named_store_alone_at_zero_distance() -> None:
    stock = FakeStock().set("HOME", "S", 5).set("ST2", "S", 50)
    answer = run(pickup_order([("S", 2)], "HOME"), NET, RULES, stock)
    assert answer.status == "routable"
    assert answer.policy == "pickup"
    for route in answer.routes:
        (fo,) = route.fulfillment_orders
        assert (fo.location_id, fo.fulfillment_type, fo.distance_km) == ("HOME", "pickup", 0.0)
    assert answer.pickup_alternatives == []
    assert answer.explanation.excluded_counts == {"pickup_location": len(NET.locations) - 1}
    assert answer.explanation.candidates == []


def test_a_pickup_at_an_unknown_location_is_rejected_naming_the_field() -> None:
    with pytest.raises(UnknownLocation) as err:
        run(pickup_order([("S", 1)], "NOWHERE"), NET, RULES, FakeStock())
    assert err.value.field == "delivery.location_id"


def test_a_pickup_at_a_location_without_pickup_is_unroutable_with_the_fence_named() -> None:
    stock = FakeStock().set("NOPICK", "S", 5).set("ST2", "S", 5)
    answer = run(pickup_order([("S", 1)], "NOPICK"), NET, RULES, stock)
    assert answer.status == "unroutable"
    assert answer.reason == "no eligible location"
    assert excluded(answer) == {"NOPICK": "capability"}
    assert [a["location_id"] for a in answer.pickup_alternatives] == ["ST2"]


def test_a_store_short_of_stock_gets_the_nearest_stores_that_fill_the_whole_order() -> None:
    stock = FakeStock()
    for loc in ("HOME", "ST1", "ST2", "ST3", "ST4", "SHIPONLY", "DC"):
        stock.set(loc, "A", 10).set(loc, "B", 10)
    stock.set("HOME", "A", 1)  # with the store buffer of 1 nothing of A is usable at HOME
    stock.set("ST2", "B", 3)  # usable 2 < the 3 units of B asked over two lines
    order = pickup_order([("A", 1), ("B", 2), ("B", 1)], "HOME")
    answer = run(order, NET, RULES, stock)
    assert answer.status == "partial"
    alternatives = answer.pickup_alternatives
    # DC (a pickup-capable warehouse, no buffer) is nearest; SHIPONLY cannot serve pickups
    assert [a["location_id"] for a in alternatives] == ["DC", "ST4", "ST1"]
    home = NET.locations[NET.index["HOME"]]
    for alt in alternatives:
        there = NET.locations[NET.index[alt["location_id"]]]
        assert alt["distance_km"] == pytest.approx(
            haversine_km(home.lat, home.lon, there.lat, there.lon), abs=1e-6
        )


def test_a_store_with_nothing_is_unroutable_and_offers_alternatives() -> None:
    stock = FakeStock().set("ST3", "A", 4)
    answer = run(pickup_order([("A", 2)], "HOME"), NET, RULES, stock)
    assert answer.status == "unroutable"
    assert answer.reason == "pickup store cannot fill the order"
    assert [a["location_id"] for a in answer.pickup_alternatives] == ["ST3"]


def test_a_pickup_never_splits_over_locations() -> None:
    policy = pickup_policy(split={"max_locations": 3})
    stock = FakeStock().set("HOME", "A", 1)
    answer = run(pickup_order([("A", 2)], "HOME"), NET, rules(policy), stock)
    for route in answer.routes:
        assert len(route.fulfillment_orders) == 1
    assert units(answer.routes[0].fulfillment_orders[0]) == 1


def test_batch_errors_name_the_order_position() -> None:
    orders = [pickup_order([("A", 1)], "HOME"), pickup_order([("A", 1)], "NOWHERE")]
    with pytest.raises(UnknownLocation) as err:
        preview_many(
            orders, network=NET, rules=RULES, rules_version=VERSION, stock=FakeStock(), now=NOW
        )
    assert err.value.field == "orders[1].delivery.location_id"


def test_pickup_alternatives_stay_within_the_policy_max_distance_of_the_chosen_store() -> None:
    stock = FakeStock().set("HOME", "S", 1)
    for store in ("ST1", "ST2", "ST3", "ST4"):
        stock.set(store, "S", 9)
    home = NET.locations[NET.index["HOME"]]
    radius = 25.0  # ST2 (about 11 km) and ST4 (about 22 km) are inside, ST1 and ST3 are not
    near_only = rules(pickup_policy(sources={"max_distance_km": radius}), ship_policy())
    answer = run(pickup_order([("S", 3)], "HOME"), NET, near_only, stock)
    offered = [alt["location_id"] for alt in answer.pickup_alternatives]
    assert offered == ["ST2", "ST4"]
    for loc_id in offered:
        loc = NET.locations[NET.index[loc_id]]
        assert haversine_km(home.lat, home.lon, loc.lat, loc.lon) <= radius
