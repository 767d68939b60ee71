"""``solve()``: one routing problem in, its best routes out. This module only picks the path;
the paths are in :mod:`engine.solvers`.

Paths, cheapest first: the exact DP over line blocks (:mod:`engine.solvers.dppath`) for
orders whose shape fits it (1-9 lines); otherwise (:mod:`engine.solvers.exact`) exact
candidate pruning (:mod:`engine.solvers.prune`) and the location-set branch and bound
(:mod:`engine.solvers.setsearch`); the HiGHS MIP (:mod:`engine.solvers.mip`) or CP-SAT
(:mod:`engine.solvers.cpsat`) for what the search cannot take (ship-complete orders, unit
costs above the unfilled penalty, or a no-split order whose relaxation it cannot settle).
``stats["optimal"]`` says whether route 1 was proven optimal within the budget.
"""

from __future__ import annotations

from time import perf_counter

from engine.costing import validate_problem
from engine.errors import InvalidParamsError
from engine.params import SolveParams
from engine.problem import RoutingProblem, RoutingResult
from engine.solvers import dppath
from engine.solvers.dppath import warm
from engine.solvers.exact import solve_exact

__all__ = ["solve", "warm"]

_DEFAULT = SolveParams()


def solve(problem: RoutingProblem, params: SolveParams | None = None) -> RoutingResult:
    """The ``problem.max_routes`` best distinct routes, best (optimal) first."""
    params = params or _DEFAULT
    if params.validate:
        validate_problem(problem)
    start = perf_counter()
    shape = dppath.order_shape(problem)
    if not shape.caps or (problem.ship_complete and not shape.complete):
        return RoutingResult((), "none", {"optimal": 1.0, "elapsed_ms": _ms(start)})
    fits = shape.fits(problem, params)
    if params.force_solver == "dp" and not fits:
        raise InvalidParamsError("force_solver='dp' but the problem exceeds the DP limits")
    if params.force_solver not in ("auto", "dp") or not fits:
        return solve_exact(problem, params, start)
    routes, conflict = dppath.solve_dp(problem, shape)
    stats = {"optimal": 1.0, "dp_conflict": float(conflict), "elapsed_ms": _ms(start)}
    return RoutingResult(tuple(routes), "dp", stats)


def _ms(start: float) -> float:
    return (perf_counter() - start) * 1000.0
