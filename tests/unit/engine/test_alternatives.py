"""Routes 2..k offer other locations before the optimum minus a few units."""

from __future__ import annotations

import numpy as np

from engine.costing import check_route, route_cost
from engine.problem import RoutingProblem
from engine.solve import solve


def scarce_problem(max_routes: int) -> RoutingProblem:
    """One line of 3 units; only candidate 0 holds all 3, candidates 1 and 2 hold 1 and 2."""
    return RoutingProblem(
        line_sku=(0,),
        quantity=(3,),
        stock=np.array([[3, 1, 2]], dtype=np.int64),
        fixed_cost=np.array([1.0, 2.0, 3.0]),
        unit_cost=np.zeros(3),
        max_locations=1,
        line_split=True,
        ship_complete=False,
        split_penalty=0.0,
        unfilled_unit_penalty=10.0,
        max_routes=max_routes,
    )


def test_when_no_other_location_can_ship_everything_the_others_are_still_offered() -> None:
    problem = scarce_problem(max_routes=3)
    routes = solve(problem).routes
    assert [tuple(plan.location for plan in route.plans) for route in routes] == [(0,), (2,), (1,)]
    for route in routes:
        assert check_route(problem, route) == []
        assert abs(route_cost(problem, route) - route.cost) < 1e-9
    assert [r.cost for r in routes] == sorted(r.cost for r in routes)


def test_partial_variants_of_a_route_fill_in_once_other_locations_run_out() -> None:
    problem = scarce_problem(max_routes=5)
    routes = solve(problem).routes
    assert len(routes) == 5
    assert len({tuple(plan.location for plan in r.plans) for r in routes}) == 3
    assert len({(r.plans, r.unfilled) for r in routes}) == 5
