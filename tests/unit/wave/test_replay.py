"""Rules replay: the same wave under two rule sets, compared metric by metric, location by
location and order by order, with the explanation of every route that changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.order import Order
from engine.wave.answer import answers
from engine.wave.baselines import sequential
from engine.wave.model import build_wave
from engine.wave.replay import METRICS, ReplaySide, compare
from rules.schema import Rules
from tests.unit.preview.helpers import NOW, FakeStock, location, network, rules, ship_order

NET = network(
    location("DC1", 40.0, -75.0, shipment_cost=5.0, handling_cost_per_unit=0.5),
    location("DC2", 41.0, -76.0, shipment_cost=5.0, handling_cost_per_unit=0.5),
    location("ST1", 40.1, -75.1, type="store", shipment_cost=8.0),
)
SPLIT = {"max_locations": 2, "line_split": True, "ship_complete": False}
COST = {"per_km": 0.01, "split_penalty": 2.0, "unfilled_unit_penalty": 100.0}


def ship_rules(**sources: Any) -> Rules:
    policy = {"name": "ship", "when": {"delivery_method": "ship"}, "split": SPLIT, "cost": COST}
    return rules({**policy, "sources": sources} if sources else policy)


RULES_A = ship_rules()
RULES_B = ship_rules(exclude_locations=["DC1"])  # DC1 is nearest and cheapest: A uses it

ORDERS = (
    ship_order([("A", 1)], order_id="O1"),
    ship_order([("A", 2)], order_id="O2"),
    ship_order([("B", 1)], lat=41.0, lon=-76.0, order_id="O3"),  # at DC2, under both rules
    ship_order([("C", 1)], order_id="O4"),  # nobody holds C: unroutable, costs nothing
    ship_order([("B", 9)], lat=41.0, lon=-76.0, order_id="O5"),  # 4 of B at DC2 are left
)


def stock() -> FakeStock:
    return FakeStock().set("DC1", "A", 5).set("DC2", "A", 5).set("DC2", "B", 5).set("ST1", "A", 1)


def side(name: str, rule_set: Rules, orders: tuple[Order, ...] = ORDERS) -> ReplaySide:
    problem = build_wave(orders, network=NET, rules=rule_set, stock=stock(), now=NOW)
    plan = sequential(problem)
    planned = answers(problem, plan, network=NET, rules=rule_set, rules_version=name)
    return ReplaySide(name, name, problem, plan, planned)


def by_metric(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["metric"]: row for row in document["kpis"]}


def by_location(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["location_id"]: row for row in document["locations"]}


def test_identical_rules_change_no_order_and_every_difference_is_zero() -> None:
    document = compare(side("a", RULES_A), side("b", RULES_A), NET)
    assert document["changed_orders_count"] == 0
    assert document["changed_orders"] == []
    assert [row["metric"] for row in document["kpis"]] == list(METRICS)
    for row in document["kpis"]:
        assert row["a"] == row["b"]
        assert row["difference"] == 0
    for row in document["locations"]:
        assert row["units_a"] == row["units_b"]
        assert row["difference"] == 0
    distances = document["distributions"]["distance_km"]
    assert distances["a"] == distances["b"]
    assert len(distances["edges"]) == len(distances["a"]) + 1


def test_rules_b_excluding_a_location_move_its_load_to_zero() -> None:
    document = compare(side("a", RULES_A), side("b", RULES_B), NET)
    dc1 = by_location(document)["DC1"]
    assert dc1["units_a"] > 0
    assert dc1["units_b"] == 0
    assert dc1["difference"] == -dc1["units_a"]
    units_a = sum(row["units_a"] for row in document["locations"])
    assert units_a == by_metric(document)["units_filled"]["a"]


def test_the_orders_that_used_the_excluded_location_are_listed_with_bs_exclusion() -> None:
    document = compare(side("a", RULES_A), side("b", RULES_B), NET)
    changed = {order["order_id"]: order for order in document["changed_orders"]}
    assert set(changed) == {"O1", "O2"}  # the others ship from DC2 or nowhere either way
    assert document["changed_orders_count"] == 2
    for order in changed.values():
        a, b = order["a"], order["b"]
        assert "DC1" in {fo["location_id"] for fo in a["route"]}
        assert "DC1" not in {fo["location_id"] for fo in b["route"]}
        assert {"location_id": "DC1", "excluded_by": "exclude_locations"} in b["excluded"]
        assert b["excluded_counts"] == {"exclude_locations": 1}
        assert a["excluded"] == []
        assert a["policy"] == b["policy"] == "ship"
        assert a["cost"] < b["cost"]
        assert sum(fo["units"] for fo in a["route"]) == sum(
            line["units"] for fo in a["route"] for line in fo["lines"]
        )


def test_the_cost_difference_is_b_minus_a_and_routing_cost_leaves_out_unfilled_units() -> None:
    document = compare(side("a", RULES_A), side("b", RULES_B), NET)
    figures = by_metric(document)
    for row in document["kpis"]:
        assert row["difference"] == pytest.approx(row["b"] - row["a"])
    assert figures["total_cost"]["difference"] > 0  # B gave up the cheapest location
    assert figures["unfilled_penalty"]["a"] == pytest.approx(100.0 * 5)  # O5's 5 units
    assert figures["routing_cost"]["a"] + figures["unfilled_penalty"]["a"] == pytest.approx(
        figures["total_cost"]["a"]
    )


def test_the_distributions_count_every_order_on_both_sides() -> None:
    document = compare(side("a", RULES_A), side("b", RULES_B), NET)
    fos = document["distributions"]["fulfillment_orders"]
    assert sum(fos["a"]) == sum(fos["b"]) == len(ORDERS)
    distances = document["distributions"]["distance_km"]
    routed = by_metric(document)["orders_routed"]
    assert (sum(distances["a"]), sum(distances["b"])) == (routed["a"], routed["b"])


def test_the_document_is_json_and_the_same_runs_give_the_same_text() -> None:
    first = json.dumps(compare(side("a", RULES_A), side("b", RULES_B), NET))
    assert first == json.dumps(compare(side("a", RULES_A), side("b", RULES_B), NET))


def test_runs_over_different_orders_are_refused() -> None:
    with pytest.raises(ValueError, match="same orders"):
        compare(side("a", RULES_A), side("b", RULES_B, ORDERS[:2]), NET)
