"""A wave plan in the preview's shape: one :class:`PreviewAnswer` per order, whose only route
(rank 1) is the one the plan chose, and the wave's KPIs as a JSON document.

Everything that describes a route (ids, distances, dates, unfilled lines, the reason an order
has none, the excluded candidates) is :mod:`engine.assemble`'s, exactly as in a preview. What
a wave changes:

- the route is the plan's, chosen for the wave, not the order's optimum alone;
- the explanation's ``solver`` is ``none``: no solver proved this route optimal for the order
  (the wave's strategy chose it; the KPI document names the strategy);
- the relevant excluded candidates are judged on the wave's usable stock (what the wave read,
  less the buffers its policies keep), the stock the wave could have used;
- a pickup order the store cannot fill lists the stores that can still fill all of it from
  what the plan leaves.

Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from engine import assemble
from engine.answer import Explanation, PickupAlternative, PreviewAnswer, Status, built
from engine.candidates import Candidates, sku_rows
from engine.network import Network
from engine.order import Order
from engine.preview import select_policy
from engine.problem import Route, RoutingResult
from engine.wave.check import units_taken
from engine.wave.kpi import kpis
from engine.wave.model import IntArray, WaveOrder, WavePlan, WaveProblem
from rules.schema import Policy, Rules

NO_POLICY = "no policy matches"
NOT_PLANNED = "the wave's plan gives it no route (its stock or capacity went to other orders)"
DIGITS = 6  # as the preview rounds costs and distances


def answers(
    problem: WaveProblem,
    plan: WavePlan,
    *,
    network: Network,
    rules: Rules,
    rules_version: str,
) -> list[PreviewAnswer]:
    """One answer per order of the wave, in its order. ``network`` and ``rules`` are the ones
    the wave was built with (the rules give each order's policy, as in the preview)."""
    if len(plan.routes) != len(problem.orders):
        raise ValueError(f"{len(plan.routes)} routes for {len(problem.orders)} orders")
    left = problem.stock - units_taken(problem, plan)
    return [
        _answer(order, route, problem.stock, left, network, rules, rules_version)
        for order, route in zip(problem.orders, plan.routes, strict=True)
    ]


def _answer(
    wave_order: WaveOrder,
    route: Route | None,
    stock: IntArray,
    left: IntArray,
    network: Network,
    rules: Rules,
    rules_version: str,
) -> PreviewAnswer:
    order = wave_order.order
    if order is None:
        raise ValueError(f"order {wave_order.order_id}: the wave does not keep its document")
    policy = select_policy(rules, order)
    cands = wave_order.candidates
    if policy is None or cands is None:
        return _without_candidates(order, policy, rules_version)
    delivery = order.delivery
    store = network.index[delivery.location_id] if delivery.method == "pickup" else -1
    pickup = store >= 0
    result = None
    if route is not None and wave_order.problem is not None:
        result = RoutingResult((route,), "none")
    routes = [] if result is None else assemble.routes(order, cands, result, network)
    complete = bool(routes) and not routes[0].unfilled
    status: Status = "routable" if complete else ("partial" if routes else "unroutable")
    alternatives: list[PickupAlternative] = []
    if pickup and not complete:
        _, line_sku = sku_rows(order)  # the rows of ``WaveOrder.skus``
        alternatives = assemble.pickup_alternatives(
            order, policy, network, store, left[wave_order.skus], line_sku
        )
    reason = None if routes else _reason(wave_order, cands, pickup)
    return built(
        PreviewAnswer,
        {
            "order_id": order.id,
            "policy": policy.name,
            "status": status,
            "rules_version": rules_version,
            "routes": routes,
            "reason": reason,
            "pickup_alternatives": alternatives,
            "explanation": assemble.explanation(
                cands, policy, network, stock[wave_order.skus], store, "relevant", result
            ),
        },
    )


def _reason(wave_order: WaveOrder, cands: Candidates, pickup: bool) -> str:
    """The preview's reason when the order alone has none (no candidate, a pickup store that
    cannot fill it, ship complete); else the wave left it without a route."""
    problem = wave_order.problem
    if problem is None or pickup or problem.ship_complete:
        return assemble.reason(cands, pickup)
    return NOT_PLANNED


def _without_candidates(order: Order, policy: Policy | None, rules_version: str) -> PreviewAnswer:
    """No policy takes the order (the preview's answer), or its pickup store is not in the
    network (an order the preview refuses as bad input; a wave keeps it, unrouted)."""
    delivery = order.delivery
    if policy is None:
        reason = NO_POLICY
    elif delivery.method == "pickup":
        reason = f"unknown pickup location {delivery.location_id!r}"
    else:
        reason = "no eligible location"
    explanation = Explanation(
        candidates=[], excluded_counts={}, eligible=0, stocked=0, solver="none"
    )
    return PreviewAnswer(
        order_id=order.id,
        policy=None if policy is None else policy.name,
        status="unroutable",
        rules_version=rules_version,
        routes=[],
        reason=reason,
        explanation=explanation,
    )


def kpi_document(problem: WaveProblem, plan: WavePlan) -> dict[str, Any]:
    """The wave's KPIs as JSON-ready data (floats rounded to 6 digits, so that the same plan
    always writes the same text). ``lower_bound`` and ``gap`` are ``None`` when the strategy
    proves no bound; ``load``: units per location that takes any, by location id."""
    figures = kpis(problem, plan)
    return {
        "strategy": plan.strategy,
        "orders": len(problem.orders),
        "orders_routed": figures.orders_routed,
        "total_cost": _rounded(figures.total_cost),
        "units_ordered": figures.units_ordered,
        "units_filled": figures.units_filled,
        "fill_rate": _rounded(figures.fill_rate),
        "fulfillment_orders": figures.fulfillment_orders,
        "fos_per_order": _rounded(figures.fos_per_order),
        "average_distance_km": _rounded(figures.average_distance_km),
        "lower_bound": _rounded(figures.lower_bound),
        "gap": _rounded(figures.gap),
        "load": dict(figures.load),
        "stats": {name: _rounded(value) for name, value in sorted(plan.stats.items())},
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)
