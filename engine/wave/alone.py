"""Orders routed each on its own, in batches through an executor: the work of a wave that
needs no other order's answer (each order's optimum with the whole stock to itself, for the
bound; each order within its share of the flow, for the flow's plan). On a cluster this is
what spreads over the workers; the batches keep the pickling per order small.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

from engine.problem import Route, RoutingProblem
from engine.wave.baselines import best_route
from engine.wave.model import WaveProblem
from engine.wave.search import Executor, InlineExecutor

BATCH = 250  # orders per piece of work
BATCHES_AT_ONCE = 32  # pieces handed to the executor at a time
BIG = np.iinfo(np.int64).max


def route_batch(problems: Sequence[RoutingProblem]) -> list[Route | None]:
    """Each problem's optimal route, no location's capacity to respect (a module's function:
    an executor pickles it)."""
    return [best_route(p, np.full(p.n_candidates, BIG, dtype=np.int64)) for p in problems]


def route_each(
    problems: Iterable[RoutingProblem | None], executor: Executor | None = None
) -> list[Route | None]:
    """Every problem's optimal route (``None`` for none), batch by batch through ``executor``;
    ``problems`` are made as they are sent, a few batches at a time (a 100,000-order wave's
    would not all fit in memory at once)."""
    executor = executor or InlineExecutor()
    problems = iter(problems)
    routes: list[Route | None] = []
    while chunk := list(itertools.islice(problems, BATCH * BATCHES_AT_ONCE)):
        routed = [i for i, p in enumerate(chunk) if p is not None]
        present: list[RoutingProblem] = [p for p in chunk if p is not None]
        batches = [present[k : k + BATCH] for k in range(0, len(present), BATCH)]
        answers = executor.map(route_batch, batches)
        part: list[Route | None] = [None] * len(chunk)
        for i, route in zip(routed, (r for batch in answers for r in batch), strict=True):
            part[i] = route
        routes.extend(part)
    return routes


def alone_costs(problem: WaveProblem, executor: Executor | None = None) -> list[float]:
    """Each order's least cost with the whole stock to itself (a lower bound, summed)."""
    problems = (None if o.problem is None else o.with_stock(problem.stock) for o in problem.orders)
    costs = []
    for order, route in zip(problem.orders, route_each(problems, executor), strict=True):
        costs.append(
            order.unrouted_cost() if route is None else min(order.unrouted_cost(), route.cost)
        )
    return costs
