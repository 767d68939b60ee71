"""A lower bound on a wave's cost from one min-cost flow: every order line's units flow to
the locations that may serve it (within the stock each SKU has there and each location's
capacity), at what a unit costs there less the unfilled penalty it avoids, or stay unfilled
at no cost. What a unit costs includes its least share of its Fulfillment Order's fixed cost
(the FO's fixed cost over the most units the order could ship from there), and a line fills
at most what one location holds when it may not split, or its ``max_locations`` deepest
locations hold when it may. Relaxed away: the rest of the fixed costs, the split penalty
(never negative), most locations across lines, ship complete and the orders-per-location
limit; so the flow's optimum, plus every unit's penalty, is at most the cost of any feasible
plan. On the benchmark's 10,000 × 100 wave it is within 0.4 % of the whole wave's LP
relaxation (which takes minutes to solve there).

Costs are integers for the flow: scaled and rounded down, which keeps it a lower bound.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.problem import RoutingProblem
from engine.wave.model import NO_LIMIT, IntArray, WaveOrder, WaveProblem

SCALE = 1_000  # cost units per minor unit of the objective


@dataclass(frozen=True, slots=True)
class Share:
    """The units of an order's SKU rows the flow sends it from its candidates, sparse:
    ``units[k]`` of row ``rows[k]`` from candidate ``cols[k]``."""

    rows: IntArray
    cols: IntArray
    units: IntArray

    def dense(self, shape: tuple[int, ...]) -> IntArray:
        """As units per (SKU row, candidate) of an array of ``shape``."""
        out = np.zeros(shape, dtype=np.int64)
        np.add.at(out, (self.rows, self.cols), self.units)
        return out


@dataclass(frozen=True, eq=False)
class FlowAnswer:
    """``bound``: the lower bound. ``shares``: the flow as a plan, per order (``None`` for an
    order with no problem); a kind's flow goes to its lines in order of arrival, each taking
    from the locations that send the kind the most first, so its units come from few places."""

    bound: float
    shares: tuple[Share | None, ...]


def flow_bound(problem: WaveProblem) -> float | None:
    """The bound, or ``None`` if the flow solver fails (then the caller has others)."""
    answer = solve_flow(problem)
    return None if answer is None else answer.bound


def solve_flow(problem: WaveProblem) -> FlowAnswer | None:
    """Nodes: source 0, sink 1, then one per (SKU, location) stock, one per location, and one
    per *kind* of line: lines of the same SKU with the same usable stock and unit costs at
    the same locations are one node holding all their units (the same flow, exactly: any
    flow out of it splits back into its lines), so a 100,000-order wave stays small."""
    kinds = list(_line_kinds(problem).values())
    penalties = sum(kind.penalty * kind.units for kind in kinds)
    total = sum(kind.cap for kind in kinds)
    if total == 0:
        return FlowAnswer(penalties, _shares(problem, kinds, []))
    arcs, starts = _arcs(problem, kinds, total)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*arcs)
    del arcs  # the solver holds its own copy; a 100,000-order wave's arcs are big
    flow.set_node_supply(0, total)
    flow.set_node_supply(1, -total)
    if flow.solve() != flow.OPTIMAL:
        return None
    bound = penalties + float(flow.optimal_cost()) / SCALE
    sent = []
    for kind, start in zip(kinds, starts, strict=True):
        at = np.arange(start, start + kind.locations.size, dtype=np.int64)
        sent.append(np.asarray(flow.flows(at), dtype=np.int64))
    return FlowAnswer(bound, _shares(problem, kinds, sent))


def _arcs(
    problem: WaveProblem, kinds: list[_Kind], total: int
) -> tuple[tuple[IntArray, IntArray, IntArray, IntArray], list[int]]:
    """Every arc (tails, heads, capacities, costs) in preallocated arrays, and where each
    kind's arcs to the stock start."""
    n_skus, n_locations = problem.stock.shape
    held0, at0 = 2, 2 + n_skus * n_locations
    sku, loc = np.nonzero(problem.stock)
    size = len(kinds) + sum(k.locations.size for k in kinds) + sku.size + n_locations + 1
    tails, heads, caps, costs = (np.zeros(size, dtype=np.int64) for _ in range(4))
    starts, i = [], 0
    for k, kind in enumerate(kinds):
        here, n = at0 + n_locations + k, kind.locations.size
        tails[i], heads[i], caps[i] = 0, here, kind.cap  # source → the kind
        i += 1
        starts.append(i)
        tails[i : i + n] = here
        heads[i : i + n] = held0 + kind.sku * n_locations + kind.locations
        caps[i : i + n] = np.minimum(kind.usable, kind.cap)
        costs[i : i + n] = kind.gains
        i += n
    n = sku.size  # (SKU, location) stock → location
    tails[i : i + n], heads[i : i + n] = held0 + sku * n_locations + loc, at0 + loc
    caps[i : i + n] = problem.stock[sku, loc]
    i += n
    room = np.where(problem.capacity == NO_LIMIT, total, problem.capacity)
    tails[i : i + n_locations], heads[i : i + n_locations] = at0 + np.arange(n_locations), 1
    caps[i : i + n_locations] = room
    i += n_locations
    tails[i], heads[i], caps[i] = 0, 1, total  # left unfilled
    return (tails, heads, caps, costs), starts


def _shares(
    problem: WaveProblem, kinds: list[_Kind], sent: list[IntArray]
) -> tuple[Share | None, ...]:
    taken: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for kind, units in zip(kinds, sent, strict=True):
        left = units.copy()
        deepest = np.argsort(-left, kind="stable")
        for o, row, cap in kind.members:
            cand = np.flatnonzero(_usable(problem, problem.orders[o], row))
            for j in deepest:
                if cap == 0 or left[j] == 0:
                    break
                take = min(cap, int(left[j]))
                taken[o].append((row, int(cand[j]), take))
                left[j] -= take
                cap -= take
            deepest = deepest[left[deepest] > 0]
    shares: list[Share | None] = []
    for o, order in enumerate(problem.orders):
        got = np.array(taken.get(o, []), dtype=np.int64).reshape(-1, 3)
        shares.append(None if order.problem is None else Share(got[:, 0], got[:, 1], got[:, 2]))
    return tuple(shares)


def _usable(problem: WaveProblem, order: WaveOrder, row: int) -> IntArray:
    """What the order may take of its SKU row at each candidate: its policy's stock, within
    the wave's."""
    assert order.problem is not None
    wave = problem.stock[order.skus[row], order.locations]
    usable: IntArray = np.minimum(order.problem.stock[row], wave)
    return usable


@dataclass(eq=False)
class _Kind:
    """Lines of one SKU that may take the same units at the same locations and costs."""

    sku: int
    penalty: float
    locations: IntArray  # network index of each location that may serve them
    usable: IntArray  # units of the SKU they may take there
    gains: IntArray  # scaled unit cost less the penalty, rounded down
    units: int = 0  # the lines' units, each paying the penalty unless filled
    cap: int = 0  # the most of them the lines can fill
    members: list[tuple[int, int, int]] = field(default_factory=list)  # (order, row, cap)


def _line_kinds(problem: WaveProblem) -> dict[tuple[int, float, bytes], _Kind]:
    kinds: dict[tuple[int, float, bytes], _Kind] = {}
    for o, order in enumerate(problem.orders):
        sub = order.problem
        if sub is None:
            continue
        usable = np.minimum(sub.stock, problem.stock[np.ix_(order.skus, order.locations)])
        gains = _gains(sub, usable)
        for line, qty in enumerate(sub.quantity):
            row = sub.line_sku[line]
            cand = np.flatnonzero(usable[row])
            at, here, gain = order.locations[cand], usable[row, cand], gains[cand]
            sku = int(order.skus[row])
            digest = hashlib.blake2b(digest_size=16)  # 128 bits: no two kinds will share one
            for part in (at, here, gain):
                digest.update(part.tobytes())
            key = (sku, sub.unfilled_unit_penalty, digest.digest())
            kind = kinds.get(key)
            if kind is None:
                kind = _Kind(sku, sub.unfilled_unit_penalty, at, here, gain)
                kinds[key] = kind
            cap = _line_cap(sub, qty, here)
            kind.units += qty
            kind.cap += cap
            kind.members.append((o, row, cap))
    return kinds


def _gains(sub: RoutingProblem, usable: IntArray) -> IntArray:
    """Per candidate, what a unit shipped from it costs less the penalty it avoids, scaled
    and rounded down. The unit carries its share of the Fulfillment Order's fixed cost: an
    FO at a candidate ships at most ``most`` of the order's units (every line's quantity or
    the stock there, whichever is less), so each of its units costs at least
    ``fixed / most`` of it."""
    rows = np.array(sub.line_sku, dtype=np.int64)
    quantity = np.array(sub.quantity, dtype=np.int64)
    most = np.minimum(usable[rows], quantity[:, np.newaxis]).sum(axis=0)
    share = np.where(most > 0, sub.fixed_cost / np.maximum(most, 1), 0.0)
    cost = sub.unit_cost + share - sub.unfilled_unit_penalty
    return np.floor(cost * SCALE).astype(np.int64)


def _line_cap(sub: RoutingProblem, qty: int, usable: IntArray) -> int:
    """The most units one line can fill: from one location when it may not split, else from
    its ``max_locations`` deepest."""
    if not sub.line_split:
        return min(qty, int(usable.max(initial=0)))
    deepest = np.sort(usable)[::-1][: sub.max_locations]
    return min(qty, int(deepest.sum()))
