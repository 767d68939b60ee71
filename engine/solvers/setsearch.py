"""Exact branch and bound over location sets, for big orders the DP cannot take.

With ``line_split`` on and no unit dearer than leaving it unfilled, a route is determined by
its location set ``S`` (``|S| <= max_locations``): each SKU's units are best filled from the
cheapest-per-unit locations of ``S`` first. Write every shipped unit as a *saving* of
``w_c = unfilled_penalty - unit_c`` against leaving it unfilled; then

    cost(S) = penalty * units - split_penalty + sum_{c in S} F_c - sum_s W_s(S),

with ``F_c = fixed_c + split_penalty`` and ``W_s(S)`` the largest total saving of ``demand_s``
units of SKU ``s`` drawn from ``S``'s stock. The branch and bound over the sets, with its
submodular bound, is :mod:`engine.solvers.setbranch`. It is exact: ``proven`` unless the deadline
stopped it.

Ship-complete orders use a penalty larger than any complete route's cost, so the best set
fills everything whenever some set can. Without line_split the same search ranks sets by
the split relaxation (a lower bound), costs each listed set exactly (its lines each from
one location, by exhaustion), and proves the optimum when the ranking settles it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from engine.costing import build_route
from engine.problem import IntArray, Route, RoutingProblem
from engine.solvers.setbranch import Search, third_table

_EXTRA_SETS = 7
_EXHAUSTIVE = 4096  # most line-to-location choices tried per SKU without line_split


@dataclass
class SetSearchOutcome:
    """Routes best first (distinct location sets); ``proven`` when the search finished, so
    route 1 is optimal (and routes 2..k are the best routes over other location sets)."""

    routes: list[Route]
    proven: bool
    nodes: int


def applies(problem: RoutingProblem, cand: IntArray) -> bool:
    """Whether the search can prove this problem's optimum: it needs candidates and, unless
    ship_complete, no unit cost above the unfilled penalty. Without line_split it ranks sets
    by the split relaxation and proves the optimum when the ranking settles it."""
    if cand.size == 0:
        return False
    return problem.ship_complete or (
        float(problem.unit_cost[cand].max()) <= problem.unfilled_unit_penalty
    )


def search(problem: RoutingProblem, cand: IntArray, deadline: float) -> SetSearchOutcome:
    """The best routes over the candidate columns ``cand`` (see :func:`applies`)."""
    line_sku = np.array(problem.line_sku, dtype=np.int64)
    rows = np.unique(line_sku)
    demand_all = np.zeros(problem.stock.shape[0], dtype=np.int64)
    np.add.at(demand_all, line_sku, np.array(problem.quantity, dtype=np.int64))
    demand = demand_all[rows]
    cap = np.minimum(problem.stock[rows][:, cand], demand[:, None])
    penalty = _penalty(problem, cand)
    weight = penalty - problem.unit_cost[cand]
    fo = problem.fixed_cost[cand] + problem.split_penalty
    alone = fo - cap.sum(axis=0) * weight  # delta_b of the empty set
    order = np.lexsort((cand, alone))  # strong singles first: a good bound early
    state = Search(
        cap=np.ascontiguousarray(cap[:, order]),
        weight=weight[order],
        fo=fo[order],
        demand=demand,
        # Without line_split, list more sets: the proof needs the runner-ups' relaxed values.
        k_routes=problem.max_routes + (0 if problem.line_split else _EXTRA_SETS),
        max_sets=problem.max_locations,
        deadline=deadline,
        third=third_table(cap, weight, fo, order),
    )
    state.run((), 0.0, 0, None)
    sets = sorted((-neg, members) for neg, members in state.best)
    columns = cand[order]
    built = [_route(problem, rows, state, [int(columns[p]) for p in m], m) for _, m in sets]
    if problem.ship_complete:  # only routes that fill every unit count
        built = [(route, costed) for route, costed in built if not route.unfilled]
    routes = sorted((route for route, _ in built), key=lambda r: r.cost)
    base = penalty * int(demand.sum()) - problem.split_penalty
    proven = _proven(problem, state, sets, built, base)
    return SetSearchOutcome(routes[: problem.max_routes], proven, state.nodes)


def _penalty(problem: RoutingProblem, cand: IntArray) -> float:
    """The unfilled penalty the search works with. Ship-complete: one larger than any route
    that fills everything can cost, so the best set fills everything whenever a set can."""
    if not problem.ship_complete:
        return problem.unfilled_unit_penalty
    most = problem.max_locations * float(problem.fixed_cost[cand].max() + problem.split_penalty)
    return 1.0 + most + sum(problem.quantity) * float(problem.unit_cost[cand].max())


def _proven(
    problem: RoutingProblem,
    state: Search,
    sets: list[tuple[float, tuple[int, ...]]],
    built: list[tuple[Route, bool]],
    base: float,
) -> bool:
    """Whether the best route is optimal (or, with none, that no route exists). With
    line_split the search is exact. Without, it ranked sets by the split relaxation, a lower
    bound of a set's cost: each listed set was then costed exactly, and every set not listed
    relaxes to at least the last listed one (``base`` turns relaxed values into costs)."""
    if state.stopped:
        return False
    if problem.line_split:
        return True
    full = len(sets) >= state.k_routes
    beyond = base + sets[-1][0] if full else np.inf
    best = min((route.cost for route, _ in built), default=np.inf)
    exact = all(costed for _, costed in built)
    if best == np.inf:
        return exact and not full
    return exact and best <= beyond + 1e-9 * max(1.0, abs(best))


def _route(
    problem: RoutingProblem,
    rows: IntArray,
    state: Search,
    locations: list[int],
    members: tuple[int, ...],
) -> tuple[Route, bool]:
    """The set's best assignment (each SKU from its largest-saving locations first), and
    whether it is the set's optimum."""
    shipments: list[tuple[int, int, int]] = []
    exact = True
    by_saving = sorted(
        zip(members, locations, strict=True), key=lambda p: (-state.weight[p[0]], p[1])
    )
    saving = {loc: float(state.weight[pos]) for pos, loc in by_saving}
    for i, row in enumerate(rows.tolist()):
        need = int(state.demand[i])
        units: dict[int, int] = {}
        stock: dict[int, int] = {}
        for pos, loc in by_saving:
            stock[loc] = int(state.cap[i, pos])
            units[loc] = min(stock[loc], need)
            need -= units[loc]
        lines = [j for j, sku in enumerate(problem.line_sku) if sku == row]
        placed, whole = _to_lines(problem, lines, units, stock, saving)
        shipments.extend(placed)
        exact = exact and whole
    return build_route(problem, shipments), exact


def _to_lines(
    problem: RoutingProblem,
    lines: list[int],
    units: dict[int, int],
    stock: dict[int, int],
    saving: dict[int, float],
) -> tuple[list[tuple[int, int, int]], bool]:
    """One SKU's shipments from the set. With line_split: the relaxation's ``units`` per
    location, in line order. Without: each line from one location, chosen by exhaustion
    over the set's ``stock`` (a SKU has few lines) to save the most. The flag says the
    result is the set's optimum (always, unless too many choices forced a heuristic)."""
    out: list[tuple[int, int, int]] = []
    if problem.line_split:
        left = {j: problem.quantity[j] for j in lines}
        for loc, count in sorted(units.items()):
            for j in lines:
                take = min(count, left[j])
                if take:
                    out.append((loc, j, take))
                    left[j] -= take
                    count -= take
        return out, True
    locs = sorted(stock)
    best: tuple[float, tuple[int, ...]] = (-1.0, ())
    for choice in _choices(len(locs), len(lines)):
        value = 0.0
        for i, loc in enumerate(locs):
            asked = sum(problem.quantity[j] for j, c in zip(lines, choice, strict=True) if c == i)
            value += saving[loc] * min(asked, stock[loc])
        if value > best[0] + 1e-12:
            best = (value, choice)
    rest = dict(stock)
    for j, i in zip(lines, best[1], strict=True):
        take = min(problem.quantity[j], rest[locs[i]])
        if take:
            out.append((locs[i], j, take))
            rest[locs[i]] -= take
    return out, len(locs) ** len(lines) <= _EXHAUSTIVE


def _choices(n_locs: int, n_lines: int) -> list[tuple[int, ...]]:
    """Line-to-location choices to try: all of them when few, else largest-first greedy
    spreads (one per starting location)."""
    if n_locs**n_lines <= _EXHAUSTIVE:
        return list(itertools.product(range(n_locs), repeat=n_lines))
    return [tuple((start + j) % n_locs for j in range(n_lines)) for start in range(n_locs)]
