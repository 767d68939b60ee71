"""The whole preview: policy selection, answer shape, recomputable costs, determinism."""

from __future__ import annotations

import random

import pytest

from engine.answer import PreviewAnswer
from engine.network import Network
from engine.order import Order
from engine.preview import preview_many, select_policy
from rules.schema import Rules
from tests.unit.preview.helpers import (
    NOW,
    VERSION,
    FakeStock,
    location,
    network,
    pickup_order,
    pickup_policy,
    recomputed_cost,
    recomputed_distance,
    rules,
    run,
    ship_order,
    ship_policy,
)

SKUS = ("A", "B", "C", "D")


def random_case(seed: int) -> tuple[Network, Rules, FakeStock, list[Order]]:
    rng = random.Random(seed)
    locations = [
        location(
            f"L{i:02d}",
            rng.uniform(35, 45),
            rng.uniform(-90, -70),
            type=rng.choice(("warehouse", "store")),
            capabilities=rng.choice((("ship",), ("ship", "pickup"), ("pickup",))),
            shipment_cost=rng.choice((0.0, 4.0, 7.5)),
            handling_cost_per_unit=rng.choice((0.0, 0.3, 1.1)),
            priority=rng.randint(0, 3),
        )
        for i in range(12)
    ]
    net = network(*locations)
    policy = ship_policy(
        sources={"max_distance_km": rng.choice((800, 1500, 4000))},
        inventory={"buffer_units": {"store": rng.randint(0, 2)}},
        split={
            "max_locations": rng.randint(1, 3),
            "line_split": rng.random() < 0.5,
            "ship_complete": rng.random() < 0.2,
        },
        cost={
            "per_km": rng.choice((0.0, 0.01, 0.05)),
            "split_penalty": rng.choice((0.0, 2.0)),
            "unfilled_unit_penalty": rng.choice((50.0, 1000.0)),
            "priority_weight": rng.choice((0.0, 0.5)),
        },
    )
    stock = FakeStock()
    for loc in locations:
        for sku in SKUS:
            if rng.random() < 0.5:
                stock.set(loc.id, sku, rng.randint(0, 6), rng.randint(0, 2), rng.randint(0, 1))
    orders = []
    for k in range(4):
        lines = [(rng.choice(SKUS), rng.randint(1, 4)) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.25:
            orders.append(pickup_order(lines, rng.choice(locations).id, order_id=f"P{k}"))
        else:
            lat, lon = rng.uniform(35, 45), rng.uniform(-90, -70)
            orders.append(ship_order(lines, lat, lon, order_id=f"S{k}"))
    return net, rules(pickup_policy(), policy), stock, orders


@pytest.mark.parametrize("seed", range(25))
def test_every_route_cost_and_distance_match_a_recomputation_from_the_network(seed: int) -> None:
    net, rule_set, stock, orders = random_case(seed)
    for order in orders:
        answer = run(order, net, rule_set, stock)
        policy = select_policy(rule_set, order)
        assert policy is not None
        costs = [route.cost for route in answer.routes]
        assert costs == sorted(costs)
        for route in answer.routes:
            assert route.cost == pytest.approx(
                recomputed_cost(net, order, policy, answer, route.rank), abs=1e-5
            )
            for fo in route.fulfillment_orders:
                assert fo.distance_km == pytest.approx(
                    recomputed_distance(net, order, fo.location_id), abs=1e-5
                )
                loc = net.locations[net.index[fo.location_id]]
                assert fo.location_type == loc.type
                assert fo.fulfillment_type == order.delivery.method


@pytest.mark.parametrize("seed", range(10))
def test_every_route_accounts_for_every_ordered_unit(seed: int) -> None:
    net, rule_set, stock, orders = random_case(seed)
    for order in orders:
        answer = run(order, net, rule_set, stock)
        ordered = {line.id: line.quantity for line in order.lines}
        for route in answer.routes:
            got = dict.fromkeys(ordered, 0)
            for fo in route.fulfillment_orders:
                for line in fo.lines:
                    got[line["line_id"]] += line["quantity"]
            for line in route.unfilled:
                got[line["line_id"]] += line["quantity"]
            assert got == ordered


def test_status_follows_the_best_route() -> None:
    net = network(location("DC", 40.1, -75.0))
    stock = FakeStock().set("DC", "S", 2)
    rule_set = rules(ship_policy())
    assert run(ship_order([("S", 2)]), net, rule_set, stock).status == "routable"
    assert run(ship_order([("S", 3)]), net, rule_set, stock).status == "partial"
    answer = run(ship_order([("X", 1)]), net, rule_set, stock)
    assert (answer.status, answer.routes) == ("unroutable", [])


def test_routes_are_ranked_from_one_best_first_and_reason_is_only_for_unroutable() -> None:
    net = network(location("A", 40.1, -75.0), location("B", 41.0, -75.0))
    stock = FakeStock().set("A", "S", 2).set("B", "S", 2)
    answer = run(ship_order([("S", 2)]), net, rules(ship_policy()), stock, max_routes=3)
    assert [r.rank for r in answer.routes] == list(range(1, len(answer.routes) + 1))
    assert len(answer.routes) > 1
    assert answer.reason is None
    assert answer.rules_version == VERSION


def test_the_first_matching_policy_applies() -> None:
    net = network(location("DC", 40.1, -75.0))
    stock = FakeStock().set("DC", "S", 2)
    rule_set = rules(
        {"name": "mobile", "when": {"channel": "app"}},
        {"name": "us", "when": {"country": ["US", "CA"]}},
        ship_policy(),
    )
    web_us = ship_order([("S", 1)], country="US")
    assert run(web_us, net, rule_set, stock).policy == "us"
    app = web_us.model_copy(update={"channel": "app"})
    assert run(app, net, rule_set, stock).policy == "mobile"
    assert run(ship_order([("S", 1)], country="FR"), net, rule_set, stock).policy == "ship"


def test_an_order_no_policy_matches_is_unroutable_and_reads_no_stock() -> None:
    net = network(location("DC", 40.1, -75.0))
    stock = FakeStock().set("DC", "S", 2)
    answer = run(ship_order([("S", 1)]), net, rules(pickup_policy()), stock)
    assert (answer.status, answer.policy, answer.reason) == (
        "unroutable",
        None,
        "no policy matches",
    )
    assert answer.explanation.solver == "none"
    assert stock.calls == []


@pytest.mark.parametrize("seed", range(5))
def test_the_same_input_gives_the_same_answer(seed: int) -> None:
    net, rule_set, stock, orders = random_case(seed)
    for order in orders:
        first = run(order, net, rule_set, stock, explain="full").model_dump_json()
        assert run(order, net, rule_set, stock, explain="full").model_dump_json() == first


@pytest.mark.parametrize("seed", range(5))
def test_a_batch_answers_like_one_preview_per_order_with_one_stock_read(seed: int) -> None:
    net, rule_set, stock, orders = random_case(seed)
    singles = [run(order, net, rule_set, stock) for order in orders]
    stock.calls.clear()
    batch = preview_many(
        orders, network=net, rules=rule_set, rules_version=VERSION, stock=stock, now=NOW
    )
    assert batch == singles
    assert len(stock.calls) == 1


def test_the_answer_has_the_design_shape() -> None:
    net = network(location("DC01", 40.1, -75.0))
    stock = FakeStock().set("DC01", "SKU-1", 5)
    answer = run(ship_order([("SKU-1", 2)]), net, rules(ship_policy()), stock)
    doc = answer.model_dump(mode="json")
    assert set(doc) >= {"order_id", "policy", "status", "routes", "explanation"}
    (fo,) = doc["routes"][0]["fulfillment_orders"]
    assert fo["lines"] == [{"line_id": "1", "sku": "SKU-1", "quantity": 2}]
    assert doc["explanation"]["solver"] in ("dp", "cpsat")


@pytest.mark.parametrize("seed", range(5))
def test_answers_revalidate_against_their_own_schema(seed: int) -> None:
    net, rule_set, stock, orders = random_case(seed)
    for order in orders:
        answer = run(order, net, rule_set, stock, explain="full")
        assert PreviewAnswer.model_validate(answer.model_dump(mode="json")) == answer
