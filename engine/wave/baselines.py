"""The order-by-order strategies peers use, in order of arrival, stock consumed as it goes:

- ``sequential``: each order gets its own optimal route (DESIGN.md's objective) over what is
  left;
- ``nearest`` (Shopify-style): the closest location first, the next when short;
- ``fewest_splits`` (Salesforce's Find Routes With Fewest Splits, then Rank Average
  Distance): the smallest set of locations that covers the order, ties by average distance.

Each respects the order's policy (its candidates, most locations, line splits, ship
complete) and the wave's capacities; an order nothing can serve is left unrouted.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Sequence

import numpy as np

from engine.costing import build_route
from engine.params import SolveParams
from engine.problem import Route, RoutingProblem
from engine.solve import solve
from engine.wave.check import shipments
from engine.wave.model import NO_LIMIT, FloatArray, IntArray, WaveOrder, WavePlan, WaveProblem

Chooser = Callable[[WaveOrder, RoutingProblem, IntArray], Route | None]
MAX_SETS = 20_000  # location sets fewest_splits reaches per size; none covers: the next size


def sequential(problem: WaveProblem, params: SolveParams | None = None) -> WavePlan:
    def best(_: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
        return best_route(sub, room, params)

    return in_arrival_order(problem, "sequential", best)


def nearest(problem: WaveProblem) -> WavePlan:
    def closest_first(order: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
        # the nearest first, whatever it costs
        return _fill(sub, np.argsort(order.distance_km, kind="stable"), room)

    return in_arrival_order(problem, "nearest", closest_first)


def fewest_splits(problem: WaveProblem) -> WavePlan:
    return in_arrival_order(problem, "fewest_splits", _fewest)


def in_arrival_order(problem: WaveProblem, name: str, choose: Chooser) -> WavePlan:
    left = problem.stock.copy()
    load = np.zeros(len(problem.location_ids), dtype=np.int64)
    served = np.zeros_like(load)
    routes: list[Route | None] = []
    for order in problem.orders:
        route = None
        if order.problem is not None:
            limit = problem.capacity[order.locations]
            room = np.where(
                limit == NO_LIMIT, np.iinfo(np.int64).max, limit - load[order.locations]
            )
            if problem.max_orders != NO_LIMIT:  # a location serving its most orders is full
                room[served[order.locations] >= problem.max_orders] = 0
            route = choose(order, order.with_stock(left), room)
        if route is not None:
            for sku, loc, units in shipments(order, route):
                left[sku, loc] -= units
                load[loc] += units
            for fo in route.plans:
                served[order.locations[fo.location]] += 1
        routes.append(route)
    return WavePlan(tuple(routes), name)


def best_route(
    sub: RoutingProblem, room: IntArray, params: SolveParams | None = None
) -> Route | None:
    """The order's optimal route within each candidate's room (units it may still take):
    a route over a location's room closes that location and solves again."""
    stock = np.minimum(sub.stock, room[np.newaxis, :])
    while True:
        result = solve(_with(sub, stock), params)
        if not result.routes:
            return None
        route = result.routes[0]
        over = [p.location for p in route.plans if sum(q for _, q in p.lines) > room[p.location]]
        if not over:
            return build_route(sub, ((p.location, j, q) for p in route.plans for j, q in p.lines))
        stock = stock.copy()
        stock[:, over] = 0


def _fill(sub: RoutingProblem, order_of: Sequence[int] | IntArray, room: IntArray) -> Route | None:
    """Lines filled from the locations in ``order_of``, each taking what it can (a line that
    may not split takes a location only if it holds all of it), within the policy."""
    shipped, need, _ = _shipments(sub, [int(c) for c in order_of], sub.stock.T.tolist(), room)
    if not shipped or (sub.ship_complete and any(need)):
        return None
    return build_route(sub, shipped)


def _shipments(
    sub: RoutingProblem, order_of: Sequence[int], column: Sequence[Sequence[int]], room: IntArray
) -> tuple[list[tuple[int, int, int]], list[int], int]:
    """What :func:`_fill` ships, ``(location, line, units)``, the units each line still needs
    and the number of locations used; ``order_of`` names a location once, ``column[c]``:
    candidate ``c``'s stock per SKU row."""
    need = list(sub.quantity)
    shipped: list[tuple[int, int, int]] = []
    used = 0
    for loc in order_of:
        if used == sub.max_locations or not any(need):
            break
        free = int(room[loc])
        left = list(column[loc])
        before = len(shipped)
        for line, wanted in enumerate(need):
            sku = sub.line_sku[line]
            take = min(wanted, left[sku], free)
            if take == 0 or (not sub.line_split and take < sub.quantity[line]):
                continue
            shipped.append((loc, line, take))
            need[line] -= take
            left[sku] -= take
            free -= take
        used += len(shipped) > before
    return shipped, need, used


def _fewest(order: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
    """The smallest covering set of locations, the nearest on average, filled nearest first;
    when no set within the policy covers the order, what the nearest locations can fill."""
    covers = _Covers(sub, room, order.distance_km)
    for size in range(1, min(sub.max_locations, covers.n) + 1):
        chosen = covers.nearest(size)
        if chosen is not None:
            return _fill(sub, covers.ranked(chosen), room)
    stocked = np.flatnonzero((room > 0) & sub.stock.any(axis=0))
    return _fill(sub, stocked[np.argsort(order.distance_km[stocked], kind="stable")], room)


class _Covers:
    """The sets of an order's candidates that cover it: filled from them nearest first
    (:func:`_fill`), every one of them ships and nothing is left unfilled.

    The sets of one size are searched best first by their sum of distances (A* over growing
    sets: a set's key is its sum plus the nearest candidates it still lacks), so the first
    covering set found has the least average distance. Only sets that may cover are grown,
    and no covering set is lost: a candidate that can ship none of the order's lines is left
    out; a set short of a SKU row's units (a candidate gives at most its room), or with a
    line none of it holds whole (when lines may not split), grows only by a candidate that
    holds that row (the one the fewest hold) or line; the last candidate must make up every
    shortfall, room in all included, at once; a set whose shortfall the best candidates per
    row cannot make up is dropped. A set that passes is confirmed by the fill itself."""

    def __init__(self, sub: RoutingProblem, room: IntArray, distance_km: FloatArray) -> None:
        self.sub, self.room, self.distance_km = sub, room, distance_km
        quantity = np.array(sub.quantity, dtype=np.int64)
        line_sku = np.array(sub.line_sku, dtype=np.int64)
        total = int(quantity.sum())
        need = np.bincount(line_sku, weights=quantity, minlength=sub.stock.shape[0])
        room_units = np.minimum(room, total)
        # units a candidate may give each SKU row, and units in all (its room), at most
        # what the order needs
        give = np.minimum(np.minimum(sub.stock, room_units), need.astype(np.int64)[:, None])
        give = np.vstack([give, room_units[np.newaxis, :]])
        if sub.line_split:
            holds = give[:-1] > 0  # (SKU rows, candidates)
        else:  # a line ships whole from one candidate
            holds = (sub.stock[line_sku] >= quantity[:, None]) & (room_units >= quantity[:, None])
        useful = holds.any(axis=0)
        self.index = np.flatnonzero(useful)  # candidates that can ship something
        self.n = len(self.index)
        self.give, self.holds = give[:, useful], holds[:, useful]
        self.need = np.append(need, total).astype(np.int64)
        # most units any m candidates give each row, m = 1, 2, ...
        self.most = np.cumsum(-np.sort(-self.give, axis=1), axis=1)
        self.km = [float(d) for d in distance_km[self.index]]
        self.near = sorted(range(self.n), key=self.km.__getitem__)
        self.column = sub.stock.T.tolist()

    def ranked(self, chosen: tuple[int, ...]) -> list[int]:
        """A set's candidates nearest first (ties in candidate order)."""
        return sorted(
            (int(self.index[c]) for c in chosen), key=lambda c: float(self.distance_km[c])
        )

    def nearest(self, size: int) -> tuple[int, ...] | None:
        """The covering set of ``size`` candidates with the least average distance (of two
        as near, the first in candidate order), ``None`` when there is none among the
        sets the search reaches (``MAX_SETS``)."""
        heap: list[tuple[float, tuple[int, ...]]] = [(self._key((), size), ())]
        seen: set[tuple[int, ...]] = set()
        found: list[tuple[int, ...]] = []
        limit = float("inf")
        while heap:
            key, chosen = heapq.heappop(heap)
            if key > limit:
                break
            if len(chosen) == size:
                if self._covers(chosen):
                    found.append(chosen)
                    limit = min(limit, key + 1e-9 * max(1.0, key))  # as near, up to rounding
                continue
            for child in self._children(chosen, size):
                if child not in seen and len(seen) < MAX_SETS:
                    seen.add(child)
                    heapq.heappush(heap, (self._key(child, size), child))
        if not found:
            return None
        return min(found, key=lambda c: (self._mean(c), c))

    def _mean(self, chosen: tuple[int, ...]) -> float:
        return float(np.mean(self.distance_km[self.index[list(chosen)]]))

    def _key(self, chosen: tuple[int, ...], size: int) -> float:
        """The set's sum of distances and the least the candidates it still needs add."""
        more = size - len(chosen)
        rest = [self.km[c] for c in self.near[: more + len(chosen)] if c not in chosen][:more]
        return sum(self.km[c] for c in chosen) + sum(rest)

    def _children(self, chosen: tuple[int, ...], size: int) -> list[tuple[int, ...]]:
        """``chosen`` and one more candidate, the only ones that can lead to a cover."""
        more = size - len(chosen)
        short = self.need - self.give[:, list(chosen)].sum(axis=1)
        if (short > self.most[:, min(more, self.n) - 1]).any():
            return []  # even the ``more`` best candidates per row fall short
        unheld = ~self.holds[:, list(chosen)].any(axis=1)
        if more == 1:  # the last: one that makes up every shortfall at once
            can = (self.give >= short[:, np.newaxis]).all(axis=0)
            if not self.sub.line_split:
                can &= self.holds[unheld].all(axis=0)
        else:  # one holding the row (or line) the fewest others hold
            needs = self.give[:-1][short[:-1] > 0] > 0
            if not self.sub.line_split:
                needs = np.vstack([needs, self.holds[unheld]])
            needs[:, list(chosen)] = False
            can = needs[np.argmin(needs.sum(axis=1))] if len(needs) else np.ones(self.n, bool)
        can[list(chosen)] = False
        return [tuple(sorted((*chosen, int(c)))) for c in np.flatnonzero(can)]

    def _covers(self, chosen: tuple[int, ...]) -> bool:
        _, need, used = _shipments(self.sub, self.ranked(chosen), self.column, self.room)
        return used == len(chosen) and not any(need)


def _with(sub: RoutingProblem, stock: IntArray) -> RoutingProblem:
    return dataclasses.replace(sub, stock=stock)
