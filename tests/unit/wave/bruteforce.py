"""The exact optimum of a tiny wave by exhaustive search, for the optimizer's tests.

Every route of every order is enumerated from its routing problem's data (units per line
over the candidates, within the policy's most locations, line splits and ship complete),
costed by DESIGN.md's objective, and the wave is searched order by order over what stock and
capacity are left (memoized on them). It shares nothing with the strategies under test.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from functools import cache

from engine.costing import build_route
from engine.problem import Route, RoutingProblem
from engine.wave.check import shipments
from engine.wave.model import NO_LIMIT, WaveOrder, WaveProblem


def line_fills(problem: RoutingProblem, line: int) -> Iterator[tuple[int, ...]]:
    """Every way to spread some of a line's units over the candidates."""
    qty, n = problem.quantity[line], problem.n_candidates
    for fill in itertools.product(range(qty + 1), repeat=n):
        if sum(fill) > qty:
            continue
        if not problem.line_split and sum(1 for f in fill if f) > 1:
            continue
        if problem.ship_complete and sum(fill) < qty:
            continue
        yield fill


def order_routes(order: WaveOrder) -> list[Route]:
    problem = order.problem
    if problem is None:
        return []
    routes = []
    per_line = [list(line_fills(problem, line)) for line in range(problem.n_lines)]
    for fills in itertools.product(*per_line):
        triples = [(c, j, f[c]) for j, f in enumerate(fills) for c in range(len(f)) if f[c]]
        used = {c for c, _, _ in triples}
        if not triples or len(used) > problem.max_locations:
            continue
        routes.append(build_route(problem, triples))
    return routes


def best_cost(wave: WaveProblem) -> float:
    """The least total cost of any feasible plan of ``wave``."""
    return _least(wave, lambda route: route.cost, lambda order: order.unrouted_cost(), 0)


def fewest_extra_shipments(wave: WaveProblem, filled: int) -> float:
    """The fewest extra shipments (FOs beyond each routed order's first) of any feasible plan
    of ``wave`` that fills at least ``filled`` units (``inf`` when none does)."""
    return _least(wave, lambda route: float(len(route.plans) - 1), lambda _: 0.0, filled)


def _least(
    wave: WaveProblem,
    value: Callable[[Route], float],
    unrouted: Callable[[WaveOrder], float],
    filled: int,
) -> float:
    """The least summed ``value`` of a feasible plan filling at least ``filled`` units."""
    options = []
    for order in wave.orders:
        taken = []
        for route in order_routes(order):
            need: dict[tuple[int, int], int] = {}
            for sku, loc, units in shipments(order, route):
                need[sku, loc] = need.get((sku, loc), 0) + units
            where = tuple(sorted({int(order.locations[p.location]) for p in route.plans}))
            units = sum(need.values())
            taken.append((value(route), tuple(need.items()), where, units))
        options.append((unrouted(order), taken))
    n_locations = wave.stock.shape[1]

    most = wave.max_orders

    @cache
    def search(
        i: int, stock: tuple[int, ...], room: tuple[int, ...], served: tuple[int, ...], short: int
    ) -> float:
        if i == len(options):
            return 0.0 if short <= 0 else math.inf
        unrouted, taken = options[i]
        best = unrouted + search(i + 1, stock, room, served, short)
        for cost, need, where, units in taken:
            left, space, count = list(stock), list(room), list(served)
            fits = True
            for loc in where:
                count[loc] += 1
                fits = fits and (most == NO_LIMIT or count[loc] <= most)
            for (sku, loc), units_there in need:
                left[sku * n_locations + loc] -= units_there
                if space[loc] != NO_LIMIT:
                    space[loc] -= units_there
                if left[sku * n_locations + loc] < 0 or (room[loc] != NO_LIMIT and space[loc] < 0):
                    fits = False
            if fits and cost < best:
                rest = search(i + 1, tuple(left), tuple(space), tuple(count), max(0, short - units))
                best = min(best, cost + rest)
        return best

    return search(
        0,
        tuple(int(v) for v in wave.stock.flat),
        tuple(int(c) for c in wave.capacity),
        (0,) * n_locations,
        filled,
    )
