"""Exact candidate pruning before a solver: drop locations no optimal route needs.

Only the units a candidate could ship matter, so stock is first capped at the order's demand
of each SKU (``cap[s, l] = min(stock[s, l], demand_s)``); ``U_l = sum_s cap[s, l]`` is the
most units ``l`` can ship, ``T = max_l U_l``.

1. A candidate with no usable stock of the order's SKUs (``U_l = 0``) never ships.
2. ``d`` *dominates* ``l`` when ``cap[:, d] >= cap[:, l]`` and ``d`` ships any ``u`` in
   ``1..T`` units at no higher cost: ``cost_d(1) <= cost_l(1)`` and ``cost_d(T) <= cost_l(T)``
   with ``cost(u) = fixed + unit * u`` (linear in ``u``, so the two ends suffice). This
   includes the rule ``fixed_d <= fixed_l and unit_d <= unit_l``. Exact ties are broken by
   index. A candidate with at least ``max_locations`` dominators is dropped: a route using
   ``l`` uses at most ``max_locations - 1`` other locations, so some dominator is free to
   ship ``l``'s very lines and units instead, at no higher cost. Dominance follows the strict
   order ``key = (cost(1), cost(T), -U, index)`` (a dominator comes first), so replacing
   dropped candidates this way ends, and it ends at kept ones: route 1 stays optimal.

Counting dominators is vectorised with bitsets: candidates sorted by ``key``; for each SKU
and stock level a packed bit row of "has at least this much"; a candidate's dominators are
the AND of its SKUs' rows, the "cheaper at T" row and the prefix before it in the order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.problem import IntArray, RoutingProblem

Words = npt.NDArray[np.uint64]


def stocked_candidates(problem: RoutingProblem) -> IntArray:
    """Columns holding usable stock of at least one of the order's SKUs, ascending."""
    rows = sorted(set(problem.line_sku))
    return np.flatnonzero(problem.stock[rows].any(axis=0))


def prune(problem: RoutingProblem) -> IntArray:
    """Columns of the candidates an optimal route 1 may need (sorted ascending)."""
    cand = stocked_candidates(problem)
    if cand.shape[0] <= problem.max_locations:
        return cand
    line_sku = np.array(problem.line_sku, dtype=np.int64)
    rows = np.unique(line_sku)
    demand = np.zeros(problem.stock.shape[0], dtype=np.int64)
    np.add.at(demand, line_sku, np.array(problem.quantity, dtype=np.int64))
    cap = np.minimum(problem.stock[rows][:, cand], demand[rows][:, None])
    keep = _undominated(
        cap, problem.fixed_cost[cand], problem.unit_cost[cand], problem.max_locations
    )
    return cand[keep]


def _undominated(
    cap: IntArray, fixed: npt.NDArray[np.float64], unit: npt.NDArray[np.float64], k: int
) -> npt.NDArray[np.bool_]:
    """Mask of the columns of ``cap`` with fewer than ``k`` dominators."""
    n = cap.shape[1]
    units = cap.sum(axis=0)
    top = float(units.max())
    first, last = fixed + unit, fixed + unit * top
    order = np.lexsort((np.arange(n), -units, last, first))
    cap, last = cap[:, order], last[order]
    words = (n + 63) // 64
    dominators = _prefix_bits(n, words)  # everything sorted before each candidate
    dominators &= _at_most_bits(last, words)  # no dearer at T units
    for row in cap:
        levels = _at_least_bits(row, words)  # levels[v]: candidates holding >= v units
        dominators &= levels[row]
    count = np.bitwise_count(dominators).sum(axis=1)
    keep = np.empty(n, dtype=np.bool_)
    keep[order] = count < k
    return keep


def _pack(mask: npt.NDArray[np.bool_], words: int) -> Words:
    """Rows of booleans (..., n) as little-endian uint64 bit rows (..., words)."""
    padded = np.zeros((*mask.shape[:-1], words * 64), dtype=np.bool_)
    padded[..., : mask.shape[-1]] = mask
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return packed.view(np.uint64)


def _prefix_bits(n: int, words: int) -> Words:
    """Row ``p``: the bits of positions ``0..p-1``."""
    pos = np.arange(n)
    word_idx = np.arange(words)[None, :]
    full = word_idx < (pos // 64)[:, None]
    out = np.where(full, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))
    part = (np.uint64(1) << (pos % 64).astype(np.uint64)) - np.uint64(1)
    out[pos, pos // 64] = part
    return out


def _at_most_bits(values: npt.NDArray[np.float64], words: int) -> Words:
    """Row ``p``: the bits of positions ``q`` with ``values[q] <= values[p]``."""
    n = values.shape[0]
    rank = np.argsort(values, kind="stable")
    onehot = np.zeros((n, words), dtype=np.uint64)
    onehot[np.arange(n), rank // 64] = np.uint64(1) << (rank % 64).astype(np.uint64)
    cumulative = np.bitwise_or.accumulate(onehot, axis=0)  # row i: the i+1 smallest
    # Ties: every member of a group of equal values sees the whole group.
    sorted_vals = values[rank]
    rows = np.empty(n, dtype=np.int64)
    rows[rank] = np.searchsorted(sorted_vals, sorted_vals, side="right") - 1
    return cumulative[rows]


def _at_least_bits(row: IntArray, words: int) -> Words:
    """``levels[v]``: bits of the positions holding ``>= v`` units (level 0: everything)."""
    levels = np.arange(int(row.max()) + 1)
    return _pack(row[None, :] >= levels[:, None], words)
