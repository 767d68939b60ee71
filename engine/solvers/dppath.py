"""The DP path of :func:`engine.solve.solve`: an order's shape as the DP sees it, the DP over
its blocks (:mod:`engine.solvers.dp`, priced by :mod:`engine.solvers.blockcosts`), the exact
repair when the relaxation reuses a candidate, and routes 2..k
(:mod:`engine.solvers.alternatives`), all turned into index-based routes.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter

import numpy as np

from engine.costing import route_key
from engine.params import SolveParams
from engine.problem import FloatArray, FulfillmentPlan, IntArray, Route, RoutingProblem
from engine.solvers import alternatives, blockcosts, dp


@dataclass(frozen=True)
class Shape:
    """How the DP sees the order: items (SKUs when line_split, else lines) and their SKU rows."""

    groups: tuple[int, ...]
    caps: tuple[int, ...]
    qty: tuple[int, ...]
    group_rows: IntArray
    item_lines: tuple[tuple[int, ...], ...]  # lines behind each item
    complete: bool  # every unit of the order can be placed in some state
    pairs: int  # (state, block) pairs the DP enumerates
    states: int

    def fits(self, problem: RoutingProblem, params: SolveParams) -> bool:
        """Whether the DP may take the problem within the limits of ``params``."""
        limit = params.max_dp_pairs
        if problem.line_split and self.warm:
            limit = max(limit, params.max_warm_dp_pairs)
        return self.pairs <= limit and self.states * problem.n_candidates <= params.max_dp_cells

    @property
    def warm(self) -> bool:
        """One of the shapes :func:`warm` builds at start-up (its tables are ready)."""
        return len(self.caps) <= WARM_ITEMS and max(self.caps, default=0) <= WARM_UNITS


def order_shape(problem: RoutingProblem) -> Shape:
    """The DP's view of ``problem`` (cached per order shape and stock held)."""
    stocked = problem.stock.sum(axis=1).tolist()  # zeros when there is no candidate
    demand = [0] * len(stocked)
    for sku, qty in zip(problem.line_sku, problem.quantity, strict=True):
        demand[sku] += qty
    # Stock beyond a SKU's demand never changes the shape: cap it so shapes repeat.
    held = tuple(min(have, want) for have, want in zip(stocked, demand, strict=True))
    return _shape_of(problem.line_sku, problem.quantity, problem.line_split, held)


@lru_cache(maxsize=4096)
def _shape_of(
    line_sku: tuple[int, ...], quantity: tuple[int, ...], line_split: bool, held: tuple[int, ...]
) -> Shape:
    """The DP's view of an order given how many units of each SKU row all candidates hold."""
    rows = sorted({s for s in line_sku if held[s] > 0})
    active = [j for j, s in enumerate(line_sku) if held[s] > 0]
    complete = len(active) == len(line_sku)
    if line_split:
        # Items in a canonical order (largest cap first) so that more orders share tables.
        wanted = dict.fromkeys(rows, 0)
        for j in active:
            wanted[line_sku[j]] += quantity[j]
        rows.sort(key=lambda s: (-min(held[s], wanted[s]), s))
        lines = tuple(tuple(j for j in active if line_sku[j] == s) for s in rows)
        demand = [sum(quantity[j] for j in group) for group in lines]
        # No state needs more units of a SKU than all candidates hold together.
        caps = tuple(min(d, held[s]) for d, s in zip(demand, rows, strict=True))
        complete = complete and caps == tuple(demand)
        groups, qty = tuple(range(len(rows))), (1,) * len(rows)
    else:
        groups = tuple(rows.index(line_sku[j]) for j in active)
        qty = tuple(quantity[j] for j in active)
        lines = tuple((j,) for j in active)
        caps = (1,) * len(active)
    states = math.prod(c + 1 for c in caps)
    return Shape(groups, caps, qty, np.array(rows), lines, complete, dp.pair_count(caps), states)


WARM_ITEMS, WARM_UNITS = 5, 3  # the dense carts: up to 5 SKUs of up to 3 units each


def warm(max_items: int = WARM_ITEMS, max_units: int = WARM_UNITS) -> int:
    """Build the DP tables of every line-split order shape with up to ``max_items`` SKUs of
    up to ``max_units`` units each (within the default DP limits), so that a service's first
    orders do not pay for them (a new shape costs 0.1-2 ms once). Returns how many shapes."""
    limit = max(SolveParams().max_dp_pairs, SolveParams().max_warm_dp_pairs)
    built = 0
    for n in range(1, max_items + 1):
        for caps in itertools.combinations_with_replacement(range(max_units, 0, -1), n):
            if dp.pair_count(caps) <= limit:
                dp.tables(tuple(range(n)), caps, (1,) * n)
                built += 1
    return built


def solve_dp(problem: RoutingProblem, shape: Shape) -> tuple[list[Route], bool]:
    """The best routes of a problem whose shape fits the DP, best (optimal) first, and
    whether the relaxation reused a candidate (then settled by the location DP)."""
    tab = dp.tables(shape.groups, shape.caps, shape.qty)
    kind = blockcosts.SplitCosts if problem.line_split else blockcosts.MatrixCosts
    costs = kind(problem, tab, shape.group_rows)
    k_max = min(problem.max_locations, sum(shape.caps))
    final = _final(problem, tab, k_max)
    g = dp.relaxed_dp(tab, costs.best, k_max)
    flat = (g + final).ravel()
    end = int(flat.argmin())
    if not flat[end] < np.inf:
        return [], False
    n_states = g.shape[1]
    trace = dp.trace(tab, g, costs.best, *divmod(end, n_states))
    rows = costs.rows(trace)
    blocks = list(zip(trace, rows.argmin(axis=1).tolist(), strict=True))
    conflict = len({loc for _, loc in blocks}) < len(blocks)
    if conflict:
        value, blocks = _resolve_conflict(tab, costs.matrix(), k_max, final, g, trace)
        if not np.isfinite(value):  # the relaxation's route was the only kind, and it clashes
            return [], True
        rows = costs.rows([block for block, _ in blocks])
        placed = rows[np.arange(len(blocks)), [loc for _, loc in blocks]].tolist()
    else:
        placed = rows.min(axis=1).tolist()  # each block at its cheapest candidate
    covered = sum(block for block, _ in blocks)
    value = sum(placed) + float(final[len(blocks), covered])
    optimum = _route(problem, shape, tab, blocks, value)
    want = problem.max_routes - 1
    if want == 0:
        return [optimum], conflict
    options = alternatives.moves(rows, blocks, placed, value, want)
    alternatives.other_ends(options, tab, g, costs, flat, end, want)
    alternatives.singles(options, costs, final, frozenset(blocks), want)
    ranked = alternatives.prefer_other_locations(options, blocks, want)
    others = [_route(problem, shape, tab, list(b), cost) for b, cost in ranked]
    return _rank(problem, optimum, others), conflict


def _final(problem: RoutingProblem, tab: dp.Tables, k_max: int) -> FloatArray:
    """What ending with k blocks in state c adds: unfilled units, minus the first FO's split
    (read-only: cached per shape and penalties)."""
    return _final_of(
        tab,
        k_max,
        sum(problem.quantity),
        problem.unfilled_unit_penalty,
        problem.split_penalty,
        problem.ship_complete,
    )


@lru_cache(maxsize=1024)
def _final_of(
    tab: dp.Tables, k_max: int, units: int, penalty: float, split: float, complete: bool
) -> FloatArray:
    row = penalty * (units - tab.demand) - split
    if complete:
        row = np.where(np.arange(row.shape[0]) == row.shape[0] - 1, row, np.inf)
    final = np.tile(row, (k_max + 1, 1))
    final[0, :] = np.inf  # shipping nothing is not a route
    final.flags.writeable = False
    return final


def _resolve_conflict(
    tab: dp.Tables,
    costs: FloatArray,
    k_max: int,
    final: FloatArray,
    g: FloatArray,
    clash: list[int],
) -> tuple[float, list[dp.Block]]:
    """Exact optimum when the relaxation reused a candidate: location DP over each block's
    ``k_max`` cheapest candidates (enough, see engine.solvers.dp), less the (block, candidate) pairs
    that cannot beat a feasible route even with the cheapest relaxed rest (the DP's time
    grows with the candidates it keeps)."""
    n = costs.shape[1]
    if n > k_max:
        rows = np.arange(costs.shape[0])[:, None]
        cols = np.argpartition(costs, k_max - 1, axis=1)[:, :k_max]
    else:
        rows, cols = np.arange(costs.shape[0])[:, None], np.arange(n)[None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    value = costs[rows, cols]
    upper = _repaired(costs, clash, final)
    useful = value < np.inf
    if upper < np.inf:
        rest = dp.completion_bound(tab, g, final)[rows]
        useful &= value + rest <= upper + 1e-9 * max(1.0, abs(upper))
    keep = np.unique(cols[useful])
    found, blocks = dp.location_dp(tab, costs[:, keep], k_max, final)
    return found, [(block, int(keep[col])) for block, col in blocks]


def _repaired(costs: FloatArray, blocks: list[int], final: FloatArray) -> float:
    """The cost of the relaxation's blocks placed greedily at distinct candidates (each at
    its cheapest free one), or inf: an upper bound on the optimum."""
    free = costs[blocks]
    total = 0.0
    for i in range(len(blocks)):
        col = int(free[i].argmin())
        total += float(free[i, col])
        free[:, col] = np.inf
    return total + float(final[len(blocks), sum(blocks)])


def _rank(problem: RoutingProblem, optimum: Route, others: list[Route]) -> list[Route]:
    """The optimum, then the others (already by cost) without repeats, up to max_routes."""
    seen = {route_key(optimum)}
    ranked = [optimum]
    for route in others:
        key = route_key(route)
        if key not in seen and len(ranked) < problem.max_routes:
            seen.add(key)
            ranked.append(route)
    return ranked


def _route(
    problem: RoutingProblem, shape: Shape, tab: dp.Tables, blocks: list[dp.Block], cost: float
) -> Route:
    """Turn (block, candidate) pairs into line quantities, deterministically (lines in order).
    ``cost`` is the DP's value of these blocks, which is the route's cost (tests recompute it)."""
    left = list(problem.quantity)
    plans: list[FulfillmentPlan] = []
    item_lines = shape.item_lines
    for block, loc in sorted(blocks, key=itemgetter(1)):
        if problem.line_split:
            lines: list[tuple[int, int]] = []
            for item, units in tab.parts[block]:
                for line in item_lines[item]:
                    take = units if units < left[line] else left[line]
                    if take:
                        lines.append((line, take))
                        left[line] -= take
                        units -= take
            lines.sort()
        else:
            lines = _fill_lines(problem, [item_lines[i][0] for i, _ in tab.parts[block]], loc)
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
