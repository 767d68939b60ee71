"""A lower bound on a wave's cost from one min-cost flow: every order line's units flow to
the locations that may serve it (within the stock each SKU has there and each location's
capacity), at its unit cost less the unfilled penalty they avoid, or stay unfilled at no
cost. Relaxed away: Fulfillment Orders' fixed costs and the split penalty (never negative),
most locations, line splits, ship complete and the orders-per-location limit, so the flow's
optimum, plus every unit's penalty, is at most the cost of any feasible plan.

Costs are integers for the flow: scaled and rounded down, which keeps it a lower bound.
"""

from __future__ import annotations

import math

from ortools.graph.python import min_cost_flow

from engine.wave.model import NO_LIMIT, WaveProblem

SCALE = 1_000  # cost units per minor unit of the objective


def flow_bound(problem: WaveProblem) -> float | None:
    """The bound, or ``None`` if the flow solver fails (then the caller has others)."""
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    nodes: dict[tuple[str, int, int], int] = {}

    def node(kind: str, a: int, b: int = 0) -> int:
        return nodes.setdefault((kind, a, b), len(nodes) + 2)

    total_units = 0
    penalties = 0.0
    for o, order in enumerate(problem.orders):
        sub = order.problem
        if sub is None:
            continue
        for line, qty in enumerate(sub.quantity):
            total_units += qty
            penalties += sub.unfilled_unit_penalty * qty
            here = node("line", o, line)
            flow.add_arc_with_capacity_and_unit_cost(source, here, qty, 0)
            row = sub.line_sku[line]
            sku = int(order.skus[row])
            for c in range(sub.n_candidates):
                usable = min(qty, int(sub.stock[row, c]))
                loc = int(order.locations[c])
                if usable == 0 or problem.stock[sku, loc] == 0:
                    continue
                gain = float(sub.unit_cost[c]) - sub.unfilled_unit_penalty
                cost = math.floor(gain * SCALE)
                flow.add_arc_with_capacity_and_unit_cost(here, node("held", sku, loc), usable, cost)
    if total_units == 0:
        return 0.0
    for (kind, sku, loc), held in list(nodes.items()):
        if kind == "held":
            flow.add_arc_with_capacity_and_unit_cost(
                held, node("at", loc), int(problem.stock[sku, loc]), 0
            )
    for (kind, loc, _), at in list(nodes.items()):
        if kind == "at":
            room = int(problem.capacity[loc])
            flow.add_arc_with_capacity_and_unit_cost(
                at, sink, total_units if room == NO_LIMIT else room, 0
            )
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total_units, 0)  # left unfilled
    flow.set_node_supply(source, total_units)
    flow.set_node_supply(sink, -total_units)
    if flow.solve() != flow.OPTIMAL:
        return None
    return penalties + float(flow.optimal_cost()) / SCALE
