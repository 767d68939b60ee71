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

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.problem import RoutingProblem
from engine.wave.model import NO_LIMIT, IntArray, WaveProblem

IntLike = IntArray | list[int]

SCALE = 1_000  # cost units per minor unit of the objective


@dataclass(frozen=True, eq=False)
class FlowAnswer:
    """``bound``: the lower bound. ``shares``: the flow as a plan, per order the units of
    each of its SKU rows it sends the order from each candidate (``None`` for an order with
    no problem); a kind's flow goes to its lines in order of arrival, each taking from the
    locations that send the kind the most first, so its units come from few places."""

    bound: float
    shares: tuple[IntArray | None, ...]


def flow_bound(problem: WaveProblem) -> float | None:
    """The bound, or ``None`` if the flow solver fails (then the caller has others)."""
    answer = solve_flow(problem)
    return None if answer is None else answer.bound


def solve_flow(problem: WaveProblem) -> FlowAnswer | None:
    """Nodes: source 0, sink 1, then one per (SKU, location) stock, one per location, and one
    per *kind* of line: lines of the same SKU with the same usable stock and unit costs at
    the same locations are one node holding all their units (the same flow, exactly: any
    flow out of it splits back into its lines), so a 100,000-order wave stays small."""
    n_skus, n_locations = problem.stock.shape
    held0 = 2
    at0 = held0 + n_skus * n_locations
    kinds = list(_line_kinds(problem).values())
    penalties = sum(kind.penalty * kind.units for kind in kinds)
    total = sum(kind.cap for kind in kinds)
    if total == 0:
        return FlowAnswer(penalties, _no_shares(problem))
    arcs = _Arcs()
    served: list[range] = []  # per kind, its arcs to the stock
    for k, kind in enumerate(kinds):
        here = at0 + n_locations + k
        arcs.add([0], [here], [kind.cap], [0])
        held = held0 + kind.sku * n_locations + kind.locations
        caps = np.minimum(kind.usable, kind.cap)
        served.append(arcs.add(np.full(held.size, here), held, caps, kind.gains))
    sku, loc = np.nonzero(problem.stock)
    arcs.add(held0 + sku * n_locations + loc, at0 + loc, problem.stock[sku, loc], loc * 0)
    room = np.where(problem.capacity == NO_LIMIT, total, problem.capacity)
    arcs.add(at0 + np.arange(n_locations), np.ones(n_locations, np.int64), room, room * 0)
    arcs.add([0], [1], [total], [0])  # left unfilled
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*arcs.arrays())
    flow.set_node_supply(0, total)
    flow.set_node_supply(1, -total)
    if flow.solve() != flow.OPTIMAL:
        return None
    bound = penalties + float(flow.optimal_cost()) / SCALE
    everything = np.arange(arcs.count, dtype=np.int64)
    sent = np.asarray(flow.flows(everything), dtype=np.int64)
    return FlowAnswer(bound, _shares(problem, kinds, [sent[list(r)] for r in served]))


def _no_shares(problem: WaveProblem) -> tuple[IntArray | None, ...]:
    return tuple(
        None if o.problem is None else np.zeros_like(o.problem.stock) for o in problem.orders
    )


def _shares(
    problem: WaveProblem, kinds: list[_Kind], sent: list[IntArray]
) -> tuple[IntArray | None, ...]:
    shares = _no_shares(problem)
    for kind, units in zip(kinds, sent, strict=True):
        left = units.copy()
        deepest = np.argsort(-left, kind="stable")
        for o, row, cap, cand in kind.members:
            share = shares[o]
            assert share is not None
            for j in deepest:
                if cap == 0 or left[j] == 0:
                    break
                take = min(cap, int(left[j]))
                share[row, cand[j]] += take
                left[j] -= take
                cap -= take
            deepest = deepest[left[deepest] > 0]
    return shares


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
    # per line, in order of arrival: (order, SKU row, cap, the order's candidate columns)
    members: list[tuple[int, int, int, IntArray]] = field(default_factory=list)


def _line_kinds(problem: WaveProblem) -> dict[bytes, _Kind]:
    kinds: dict[bytes, _Kind] = {}
    for o, order in enumerate(problem.orders):
        sub = order.problem
        if sub is None:
            continue
        usable = np.minimum(sub.stock, problem.stock[np.ix_(order.skus, order.locations)])
        gains = _gains(sub, usable)
        for line, qty in enumerate(sub.quantity):
            row = sub.line_sku[line]
            cand = np.flatnonzero(usable[row])
            here = usable[row, cand]
            sku = int(order.skus[row])
            key = b"".join(
                (
                    np.array([sku, sub.unfilled_unit_penalty]).tobytes(),
                    order.locations[cand].tobytes(),
                    here.tobytes(),
                    gains[cand].tobytes(),
                )
            )
            kind = kinds.get(key)
            if kind is None:
                kind = _Kind(
                    sku, sub.unfilled_unit_penalty, order.locations[cand], here, gains[cand]
                )
                kinds[key] = kind
            cap = _line_cap(sub, qty, here)
            kind.units += qty
            kind.cap += cap
            kind.members.append((o, row, cap, cand))
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


class _Arcs:
    """Arcs gathered in chunks, handed to the solver at once."""

    def __init__(self) -> None:
        self.chunks: list[tuple[IntLike, IntLike, IntLike, IntLike]] = []
        self.count = 0

    def add(self, tails: IntLike, heads: IntLike, caps: IntLike, costs: IntLike) -> range:
        """The new arcs' indices."""
        self.chunks.append((tails, heads, caps, costs))
        first, self.count = self.count, self.count + len(tails)
        return range(first, self.count)

    def arrays(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        tails, heads, caps, costs = (
            np.concatenate([np.asarray(chunk[k], dtype=np.int64) for chunk in self.chunks])
            for k in range(4)
        )
        return tails, heads, caps, costs
