"""The fast exact path: a set-partition DP over "blocks" (what one location ships).

Items and blocks:
    * ``line_split`` on: lines of one SKU are interchangeable, so the items are the order's
      SKUs with multiplicity (their demand). A block is a count vector ``b`` (units per SKU);
      it fits a candidate when ``b <= stock``, and costs ``fixed + split_penalty + unit * |b|``.
    * ``line_split`` off: the items are the lines; a block is a set of lines, each filled from
      that one candidate with as many units as pay off (all the stock allows when the unit cost
      is at most the unfilled penalty, else one unit a line), sharing the SKU's stock.
States are mixed-radix vectors (units of each item already placed). For each block we take its
cheapest candidate (:mod:`engine.solvers.blockcosts`, which reads the shape tables built here;
this module imports no other solver), then ``g[k][c]`` is the cheapest way to place exactly
``c`` with ``k`` blocks. That is a relaxation (two blocks may pick the same
candidate); when its optimum uses distinct candidates it is exact. Otherwise a
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

from engine.problem import FloatArray, IntArray

Block = tuple[int, int]  # (block = state index, candidate index)


@dataclass(frozen=True, eq=False)
class Tables:
    """Everything about a problem's shape that does not depend on stock or costs (cached)."""

    digits: IntArray  # (states, items): units of each item in the state
    rows: tuple[tuple[int, ...], ...]  # the same as Python ints (route building reads these)
    parts: tuple[tuple[tuple[int, int], ...], ...]  # per state: its (item, units > 0) pairs
    demand: FloatArray  # (states,): units the state asks for (its lines' quantities, no-split)
    size: FloatArray  # (states,): items (lines) in the state
    pair_rest: IntArray  # for every (state c, block b <= c, b > 0), sorted by c: c - b
    pair_block: IntArray
    pair_state: IntArray
    starts: IntArray  # first pair of each state 1..S-1 (for np.minimum.reduceat)
    group_demand: IntArray  # (groups, states, 1): units of each SKU group the state asks for
    group_lines: IntArray  # (groups, states, 1): lines of each SKU group in the state
    pairs_of: tuple[tuple[IntArray, IntArray], ...]  # per state: its (c - b, b) pairs
    group_demand16: npt.NDArray[np.int16]  # group_demand as int16 (values <= demand_cap)
    demand_cap: int  # the most units any state asks for
    half_rest: IntArray  # the pairs with block >= rest (enough for two blocks: symmetric)
    half_block: IntArray
    half_starts: IntArray
    lattice: Lattice


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
    pair_rest = rest_all[pair_state, pair_block]
    rows = tuple(tuple(row) for row in digits.tolist())
    half = pair_block >= pair_rest  # every state keeps (c, c): rest 0
    n_groups = max(groups) + 1
    units = digits * np.array(qty, dtype=np.int64)[None, :]
    group_of = np.zeros((len(groups), n_groups), dtype=np.int64)
    group_of[np.arange(len(groups)), groups] = 1
    demand_g, lines_g = units @ group_of, digits @ group_of
    return Tables(
        digits=digits,
        rows=rows,
        parts=tuple(tuple((i, d) for i, d in enumerate(row) if d) for row in rows),
        demand=units.sum(axis=1).astype(np.float64),
        size=digits.sum(axis=1).astype(np.float64),
        pair_rest=pair_rest,
        pair_block=pair_block,
        pair_state=pair_state,
        starts=starts,
        group_demand=np.ascontiguousarray(demand_g.T[:, :, None]),
        group_lines=np.ascontiguousarray(lines_g.T[:, :, None]),
        pairs_of=_pairs_of(pair_rest, pair_block, starts),
        group_demand16=np.ascontiguousarray(demand_g.T[:, :, None]).astype(np.int16),
        demand_cap=int(units.sum(axis=1).max()),
        half_rest=pair_rest[half],
        half_block=pair_block[half],
        half_starts=np.searchsorted(pair_state[half], np.arange(1, n_states)),
        lattice=lattice(caps, digits, fits),
    )


_INSIDE_STATES = 256  # keep the states x states table up to 64 KB per cached shape


@dataclass(frozen=True, eq=False)
class Lattice:
    """Per shape: the index arrays of :class:`engine.solvers.blockcosts.SplitCosts` (cells are
    ``units x states``). Built with the tables and cached with them, so that the block costs
    (which import this module) never build shape data of their own."""

    caps: IntArray  # (items, 1): the highest digit of each item
    weights: IntArray  # (items,): a state's index is ``weights @ digits``
    top: int  # the index of the full state
    offsets: IntArray  # (units, 1): the first cell of each unit count, (u - 1) * states
    units: FloatArray  # (units, 1): 1 .. units
    up_cells: IntArray  # per block b >= 1 (sorted by b), per state m >= b: cell (|b|, m)
    up_starts: IntArray  # first entry of each block in up_cells (for np.minimum.reduceat)
    inside: npt.NDArray[np.bool_] | None  # [b, m] when b <= m (b >= 1); None for big shapes
    size: IntArray  # (states,): units in the state


def lattice(caps: tuple[int, ...], digits: IntArray, within: npt.NDArray[np.bool_]) -> Lattice:
    """``within[c, b]``: state ``b`` fits inside state ``c`` (``b >= 1``)."""
    radix = np.array(caps, dtype=np.int64) + 1
    n_states = digits.shape[0]
    size = digits.sum(axis=1)
    n_units = max(int(size.max()), 1)
    block, state = np.nonzero(within.T)  # sorted by block; block 0 has no entry
    return Lattice(
        caps=(radix - 1)[:, None],
        weights=np.concatenate([[1], np.cumprod(radix)[:-1]]).astype(np.int64),
        top=n_states - 1,
        offsets=(np.arange(n_units, dtype=np.int64) * n_states)[:, None],
        units=np.arange(1, n_units + 1, dtype=np.float64)[:, None],
        up_cells=(size[block] - 1) * n_states + state,
        up_starts=np.searchsorted(block, np.arange(1, n_states)),
        inside=np.ascontiguousarray(within.T) if n_states <= _INSIDE_STATES else None,
        size=size,
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


def relaxed_dp(tab: Tables, best: FloatArray, k_max: int) -> FloatArray:
    """``g[k, c]``: least cost of placing exactly state ``c`` with ``k`` blocks (relaxed).
    ``best[0]`` must be inf (the empty block is not a block)."""
    g = np.full((k_max + 1, tab.digits.shape[0]), np.inf)
    g[0, 0] = 0.0
    g[1, 1:] = best[1:]  # one block: the state itself
    if k_max >= 2:  # two blocks: each unordered pair once
        vals = best.take(tab.half_rest)
        vals += best.take(tab.half_block)
        g[2, 1:] = np.minimum.reduceat(vals, tab.half_starts)
    if k_max >= 3:
        block_cost = best.take(tab.pair_block)
        for k in range(3, k_max + 1):
            vals = g[k - 1].take(tab.pair_rest)
            vals += block_cost
            g[k, 1:] = np.minimum.reduceat(vals, tab.starts)
    return g


def trace(tab: Tables, g: FloatArray, best: FloatArray, k: int, state: int) -> list[int]:
    """The blocks behind ``g[k, state]`` (finite, ``k >= 1``)."""
    blocks: list[int] = []
    while k > 1:
        rest, block_of = tab.pairs_of[state]
        i = int((g[k - 1].take(rest) + best.take(block_of)).argmin())
        blocks.append(int(block_of[i]))
        state, k = int(rest[i]), k - 1
    blocks.append(state)
    return blocks


def completion_bound(tab: Tables, g: FloatArray, final: FloatArray) -> FloatArray:
    """Per block ``b``: a lower bound on what the rest of any route that uses ``b`` costs
    (other blocks, relaxed, plus the end term): ``min g[k, c - b] + final[k + 1, c]``."""
    fewer = g[:-1].min(axis=0)  # at most k_max - 1 other blocks
    vals = fewer.take(tab.pair_rest)
    vals += final[1].take(tab.pair_state)  # the end term is the same for every k >= 1
    bound = np.full(g.shape[1], np.inf)
    np.minimum.at(bound, tab.pair_block, vals)
    return bound


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
    # per candidate, only the pairs whose block fits it (usually a small share) are relaxed
    pair_cost = np.ascontiguousarray(costs[tab.pair_block].T)  # (candidates, pairs)
    levels = (np.arange(1, k_max + 1) * n_states)[:, None]  # flat start of rows 1..k_max
    for col in range(costs.shape[1]):
        live = np.flatnonzero(pair_cost[col] < np.inf)
        nxt = g.copy()
        if live.shape[0]:
            vals = g[:-1].take(tab.pair_rest[live], axis=1) + pair_cost[col, live]
            cells = levels + tab.pair_state[live]
            np.minimum.at(nxt.reshape(-1), cells.ravel(), vals.ravel())
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


def _pair_range(tab: Tables, state: int) -> tuple[int, int]:
    lo = int(tab.starts[state - 1])
    hi = int(tab.starts[state]) if state < len(tab.starts) else len(tab.pair_block)
    return lo, hi
