"""The fast exact path: a set-partition DP over "blocks" (what one location ships).

Items and blocks:
    * ``line_split`` on: lines of one SKU are interchangeable, so the items are the order's
      SKUs with multiplicity (their demand). A block is a count vector ``b`` (units per SKU);
      it fits a candidate when ``b <= stock``, and costs ``fixed + split_penalty + unit * |b|``.
    * ``line_split`` off: the items are the lines; a block is a set of lines, each filled from
      that one candidate with as many units as pay off (all the stock allows when the unit cost
      is at most the unfilled penalty, else one unit a line), sharing the SKU's stock.
States are mixed-radix vectors (units of each item already placed). For each block we take its
cheapest candidate (one numpy pass over a blocks x candidates cost matrix), then ``g[k][c]`` is
the cheapest way to place exactly ``c`` with ``k`` blocks. That is a relaxation (two blocks may
pick the same candidate); when its optimum uses distinct candidates it is exact. Otherwise a
location-indexed DP over the few best candidates of every block settles it exactly: with
``K = max_locations``, some optimal route only uses each block's ``K`` best candidates (swap
any other for one of those not used by the other ``K - 1`` blocks).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from engine.problem import FloatArray, IntArray, RoutingProblem

Block = tuple[int, int]  # (block = state index, candidate index)


@dataclass(frozen=True, eq=False)
class Tables:
    """Everything about a problem's shape that does not depend on stock or costs (cached)."""

    digits: IntArray  # (states, items): units of each item in the state
    rows: tuple[tuple[int, ...], ...]  # the same as Python ints (route building reads these)
    demand: FloatArray  # (states,): units the state asks for (its lines' quantities, no-split)
    size: FloatArray  # (states,): items (lines) in the state
    pair_rest: IntArray  # for every (state c, block b <= c, b > 0), sorted by c: c - b
    pair_block: IntArray
    starts: IntArray  # first pair of each state 1..S-1 (for np.minimum.reduceat)
    group_demand: IntArray  # (groups, states, 1): units of each SKU group the state asks for
    group_lines: IntArray  # (groups, states, 1): lines of each SKU group in the state
    pairs_of: tuple[tuple[IntArray, IntArray], ...]  # per state: its (c - b, b) pairs
    group_demand16: npt.NDArray[np.int16]  # group_demand as int16 (values <= demand_cap)
    demand_cap: int  # the most units any state asks for


@lru_cache(maxsize=512)
def tables(groups: tuple[int, ...], caps: tuple[int, ...], qty: tuple[int, ...]) -> Tables:
    """Tables for items ``i`` with multiplicity ``caps[i]`` and ``qty[i]`` units per copy, whose
    SKU group is ``groups[i]`` (split mode: one item per group, qty 1; no-split: one per line)."""
    radix = np.array(caps, dtype=np.int64) + 1
    n_states = int(np.prod(radix))
    weights = np.concatenate([[1], np.cumprod(radix)[:-1]]).astype(np.int64)
    digits = (np.arange(n_states)[:, None] // weights[None, :]) % radix[None, :]
    rest_all = np.arange(n_states)[:, None] - np.arange(n_states)[None, :]
    fits = np.all(digits[None, :, :] <= digits[:, None, :], axis=2)
    fits[:, 0] = False
    pair_state, pair_block = np.nonzero(fits)  # row-major, so sorted by state
    starts = np.searchsorted(pair_state, np.arange(1, n_states))
    n_groups = max(groups) + 1
    units = digits * np.array(qty, dtype=np.int64)[None, :]
    group_of = np.zeros((len(groups), n_groups), dtype=np.int64)
    group_of[np.arange(len(groups)), groups] = 1
    demand_g, lines_g = units @ group_of, digits @ group_of
    return Tables(
        digits=digits,
        rows=tuple(tuple(int(d) for d in row) for row in digits.tolist()),
        demand=units.sum(axis=1).astype(np.float64),
        size=digits.sum(axis=1).astype(np.float64),
        pair_rest=rest_all[pair_state, pair_block],
        pair_block=pair_block,
        starts=starts,
        group_demand=np.ascontiguousarray(demand_g.T[:, :, None]),
        group_lines=np.ascontiguousarray(lines_g.T[:, :, None]),
        pairs_of=_pairs_of(rest_all[pair_state, pair_block], pair_block, starts),
        group_demand16=np.ascontiguousarray(demand_g.T[:, :, None]).astype(np.int16),
        demand_cap=int(units.sum(axis=1).max()),
    )


def _pairs_of(
    rest: IntArray, block: IntArray, starts: IntArray
) -> tuple[tuple[IntArray, IntArray], ...]:
    """Per state (0 has none), the slices of its pairs: traces read these, not the ranges."""
    bounds = [0, *starts.tolist(), len(block)]  # state c's pairs: bounds[c]..bounds[c + 1]
    empty = np.zeros(0, dtype=np.int64)
    spans = itertools.pairwise(bounds[1:])
    return ((empty, empty), *((rest[lo:hi], block[lo:hi]) for lo, hi in spans))


def pair_count(caps: tuple[int, ...]) -> int:
    """How many (state, block) pairs the DP over these item multiplicities enumerates."""
    return int(np.prod([(c + 1) * (c + 2) // 2 for c in caps]))


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


def relaxed_dp(tab: Tables, best: FloatArray, k_max: int) -> FloatArray:
    """``g[k, c]``: least cost of placing exactly state ``c`` with ``k`` blocks (relaxed)."""
    g = np.full((k_max + 1, tab.digits.shape[0]), np.inf)
    g[0, 0] = 0.0
    for k in range(1, k_max + 1):
        vals = g[k - 1, tab.pair_rest] + best[tab.pair_block]
        g[k, 1:] = np.minimum.reduceat(vals, tab.starts)
    return g


def trace_relaxed(
    tab: Tables, g: FloatArray, best: FloatArray, arg: IntArray, k: int, state: int
) -> list[Block]:
    """The blocks (with their cheapest candidates) behind ``g[k, state]``."""
    blocks: list[Block] = []
    while k > 0:
        rest, block_of = tab.pairs_of[state]
        i = int((g[k - 1, rest] + best[block_of]).argmin())
        block = int(block_of[i])
        blocks.append((block, int(arg[block])))
        state, k = int(rest[i]), k - 1
    return blocks


def location_dp(
    tab: Tables, costs: FloatArray, k_max: int, final: FloatArray
) -> tuple[float, list[Block]]:
    """Exact optimum over candidates used at most once each (the columns of ``costs``).

    ``final[k, c]`` is what ending in ``(k, c)`` adds (unfilled penalty, -split_penalty, or
    inf when not allowed). Returns ``(cost, blocks)`` with candidate = column index.
    """
    n_states = tab.digits.shape[0]
    g = np.full((k_max + 1, n_states), np.inf)
    g[0, 0] = 0.0
    history = [g]
    for col in range(costs.shape[1]):
        vals = g[:-1, tab.pair_rest] + costs[tab.pair_block, col][None, :]
        nxt = g.copy()
        nxt[1:, 1:] = np.minimum(g[1:, 1:], np.minimum.reduceat(vals, tab.starts, axis=1))
        history.append(nxt)
        g = nxt
    total = g + final
    k_np, state_np = np.unravel_index(int(np.argmin(total)), total.shape)
    k, state = int(k_np), int(state_np)
    value = float(total[k, state])
    blocks: list[Block] = []
    for col in range(costs.shape[1], 0, -1):
        if k == 0 or history[col - 1][k, state] == history[col][k, state]:
            continue
        lo, hi = _pair_range(tab, state)
        prev = history[col - 1][k - 1, tab.pair_rest[lo:hi]]
        i = lo + int(np.argmin(prev + costs[tab.pair_block[lo:hi], col - 1]))
        blocks.append((int(tab.pair_block[i]), col - 1))
        state, k = int(tab.pair_rest[i]), k - 1
    return value, blocks


def top_candidates(costs: FloatArray, rows: list[int], count: int) -> list[list[tuple[int, float]]]:
    """For each row (block), its ``count`` cheapest finite ``(candidate, cost)`` pairs,
    cheapest first (ties by candidate). One argpartition for all rows."""
    sub = costs[rows]
    n = sub.shape[1]
    if n > count:
        idx = np.argpartition(sub, count - 1, axis=1)[:, :count]
        vals = np.take_along_axis(sub, idx, axis=1)
    else:
        idx, vals = np.broadcast_to(np.arange(n), sub.shape), sub
    out: list[list[tuple[int, float]]] = []
    for cands, row_costs in zip(idx.tolist(), vals.tolist(), strict=True):
        ranked = sorted((v, c) for c, v in zip(cands, row_costs, strict=True) if v < np.inf)
        out.append([(c, v) for v, c in ranked])
    return out


def _pair_range(tab: Tables, state: int) -> tuple[int, int]:
    lo = int(tab.starts[state - 1])
    hi = int(tab.starts[state]) if state < len(tab.starts) else len(tab.pair_block)
    return lo, hi
