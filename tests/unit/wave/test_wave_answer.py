"""A wave plan answered in the preview's shape: one answer per order, its only route the one
the plan chose, statuses and reasons as the preview gives them, and the KPI document."""

from __future__ import annotations

import dataclasses
import json

import pytest

from engine.answer import PreviewAnswer
from engine.order import Order
from engine.wave.answer import NO_POLICY, NOT_PLANNED, answers, kpi_document
from engine.wave.baselines import sequential
from engine.wave.exact import WaveParams, optimize
from engine.wave.kpi import kpis
from engine.wave.model import WavePlan, WaveProblem, build_wave
from tests.unit.preview.helpers import (
    NOW,
    VERSION,
    FakeStock,
    location,
    network,
    pickup_order,
    pickup_policy,
    rules,
    run,
    ship_order,
    ship_policy,
)

NET = network(
    location("DC1", 40.0, -75.0, shipment_cost=5.0, handling_cost_per_unit=0.5),
    location("ST1", 40.1, -75.1, type="store", capabilities=("ship", "pickup"), shipment_cost=8.0),
    location("ST2", 40.2, -75.2, type="store", capabilities=("pickup",), shipment_cost=8.0),
    location("DC2", 41.0, -76.0, shipment_cost=5.0),  # not online: ship orders may not use it
    location_groups=[{"id": "ONLINE", "location_ids": ["DC1", "ST1"]}],
)
RULES = rules(
    pickup_policy(split={"max_locations": 1, "line_split": False, "ship_complete": True}),
    ship_policy(
        when={"delivery_method": "ship", "channel": "web"},
        sources={"location_group": "ONLINE"},
        split={"max_locations": 2, "line_split": True, "ship_complete": False},
        cost={"per_km": 0.01, "split_penalty": 2.0, "unfilled_unit_penalty": 100.0},
    ),
)


def stock() -> FakeStock:
    return FakeStock().set("DC1", "A", 3).set("ST1", "A", 2).set("ST2", "A", 1).set("DC2", "A", 9)


ORDERS = (
    ship_order([("A", 1)], order_id="routable"),  # DC1 is nearest and cheapest
    pickup_order([("A", 2)], "ST1", order_id="pickup"),  # all of ST1's A
    ship_order([("A", 4)], order_id="partial"),  # DC1's two left of A
    ship_order([("NOPE", 1)], order_id="unknown-sku"),
    ship_order([("A", 1)], order_id="other-channel").model_copy(update={"channel": "phone"}),
    pickup_order([("A", 3)], "ST1", order_id="store-empty"),
)


def wave(orders: tuple[Order, ...] = ORDERS) -> WaveProblem:
    return build_wave(orders, network=NET, rules=RULES, stock=stock(), now=NOW)


def answered(problem: WaveProblem, plan: WavePlan) -> dict[str, PreviewAnswer]:
    out = answers(problem, plan, network=NET, rules=RULES, rules_version=VERSION)
    return {answer.order_id: answer for answer in out}


def test_the_chosen_route_is_the_answers_first_and_only_route() -> None:
    problem = wave()
    plan = sequential(problem)
    by_id = answered(problem, plan)
    assert list(by_id) == [order.id for order in ORDERS]
    for order, route in zip(problem.orders, plan.routes, strict=True):
        answer = by_id[order.order_id]
        if route is None:
            assert answer.routes == []
            continue
        (only,) = answer.routes
        assert only.rank == 1
        assert only.cost == pytest.approx(route.cost, abs=1e-6)
        chosen = [
            (problem.location_ids[order.locations[p.location]], sum(q for _, q in p.lines))
            for p in route.plans
        ]
        assert [
            (fo.location_id, sum(x["quantity"] for x in fo.lines)) for fo in only.fulfillment_orders
        ] == chosen
        assert sum(x["quantity"] for x in only.unfilled) == sum(u for _, u in route.unfilled)


def test_statuses_and_reasons_are_the_previews() -> None:
    by_id = answered(wave(), sequential(wave()))
    assert by_id["routable"].status == "routable"
    assert [fo.location_id for fo in by_id["routable"].routes[0].fulfillment_orders] == ["DC1"]
    assert by_id["pickup"].status == "routable"
    partial = by_id["partial"]
    assert partial.status == "partial"
    assert partial.routes[0].unfilled == [{"line_id": "1", "sku": "A", "quantity": 2}]
    assert partial.reason is None
    assert by_id["unknown-sku"].status == "unroutable"
    assert by_id["unknown-sku"].reason == "no stock at eligible locations"
    other = by_id["other-channel"]
    assert (other.status, other.policy, other.reason) == ("unroutable", None, NO_POLICY)
    assert by_id["store-empty"].status == "unroutable"
    assert by_id["store-empty"].reason == "pickup store cannot fill the order"


def test_an_order_the_plan_leaves_unrouted_says_the_wave_took_its_route() -> None:
    problem = wave()
    plan = sequential(problem)
    unrouted = WavePlan((None, *plan.routes[1:]), "hand-made")
    answer = answered(problem, unrouted)["routable"]
    assert (answer.status, answer.routes, answer.reason) == ("unroutable", [], NOT_PLANNED)
    assert answer.policy == "ship"


def test_pickup_alternatives_are_the_stores_that_can_still_fill_the_order() -> None:
    # ST1 held two A before the wave; the "pickup" order took them: only ST2 is left
    problem = wave((ORDERS[1], pickup_order([("A", 1)], "ST1", order_id="late")))
    late = answered(problem, sequential(problem))["late"]
    assert late.status == "unroutable"
    assert [alt["location_id"] for alt in late.pickup_alternatives] == ["ST2"]


def test_a_one_order_wave_answers_as_its_preview_but_for_the_solver() -> None:
    order = ship_order([("A", 4)], lat=40.1, lon=-75.1)
    problem = wave((order,))
    (answer,) = answers(
        problem, sequential(problem), network=NET, rules=RULES, rules_version=VERSION
    )
    alone = run(order, NET, RULES, stock(), max_routes=1)
    assert answer.explanation.solver == "none"
    assert answer.explanation.candidates  # the excluded locations holding A are listed
    as_preview = answer.explanation.model_copy(update={"solver": alone.explanation.solver})
    assert answer.model_copy(update={"explanation": as_preview}) == alone
    assert answer.status == "routable"
    assert len(answer.routes[0].fulfillment_orders) == 2  # DC1 holds 3 of the 4


def test_answers_are_valid_preview_answers_in_json() -> None:
    problem = wave()
    for answer in answers(
        problem,
        optimize(problem, WaveParams(time_limit=5.0)),
        network=NET,
        rules=RULES,
        rules_version=VERSION,
    ):
        text = answer.model_dump_json()
        assert PreviewAnswer.model_validate_json(text).model_dump_json() == text


def test_a_plan_of_another_wave_is_refused() -> None:
    problem = wave()
    plan = sequential(wave(ORDERS[:2]))
    with pytest.raises(ValueError, match="2 routes for 6 orders"):
        answers(problem, plan, network=NET, rules=RULES, rules_version=VERSION)


def test_an_order_built_without_its_document_is_refused() -> None:
    problem = wave(ORDERS[:1])
    bare = dataclasses.replace(problem.orders[0], order=None)
    problem = dataclasses.replace(problem, orders=(bare,))
    with pytest.raises(ValueError, match="routable"):
        answers(problem, sequential(problem), network=NET, rules=RULES, rules_version=VERSION)


def test_the_kpi_document_holds_the_plans_figures_as_json() -> None:
    problem = wave()
    plan = optimize(problem, WaveParams(time_limit=5.0, seed=1))
    document = kpi_document(problem, plan)
    figures = kpis(problem, plan)
    assert json.loads(json.dumps(document)) == document
    assert document["strategy"] == "optimize"
    assert document["orders"] == len(ORDERS)
    assert document["units_filled"] == figures.units_filled
    assert document["total_cost"] == pytest.approx(figures.total_cost, abs=1e-6)
    assert document["fill_rate"] == pytest.approx(figures.fill_rate, abs=1e-6)
    assert document["load"] == figures.load
    assert document["lower_bound"] is not None
    assert document["gap"] == pytest.approx(0.0, abs=1e-6)


def test_a_baseline_has_no_bound_and_no_gap() -> None:
    problem = wave()
    document = kpi_document(problem, sequential(problem))
    assert (document["lower_bound"], document["gap"]) == (None, None)
