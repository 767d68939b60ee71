"""The objective of DESIGN.md, recomputed from scratch, and the route constraint checker.

These functions are deliberately plain loops over a route: they are the reference the
optimizer is tested against, and the preview layer uses them to report costs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.errors import InvalidProblemError
from engine.problem import FulfillmentPlan, Route, RoutingProblem


def validate_problem(problem: RoutingProblem) -> None:
    """Raise :class:`InvalidProblemError` if the problem's arrays or numbers break its contract."""
    if problem.stock.ndim != 2:
        raise InvalidProblemError(
            f"stock must be 2-D (skus, candidates), not {problem.stock.shape}"
        )
    n_skus, n_cand = problem.stock.shape
    errors: list[str] = []
    if len(problem.line_sku) != len(problem.quantity):
        errors.append("line_sku and quantity must have one entry per line")
    if problem.fixed_cost.shape != (n_cand,) or problem.unit_cost.shape != (n_cand,):
        errors.append("fixed_cost and unit_cost must have one entry per candidate")
    if any(q < 1 for q in problem.quantity):
        errors.append("every quantity must be >= 1")
    if any(not 0 <= s < n_skus for s in problem.line_sku):
        errors.append("every line_sku must index a row of stock")
    if problem.stock.size and int(problem.stock.min()) < 0:
        errors.append("stock must be >= 0")
    costs = np.concatenate([problem.fixed_cost, problem.unit_cost])
    scalars = (problem.split_penalty, problem.unfilled_unit_penalty)
    if not (np.all(np.isfinite(costs)) and np.all(costs >= 0)) or min(scalars) < 0:
        errors.append("costs and penalties must be finite and >= 0")
    if problem.max_locations < 1 or problem.max_routes < 1:
        errors.append("max_locations and max_routes must be >= 1")
    if errors:
        raise InvalidProblemError("; ".join(errors))


def route_cost(problem: RoutingProblem, route: Route) -> float:
    """The route's cost under DESIGN.md's objective, ignoring ``route.cost``."""
    total = 0.0
    shipped = 0
    for plan in route.plans:
        units = sum(qty for _, qty in plan.lines)
        shipped += units
        loc = plan.location
        total += float(problem.fixed_cost[loc]) + float(problem.unit_cost[loc]) * units
    total += problem.split_penalty * max(0, len(route.plans) - 1)
    total += problem.unfilled_unit_penalty * (sum(problem.quantity) - shipped)
    return total


def check_route(problem: RoutingProblem, route: Route) -> list[str]:
    """Every constraint the route breaks, as readable messages (empty when the route is valid)."""
    errors: list[str] = []
    locations = [plan.location for plan in route.plans]
    if locations != sorted(set(locations)):
        errors.append(f"plans must have distinct locations sorted by index, got {locations}")
    if not route.plans:
        errors.append("a route must ship at least one unit")
    if len(route.plans) > problem.max_locations:
        errors.append(f"{len(route.plans)} locations used, max_locations={problem.max_locations}")
    filled = [0] * problem.n_lines
    sources: list[set[int]] = [set() for _ in range(problem.n_lines)]
    for plan in route.plans:
        errors.extend(_check_plan(problem, plan, filled, sources))
    for line, qty in enumerate(problem.quantity):
        if filled[line] > qty:
            errors.append(f"line {line}: {filled[line]} units filled, only {qty} ordered")
        if not problem.line_split and len(sources[line]) > 1:
            errors.append(f"line {line} is split over {sorted(sources[line])} without line_split")
    expected = tuple(
        (j, q - f) for j, (q, f) in enumerate(zip(problem.quantity, filled, strict=True)) if q > f
    )
    if route.unfilled != expected:
        errors.append(f"unfilled is {route.unfilled}, the plans leave {expected}")
    if problem.ship_complete and expected:
        errors.append("ship_complete, but units are left unfilled")
    return errors


def _check_plan(
    problem: RoutingProblem, plan: FulfillmentPlan, filled: list[int], sources: list[set[int]]
) -> list[str]:
    errors: list[str] = []
    loc = plan.location
    if not 0 <= loc < problem.n_candidates:
        return [f"location {loc} is not a candidate"]
    lines = [line for line, _ in plan.lines]
    if not plan.lines or lines != sorted(set(lines)):
        errors.append(f"location {loc}: plan lines must be non-empty, distinct and sorted")
    per_sku: dict[int, int] = {}
    for line, qty in plan.lines:
        if not 0 <= line < problem.n_lines or qty < 1:
            errors.append(f"location {loc}: bad plan entry (line {line}, quantity {qty})")
            continue
        filled[line] += qty
        sources[line].add(loc)
        sku = problem.line_sku[line]
        per_sku[sku] = per_sku.get(sku, 0) + qty
    for sku, units in per_sku.items():
        if units > int(problem.stock[sku, loc]):
            errors.append(f"location {loc}: {units} units of sku row {sku} > stock")
    return errors


def build_route(problem: RoutingProblem, shipments: Iterable[tuple[int, int, int]]) -> Route:
    """A :class:`Route` from ``(location, line, quantity)`` triples, costed from scratch.

    Zero quantities are ignored and repeated (location, line) pairs are summed, so callers may
    pass raw solver output.
    """
    by_loc: dict[int, dict[int, int]] = {}
    filled = [0] * problem.n_lines
    for loc, line, qty in shipments:
        if qty > 0:
            lines = by_loc.setdefault(loc, {})
            lines[line] = lines.get(line, 0) + qty
            filled[line] += qty
    plans = tuple(
        FulfillmentPlan(loc, tuple(sorted(by_loc[loc].items()))) for loc in sorted(by_loc)
    )
    unfilled = tuple(
        (j, q - f) for j, (q, f) in enumerate(zip(problem.quantity, filled, strict=True)) if q > f
    )
    route = Route(0.0, plans, unfilled)
    return Route(route_cost(problem, route), plans, unfilled)


def route_key(route: Route) -> tuple[tuple[int, int, int], ...]:
    """The set of ``(location, line, quantity)`` assignments that makes a route distinct."""
    return tuple((plan.location, line, qty) for plan in route.plans for line, qty in plan.lines)
