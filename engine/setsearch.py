"""Exact branch and bound over location sets, for big line-split orders the DP cannot take.

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
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from engine.costing import build_route
from engine.problem import FloatArray, IntArray, Route, RoutingProblem


@dataclass
class SetSearchOutcome:
    """Routes best first (distinct location sets); ``proven`` when the search finished, so
    route 1 is optimal (and routes 2..k are the best routes over other location sets)."""

    routes: list[Route]
    proven: bool
    nodes: int


def applies(problem: RoutingProblem, cand: IntArray) -> bool:
    """Whether the search is exact for this problem: line_split, not ship_complete, and no
    candidate's unit cost above the unfilled penalty."""
    return (
        problem.line_split
        and not problem.ship_complete
        and cand.size > 0
        and float(problem.unit_cost[cand].max()) <= problem.unfilled_unit_penalty
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

    def marginals(self, members: tuple[int, ...], start: int) -> FloatArray:
        """``delta_b(members)`` for the positions ``b >= start``."""
        rem = self.demand.copy()
        tiers: list[tuple[float, IntArray]] = []
        for c in sorted(members, key=lambda c: -self.weight[c]):  # greedy: best savings first
            fill = np.minimum(self.cap[:, c], rem)
            rem -= fill
            tiers.append((float(self.weight[c]), fill))
        pool = self.cap[:, start:]
        w = self.weight[start:]
        take = np.minimum(pool, rem[:, None])  # unfilled slots first: a full saving each
        gain = take.sum(axis=0) * w
        left = pool - take
        for tier_weight, fill in reversed(tiers):  # then displace the smallest savings
            if not left.any():
                break
            take = np.minimum(left, fill[:, None])
            gain += take.sum(axis=0) * np.maximum(w - tier_weight, 0.0)
            left -= take
        out: FloatArray = self.fo[start:] - gain
        return out

    def run(self, members: tuple[int, ...], value: float, start: int) -> None:
        """Explore every set extending ``members`` with positions ``>= start``."""
        n = self.cap.shape[1]
        if start >= n or len(members) >= self.max_sets:
            return
        self.nodes += 1
        if perf_counter() > self.deadline:
            self.stopped = True
            return
        delta = self.marginals(members, start)
        room = self.max_sets - len(members)
        ranked = np.argsort(delta, kind="stable")
        cheapest = np.minimum(delta[ranked[:room]], 0.0)
        if value + float(cheapest.sum()) >= self.threshold():
            return  # no completion beats the k-th best
        if room == 1:  # last location: every choice is exact, keep the best few
            for pos in ranked[: self.k_routes]:
                self.offer(value + float(delta[pos]), (*members, start + int(pos)))
            return
        rest = float(cheapest[: room - 1].sum())  # bound on what further children may add
        for pos in ranked:
            child = value + float(delta[pos])
            if child + rest >= self.threshold():
                break  # children come in increasing delta: none after this can do better
            members_child = (*members, start + int(pos))
            self.offer(child, members_child)
            self.run(members_child, child, start + int(pos) + 1)
            if self.stopped:
                return


def search(problem: RoutingProblem, cand: IntArray, deadline: float) -> SetSearchOutcome:
    """The best routes over the candidate columns ``cand`` (see :func:`applies`)."""
    line_sku = np.array(problem.line_sku, dtype=np.int64)
    rows = np.unique(line_sku)
    demand_all = np.zeros(problem.stock.shape[0], dtype=np.int64)
    np.add.at(demand_all, line_sku, np.array(problem.quantity, dtype=np.int64))
    demand = demand_all[rows]
    cap = np.minimum(problem.stock[rows][:, cand], demand[:, None])
    weight = problem.unfilled_unit_penalty - problem.unit_cost[cand]
    fo = problem.fixed_cost[cand] + problem.split_penalty
    alone = fo - cap.sum(axis=0) * weight  # delta_b of the empty set
    order = np.lexsort((cand, alone))  # strong singles first: a good bound early
    state = _Search(
        cap=np.ascontiguousarray(cap[:, order]),
        weight=weight[order],
        fo=fo[order],
        demand=demand,
        k_routes=problem.max_routes,
        max_sets=problem.max_locations,
        deadline=deadline,
    )
    state.run((), 0.0, 0)
    sets = sorted((-neg, members) for neg, members in state.best)
    columns = cand[order]
    routes = [_route(problem, rows, state, [int(columns[p]) for p in m], m) for _, m in sets]
    routes.sort(key=lambda r: r.cost)
    return SetSearchOutcome(routes, not state.stopped, state.nodes)


def _route(
    problem: RoutingProblem,
    rows: IntArray,
    state: _Search,
    locations: list[int],
    members: tuple[int, ...],
) -> Route:
    """The set's best assignment: each SKU from its largest-saving locations first, its
    units to the SKU's lines in line order."""
    left = list(problem.quantity)
    shipments: list[tuple[int, int, int]] = []
    by_saving = sorted(zip(members, locations, strict=True), key=lambda p: (-state.weight[p[0]], p[1]))
    for i, row in enumerate(rows.tolist()):
        need = int(state.demand[i])
        for pos, loc in by_saving:
            units = min(int(state.cap[i, pos]), need)
            need -= units
            for line, sku in enumerate(problem.line_sku):
                if sku == row and units > 0 and left[line] > 0:
                    take = min(units, left[line])
                    shipments.append((loc, line, take))
                    left[line] -= take
                    units -= take
    return build_route(problem, shipments)
