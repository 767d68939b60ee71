"""solve()'s contract beyond optimality: edge cases, validation, determinism, path choice."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.costing import check_route
from engine.errors import InvalidParamsError, InvalidProblemError
from engine.params import SolveParams
from engine.problem import RoutingProblem
from engine.solve import solve, warm
from engine.solvers import dp


def _problem(**changes: object) -> RoutingProblem:
    base = RoutingProblem(
        line_sku=(0, 1),
        quantity=(1, 2),
        stock=np.array([[1, 0, 1], [1, 1, 0]], dtype=np.int64),
        fixed_cost=np.array([5.0, 1.0, 1.0]),
        unit_cost=np.array([0.5, 0.25, 0.25]),
        max_locations=2,
        line_split=True,
        ship_complete=False,
        split_penalty=2.0,
        unfilled_unit_penalty=100.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _large_problem(n_lines: int, n_cand: int, seed: int) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    stock = np.where(rng.random((n_lines, n_cand)) < 0.3, rng.integers(1, 4, (n_lines, n_cand)), 0)
    return _problem(
        line_sku=tuple(range(n_lines)),
        quantity=tuple(int(q) for q in rng.choice([1, 1, 1, 2], n_lines)),
        stock=stock.astype(np.int64),
        fixed_cost=rng.integers(0, 40, n_cand) / 4.0,
        unit_cost=rng.integers(0, 8, n_cand) / 8.0,
        max_locations=3,
    )


def test_problem_without_candidates_is_unroutable() -> None:
    empty = np.zeros(0)
    result = solve(
        _problem(stock=np.zeros((2, 0), dtype=np.int64), fixed_cost=empty, unit_cost=empty)
    )
    assert result.routes == ()
    assert result.solver == "none"


def test_zero_stock_everywhere_is_unroutable() -> None:
    assert solve(_problem(stock=np.zeros((2, 3), dtype=np.int64))).routes == ()


def test_ship_complete_is_unroutable_when_total_stock_is_short() -> None:
    short = _problem(ship_complete=True, quantity=(1, 3))
    assert solve(short).routes == ()
    assert solve(short, SolveParams(force_solver="cpsat")).routes == ()


def test_best_route_splits_when_one_location_cannot_fill_the_order() -> None:
    route = solve(_problem()).routes[0]
    assert check_route(_problem(), route) == []
    assert route.unfilled == ()
    assert len(route.plans) == 2


def test_unfilled_units_are_reported_when_stock_is_scarce() -> None:
    problem = _problem(max_locations=1, quantity=(1, 5))
    route = solve(problem).routes[0]
    assert route.unfilled
    assert check_route(problem, route) == []


def test_same_input_gives_the_same_answer() -> None:
    problem = _large_problem(6, 300, seed=3)
    assert solve(problem).routes == solve(problem).routes
    cpsat = SolveParams(force_solver="cpsat")
    assert solve(problem, cpsat).routes == solve(problem, cpsat).routes


@pytest.mark.parametrize("exact_solver", ["mip", "cpsat"])
def test_orders_beyond_dp_limits_get_the_dp_optimum_from_the_search(exact_solver: str) -> None:
    problem = _large_problem(6, 200, seed=5)
    fallback = solve(problem, SolveParams(max_dp_pairs=10, exact_solver=exact_solver))  # type: ignore[arg-type]
    assert fallback.solver == "search"
    assert fallback.stats["optimal"] == 1.0
    assert fallback.routes[0].cost == pytest.approx(solve(problem).routes[0].cost)


@pytest.mark.parametrize("exact_solver", ["mip", "cpsat"])
def test_orders_the_search_cannot_take_fall_back_to_the_chosen_exact_solver(
    exact_solver: str,
) -> None:
    # Units dearer than leaving them unfilled: the location-set search does not apply.
    problem = dataclasses.replace(_large_problem(6, 200, seed=5), unfilled_unit_penalty=0.3)
    params = SolveParams(max_dp_pairs=10, exact_solver=exact_solver, time_limit_s=5.0)  # type: ignore[arg-type]
    fallback = solve(problem, params)
    assert fallback.solver == exact_solver
    assert fallback.stats["optimal"] == 1.0
    assert fallback.routes[0].cost == pytest.approx(solve(problem).routes[0].cost)


def test_forcing_the_search_when_units_cost_more_than_leaving_them_is_refused() -> None:
    with pytest.raises(InvalidParamsError):
        solve(_problem(unfilled_unit_penalty=0.1), SolveParams(force_solver="search"))


def test_solver_path_reports_candidates_kept_after_pruning() -> None:
    problem = _large_problem(20, 500, seed=1)
    result = solve(problem)
    assert result.solver == "search"
    assert result.stats["candidates"] <= result.stats["stocked"] <= problem.n_candidates


def test_out_of_time_solver_path_says_route_one_is_not_proven_optimal() -> None:
    problem = _large_problem(20, 2000, seed=7)
    result = solve(problem, SolveParams(time_limit_s=1e-6))
    assert result.stats["optimal"] == 0.0
    assert result.routes
    assert all(check_route(problem, route) == [] for route in result.routes)


def test_twenty_line_order_over_thousands_of_candidates_gets_valid_routes_in_budget() -> None:
    problem = _large_problem(20, 2000, seed=7)
    result = solve(problem, SolveParams(time_limit_s=2.0))
    assert result.routes
    assert all(check_route(problem, route) == [] for route in result.routes)


def test_forcing_dp_on_a_problem_too_big_for_it_is_refused() -> None:
    with pytest.raises(InvalidParamsError):
        solve(_problem(), SolveParams(force_solver="dp", max_dp_pairs=1, max_warm_dp_pairs=1))


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": (0, 1)},
        {"line_sku": (0, 5)},
        {"fixed_cost": np.array([1.0, -1.0, 0.0])},
        {"unit_cost": np.array([1.0, 1.0])},
        {"stock": np.array([[-1, 0, 0], [0, 0, 0]], dtype=np.int64)},
        {"max_locations": 0},
        {"max_routes": 0},
        {"unfilled_unit_penalty": -1.0},
    ],
)
def test_malformed_problem_is_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidProblemError):
        solve(_problem(**changes), SolveParams(validate=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_limit_s": 0.0},
        {"workers": 0},
        {"max_dp_pairs": 0},
        {"cost_scale": 0.5},
        {"force_solver": "greedy"},
        {"exact_solver": "dp"},
        {"mip_gap_abs": -1.0},
    ],
)
def test_out_of_range_params_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParamsError):
        SolveParams(**kwargs)  # type: ignore[arg-type]


def test_warm_builds_the_tables_that_line_split_orders_then_reuse() -> None:
    dp.tables.cache_clear()
    shapes = warm(max_items=3, max_units=2)
    assert dp.tables.cache_info().currsize == shapes
    problem = _problem(quantity=(2, 1))  # caps (2, 1): one of the warmed shapes
    solve(problem)
    assert dp.tables.cache_info().misses == shapes
