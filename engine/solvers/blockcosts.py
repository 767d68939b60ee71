"""Block costs for the DP of :mod:`engine.solvers.dp`: what each block (one location's
shipment) costs at each candidate, and the cheapest candidate of every block.

Two providers share one interface (``best``, ``rows``, ``matrix``): :class:`SplitCosts` for
``line_split`` problems, which finds every block's cheapest candidate without building the
blocks x candidates matrix (over the per-shape :class:`engine.solvers.dp.Lattice` of index
arrays, built and cached with the DP's tables), and :class:`MatrixCosts`, which builds that
matrix (:func:`block_costs`). Separate from :mod:`engine.solvers.dp` because costing blocks is
the hot spot and depends on stock and costs, while the DP itself only sees the resulting
numbers. The import goes one way: this module reads the DP's tables, the DP never imports it.
"""

from __future__ import annotations

import numpy as np

from engine.problem import FloatArray, IntArray, RoutingProblem
from engine.solvers.dp import Tables


def block_costs(problem: RoutingProblem, tab: Tables, group_rows: IntArray) -> FloatArray:
    """``B[state, candidate]``: the block's cost at the candidate (inf where it does not fit).

    One broadcast per SKU group (a handful): no matrix product, because BLAS threads make
    small products slow and erratic on a busy 2-core machine.
    """
    stock = problem.stock[group_rows][:, None, :]  # (groups, 1, candidates)
    demand = tab.demand[:, None]
    base = (problem.fixed_cost + problem.split_penalty)[None, :]
    unit = problem.unit_cost[None, :]
    if problem.line_split or problem.ship_complete:
        # Split blocks ship exactly their units; ship-complete blocks must fill all of them.
        # Compare in int16 (stock capped at the order's units): half the memory traffic.
        small = np.minimum(stock, tab.demand_cap).astype(np.int16)
        fits = tab.group_demand16[0] <= small[0]
        for g in range(1, small.shape[0]):
            fits &= tab.group_demand16[g] <= small[g]
        cost = unit * demand
        cost += base
        return np.where(fits, cost, np.inf)
    fill = np.minimum(tab.group_demand[0], stock[0])
    lines_fit = tab.group_lines[0] <= stock[0]
    for g in range(1, stock.shape[0]):
        fill += np.minimum(tab.group_demand[g], stock[g])
        lines_fit &= tab.group_lines[g] <= stock[g]
    penalty = problem.unfilled_unit_penalty
    # Fill as much as the stock allows when a unit is cheaper shipped than left unfilled.
    shipped = np.where(unit <= penalty, fill, tab.size[:, None])
    return np.where(lines_fit, base + penalty * demand + (unit - penalty) * shipped, np.inf)


class SplitCosts:
    """The cheapest candidate cost of every block of a ``line_split`` problem, without the
    blocks x candidates matrix (the DP's hot spot: states x candidates x SKUs work).

    Block ``b`` fits candidate ``l`` iff ``b <= m(l) = min(stock[:, l], caps)`` item by item,
    and costs ``base_l + unit_l * |b|`` there. So: scatter every candidate's cost of ``u``
    units into cell ``(u, m(l))`` (minimum on collisions); then ``best[b]`` is the least of
    the cells ``(|b|, m)`` over the states ``m >= b`` (one gather of a cached index and one
    ``np.minimum.reduceat``): about ten numpy calls over (states + candidates) x units
    values. The few blocks a route uses get their actual candidates from :meth:`rows`.
    """

    __slots__ = ("_capped", "_cost", "_problem", "_rows", "_state", "_tab", "best")

    def __init__(self, problem: RoutingProblem, tab: Tables, group_rows: IntArray) -> None:
        lat = tab.lattice
        capped = problem.stock.take(group_rows, axis=0)
        np.minimum(capped, lat.caps, out=capped)
        state = lat.weights @ capped  # m(l)
        cost = lat.units * problem.unit_cost  # (units, candidates)
        cost += problem.fixed_cost + problem.split_penalty
        cells = np.full(lat.offsets.shape[0] * (lat.top + 1), np.inf)
        np.minimum.at(cells, (lat.offsets + state).ravel(), cost.ravel())
        self.best: FloatArray = np.empty(lat.top + 1)
        self.best[0] = np.inf
        self.best[1:] = np.minimum.reduceat(cells.take(lat.up_cells), lat.up_starts)
        self._capped, self._state, self._cost = capped, state, cost
        self._problem, self._tab, self._rows = problem, tab, group_rows

    def rows(self, blocks: list[int]) -> FloatArray:
        """The blocks' costs at every candidate (inf where they do not fit)."""
        lat = self._tab.lattice
        if lat.inside is None:
            digits = self._tab.digits[blocks][:, :, None]
            fits = (digits <= self._capped[None, :, :]).all(axis=1)
        else:
            fits = lat.inside[blocks].take(self._state, axis=1)
        return np.where(fits, self._cost[lat.size[blocks] - 1], np.inf)

    def matrix(self) -> FloatArray:
        """The full blocks x candidates cost matrix (for the rare location DP)."""
        return block_costs(self._problem, self._tab, self._rows)


class MatrixCosts:
    """Block costs from the full matrix (``line_split`` off: a block's cost at a candidate
    depends on how much of each line it can fill, not only on whether it fits)."""

    __slots__ = ("_costs", "best")

    def __init__(self, problem: RoutingProblem, tab: Tables, group_rows: IntArray) -> None:
        self._costs = block_costs(problem, tab, group_rows)
        self.best: FloatArray = self._costs.min(axis=1)
        self.best[0] = np.inf

    def rows(self, blocks: list[int]) -> FloatArray:
        return self._costs[blocks]

    def matrix(self) -> FloatArray:
        return self._costs


BlockCosts = SplitCosts | MatrixCosts
