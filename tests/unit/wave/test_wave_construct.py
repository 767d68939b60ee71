"""The flow's plan (``solve_flow``'s shares), the plan it guides, the polishing pass and the
floor of avoidable shipments, on the same random tiny waves as the strategies (capacities
and order limits included)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pytest

from benchmarks.waves.generator import WaveSpec, generate
from engine.solve import solve
from engine.wave import alone
from engine.wave.alone import alone_costs, route_each
from engine.wave.baselines import sequential
from engine.wave.check import check_plan, plan_cost, shipments
from engine.wave.construct import guided, polish
from engine.wave.flowbound import Share, solve_flow
from engine.wave.kpi import kpis
from engine.wave.mip import fewest_shipments
from engine.wave.model import NO_LIMIT, WavePlan, WaveProblem
from tests.unit.wave.bruteforce import best_cost, fewest_extra_shipments
from tests.unit.wave.test_wave_strategies import SEEDS, random_wave

T = TypeVar("T")
R = TypeVar("R")


def _dense(wave: WaveProblem, shares: tuple[Share | None, ...]) -> list[np.ndarray | None]:
    return [
        None if share is None or order.problem is None else share.dense(order.problem.stock.shape)
        for order, share in zip(wave.orders, shares, strict=True)
    ]


def _taken(wave: WaveProblem, shares: list[np.ndarray | None]) -> np.ndarray:
    taken = np.zeros_like(wave.stock)
    for order, share in zip(wave.orders, shares, strict=True):
        if share is not None:
            np.add.at(taken, np.ix_(order.skus, order.locations), share)
    return taken


@pytest.mark.parametrize("seed", SEEDS)
def test_the_flows_shares_stay_within_stock_capacity_and_what_each_line_asks(seed: int) -> None:
    wave = random_wave(seed)
    answer = solve_flow(wave)
    assert answer is not None
    assert answer.bound <= best_cost(wave) + 1e-6
    shares = _dense(wave, answer.shares)
    taken = _taken(wave, shares)
    assert (taken <= wave.stock).all()
    limited = wave.capacity != NO_LIMIT
    assert (taken.sum(axis=0)[limited] <= wave.capacity[limited]).all()
    for order, share in zip(wave.orders, shares, strict=True):
        if order.problem is None:
            assert share is None
            continue
        assert share is not None and (share <= order.problem.stock).all()
        asked = np.zeros(share.shape[0], dtype=np.int64)
        np.add.at(asked, list(order.problem.line_sku), list(order.problem.quantity))
        assert (share.sum(axis=1) <= asked).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_guided_plan_is_feasible_and_polishing_never_costs_more(seed: int) -> None:
    wave = random_wave(seed)
    answer = solve_flow(wave)
    assert answer is not None
    plan = guided(wave, answer.shares)
    assert check_plan(wave, plan) == []
    assert plan_cost(wave, plan) >= best_cost(wave) - 1e-6
    baseline = sequential(wave)
    polished = WavePlan(polish(wave, baseline.routes), "polished")
    assert check_plan(wave, polished) == []
    assert plan_cost(wave, polished) <= plan_cost(wave, baseline) + 1e-6


def test_on_a_scarce_wave_the_guided_plan_fills_more_than_arrival_order() -> None:
    wave = generate(WaveSpec(orders=300, locations=30, skus=300, seed=2)).problem()
    answer = solve_flow(wave)
    assert answer is not None
    plan, baseline = guided(wave, answer.shares), sequential(wave)
    assert check_plan(wave, plan) == []
    filled = [
        sum(u for *_, u in shipments(o, r)) if r is not None and o.problem is not None else 0
        for p in (plan, baseline)
        for o, r in zip(wave.orders, p.routes, strict=True)
    ]
    half = len(wave.orders)
    assert sum(filled[:half]) > sum(filled[half:])
    assert plan_cost(wave, plan) < plan_cost(wave, baseline)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_fewest_shipments_bound_never_exceeds_the_exhaustive_fewest(seed: int) -> None:
    wave = random_wave(seed)
    filled = kpis(wave, sequential(wave)).units_filled
    bound = fewest_shipments(wave, filled=filled, time_limit=10.0)
    assert bound is not None
    assert bound == pytest.approx(fewest_extra_shipments(wave, filled), abs=1e-6)


class Reversed:
    """An executor that runs its pieces last first (as a pool may finish them)."""

    def __init__(self) -> None:
        self.pieces = 0

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        self.pieces += len(tasks)
        return [fn(task) for task in reversed(tasks)][::-1]


def test_orders_routed_on_their_own_come_back_in_their_order_whatever_the_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alone, "BATCH", 7)
    wave = generate(WaveSpec(orders=60, locations=10, skus=80, seed=4)).problem()
    problems = [None if o.problem is None else o.with_stock(wave.stock) for o in wave.orders]
    executor = Reversed()
    routes = route_each(problems, executor)
    assert executor.pieces == -(-sum(p is not None for p in problems) // 7)
    for problem, route in zip(problems, routes, strict=True):
        best = None if problem is None else solve(problem).routes
        if not best:
            assert route is None
            continue
        assert route is not None and route.plans == best[0].plans
        assert route.cost == pytest.approx(best[0].cost)
    assert alone_costs(wave, executor) == alone_costs(wave)
    answer = solve_flow(wave)
    assert answer is not None
    assert (
        guided(wave, answer.shares, executor=executor).routes == guided(wave, answer.shares).routes
    )
