"""Waves on random tiny instances: every strategy's plan is feasible, ``optimize`` reaches
the exhaustive optimum and is never worse than ``sequential``, ``fewest_splits`` picks what
trying every set of locations picks; the same input gives the same plan. Instances reuse
the preview brute-force suite's random networks, policies and stock, with several orders
sharing the stock and some locations capped."""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
from collections import Counter

import numpy as np
import pytest

from engine.costing import build_route
from engine.problem import Route, RoutingProblem
from engine.wave.baselines import _fewest, fewest_splits, in_arrival_order, nearest, sequential
from engine.wave.check import check_plan, plan_cost
from engine.wave.exact import WaveParams, optimize
from engine.wave.flowbound import flow_bound
from engine.wave.kpi import kpis
from engine.wave.model import NO_LIMIT, IntArray, WaveOrder, WaveProblem, build_wave
from rules.schema import Rules
from tests.unit.preview.test_preview_bruteforce import (
    NOW,
    random_network,
    random_order,
    random_policy,
    random_stock,
)
from tests.unit.wave.bruteforce import best_cost

SEEDS = range(60 if os.environ.get("CI") else 120)


def random_wave(seed: int) -> WaveProblem:
    rng = random.Random(seed)
    network = random_network(rng, scarce=True)
    while len(network.location_ids) > 4:  # the exhaustive search stays small
        network = random_network(rng, scarce=True)
    policy = random_policy(rng, network, "ship", scarce=True)
    policy["split"]["max_locations"] = min(policy["split"]["max_locations"], 2)
    rules = Rules.model_validate({"version": 1, "policies": [policy]})
    orders = []
    for k in range(rng.randint(2, 8)):
        order = random_order(rng, network, pickup=False, scarce=False)
        lines = [
            line.model_copy(update={"quantity": min(line.quantity, 2)}) for line in order.lines
        ]
        orders.append(order.model_copy(update={"id": f"O{k}", "lines": tuple(lines[:2])}))
    stock, _ = random_stock(rng, network, scarce=True)
    wave = build_wave(orders, network=network, rules=rules, stock=stock, now=NOW)
    capacity = np.array(
        [rng.choice([NO_LIMIT, NO_LIMIT, 1, 2, 3]) for _ in network.location_ids], dtype=np.int64
    )
    most = rng.choice([NO_LIMIT, NO_LIMIT, NO_LIMIT, 1, 2])  # the rules' orders per location
    return dataclasses.replace(wave, capacity=capacity, max_orders=most)


@pytest.mark.parametrize("seed", SEEDS)
def test_optimize_reaches_the_exhaustive_optimum_of_a_tiny_wave(seed: int) -> None:
    wave = random_wave(seed)
    plan = optimize(wave, WaveParams(time_limit=20.0, seed=seed))
    assert check_plan(wave, plan) == []
    assert plan_cost(wave, plan) == pytest.approx(best_cost(wave), abs=1e-6)
    assert plan.lower_bound is not None
    assert plan.lower_bound <= plan_cost(wave, plan) + 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_every_strategy_plans_within_stock_capacity_and_policy(seed: int) -> None:
    wave = random_wave(seed)
    baseline = sequential(wave)
    for plan in (baseline, nearest(wave), fewest_splits(wave)):
        assert check_plan(wave, plan) == [], plan.strategy
    joint = optimize(wave, WaveParams(time_limit=20.0))
    assert plan_cost(wave, joint) <= plan_cost(wave, baseline) + 1e-6


def test_the_same_wave_and_seed_give_the_same_plan() -> None:
    wave = random_wave(7)
    first, second = optimize(wave, WaveParams(seed=3)), optimize(wave, WaveParams(seed=3))
    assert first.routes == second.routes
    assert sequential(wave).routes == sequential(wave).routes


def test_kpis_count_what_the_plan_ships() -> None:
    wave = random_wave(11)
    plan = sequential(wave)
    figures = kpis(wave, plan)
    routed = [r for r in plan.routes if r is not None]
    assert figures.orders_routed == len(routed)
    assert figures.fulfillment_orders == sum(len(r.plans) for r in routed)
    assert figures.units_filled == sum(figures.load.values())
    assert figures.units_ordered == sum(o.units for o in wave.orders)
    assert 0.0 <= figures.fill_rate <= 1.0
    assert figures.total_cost == pytest.approx(plan_cost(wave, plan))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_neighbourhood_search_keeps_plans_feasible_and_never_worse_than_sequential(
    seed: int,
) -> None:
    wave = random_wave(seed)
    searched = optimize(wave, WaveParams(time_limit=20.0, seed=seed, max_mip_variables=0))
    assert check_plan(wave, searched) == []
    cost = plan_cost(wave, searched)
    assert cost <= plan_cost(wave, sequential(wave)) + 1e-6
    assert searched.lower_bound is not None
    assert best_cost(wave) - 1e-6 <= cost
    assert searched.lower_bound <= best_cost(wave) + 1e-6  # a bound, never above the optimum


def test_a_wave_takes_capacities_from_the_network_and_the_order_limit_from_the_rules() -> None:
    rng = random.Random(5)
    network = random_network(rng, scarce=True)
    located = network.model_dump()
    located["locations"][0]["daily_capacity_units"] = 7
    network = type(network).model_validate(located)
    policy = random_policy(rng, network, "ship", scarce=True)
    rules = Rules.model_validate(
        {"version": 1, "policies": [policy], "waves": {"max_orders_per_location": 3}}
    )
    stock, _ = random_stock(rng, network, scarce=True)
    order = random_order(rng, network, pickup=False, scarce=False)
    wave = build_wave([order], network=network, rules=rules, stock=stock, now=NOW)
    assert wave.capacity[0] == 7 and (wave.capacity[1:] == NO_LIMIT).all()
    assert wave.max_orders == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_the_flow_bound_never_exceeds_the_optimum(seed: int) -> None:
    wave = random_wave(seed)
    bound = flow_bound(wave)
    assert bound is not None
    assert bound <= best_cost(wave) + 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_neighbourhoods_routed_at_once_keep_the_plan_feasible(seed: int) -> None:
    """Three neighbourhoods per round over the same stock: each kept only if it still fits
    what the ones kept before it took."""
    wave = random_wave(seed)
    params = WaveParams(time_limit=20.0, seed=seed, max_mip_variables=0, parallel=3)
    searched = optimize(wave, params)
    assert check_plan(wave, searched) == []
    assert plan_cost(wave, searched) <= plan_cost(wave, sequential(wave)) + 1e-6
    assert best_cost(wave) - 1e-6 <= plan_cost(wave, searched)


# -- fewest_splits' search against every set of locations ------------------------------------


def reference_fill(sub: RoutingProblem, order_of: list[int], room: list[int]) -> Route | None:
    """Salesforce's fill, written out: lines from the locations in turn, each taking what
    it can (a line that may not split only whole), at most ``max_locations`` of them."""
    need, stock = list(sub.quantity), sub.stock.copy()
    shipped: list[tuple[int, int, int]] = []
    used: set[int] = set()
    for loc in order_of:
        if len(used) == sub.max_locations or sum(need) == 0:
            break
        free = room[loc]
        for line, wanted in enumerate(need):
            take = min(wanted, int(stock[sub.line_sku[line], loc]), free)
            if take > 0 and (sub.line_split or take == sub.quantity[line]):
                shipped.append((loc, line, take))
                need[line] -= take
                stock[sub.line_sku[line], loc] -= take
                free -= take
                used.add(loc)
    if not shipped or (sub.ship_complete and sum(need) > 0):
        return None
    return build_route(sub, shipped)


def reference_fewest(distance: list[float], sub: RoutingProblem, room: list[int]) -> Route | None:
    """Every set of stocked locations, smallest first: the covering one (filled nearest
    first, each ships, nothing unfilled) with the least average distance, the first such in
    candidate order; none covers: the fill of all of them nearest first."""
    stocked = [c for c in range(sub.n_candidates) if room[c] > 0 and sub.stock[:, c].any()]
    for size in range(1, min(sub.max_locations, len(stocked)) + 1):
        best: tuple[float, Route] | None = None
        for chosen in itertools.combinations(stocked, size):
            route = reference_fill(sub, sorted(chosen, key=lambda c: distance[c]), room)
            if route is not None and not route.unfilled and len(route.plans) == size:
                mean = float(np.mean(np.array(distance)[list(chosen)]))
                if best is None or mean < best[0]:
                    best = (mean, route)
        if best is not None:
            return best[1]
    return reference_fill(sub, sorted(stocked, key=lambda c: distance[c]), room)


def random_order_problem(rng: np.random.Generator) -> tuple[WaveOrder, RoutingProblem, IntArray]:
    """Up to 9 candidates (distances often tied), 6 lines over up to 4 SKUs, thin stock,
    rooms from none to unlimited, any policy."""
    n, rows, lines = int(rng.integers(1, 10)), int(rng.integers(1, 5)), int(rng.integers(1, 7))
    line_sku = tuple(int(rng.integers(rows)) for _ in range(lines))
    stock = rng.integers(0, 4, size=(rows, n)) * (rng.random((rows, n)) < 0.6)
    sub = RoutingProblem(
        line_sku=line_sku,
        quantity=tuple(int(q) for q in rng.integers(1, 4, size=lines)),
        stock=stock.astype(np.int64),
        fixed_cost=rng.uniform(0, 10, n),
        unit_cost=rng.uniform(0, 2, n),
        max_locations=int(rng.integers(1, 5)),
        line_split=bool(rng.random() < 0.5),
        ship_complete=bool(rng.random() < 0.25),
        split_penalty=5.0,
        unfilled_unit_penalty=100.0,
        max_routes=1,
    )
    room = rng.choice([0, 1, 2, 3, 5, 8, np.iinfo(np.int64).max], size=n).astype(np.int64)
    distance = rng.choice([10.0, 20.0, 30.0, 0.1, 0.2, 0.3], size=n) + rng.choice([0, 1], n)
    skus = np.arange(rows, dtype=np.int64)
    order = WaveOrder("O", sum(sub.quantity), sub, np.arange(n), skus, distance)
    return order, sub, room


def test_fewest_splits_finds_the_set_every_combination_would() -> None:
    """The fast search picks the route trying every set of locations picks: as few
    locations, as near on average, the same route (ties to the first set in candidate
    order)."""
    covered = Counter[int]()
    for seed in range(4_000):
        order, sub, room = random_order_problem(np.random.default_rng(seed))
        got = _fewest(order, sub, room)
        want = reference_fewest(order.distance_km.tolist(), sub, room.tolist())
        assert (got is None) == (want is None), seed
        if got is not None and want is not None:
            assert len(got.plans) == len(want.plans), seed
            km = order.distance_km
            mean = np.mean(km[[p.location for p in got.plans]])
            assert mean == pytest.approx(np.mean(km[[p.location for p in want.plans]])), seed
            assert got == want, seed
            if not got.unfilled:
                covered[len(got.plans)] += 1
    assert min(covered[1], covered[2], covered[3]) >= 50, covered  # sets of each size searched
    assert covered[4] >= 5, covered


@pytest.mark.parametrize("seed", SEEDS)
def test_fewest_splits_plans_a_tiny_wave_as_every_combination_would(seed: int) -> None:
    wave = random_wave(seed)
    plan = fewest_splits(wave)

    def reference(order: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
        return reference_fewest(order.distance_km.tolist(), sub, room.tolist())

    assert plan.routes == in_arrival_order(wave, "reference", reference).routes
