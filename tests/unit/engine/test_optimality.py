"""The optimizer against exhaustive enumeration on 1,000+ seeded random small problems."""

from __future__ import annotations

import math

import pytest

from engine.costing import check_route, route_cost, route_key
from engine.params import SolveParams
from engine.problem import RoutingProblem, RoutingResult
from engine.solve import solve
from tests.unit.engine.bruteforce import all_route_costs
from tests.unit.engine.instances import small_problem

SEEDS_PER_BLOCK = 100
BLOCKS = 20  # 2,000 instances
CPSAT = SolveParams(force_solver="cpsat", prune=False)  # unpruned: the true k best


def _tol(value: float) -> float:
    return 1e-6 * max(1.0, abs(value))


def _assert_valid(problem: RoutingProblem, result: RoutingResult, seed: int) -> None:
    keys = set()
    previous = -math.inf
    for rank, route in enumerate(result.routes, start=1):
        assert check_route(problem, route) == [], f"seed {seed} route {rank}"
        assert route.cost == pytest.approx(route_cost(problem, route), abs=_tol(route.cost))
        assert route.cost >= previous - _tol(previous), f"seed {seed}: routes not sorted"
        previous = route.cost
        keys.add(route_key(route))
    assert len(keys) == len(result.routes), f"seed {seed}: duplicate routes"
    assert len(result.routes) <= problem.max_routes


@pytest.mark.parametrize("block", range(BLOCKS))
def test_first_route_matches_brute_force_optimum(block: int) -> None:
    for seed in range(block * SEEDS_PER_BLOCK, (block + 1) * SEEDS_PER_BLOCK):
        problem = small_problem(seed)
        expected = all_route_costs(problem)
        result = solve(problem)
        _assert_valid(problem, result, seed)
        if expected.size == 0:
            assert result.routes == (), f"seed {seed}: brute force finds no route"
            continue
        assert result.routes, f"seed {seed}: unroutable but brute force routes it"
        best = float(expected[0])
        assert result.routes[0].cost == pytest.approx(best, abs=_tol(best)), f"seed {seed}"
        assert len(result.routes) <= expected.size, f"seed {seed}"
        for rank, route in enumerate(result.routes):  # never cheaper than the true k-th best
            assert route.cost >= expected[rank] - _tol(best), f"seed {seed}"


@pytest.mark.parametrize("block", range(4))
def test_cpsat_path_returns_the_true_k_best_routes(block: int) -> None:
    for seed in range(block * 50, (block + 1) * 50):
        problem = small_problem(seed)
        expected = all_route_costs(problem)
        result = solve(problem, CPSAT)
        _assert_valid(problem, result, seed)
        assert result.stats["optimal"] == 1.0
        k = min(problem.max_routes, expected.size)
        assert len(result.routes) == k, f"seed {seed}"
        for route, cost in zip(result.routes, expected[:k], strict=True):
            assert route.cost == pytest.approx(cost, abs=_tol(cost)), f"seed {seed}"


@pytest.mark.parametrize("block", range(4))
def test_dp_and_cpsat_paths_agree_on_the_optimum(block: int) -> None:
    for seed in range(10_000 + block * 50, 10_000 + (block + 1) * 50):
        problem = small_problem(seed)
        by_dp = solve(problem, SolveParams(force_solver="dp"))
        by_cpsat = solve(problem, CPSAT)
        assert bool(by_dp.routes) == bool(by_cpsat.routes), f"seed {seed}"
        if by_dp.routes:
            a, b = by_dp.routes[0].cost, by_cpsat.routes[0].cost
            assert a == pytest.approx(b, abs=_tol(a)), f"seed {seed}"
