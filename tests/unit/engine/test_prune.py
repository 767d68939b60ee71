"""Exact candidate pruning: dropped candidates never change the optimum of route 1."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.params import SolveParams
from engine.problem import RoutingProblem
from engine.solve import solve
from engine.solvers.prune import prune, stocked_candidates
from tests.unit.engine.bruteforce import all_route_costs
from tests.unit.engine.instances import small_problem

DP = SolveParams(force_solver="dp")


def _restricted(problem: RoutingProblem, columns: np.ndarray) -> RoutingProblem:
    return dataclasses.replace(
        problem,
        stock=problem.stock[:, columns],
        fixed_cost=problem.fixed_cost[columns],
        unit_cost=problem.unit_cost[columns],
    )


def _crowded_problem(seed: int, max_locations: int) -> RoutingProblem:
    """Many candidates with few distinct stock patterns and coarse costs: lots of dominance
    and exact ties."""
    rng = np.random.default_rng(seed)
    n_lines = int(rng.integers(1, 5))
    n_skus = int(rng.integers(1, n_lines + 1))
    n_cand = int(rng.integers(5, 80))
    return RoutingProblem(
        line_sku=tuple(int(s) for s in rng.integers(0, n_skus, n_lines)),
        quantity=tuple(int(q) for q in rng.integers(1, 4, n_lines)),
        stock=rng.integers(0, 3, (n_skus, n_cand)).astype(np.int64),
        fixed_cost=rng.integers(0, 4, n_cand).astype(np.float64),
        unit_cost=rng.integers(0, 3, n_cand) / 2.0,
        max_locations=max_locations,
        line_split=bool(rng.random() < 0.5),
        ship_complete=bool(rng.random() < 0.25),
        split_penalty=float(rng.choice([0.0, 1.0])),
        unfilled_unit_penalty=float(rng.choice([0.0, 1.0, 50.0])),
        max_routes=1,
    )


@pytest.mark.parametrize("max_locations", [1, 2, 3])
def test_pruned_and_unpruned_problems_have_the_same_optimum(max_locations: int) -> None:
    for seed in range(300):
        problem = _crowded_problem(seed, max_locations)
        kept = prune(problem)
        full = solve(problem, DP).routes
        pruned = solve(_restricted(problem, kept), DP).routes
        assert bool(full) == bool(pruned), f"seed {seed}"
        if full:
            assert pruned[0].cost == pytest.approx(full[0].cost), f"seed {seed}"


def test_pruning_keeps_the_brute_force_optimum_on_small_problems() -> None:
    for seed in range(400):
        problem = small_problem(seed)
        expected = all_route_costs(problem)
        kept = all_route_costs(_restricted(problem, prune(problem)))
        assert expected.size == 0 or kept[0] == pytest.approx(expected[0]), f"seed {seed}"


def test_candidates_without_stock_of_the_order_are_dropped() -> None:
    problem = _crowded_problem(3, 2)
    stock = problem.stock.copy()
    stock[:, 0] = 0
    kept = prune(dataclasses.replace(problem, stock=stock))
    assert 0 not in kept
    assert set(kept) <= set(stocked_candidates(problem))


@pytest.mark.parametrize("max_locations", [1, 2, 3])
def test_of_identical_candidates_only_max_locations_are_kept(max_locations: int) -> None:
    n = 7
    problem = RoutingProblem(
        line_sku=(0,),
        quantity=(2,),
        stock=np.full((1, n), 5, dtype=np.int64),
        fixed_cost=np.full(n, 3.0),
        unit_cost=np.full(n, 0.5),
        max_locations=max_locations,
        line_split=True,
        ship_complete=False,
        split_penalty=1.0,
        unfilled_unit_penalty=10.0,
    )
    assert prune(problem).tolist() == list(range(max_locations))


def test_a_cheaper_better_stocked_candidate_drops_a_worse_one_when_one_location_is_allowed() -> (
    None
):
    problem = RoutingProblem(
        line_sku=(0, 1),
        quantity=(1, 1),
        stock=np.array([[1, 1, 0], [1, 0, 1]], dtype=np.int64),
        fixed_cost=np.array([2.0, 3.0, 1.0]),
        unit_cost=np.array([0.5, 0.5, 0.5]),
        max_locations=1,
        line_split=True,
        ship_complete=False,
        split_penalty=0.0,
        unfilled_unit_penalty=10.0,
    )
    assert prune(problem).tolist() == [0, 2]  # 1 is dominated by 0; 2 is cheaper than 0
