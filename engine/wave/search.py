"""Improving a wave plan by neighbourhood search: a few orders at a time are routed again
jointly and exactly (the MIP of :mod:`engine.wave.mip`) over what the other orders leave,
and the new routes are kept when they cost less. Each neighbourhood starts from an order
that pays more than it would alone (its *regret*) and gathers orders that compete with it
for the same SKUs; the search stops at the deadline, or when no order has regret left (the
plan then meets its lower bound: it is optimal).

The lower bounds: every order's own optimum with the whole stock to itself (competition
only adds cost), and the penalty of the units the wave's stock cannot fill whoever gets it.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from engine.costing import route_cost
from engine.problem import Route
from engine.wave.check import shipments
from engine.wave.mip import MipOutcome, solve_orders
from engine.wave.model import NO_LIMIT, IntArray, WaveOrder, WaveProblem

EPS = 1e-6
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class SearchParams:
    neighbourhood: int = 20  # orders routed again together
    step_seconds: float = 2.0  # the MIP's time limit per neighbourhood
    parallel: int = 1  # neighbourhoods routed at once (through the executor)
    max_steps: int | None = None  # neighbourhoods routed in all, at most
    node_limit: int | None = None  # branch-and-bound nodes per neighbourhood


def shortfall_bound(problem: WaveProblem) -> float:
    """Units no plan can fill pay their penalty: per SKU, what the wave's orders ask beyond
    all the stock their candidates hold, at the smallest penalty among those orders (split
    limits and capacities only lower what can be filled, so they are left out)."""
    demand: dict[int, int] = defaultdict(int)
    penalty: dict[int, float] = {}
    reach: dict[int, set[int]] = defaultdict(set)
    for order in problem.orders:
        sub = order.problem
        if sub is None:
            continue
        for line, qty in enumerate(sub.quantity):
            sku = int(order.skus[sub.line_sku[line]])
            demand[sku] += qty
            penalty[sku] = min(
                penalty.get(sku, sub.unfilled_unit_penalty), sub.unfilled_unit_penalty
            )
            reach[sku].update(int(loc) for loc in order.locations)
    total = 0.0
    for sku, asked in demand.items():
        held = int(problem.stock[sku, sorted(reach[sku])].sum())
        total += max(0, asked - held) * penalty[sku]
    return total


class Executor(Protocol):
    """Runs independent pieces of work (a process pool, a cluster): results in input order.
    ``fn`` is a module's function, so that it can be pickled to where the work runs."""

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]: ...


class InlineExecutor:
    """One piece after the other, in this process."""

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        return [fn(task) for task in tasks]


@dataclass(frozen=True, slots=True)
class Task:
    """One neighbourhood to route again: its orders over what the others leave."""

    orders: tuple[WaveOrder, ...]
    stock: IntArray
    room: IntArray
    slots: IntArray
    time_limit: float
    seed: int
    node_limit: int | None = None


def solve_task(task: Task) -> MipOutcome:
    """Module level, so that a process pool can pickle it."""
    return solve_orders(
        task.orders,
        task.stock,
        task.room,
        slots=task.slots,
        time_limit=task.time_limit,
        seed=task.seed,
        node_limit=task.node_limit,
    )


def improve(
    problem: WaveProblem,
    routes: Sequence[Route | None],
    alone: Sequence[float],
    *,
    deadline: float,
    seed: int,
    params: SearchParams | None = None,
    executor: Executor | None = None,
) -> tuple[Route | None, ...]:
    """Better routes for the wave, starting from ``routes``, until ``deadline``
    (``time.monotonic()``). Each round routes ``params.parallel`` neighbourhoods with no
    order in common through ``executor``; their new routes are kept one by one, each only if
    it still fits what the ones kept before it took."""
    params = params or SearchParams()
    executor = executor or InlineExecutor()
    state = PlanState(problem, list(routes))
    rng = random.Random(seed)
    competing = _orders_by_sku(problem.orders)
    tried: set[int] = set()
    steps = 0
    while time.monotonic() < deadline and (params.max_steps is None or steps < params.max_steps):
        regret = [
            i for i, cost in enumerate(state.costs) if cost > alone[i] + EPS and i not in tried
        ]
        if not regret:
            break
        rng.shuffle(regret)
        starts: list[int] = []
        groups: list[list[int]] = []
        taken: set[int] = set()
        for start in regret:
            if start in taken:
                continue
            group = _neighbourhood(problem, start, competing, params.neighbourhood, rng)
            group = [i for i in group if i not in taken]
            starts.append(start)
            groups.append(group)
            taken.update(group)
            if len(groups) == params.parallel or (
                params.max_steps is not None and steps + len(groups) == params.max_steps
            ):
                break
        left = min(params.step_seconds, deadline - time.monotonic())
        if left <= 0:
            break
        tasks = [state.task(group, left, seed, params.node_limit) for group in groups]
        outcomes = executor.map(solve_task, tasks)
        steps += len(tasks)
        for start, group, outcome in zip(starts, groups, outcomes, strict=True):
            if state.accept(group, outcome):
                tried.clear()
            else:
                tried.add(start)  # no better plan around it for now
    return tuple(state.routes)


class PlanState:
    """The current routes, what they take, and what each costs."""

    def __init__(self, problem: WaveProblem, routes: list[Route | None]) -> None:
        self.problem = problem
        self.routes = routes
        self.used = np.zeros_like(problem.stock)
        self.served = np.zeros(len(problem.location_ids), dtype=np.int64)
        self.costs = [_cost(o, r) for o, r in zip(problem.orders, routes, strict=True)]
        for order, route in zip(problem.orders, routes, strict=True):
            self._move(order, route, +1)

    def task(
        self, group: list[int], time_limit: float, seed: int, node_limit: int | None = None
    ) -> Task:
        """The neighbourhood ``group`` over what every other order takes now."""
        others, served = self.used.copy(), self.served.copy()  # what the other orders take
        for i in group:
            order, route = self.problem.orders[i], self.routes[i]
            if route is not None and order.problem is not None:
                for sku, loc, units in shipments(order, route):
                    others[sku, loc] -= units
                for fo in route.plans:
                    served[order.locations[fo.location]] -= 1
        load = others.sum(axis=0)
        capacity, most = self.problem.capacity, self.problem.max_orders
        return Task(
            orders=tuple(self.problem.orders[i] for i in group),
            stock=self.problem.stock - others,
            room=np.where(capacity == NO_LIMIT, NO_LIMIT, capacity - load),
            slots=np.where(most == NO_LIMIT, NO_LIMIT, most - served),
            time_limit=time_limit,
            seed=seed,
            node_limit=node_limit,
        )

    def accept(self, group: list[int], outcome: MipOutcome) -> bool:
        """Keep the neighbourhood's new routes if they cost less and still fit."""
        if outcome.routes is None:
            return False
        orders = [self.problem.orders[i] for i in group]
        before = sum(self.costs[i] for i in group)
        after = sum(_cost(o, r) for o, r in zip(orders, outcome.routes, strict=True))
        if after >= before - EPS:
            return False
        old = [self.routes[i] for i in group]
        for i in group:
            self._move(self.problem.orders[i], self.routes[i], -1)
        for i, route in zip(group, outcome.routes, strict=True):
            self._move(self.problem.orders[i], route, +1)
        if self._fits():
            for i, route in zip(group, outcome.routes, strict=True):
                self.routes[i] = route
                self.costs[i] = _cost(self.problem.orders[i], route)
            return True
        for i, route in zip(group, outcome.routes, strict=True):  # another one took it first
            self._move(self.problem.orders[i], route, -1)
        for i, route in zip(group, old, strict=True):
            self._move(self.problem.orders[i], route, +1)
        return False

    def _fits(self) -> bool:
        problem = self.problem
        if (self.used > problem.stock).any():
            return False
        load = self.used.sum(axis=0)
        limited = problem.capacity != NO_LIMIT
        if (load[limited] > problem.capacity[limited]).any():
            return False
        return problem.max_orders == NO_LIMIT or bool((self.served <= problem.max_orders).all())

    def _move(self, order: WaveOrder, route: Route | None, sign: int) -> None:
        if route is not None and order.problem is not None:
            for sku, loc, units in shipments(order, route):
                self.used[sku, loc] += sign * units
            for fo in route.plans:
                self.served[order.locations[fo.location]] += sign


def _cost(order: WaveOrder, route: Route | None) -> float:
    if route is None or order.problem is None:
        return order.unrouted_cost()
    return route_cost(order.problem, route)


def _orders_by_sku(orders: Sequence[WaveOrder]) -> dict[int, list[int]]:
    by_sku: dict[int, list[int]] = defaultdict(list)
    for i, order in enumerate(orders):
        if order.problem is not None:
            for sku in sorted({int(s) for s in order.skus}):
                by_sku[sku].append(i)
    return by_sku


def _neighbourhood(
    problem: WaveProblem,
    start: int,
    competing: dict[int, list[int]],
    size: int,
    rng: random.Random,
) -> list[int]:
    """``start`` and up to ``size - 1`` orders that want its SKUs (a random sample)."""
    rivals = sorted({i for s in problem.orders[start].skus for i in competing[int(s)]} - {start})
    rng.shuffle(rivals)
    return sorted([start, *rivals[: size - 1]])
