"""The branch and bound of :mod:`engine.solvers.setsearch`: the search state (the ``k`` best
location sets so far), the marginal values of locations, and the bounds that cut nodes.

Separate from :mod:`engine.solvers.setsearch`, which sets the search up, proves its outcome
and turns the sets it found into routes: this module is only the search loop and the bounds it
needs.

In :mod:`engine.solvers.setsearch`'s terms, ``W_s`` is a weighted matroid rank function of
the units ``S`` offers, hence submodular: a location's marginal value
``delta_b(A) = F_b - sum_s (W_s(A + b) - W_s(A))`` only grows as ``A`` grows. So for any
``B`` added to ``A``, ``cost(A + B) >= cost(A) + sum_{b in B} delta_b(A)``: summing the most
negative marginals of the locations still allowed bounds every completion of ``A``.

The search enumerates each set once (positions increasing in the order of single-location
value), keeps the ``k`` best sets, and cuts every node whose bound cannot beat the k-th.
This bound is far stronger than an LP's here, because the LP may spread ``max_locations``
over many fractional locations.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from engine.problem import FloatArray, IntArray


@dataclass
class Search:
    cap: IntArray  # (skus, n): stock capped at demand, columns in search order
    weight: FloatArray  # (n,): saving per unit shipped
    fo: FloatArray  # (n,): fixed + split penalty
    demand: IntArray  # (skus,)
    k_routes: int
    max_sets: int
    deadline: float
    third: FloatArray  # (open units, position): see third_table
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
        the least marginal of any one location after ``p`` (see :func:`third_table`)."""
        nxt = np.arange(start + 1, start + 1 + unfilled.shape[0])
        out: FloatArray = self.third[np.minimum(unfilled, self.third.shape[0] - 1), nxt]
        return out


def third_table(cap: IntArray, weight: FloatArray, fo: FloatArray, order: IntArray) -> FloatArray:
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
