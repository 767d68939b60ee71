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
import itertools
from collections.abc import Callable, Sequence

import numpy as np

from engine.costing import build_route
from engine.params import SolveParams
from engine.problem import Route, RoutingProblem
from engine.solve import solve
from engine.wave.check import shipments
from engine.wave.model import NO_LIMIT, IntArray, WaveOrder, WavePlan, WaveProblem

Chooser = Callable[[WaveOrder, RoutingProblem, IntArray], Route | None]
MAX_SETS = 20_000  # location sets fewest_splits tries per size before it covers greedily


def sequential(problem: WaveProblem, params: SolveParams | None = None) -> WavePlan:
    def best(_: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
        return _optimal(sub, room, params)

    return _in_arrival_order(problem, "sequential", best)


def nearest(problem: WaveProblem) -> WavePlan:
    def closest_first(order: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
        # the nearest first, whatever it costs
        return _fill(sub, np.argsort(order.distance_km, kind="stable"), room)

    return _in_arrival_order(problem, "nearest", closest_first)


def fewest_splits(problem: WaveProblem) -> WavePlan:
    return _in_arrival_order(problem, "fewest_splits", _fewest)


def _in_arrival_order(problem: WaveProblem, name: str, choose: Chooser) -> WavePlan:
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


def _optimal(sub: RoutingProblem, room: IntArray, params: SolveParams | None) -> Route | None:
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
    need = list(sub.quantity)
    stock = sub.stock.copy()
    shipped: list[tuple[int, int, int]] = []
    used: set[int] = set()
    for loc in (int(c) for c in order_of):
        if len(used) == sub.max_locations or not any(need):
            break
        free = int(room[loc])
        for line, wanted in enumerate(need):
            sku = sub.line_sku[line]
            take = min(wanted, int(stock[sku, loc]), free)
            if take == 0 or (not sub.line_split and take < sub.quantity[line]):
                continue
            shipped.append((loc, line, take))
            need[line] -= take
            stock[sku, loc] -= take
            free -= take
            used.add(loc)
    if not shipped or (sub.ship_complete and any(need)):
        return None
    return build_route(sub, shipped)


def _fewest(order: WaveOrder, sub: RoutingProblem, room: IntArray) -> Route | None:
    """The smallest covering set of locations, the nearest on average, filled nearest first;
    when no set within the policy covers the order, what the nearest locations can fill."""
    stocked = [c for c in range(sub.n_candidates) if room[c] > 0 and sub.stock[:, c].any()]
    by_distance = sorted(stocked, key=lambda c: float(order.distance_km[c]))
    for size in range(1, min(sub.max_locations, len(stocked)) + 1):
        sets = itertools.combinations(stocked, size)
        best: tuple[float, Route] | None = None
        for chosen in itertools.islice(sets, MAX_SETS):
            ranked = sorted(chosen, key=lambda c: float(order.distance_km[c]))
            route = _fill(sub, ranked, room)
            if route is not None and not route.unfilled and len(route.plans) == size:
                mean = float(np.mean(order.distance_km[list(chosen)]))
                if best is None or mean < best[0]:
                    best = (mean, route)
        if best is not None:
            return best[1]
    return _fill(sub, by_distance, room)


def _with(sub: RoutingProblem, stock: IntArray) -> RoutingProblem:
    return dataclasses.replace(sub, stock=stock)
