"""The solver paths for big orders (location-set search, HiGHS MIP) against brute force and
against the DP, on seeded random problems."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.params import SolveParams
from engine.problem import RoutingProblem
from engine.solve import solve
from engine.solvers import setsearch
from engine.solvers.prune import prune, stocked_candidates
from tests.unit.engine.bruteforce import all_route_costs
from tests.unit.engine.instances import small_problem
from tests.unit.engine.test_optimality import _assert_valid, _tol

SEARCH = SolveParams(force_solver="search")
MIP = SolveParams(force_solver="mip", time_limit_s=10.0)


@pytest.mark.parametrize("prune_first", [True, False])
@pytest.mark.parametrize("block", range(3))
def test_location_set_search_finds_the_brute_force_optimum(block: int, prune_first: bool) -> None:
    params = dataclasses.replace(SEARCH, prune=prune_first)
    for seed in range(block * 200, (block + 1) * 200):
        problem = small_problem(seed)
        cand = prune(problem) if prune_first else stocked_candidates(problem)
        if not setsearch.applies(problem, cand):
            continue
        expected = all_route_costs(problem)
        result = solve(problem, params)
        _assert_valid(problem, result, seed)
        if not problem.line_split and result.stats["optimal"] == 0.0:
            continue  # the split relaxation's ranking did not settle it: not proven here
        assert result.stats["optimal"] == 1.0
        if expected.size == 0:
            assert result.routes == (), f"seed {seed}"
            continue
        assert result.routes, f"seed {seed}"
        best = float(expected[0])
        assert result.routes[0].cost == pytest.approx(best, abs=_tol(best)), f"seed {seed}"


@pytest.mark.parametrize("block", range(2))
def test_mip_finds_the_brute_force_optimum(block: int) -> None:
    for seed in range(20_000 + block * 100, 20_000 + (block + 1) * 100):
        problem = small_problem(seed)
        expected = all_route_costs(problem)
        result = solve(problem, MIP)
        _assert_valid(problem, result, seed)
        assert result.stats["optimal"] == 1.0
        if expected.size == 0:
            assert result.routes == (), f"seed {seed}"
            continue
        best = float(expected[0])
        assert result.routes[0].cost == pytest.approx(best, abs=_tol(best)), f"seed {seed}"


def _medium(seed: int, line_split: bool) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    n_lines, n_cand = int(rng.integers(3, 7)), int(rng.integers(20, 150))
    n_skus = int(rng.integers(2, n_lines + 1))
    share = rng.uniform(0.1, 0.6, (n_skus, 1))
    stock = np.where(rng.random((n_skus, n_cand)) < share, rng.integers(1, 4, (n_skus, n_cand)), 0)
    return RoutingProblem(
        line_sku=tuple(int(s) for s in rng.integers(0, n_skus, n_lines)),
        quantity=tuple(int(q) for q in rng.integers(1, 3, n_lines)),
        stock=stock.astype(np.int64),
        fixed_cost=rng.integers(4, 40, n_cand) / 2.0,
        unit_cost=rng.integers(1, 8, n_cand) / 8.0,
        max_locations=int(rng.integers(1, 5)),
        line_split=line_split,
        ship_complete=bool(rng.random() < 0.2),
        split_penalty=float(rng.choice([0.0, 2.0])),
        unfilled_unit_penalty=float(rng.choice([3.0, 1000.0])),
        max_routes=int(rng.integers(1, 4)),
    )


@pytest.mark.parametrize("line_split", [True, False])
def test_location_set_search_agrees_with_the_dp_on_bigger_problems(line_split: bool) -> None:
    proven = 0
    for seed in range(150):
        problem = _medium(seed, line_split=line_split)
        optimum = [r.cost for r in solve(problem, SolveParams(force_solver="dp")).routes[:1]]
        by_search = solve(problem, SEARCH)
        _assert_valid(problem, by_search, seed)
        found = [r.cost for r in by_search.routes[:1]]
        if by_search.stats["optimal"] == 0.0:
            assert not line_split, f"seed {seed}: a line-split search always finishes"
            assert all(a >= b - 1e-9 for a, b in zip(found, optimum, strict=False))
            continue
        proven += 1
        assert found == pytest.approx(optimum), f"seed {seed}"
    assert proven >= 100  # quantities are mostly 1-2: the relaxation rarely splits a line


def test_mip_agrees_with_the_dp_on_bigger_problems_without_line_split() -> None:
    for seed in range(40):
        problem = _medium(seed, line_split=False)
        optimum = [r.cost for r in solve(problem, SolveParams(force_solver="dp")).routes[:1]]
        by_mip = solve(problem, MIP)
        _assert_valid(problem, by_mip, seed)
        assert by_mip.stats["optimal"] == 1.0, f"seed {seed}"
        assert [r.cost for r in by_mip.routes[:1]] == pytest.approx(optimum), f"seed {seed}"
