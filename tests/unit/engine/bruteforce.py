"""Exhaustive reference for small routing problems: every integer assignment x[line, candidate].

Per line, every vector of quantities over the candidates is listed (respecting the line's
quantity, its SKU's stock, line_split and ship_complete); their Cartesian product is then
filtered by shared stock, max_locations and "ships at least one unit", and costed with
DESIGN.md's formula. Numpy keeps this fast enough for thousands of tiny instances.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from engine.problem import RoutingProblem

Costs = npt.NDArray[np.float64]


def line_options(problem: RoutingProblem, line: int) -> npt.NDArray[np.int64]:
    """All (n_candidates,) quantity vectors the line may take on its own."""
    qty, sku = problem.quantity[line], problem.line_sku[line]
    bounds = [min(qty, int(problem.stock[sku, c])) for c in range(problem.n_candidates)]
    out = []
    for vec in itertools.product(*(range(b + 1) for b in bounds)):
        filled = sum(vec)
        if filled > qty or (problem.ship_complete and filled != qty):
            continue
        if not problem.line_split and sum(v > 0 for v in vec) > 1:
            continue
        out.append(vec)
    return np.array(out, dtype=np.int64).reshape(len(out), problem.n_candidates)


def combination_count(problem: RoutingProblem) -> int:
    return int(np.prod([len(line_options(problem, j)) for j in range(problem.n_lines)]))


def all_route_costs(problem: RoutingProblem) -> Costs:
    """Costs of every feasible route (distinct assignments), ascending; empty if unroutable."""
    if problem.n_candidates == 0:
        return np.zeros(0)
    options = [line_options(problem, j) for j in range(problem.n_lines)]
    grids = np.meshgrid(*(np.arange(len(o)) for o in options), indexing="ij")
    x = np.stack([opt[g.ravel()] for opt, g in zip(options, grids, strict=True)], axis=1)
    ok = np.ones(x.shape[0], dtype=bool)
    for sku in set(problem.line_sku):
        lines = [j for j, s in enumerate(problem.line_sku) if s == sku]
        ok &= np.all(x[:, lines, :].sum(axis=1) <= problem.stock[sku][None, :], axis=1)
    per_cand = x.sum(axis=1)
    used = per_cand > 0
    n_used = used.sum(axis=1)
    ok &= (n_used <= problem.max_locations) & (n_used >= 1)
    cost = (
        (used * problem.fixed_cost[None, :]).sum(axis=1)
        + (per_cand * problem.unit_cost[None, :]).sum(axis=1)
        + problem.split_penalty * np.maximum(0, n_used - 1)
        + problem.unfilled_unit_penalty * (sum(problem.quantity) - per_cand.sum(axis=1))
    )
    return np.sort(cost[ok])
