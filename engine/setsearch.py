"""Exact branch and bound over location sets, for big orders the DP cannot take.

With ``line_split`` on and no unit dearer than leaving it unfilled, a route is determined by
its location set ``S`` (``|S| <= max_locations``): each SKU's units are best filled from the
cheapest-per-unit locations of ``S`` first. Write every shipped unit as a *saving* of
``w_c = unfilled_penalty - unit_c`` against leaving it unfilled; then

    cost(S) = penalty * units - split_penalty + sum_{c in S} F_c - sum_s W_s(S),

with ``F_c = fixed_c + split_penalty`` and ``W_s(S)`` the largest total saving of ``demand_s``
units of SKU ``s`` drawn from ``S``'s stock. ``W_s`` is a weighted matroid rank function of
the units ``S`` offers, hence submodular: a location's marginal value
``delta_b(A) = F_b - sum_s (W_s(A + b) - W_s(A))`` only grows as ``A`` grows. So for any
``B`` added to ``A``, ``cost(A + B) >= cost(A) + sum_{b in B} delta_b(A)``: summing the most
negative marginals of the locations still allowed bounds every completion of ``A``.

The search enumerates each set once (positions increasing in the order of single-location
value), keeps the ``k`` best sets, and cuts every node whose bound cannot beat the k-th.
It is exact: ``proven`` unless the deadline stopped it. This bound is far stronger than an
LP's here, because the LP may spread ``max_locations`` over many fractional locations.

Ship-complete orders use a penalty larger than any complete route's cost, so the best set
fills everything whenever some set can. Without line_split the same search ranks sets by
the split relaxation (a lower bound), costs each listed set exactly (its lines each from
one location, by exhaustion), and proves the optimum when the ranking settles it.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from engine.costing import build_route
from engine.problem import FloatArray, IntArray, Route, RoutingProblem

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


@dataclass
class _Search:
    cap: IntArray  # (skus, n): stock capped at demand, columns in search order
    weight: FloatArray  # (n,): saving per unit shipped
    fo: FloatArray  # (n,): fixed + split penalty
    demand: IntArray  # (skus,)
    k_routes: int
    max_sets: int
    deadline: float
    third: FloatArray  # (open units, position): see _third_table
    best: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # max-heap (neg)
    nodes: int = 0
    stopped: bool = False

    def threshold(self) -> float:
        """What a set must beat to enter the k best."""
        if len(self.best) < self.k_routes:
            return np.inf
        return -self.best[0][0]

    def offer(self, value: float, members: tuple[int, ...]) -> None:
        item = (-value, members)
        if len(self.best) < self.k_routes:
            heapq.heappush(self.best, item)
        elif value < -self.best[0][0]:
            heapq.heapreplace(self.best, item)

    def marginals(
        self, members: tuple[int, ...], pool: slice | IntArray
    ) -> tuple[FloatArray, IntArray, int]:
        """``delta_b(members)`` for the positions ``b`` in ``pool``, the units each ``b`` would
        place in still-unfilled slots, and how many units ``members`` leave unfilled."""
        rem = self.demand.copy()
        tiers: list[tuple[float, IntArray]] = []
        for c in sorted(members, key=lambda c: -self.weight[c]):  # greedy: best savings first
            fill = np.minimum(self.cap[:, c], rem)
            rem -= fill
            tiers.append((float(self.weight[c]), fill))
        caps = self.cap[:, pool]
        w = self.weight[pool]
        take = np.minimum(caps, rem[:, None])  # unfilled slots first: a full saving each
        filled = take.sum(axis=0)
        gain = filled * w
        left = caps - take
        for tier_weight, fill in reversed(tiers):  # then displace the smallest savings
            if not left.any():
                break
            take = np.minimum(left, fill[:, None])
            gain += take.sum(axis=0) * np.maximum(w - tier_weight, 0.0)
            left -= take
        out: FloatArray = self.fo[pool] - gain
        return out, filled, int(rem.sum())

    def run(
        self, members: tuple[int, ...], value: float, start: int, bound: FloatArray | None
    ) -> None:
        """Explore every set extending ``members`` with positions ``>= start``. ``bound``
        (aligned with those positions) is each one's marginal to a subset of ``members``:
        a lower bound of its marginal here, since marginals only grow."""
        n = self.cap.shape[1]
        if start >= n or len(members) >= self.max_sets:
            return
        self.nodes += 1
        if members and perf_counter() > self.deadline:  # the root always runs: 1-location routes
            self.stopped = True
            return
        room = self.max_sets - len(members)
        pool: slice | IntArray = slice(start, n)
        if room == 1 and bound is not None:  # last location: only those that may beat it
            pool = start + np.flatnonzero(value + bound < self.threshold())
            if pool.size == 0:
                return
        delta, filled, unfilled = self.marginals(members, pool)
        if isinstance(pool, np.ndarray):
            for pos in np.argsort(delta, kind="stable")[: self.k_routes].tolist():
                self.offer(value + float(delta[pos]), (*members, int(pool[pos])))
            return
        ranked = np.argsort(delta, kind="stable")
        cheapest = np.minimum(delta[ranked[:room]], 0.0)
        if value + float(cheapest.sum()) >= self.threshold():
            return  # no completion beats the k-th best
        if room == 1:  # last location: every choice is exact, keep the best few
            for pos in ranked[: self.k_routes].tolist():
                self.offer(value + float(delta[pos]), (*members, start + pos))
            return
        child = value + delta
        for pos in ranked[: self.k_routes].tolist():  # the children are sets too
            self.offer(float(child[pos]), (*members, start + pos))
        # A child at p only adds locations after p: (room - 1) times the best of those
        # bounds them; with one location left, it also fills at most what is still open.
        after = np.minimum(np.minimum.accumulate(delta[::-1])[::-1], 0.0)
        bound = child + np.append(after[1:], 0.0) * (room - 1)
        if room == 2:
            bound = np.maximum(bound, child + self.third_bounds(unfilled - filled, start))
        rest = float(cheapest[: room - 1].sum())
        for pos in ranked[bound[ranked] < self.threshold()].tolist():
            limit = self.threshold()
            if float(child[pos]) + rest >= limit:
                break  # children come in increasing delta: none after this can do better
            if float(bound[pos]) < limit:
                self.run(
                    (*members, start + pos), float(child[pos]), start + pos + 1, delta[pos + 1 :]
                )
                if self.stopped:
                    return

    def third_bounds(self, unfilled: IntArray, start: int) -> FloatArray:
        """For the child at each position ``p >= start`` with ``unfilled`` units still open:
        the least marginal of any one location after ``p`` (see :func:`_third_table`)."""
        nxt = np.arange(start + 1, start + 1 + unfilled.shape[0])
        out: FloatArray = self.third[np.minimum(unfilled, self.third.shape[0] - 1), nxt]
        return out


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
    state = _Search(
        cap=np.ascontiguousarray(cap[:, order]),
        weight=weight[order],
        fo=fo[order],
        demand=demand,
        # Without line_split, list more sets: the proof needs the runner-ups' relaxed values.
        k_routes=problem.max_routes + (0 if problem.line_split else _EXTRA_SETS),
        max_sets=problem.max_locations,
        deadline=deadline,
        third=_third_table(cap, weight, fo, order),
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
    state: _Search,
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


def _third_table(cap: IntArray, weight: FloatArray, fo: FloatArray, order: IntArray) -> FloatArray:
    """``T[r, p]``: a lower bound of the marginal of any location at position ``>= p`` when
    ``r`` units are still open (0 past the end). A location ``c`` fills at most
    ``min(U_c, r)`` open units, each saving ``w_c``; any other unit of it only displaces a
    filled one, saving at most ``min(w_c, spread)`` (savings differ by at most the spread)."""
    units = cap.sum(axis=0)[order]
    w = weight[order]
    spread = float(weight.max() - weight.min())
    open_units = np.minimum(units[None, :], np.arange(int(units.max()) + 1)[:, None])
    gain = open_units * w + (units - open_units) * np.minimum(w, spread)
    table = np.minimum.accumulate((fo[order] - gain)[:, ::-1], axis=1)[:, ::-1]
    out: FloatArray = np.minimum(np.append(table, np.zeros((table.shape[0], 1)), axis=1), 0.0)
    return out


def _route(
    problem: RoutingProblem,
    rows: IntArray,
    state: _Search,
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
