"""``solve()``: one routing problem in, its best routes out (DP first, CP-SAT when too big)."""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np

from engine import dp
from engine.costing import route_key, validate_problem
from engine.errors import InvalidParamsError
from engine.mip import solve_mip
from engine.optimizer import solve_cpsat
from engine.params import SolveParams
from engine.prune import prune, stocked_candidates
from engine.problem import FloatArray, FulfillmentPlan, IntArray, Route, RoutingProblem, RoutingResult


_DEFAULT = SolveParams()


@dataclass(frozen=True)
class _Shape:
    """How the DP sees the order: items (SKUs when line_split, else lines) and their SKU rows."""

    groups: tuple[int, ...]
    caps: tuple[int, ...]
    qty: tuple[int, ...]
    group_rows: IntArray
    item_lines: tuple[tuple[int, ...], ...]  # lines behind each item
    complete: bool  # every unit of the order can be placed in some state


def solve(problem: RoutingProblem, params: SolveParams | None = None) -> RoutingResult:
    """The ``problem.max_routes`` best distinct routes, best (optimal) first."""
    params = params or _DEFAULT
    if params.validate:
        validate_problem(problem)
    start = perf_counter()
    shape = _shape(problem)
    if not shape.caps or (problem.ship_complete and not shape.complete):
        return RoutingResult((), "none", {"optimal": 1.0, "elapsed_ms": _ms(start)})
    fits = (
        dp.pair_count(shape.caps) <= params.max_dp_pairs
        and int(np.prod(np.array(shape.caps) + 1)) * problem.n_candidates <= params.max_dp_cells
    )
    if params.force_solver == "dp" and not fits:
        raise InvalidParamsError("force_solver='dp' but the problem exceeds the DP limits")
    if params.force_solver in ("mip", "cpsat") or not fits:
        return _solve_exact(problem, params, start)
    routes, conflict = _solve_dp(problem, shape)
    stats = {"optimal": 1.0, "dp_conflict": float(conflict), "elapsed_ms": _ms(start)}
    return RoutingResult(tuple(routes), "dp", stats)


def _solve_exact(problem: RoutingProblem, params: SolveParams, start: float) -> RoutingResult:
    """The solver path: prune candidates exactly, then the MIP or CP-SAT."""
    stocked = stocked_candidates(problem)
    cand = prune(problem) if params.prune else stocked
    stats = {"stocked": float(stocked.shape[0]), "candidates": float(cand.shape[0])}
    solver = params.force_solver if params.force_solver != "auto" else params.exact_solver
    if solver == "mip":
        out = solve_mip(problem, params, cand)
        routes, proven = out.routes, out.proven
    else:
        found = solve_cpsat(problem, params, cand)
        routes, proven = found.routes, found.proven
        solver = "cpsat"
    stats.update(optimal=float(proven), elapsed_ms=_ms(start))
    return RoutingResult(tuple(routes), "mip" if solver == "mip" else "cpsat", stats)


def _shape(problem: RoutingProblem) -> _Shape:
    stocked = problem.stock.sum(axis=1)  # zero for every row when there is no candidate
    rows = sorted({s for s in problem.line_sku if stocked[s] > 0})
    active = [j for j, s in enumerate(problem.line_sku) if stocked[s] > 0]
    complete = len(active) == problem.n_lines
    if problem.line_split:
        lines = tuple(tuple(j for j in active if problem.line_sku[j] == s) for s in rows)
        demand = [sum(problem.quantity[j] for j in group) for group in lines]
        # No state needs more units of a SKU than all candidates hold together.
        caps = tuple(min(d, int(stocked[s])) for d, s in zip(demand, rows, strict=True))
        complete = complete and caps == tuple(demand)
        return _Shape(
            tuple(range(len(rows))), caps, (1,) * len(rows), np.array(rows), lines, complete
        )
    groups = tuple(rows.index(problem.line_sku[j]) for j in active)
    qty = tuple(problem.quantity[j] for j in active)
    lines = tuple((j,) for j in active)
    return _Shape(groups, (1,) * len(active), qty, np.array(rows), lines, complete)


def _solve_dp(problem: RoutingProblem, shape: _Shape) -> tuple[list[Route], bool]:
    tab = dp.tables(shape.groups, shape.caps, shape.qty)
    costs = dp.block_costs(problem, tab, shape.group_rows)
    arg = np.argmin(costs, axis=1)
    best = costs[np.arange(costs.shape[0]), arg]
    k_max = min(problem.max_locations, sum(shape.caps))
    final = _final(problem, tab, k_max)
    g = dp.relaxed_dp(tab, best, k_max)
    total = g + final
    k, state = np.unravel_index(int(np.argmin(total)), total.shape)
    if not np.isfinite(total[k, state]):
        return [], False
    blocks = dp.trace_relaxed(tab, g, best, arg, int(k), int(state))
    conflict = len({loc for _, loc in blocks}) < len(blocks)
    if conflict:
        value, blocks = _resolve_conflict(tab, costs, k_max, final)
        if not np.isfinite(value):  # the relaxation's route was the only kind, and it clashes
            return [], True
    covered = sum(block for block, _ in blocks)
    value = sum(float(costs[b, loc]) for b, loc in blocks) + float(final[len(blocks), covered])
    optimum = _route(problem, shape, tab, blocks, value)
    if problem.max_routes == 1:
        return [optimum], conflict
    arrays = (g, best, arg, total, costs, final)
    others = _alternatives(tab, arrays, blocks, value, problem.max_routes - 1)
    alternatives = [_route(problem, shape, tab, b, cost) for b, cost in others]
    return _rank(problem, optimum, alternatives), conflict


def _final(problem: RoutingProblem, tab: dp.Tables, k_max: int) -> FloatArray:
    """What ending with k blocks in state c adds: unfilled units, minus the first FO's split."""
    unfilled = sum(problem.quantity) - tab.demand
    row = problem.unfilled_unit_penalty * unfilled - problem.split_penalty
    if problem.ship_complete:
        row = np.where(np.arange(row.shape[0]) == row.shape[0] - 1, row, np.inf)
    final = np.tile(row, (k_max + 1, 1))
    final[0, :] = np.inf  # shipping nothing is not a route
    return final


def _resolve_conflict(
    tab: dp.Tables, costs: FloatArray, k_max: int, final: FloatArray
) -> tuple[float, list[dp.Block]]:
    """Exact optimum when the relaxation reused a candidate: location DP over each block's
    ``k_max`` cheapest candidates (enough, see engine.dp)."""
    n = costs.shape[1]
    top = np.argpartition(costs, k_max - 1, axis=1)[:, :k_max] if n > k_max else None
    picks = np.arange(n) if top is None else top[np.isfinite(np.take_along_axis(costs, top, 1))]
    keep = np.unique(picks)
    value, blocks = dp.location_dp(tab, costs[:, keep], k_max, final)
    return value, [(block, int(keep[col])) for block, col in blocks]


def _alternatives(
    tab: dp.Tables,
    arrays: tuple[FloatArray, FloatArray, IntArray, FloatArray, FloatArray, FloatArray],
    optimum: list[dp.Block],
    value: float,
    want: int,
) -> list[tuple[list[dp.Block], float]]:
    """The ``want`` cheapest runner-ups among: the best route of other (block count, placed
    units) end states, and the optimum with one block moved to a next cheapest free candidate.
    Distinct block sets at distinct candidates are distinct routes, so no route is built twice.
    """
    g, best, arg, total, costs, _ = arrays
    options: dict[frozenset[dp.Block], float] = {frozenset(optimum): -np.inf}
    flat = total.ravel()
    for idx in np.argsort(flat, kind="stable")[: 2 * want + 1]:
        if np.isfinite(flat[idx]):
            k, state = np.unravel_index(int(idx), total.shape)
            blocks = dp.trace_relaxed(tab, g, best, arg, int(k), int(state))
            if len({loc for _, loc in blocks}) == len(blocks):
                options.setdefault(frozenset(blocks), float(flat[idx]))
    used = {loc for _, loc in optimum}
    rows = np.array([block for block, _ in optimum], dtype=np.int64)
    for (block, loc), top in zip(
        optimum, dp.top_candidates(costs, rows, len(used) + want), strict=True
    ):
        rest = [b for b in optimum if b != (block, loc)]
        for other in [int(c) for c in top if int(c) not in used][:want]:
            swapped = value - costs[block, loc] + costs[block, other]
            options.setdefault(frozenset([*rest, (block, other)]), float(swapped))
    ranked = sorted(options.items(), key=lambda item: (item[1], sorted(item[0])))
    return [(list(blocks), cost) for blocks, cost in ranked[1 : want + 1]]


def _rank(problem: RoutingProblem, optimum: Route, others: list[Route]) -> list[Route]:
    """The optimum, then distinct others by (cost, assignments), up to max_routes."""
    seen = {route_key(optimum)}
    ranked = [optimum]
    for route in sorted(others, key=lambda r: (r.cost, route_key(r))):
        key = route_key(route)
        if key not in seen and len(ranked) < problem.max_routes:
            seen.add(key)
            ranked.append(route)
    return ranked


def _route(
    problem: RoutingProblem, shape: _Shape, tab: dp.Tables, blocks: list[dp.Block], cost: float
) -> Route:
    """Turn (block, candidate) pairs into line quantities, deterministically (lines in order).
    ``cost`` is the DP's value of these blocks, which is the route's cost (tests recompute it)."""
    left = list(problem.quantity)
    plans: list[FulfillmentPlan] = []
    for block, loc in sorted(blocks, key=lambda b: b[1]):
        row = tab.rows[block]
        if problem.line_split:
            lines: list[tuple[int, int]] = []
            for item, units in enumerate(row):
                for line in shape.item_lines[item] if units else ():
                    take = min(units, left[line])
                    if take:
                        lines.append((line, take))
                        left[line] -= take
                        units -= take
            lines.sort()
        else:
            lines = _fill_lines(problem, [shape.item_lines[i][0] for i, d in enumerate(row) if d], loc)
            for line, qty in lines:
                left[line] -= qty
        plans.append(FulfillmentPlan(loc, tuple(lines)))
    unfilled = tuple((j, q) for j, q in enumerate(left) if q > 0)
    return Route(cost, tuple(plans), unfilled)


def _fill_lines(problem: RoutingProblem, lines: list[int], loc: int) -> list[tuple[int, int]]:
    """No-split fill of lines at one candidate: one unit each, then what pays off, in order."""
    pays = problem.ship_complete or problem.unit_cost[loc] <= problem.unfilled_unit_penalty
    out: list[tuple[int, int]] = []
    for sku in sorted({problem.line_sku[j] for j in lines}):
        mine = [j for j in lines if problem.line_sku[j] == sku]
        extra = int(problem.stock[sku, loc]) - len(mine) if pays else 0
        for j in mine:
            more = min(problem.quantity[j] - 1, max(extra, 0))
            out.append((j, 1 + more))
            extra -= more
    out.sort()
    return out


def _ms(start: float) -> float:
    return (perf_counter() - start) * 1000.0
