"""Each fence drops what it should, and the explanation names the first fence that failed."""

from __future__ import annotations

from datetime import timedelta

from engine.network import DeliveryMethod
from tests.unit.preview.helpers import (
    NOW,
    FakeStock,
    excluded,
    location,
    network,
    rules,
    run,
    ship_order,
    ship_policy,
    used_locations,
)

# Destination (40, -75); 1 degree of latitude is about 111 km.
NET = network(
    location("NEAR", 40.1, -75.0),
    location("STORE", 40.2, -75.0, type="store", capabilities=("ship", "pickup")),
    location("PICKONLY", 40.3, -75.0, type="store", capabilities=("pickup",)),
    location("FAR", 45.0, -75.0),
    location("OUTSIDE", 40.4, -75.0),
    location_groups=({"id": "ONLINE", "location_ids": ("NEAR", "STORE", "PICKONLY", "FAR")},),
)


def stocked_everywhere(sku: str = "S", units: int = 5) -> FakeStock:
    stock = FakeStock()
    for loc in NET.location_ids:
        stock.set(loc, sku, units)
    return stock


def test_a_location_without_ship_capability_is_excluded_by_capability() -> None:
    answer = run(ship_order([("S", 1)]), NET, rules(ship_policy()), stocked_everywhere())
    assert excluded(answer) == {"PICKONLY": "capability"}


def test_a_location_type_not_allowed_is_excluded_by_location_type() -> None:
    policy = ship_policy(sources={"location_types": ["warehouse"]})
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stocked_everywhere())
    # PICKONLY fails capability first, so only STORE is blamed on its type
    assert excluded(answer) == {"PICKONLY": "capability", "STORE": "location_type"}


def test_a_location_outside_the_group_is_excluded_by_location_group() -> None:
    policy = ship_policy(sources={"location_group": "ONLINE"})
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stocked_everywhere())
    assert excluded(answer)["OUTSIDE"] == "location_group"


def test_an_excluded_location_is_excluded_by_exclude_locations() -> None:
    policy = ship_policy(sources={"exclude_locations": ["NEAR"]})
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stocked_everywhere())
    assert excluded(answer)["NEAR"] == "exclude_locations"
    assert "NEAR" not in used_locations(answer)


def test_a_location_beyond_max_distance_is_excluded_by_max_distance_km() -> None:
    policy = ship_policy(sources={"max_distance_km": 200})
    stock = FakeStock().set("FAR", "S", 5)
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stock)
    assert excluded(answer) == {"FAR": "max_distance_km"}
    assert answer.status == "unroutable"
    assert answer.reason == "no stock at eligible locations"


def test_the_first_failing_fence_in_the_fixed_order_is_recorded() -> None:
    policy = ship_policy(
        sources={
            "location_types": ["warehouse"],
            "location_group": "ONLINE",
            "exclude_locations": ["OUTSIDE", "FAR"],
            "max_distance_km": 100,
        }
    )
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stocked_everywhere())
    assert excluded(answer) == {
        "STORE": "location_type",
        "PICKONLY": "capability",
        "OUTSIDE": "location_group",
        "FAR": "exclude_locations",
    }
    assert used_locations(answer) == {"NEAR"}


def test_excluded_counts_cover_every_location_but_the_list_only_stocked_ones() -> None:
    policy = ship_policy(sources={"location_types": ["warehouse"]})
    stock = FakeStock().set("NEAR", "S", 3)  # the excluded stores hold nothing
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stock)
    assert answer.explanation.candidates == []
    assert answer.explanation.excluded_counts == {"capability": 1, "location_type": 1}
    assert answer.explanation.eligible == 3
    assert answer.explanation.stocked == 1


def test_full_explain_lists_every_excluded_location_in_network_order() -> None:
    policy = ship_policy(sources={"location_types": ["warehouse"]})
    stock = FakeStock().set("NEAR", "S", 3)
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stock, explain="full")
    assert [c["location_id"] for c in answer.explanation.candidates] == ["STORE", "PICKONLY"]


def test_buffered_out_stock_does_not_make_an_excluded_location_relevant() -> None:
    policy = ship_policy(
        sources={"location_types": ["warehouse"]}, inventory={"buffer_units": {"store": 2}}
    )
    stock = FakeStock().set("NEAR", "S", 3).set("STORE", "S", 2)
    answer = run(ship_order([("S", 1)]), NET, rules(policy), stock)
    assert excluded(answer) == {}
    stock.set("STORE", "S", 3)
    assert excluded(run(ship_order([("S", 1)]), NET, rules(policy), stock)) == {
        "STORE": "location_type"
    }


STANDARD = DeliveryMethod.model_validate(
    {
        "id": "STANDARD",
        "kind": "ship",
        "transit_days": [{"max_km": 300, "days": 1}, {"max_km": None, "days": 4}],
    }
)
TIMED = network(
    location("CLOSE", 40.5, -75.0),  # about 56 km: one day in transit
    location("SLOW", 40.6, -75.0, processing_days=2),
    location("DISTANT", 44.0, -75.0),  # about 445 km: four days
    delivery_methods=(STANDARD,),
)


def test_locations_that_cannot_deliver_in_time_are_excluded_by_max_delivery_days() -> None:
    policy = ship_policy(sources={"max_delivery_days": 2})
    stock = FakeStock().set("CLOSE", "S", 1).set("SLOW", "S", 1).set("DISTANT", "S", 1)
    order = ship_order([("S", 3)], delivery_method_id="STANDARD")
    answer = run(order, TIMED, rules(policy), stock)
    assert excluded(answer) == {"SLOW": "max_delivery_days", "DISTANT": "max_delivery_days"}
    assert used_locations(answer) == {"CLOSE"}


def test_delivery_estimates_appear_on_fulfillment_orders_as_iso_dates() -> None:
    stock = FakeStock().set("CLOSE", "S", 1)
    order = ship_order([("S", 1)], delivery_method_id="STANDARD")
    answer = run(order, TIMED, rules(ship_policy()), stock, now=NOW)
    (fo,) = answer.routes[0].fulfillment_orders
    assert fo.ship_date == NOW.date().isoformat()
    assert fo.estimated_delivery_date == (NOW.date() + timedelta(days=1)).isoformat()


def test_delivery_estimates_never_change_the_route_cost() -> None:
    stock = FakeStock().set("CLOSE", "S", 1).set("DISTANT", "S", 1)
    order = ship_order([("S", 2)])
    plain = network(*TIMED.locations)
    with_dates = run(order, TIMED, rules(ship_policy()), stock)
    without = run(order, plain, rules(ship_policy()), stock)
    assert [r.cost for r in with_dates.routes] == [r.cost for r in without.routes]
    assert without.routes[0].fulfillment_orders[0].ship_date is None
