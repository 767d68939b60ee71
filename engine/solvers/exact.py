"""The paths for orders the DP cannot take (see :func:`engine.solve.solve`)."""

from __future__ import annotations

from dataclasses import replace
from time import perf_counter

from engine.costing import route_key
from engine.errors import InvalidParamsError
from engine.params import SolveParams
from engine.problem import Route, RoutingProblem, RoutingResult, Solver
from engine.solvers import setsearch
from engine.solvers.cpsat import solve_cpsat
from engine.solvers.mip import solve_mip
from engine.solvers.prune import prune, stocked_candidates


def solve_exact(problem: RoutingProblem, params: SolveParams, start: float) -> RoutingResult:
    """The path for what the DP cannot take: prune candidates exactly, then the location-set
    search when it applies, else the MIP or CP-SAT."""
    stocked = stocked_candidates(problem)
    cand = prune(problem) if params.prune else stocked
    stats = {"stocked": float(stocked.shape[0]), "candidates": float(cand.shape[0])}
    force = params.force_solver
    fits_search = setsearch.applies(problem, cand)
    if force == "search" and not fits_search:
        raise InvalidParamsError(
            "force_solver='search' needs candidates and, unless ship_complete, unit costs "
            "at most the unfilled penalty"
        )
    solver: Solver
    routes: list[Route] = []
    deadline = start + params.time_limit_s
    if (force == "auto" and fits_search) or force == "search":
        found = setsearch.search(problem, cand, deadline)
        routes, proven, solver = found.routes, found.proven, "search"
        stats["nodes"] = float(found.nodes)
        if proven or force == "search" or perf_counter() >= deadline:
            stats.update(optimal=float(proven), elapsed_ms=_ms(start))
            return RoutingResult(tuple(_distinct(routes, problem.max_routes)), solver, stats)
        # Without line_split the relaxation's ranking left it open: the solver may settle it.
        params = replace(params, time_limit_s=deadline - perf_counter())
    if force == "mip" or (force != "cpsat" and params.exact_solver == "mip"):
        out = solve_mip(problem, params, cand)
        routes, proven, solver = routes + out.routes, out.proven, "mip"
    else:
        answer = solve_cpsat(problem, params, cand)
        routes, proven, solver = routes + answer.routes, answer.proven, "cpsat"
    stats.update(optimal=float(proven), elapsed_ms=_ms(start))
    return RoutingResult(tuple(_distinct(routes, problem.max_routes)), solver, stats)


def _distinct(routes: list[Route], limit: int) -> list[Route]:
    """Routes by (cost, assignments), without repeats, at most ``limit``."""
    seen: set[tuple[tuple[int, int, int], ...]] = set()
    out: list[Route] = []
    for route in sorted(routes, key=lambda r: (r.cost, route_key(r))):
        key = route_key(route)
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append(route)
    return out


def _ms(start: float) -> float:
    return (perf_counter() - start) * 1000.0
