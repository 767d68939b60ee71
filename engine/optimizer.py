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

import numpy as np
from ortools.sat.python import cp_model

from engine.costing import build_route
from engine.errors import SolverError
from engine.params import SolveParams
from engine.problem import Route, RoutingProblem


@dataclass
class CpsatOutcome:
    """Routes best first; ``proven`` when every solve ended OPTIMAL or INFEASIBLE."""

    routes: list[Route]
    proven: bool
    candidates: int


@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]  # (line, candidate) -> units shipped


def solve_cpsat(problem: RoutingProblem, params: SolveParams) -> CpsatOutcome:
    """Up to ``problem.max_routes`` best routes from CP-SAT (empty when none exists)."""
    rows = np.array(sorted(set(problem.line_sku)), dtype=np.int64)
    # A candidate with no usable stock of any SKU of the order can never ship.
    usable = np.flatnonzero(problem.stock[rows].sum(axis=0) > 0) if rows.size else rows
    built = _build(problem, [int(c) for c in usable], params.cost_scale)
    routes: list[Route] = []
    proven = True
    for _ in range(problem.max_routes):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = params.time_limit_s
        solver.parameters.num_workers = params.workers
        solver.parameters.random_seed = params.seed
        # With 1-2 workers the default LP level leaves the x <= ub * use links out of the LP.
        solver.parameters.linearization_level = 2
        status = solver.Solve(built.model)
        if status == cp_model.MODEL_INVALID:
            raise SolverError(f"CP-SAT rejected the model: {built.model.Validate()}")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven = proven and status == cp_model.INFEASIBLE
            break
        proven = proven and status == cp_model.OPTIMAL
        keys = list(built.x)
        values = [int(solver.Value(built.x[key])) for key in keys]
        routes.append(build_route(problem, ((l, j, v) for (j, l), v in zip(keys, values))))
        # No-good cut: the next solve must differ from this route in some quantity.
        built.model.AddForbiddenAssignments([built.x[key] for key in keys], [values])
    routes.sort(key=lambda r: r.cost)  # only reorders when a solve was not proven optimal
    return CpsatOutcome(routes, proven, len(usable))


def _build(problem: RoutingProblem, candidates: list[int], scale: float) -> _Model:
    model = cp_model.CpModel()
    penalty = problem.unfilled_unit_penalty
    # Variables: units of line j from candidate l, only where l stocks the line's SKU.
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for j, (sku, qty) in enumerate(zip(problem.line_sku, problem.quantity, strict=True)):
        for l in candidates:
            ub = min(qty, int(problem.stock[sku, l]))
            if ub > 0:
                x[j, l] = model.NewIntVar(0, ub, f"x_{j}_{l}")
    used = {l: model.NewBoolVar(f"use_{l}") for l in candidates}
    ships: dict[int, list[cp_model.IntVar]] = {l: [] for l in candidates}
    for (j, l), var in x.items():
        # Only a used candidate ships (x <= ub * use: the strong facility-location link).
        model.Add(
            var <= min(problem.quantity[j], int(problem.stock[problem.line_sku[j], l])) * used[l]
        )
        ships[l].append(var)
    for l in candidates:
        model.Add(used[l] <= sum(ships[l]))  # a used candidate (one FO) ships >= 1 unit
    for sku in set(problem.line_sku):
        lines = [j for j, s in enumerate(problem.line_sku) if s == sku]
        for l in candidates:
            share = [x[j, l] for j in lines if (j, l) in x]
            if len(share) > 1:  # lines of one SKU share its stock (a single line has ub)
                model.Add(sum(share) <= int(problem.stock[sku, l]))
    for j, qty in enumerate(problem.quantity):
        mine = [var for (line, _), var in x.items() if line == j]
        if problem.ship_complete:  # every unit filled
            model.Add(sum(mine) == qty)
        if not problem.line_split:  # each line from at most one candidate
            picks = []
            for var in mine:
                pick = model.NewBoolVar("")
                model.Add(var <= problem.quantity[j] * pick)
                picks.append(pick)
            model.Add(sum(picks) <= 1)
        elif not problem.ship_complete:  # never more than ordered
            model.Add(sum(mine) <= qty)
    model.Add(sum(used.values()) <= problem.max_locations)  # at most max_locations FOs
    model.Add(sum(x.values()) >= 1)  # a route ships at least one unit
    # Objective: cost minus the constant (penalty * all units - split_penalty), scaled.
    fo_cost = problem.fixed_cost + problem.split_penalty
    model.Minimize(
        sum(round(scale * float(fo_cost[l])) * used[l] for l in candidates)
        + sum(round(scale * (float(problem.unit_cost[l]) - penalty)) * v for (_, l), v in x.items())
    )
    return _Model(model, x)
