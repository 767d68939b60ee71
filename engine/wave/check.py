"""Is a wave plan feasible? Every order's route within its own policy (the route checker of
one order), no unit used twice across orders, no location beyond its wave capacity."""

from __future__ import annotations

import numpy as np

from engine.costing import check_route, route_cost
from engine.problem import Route
from engine.wave.model import NO_LIMIT, IntArray, WaveOrder, WavePlan, WaveProblem


def check_plan(problem: WaveProblem, plan: WavePlan) -> list[str]:
    """Every constraint the plan breaks, as readable messages (empty when it is feasible)."""
    if len(plan.routes) != len(problem.orders):
        return [f"{len(plan.routes)} routes for {len(problem.orders)} orders"]
    errors: list[str] = []
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if route is None:
            continue
        if order.problem is None:
            errors.append(f"order {order.order_id}: routed, but nothing may serve it")
            continue
        errors += [f"order {order.order_id}: {e}" for e in check_route(order.problem, route)]
    used = units_taken(problem, plan)
    over = np.argwhere(used > problem.stock)
    errors += [
        f"{problem.sku_ids[s]} at {problem.location_ids[loc]}: {used[s, loc]} units taken, "
        f"{problem.stock[s, loc]} in stock"
        for s, loc in over
    ]
    if problem.max_orders != NO_LIMIT:
        served = orders_served(problem, plan)
        for loc in np.flatnonzero(served > problem.max_orders):
            errors.append(
                f"{problem.location_ids[loc]}: serves {served[loc]} orders, "
                f"at most {problem.max_orders}"
            )
    load = used.sum(axis=0)
    for loc in np.flatnonzero((problem.capacity != NO_LIMIT) & (load > problem.capacity)):
        errors.append(
            f"{problem.location_ids[loc]}: {load[loc]} units, capacity {problem.capacity[loc]}"
        )
    return errors


def units_taken(problem: WaveProblem, plan: WavePlan) -> IntArray:
    """Units the plan takes per wave SKU row and network location."""
    used = np.zeros_like(problem.stock)
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if route is not None and order.problem is not None:
            for sku, loc, units in shipments(order, route):
                used[sku, loc] += units
    return used


def orders_served(problem: WaveProblem, plan: WavePlan) -> IntArray:
    """How many orders each network location serves in the plan."""
    served = np.zeros(len(problem.location_ids), dtype=np.int64)
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if route is not None and order.problem is not None:
            for fo in route.plans:
                served[order.locations[fo.location]] += 1
    return served


def shipments(order: WaveOrder, route: Route) -> list[tuple[int, int, int]]:
    """``(wave SKU row, network location, units)`` of a route."""
    assert order.problem is not None
    line_sku = order.problem.line_sku
    return [
        (int(order.skus[line_sku[line]]), int(order.locations[plan.location]), units)
        for plan in route.plans
        for line, units in plan.lines
    ]


def plan_cost(problem: WaveProblem, plan: WavePlan) -> float:
    """DESIGN.md's objective summed over the wave; an unrouted order pays its unfilled units."""
    total = 0.0
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if route is None or order.problem is None:
            total += order.unrouted_cost()
        else:
            total += route_cost(order.problem, route)
    return total
