"""Waves on random tiny instances: every strategy's plan is feasible, ``optimize`` reaches
the exhaustive optimum and is never worse than ``sequential``; the same input gives the same
plan. Instances reuse the preview brute-force suite's random networks, policies and stock,
with several orders sharing the stock and some locations capped."""

from __future__ import annotations

import dataclasses
import os
import random

import numpy as np
import pytest

from engine.wave.baselines import fewest_splits, nearest, sequential
from engine.wave.check import check_plan, plan_cost
from engine.wave.exact import WaveParams, optimize
from engine.wave.flowbound import flow_bound
from engine.wave.kpi import kpis
from engine.wave.model import NO_LIMIT, WaveProblem, build_wave
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
