"""The OR-Tools path: a CP-SAT model of DESIGN.md's objective, for orders too big for the DP.

CP-SAT needs integer objective coefficients, so costs are multiplied by
``SolveParams.cost_scale`` (default 1e6) and rounded: the optimum is exact for costs given to
six decimals and otherwise within about ``1 / cost_scale`` per cost term. Reported route costs
are always recomputed in floats by :func:`engine.costing.build_route`.

The k best routes come from re-solving with a no-good cut that forbids every route already
found (its exact assignment of quantities). Solver objects never leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np
from ortools.sat.python import cp_model

from engine.costing import build_route
from engine.errors import SolverError
from engine.params import SolveParams
from engine.problem import IntArray, Route, RoutingProblem


@dataclass
class CpsatOutcome:
    """Routes best first; ``proven`` when the first solve ended OPTIMAL or INFEASIBLE (route 1
    is optimal, or no route exists)."""

    routes: list[Route]
    proven: bool


@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]  # (line, candidate) -> units shipped
    used: dict[int, cp_model.IntVar]  # candidate -> it is one Fulfillment Order
    picks: dict[tuple[int, int], cp_model.IntVar]  # without line_split: x[j, c] may be > 0


def solve_cpsat(problem: RoutingProblem, params: SolveParams, usable: IntArray) -> CpsatOutcome:
    """Up to ``problem.max_routes`` best routes from CP-SAT over the candidate columns
    ``usable`` (empty when none exists)."""
    built = _build(problem, [int(c) for c in usable], params.cost_scale)
    hint = _hint_single_location(problem, built, usable)
    routes: list[Route] = []
    proven = False
    deadline = perf_counter() + params.time_limit_s  # one budget for all the k solves
    for rank in range(problem.max_routes):
        remaining = deadline - perf_counter()
        if remaining <= 0:
            break
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = remaining
        solver.parameters.num_workers = params.workers
        solver.parameters.random_seed = params.seed
        # With 1-2 workers the default LP level leaves the x <= ub * use links out of the LP.
        solver.parameters.linearization_level = 2
        status = solver.solve(built.model)
        if status == cp_model.MODEL_INVALID:
            raise SolverError(f"CP-SAT rejected the model: {built.model.validate()}")
        if rank == 0:
            proven = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        keys = list(built.x)
        values = [int(solver.value(built.x[key])) for key in keys]
        routes.append(
            build_route(problem, ((c, j, v) for (j, c), v in zip(keys, values, strict=True)))
        )
        # No-good cut: the next solve must differ from this route in some quantity.
        built.model.add_forbidden_assignments([built.x[key] for key in keys], [values])
    if not routes and hint and not proven:  # out of time before any solution: use the hint
        routes.append(build_route(problem, hint))
    routes.sort(key=lambda r: r.cost)  # only reorders when a solve was not proven optimal
    return CpsatOutcome(routes, proven)


def _build(problem: RoutingProblem, candidates: list[int], scale: float) -> _Model:
    model = cp_model.CpModel()
    penalty = problem.unfilled_unit_penalty
    # Variables: units of line j from candidate c, only where c stocks the line's SKU.
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for j, (sku, qty) in enumerate(zip(problem.line_sku, problem.quantity, strict=True)):
        for c in candidates:
            ub = min(qty, int(problem.stock[sku, c]))
            if ub > 0:
                x[j, c] = model.new_int_var(0, ub, f"x_{j}_{c}")
    used = {c: model.new_bool_var(f"use_{c}") for c in candidates}
    ships: dict[int, list[cp_model.IntVar]] = {c: [] for c in candidates}
    for (j, c), var in x.items():
        # Only a used candidate ships (x <= ub * use: the strong facility-location link).
        model.add(
            var <= min(problem.quantity[j], int(problem.stock[problem.line_sku[j], c])) * used[c]
        )
        ships[c].append(var)
    for c in candidates:
        model.add(used[c] <= sum(ships[c]))  # a used candidate (one FO) ships >= 1 unit
    for sku in set(problem.line_sku):
        lines = [j for j, s in enumerate(problem.line_sku) if s == sku]
        for c in candidates:
            share = [x[j, c] for j in lines if (j, c) in x]
            if len(share) > 1:  # lines of one SKU share its stock (a single line has ub)
                model.add(sum(share) <= int(problem.stock[sku, c]))
    picks: dict[tuple[int, int], cp_model.IntVar] = {}
    for j, qty in enumerate(problem.quantity):
        mine = [var for (line, _), var in x.items() if line == j]
        if problem.ship_complete:  # every unit filled
            model.add(sum(mine) == qty)
        if not problem.line_split:  # each line from at most one candidate
            for (line, c), var in x.items():
                if line == j:
                    picks[j, c] = model.new_bool_var(f"pick_{j}_{c}")
                    model.add(var <= problem.quantity[j] * picks[j, c])
            model.add(sum(v for (line, _), v in picks.items() if line == j) <= 1)
        elif not problem.ship_complete:  # never more than ordered
            model.add(sum(mine) <= qty)
    model.add(sum(used.values()) <= problem.max_locations)  # at most max_locations FOs
    model.add(sum(x.values()) >= 1)  # a route ships at least one unit
    # Objective: cost minus the constant (penalty * all units - split_penalty), scaled.
    fo_cost = problem.fixed_cost + problem.split_penalty
    model.minimize(
        sum(round(scale * float(fo_cost[c])) * used[c] for c in candidates)
        + sum(round(scale * (float(problem.unit_cost[c]) - penalty)) * v for (_, c), v in x.items())
    )
    return _Model(model, x, used, picks)


def _hint_single_location(
    problem: RoutingProblem, built: _Model, usable: IntArray
) -> list[tuple[int, int, int]]:
    """Hint the best one-location route (a complete assignment) so that a large model that
    hits its time limit still has a route to return."""
    if usable.size == 0:
        return []
    rows = list(problem.line_sku)
    demand = np.zeros(problem.stock.shape[0], dtype=np.int64)
    np.add.at(demand, rows, problem.quantity)
    units = np.minimum(problem.stock[:, usable], demand[:, None]).sum(axis=0)
    total = int(demand.sum())
    cost = (
        problem.fixed_cost[usable]
        + problem.unit_cost[usable] * units
        + problem.unfilled_unit_penalty * (total - units)
    )
    cost[(units == 0) | (problem.ship_complete & (units < total))] = np.inf
    if not np.isfinite(cost.min()):
        return []
    best = int(usable[int(np.argmin(cost))])
    left = problem.stock[:, best].copy()
    shipments: list[tuple[int, int, int]] = []
    for (j, c), var in built.x.items():
        take = min(problem.quantity[j], int(left[problem.line_sku[j]])) if c == best else 0
        left[problem.line_sku[j]] -= take
        shipments.append((c, j, take))
        built.model.add_hint(var, take)
        if (j, c) in built.picks:
            built.model.add_hint(built.picks[j, c], take > 0)
    for c, var in built.used.items():
        built.model.add_hint(var, c == best)
    return shipments
