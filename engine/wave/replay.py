"""Rules replay: the same wave routed under two rule sets, compared for ops.

Each side is one rule set's run: its wave (``build_wave`` under those rules, over the same
orders and the same stock), the plan a strategy chose and that plan's preview answers. The
comparison is JSON-ready data (floats rounded to 6 digits, so the same runs always give the
same text); ``difference`` is always B − A. Keys of :func:`compare`'s document:

- ``rules``: ``{"a": {"name", "version"}, "b": ...}``; ``strategy``; ``orders``;
- ``kpis``: one ``{"metric", "a", "b", "difference"}`` per metric of :data:`METRICS`;
- ``locations``: every network location, ``{"location_id", "lat", "lon", "units_a",
  "units_b", "difference"}`` (units the plan takes there);
- ``changed_orders_count`` and ``changed_orders``: the orders whose route differs (another
  set of ``(location, line, units)``), in input order, each ``{"order_id", "a", "b"}`` with
  both sides' route and the relevant part of their explanation (:func:`side_view`);
- ``distributions``: ``distance_km`` (a histogram, shared ``edges``, counts ``a`` and ``b``,
  of each routed order's mean distance over its Fulfillment Orders) and
  ``fulfillment_orders`` (orders per FO count ``counts``: 0 is an order left unrouted).

Pure: no I/O (but :func:`replay_side`'s stock read, through the reader it is given).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from engine.answer import PreviewAnswer
from engine.network import Network
from engine.order import Order
from engine.preview import StockReader
from engine.wave.answer import answers
from engine.wave.check import shipments
from engine.wave.kpi import Kpis, kpis
from engine.wave.model import WavePlan, WaveProblem, build_wave
from rules.schema import Rules

DIGITS = 6
DISTANCE_BINS = 10
METRICS = (
    "total_cost",
    "routing_cost",
    "unfilled_penalty",
    "units_ordered",
    "units_filled",
    "fill_rate",
    "orders_routed",
    "fulfillment_orders",
    "fos_per_order",
    "average_distance_km",
)

RouteKey = frozenset[tuple[str, str, int]]


@dataclass(frozen=True)
class ReplaySide:
    """One rule set's run. ``name``: how the report calls the rules (their file name)."""

    name: str
    rules_version: str
    problem: WaveProblem
    plan: WavePlan
    answers: Sequence[PreviewAnswer]


def replay_side(
    name: str,
    rules: Rules,
    rules_version: str,
    orders: Sequence[Order],
    *,
    network: Network,
    stock: StockReader,
    now: datetime,
    plan: Callable[[WaveProblem], WavePlan],
) -> ReplaySide:
    """One rule set's run: its own wave over the shared orders and stock (give both sides
    the same stock as it was: a snapshot), planned by ``plan`` (a strategy), answered."""
    problem = build_wave(orders, network=network, rules=rules, stock=stock, now=now)
    chosen = plan(problem)
    planned = answers(problem, chosen, network=network, rules=rules, rules_version=rules_version)
    return ReplaySide(name, rules_version, problem, chosen, planned)


def compare(a: ReplaySide, b: ReplaySide, network: Network) -> dict[str, Any]:
    """The replay document (see the module's docstring) of ``a`` against ``b``, two runs over
    the same orders in the same order and the same ``network``."""
    ids_a = [answer.order_id for answer in a.answers]
    if ids_a != [answer.order_id for answer in b.answers]:
        raise ValueError("the two rule sets were not replayed over the same orders")
    figures_a, figures_b = _metrics(a), _metrics(b)
    changed = [
        {"order_id": x.order_id, "a": side_view(x), "b": side_view(y)}
        for x, y in zip(a.answers, b.answers, strict=True)
        if route_key(x) != route_key(y)
    ]
    return {
        "rules": {
            "a": {"name": a.name, "version": a.rules_version},
            "b": {"name": b.name, "version": b.rules_version},
        },
        "strategy": a.plan.strategy,
        "orders": len(ids_a),
        "kpis": [
            {
                "metric": metric,
                "a": _rounded(figures_a[metric]),
                "b": _rounded(figures_b[metric]),
                "difference": _rounded(figures_b[metric] - figures_a[metric]),
            }
            for metric in METRICS
        ],
        "locations": _locations(network, kpis(a.problem, a.plan), kpis(b.problem, b.plan)),
        "changed_orders_count": len(changed),
        "changed_orders": changed,
        "distributions": {
            "distance_km": _distance_histogram(order_distances(a), order_distances(b)),
            "fulfillment_orders": _fo_counts(fo_counts(a), fo_counts(b)),
        },
    }


def route_key(answer: PreviewAnswer) -> RouteKey:
    """What the order's chosen route ships: ``(location id, line id, units)``."""
    if not answer.routes:
        return frozenset()
    return frozenset(
        (fo.location_id, line["line_id"], line["quantity"])
        for fo in answer.routes[0].fulfillment_orders
        for line in fo.lines
    )


def side_view(answer: PreviewAnswer) -> dict[str, Any]:
    """One side of a changed order: its route (units per location, the lines each ships),
    its cost and what a person asks about it (policy, status, reason, the fences that
    excluded candidates holding its stock, counts per fence, eligible and stocked)."""
    route = answer.routes[0] if answer.routes else None
    explanation = answer.explanation
    return {
        "policy": answer.policy,
        "status": answer.status,
        "reason": answer.reason,
        "cost": None if route is None else route.cost,
        "route": []
        if route is None
        else [
            {
                "location_id": fo.location_id,
                "units": sum(line["quantity"] for line in fo.lines),
                "distance_km": fo.distance_km,
                "lines": [{"line_id": ln["line_id"], "units": ln["quantity"]} for ln in fo.lines],
            }
            for fo in route.fulfillment_orders
        ],
        "unfilled_units": 0 if route is None else sum(ln["quantity"] for ln in route.unfilled),
        "excluded": [dict(candidate) for candidate in explanation.candidates],
        "excluded_counts": dict(explanation.excluded_counts),
        "eligible": explanation.eligible,
        "stocked": explanation.stocked,
    }


def order_distances(side: ReplaySide) -> list[float]:
    """Each routed order's mean distance (km) over its Fulfillment Orders."""
    out = []
    for order, route in zip(side.problem.orders, side.plan.routes, strict=True):
        if route is not None and order.problem is not None and route.plans:
            km = [float(order.distance_km[plan.location]) for plan in route.plans]
            out.append(sum(km) / len(km))
    return out


def fo_counts(side: ReplaySide) -> list[int]:
    """Fulfillment Orders per order (0: left unrouted), in input order."""
    return [
        0 if route is None or order.problem is None else len(route.plans)
        for order, route in zip(side.problem.orders, side.plan.routes, strict=True)
    ]


def _metrics(side: ReplaySide) -> dict[str, float]:
    figures: Kpis = kpis(side.problem, side.plan)
    penalty = _unfilled_penalty(side.problem, side.plan)
    return {
        "total_cost": figures.total_cost,
        "routing_cost": figures.total_cost - penalty,
        "unfilled_penalty": penalty,
        "units_ordered": figures.units_ordered,
        "units_filled": figures.units_filled,
        "fill_rate": figures.fill_rate,
        "orders_routed": figures.orders_routed,
        "fulfillment_orders": figures.fulfillment_orders,
        "fos_per_order": figures.fos_per_order,
        "average_distance_km": figures.average_distance_km,
    }


def _unfilled_penalty(problem: WaveProblem, plan: WavePlan) -> float:
    """The part of the plan's cost that is the unfilled units' penalty (the rest, fixed,
    unit and split costs, is what routing spends)."""
    total = 0.0
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if order.problem is None:
            continue  # unroutable whatever the rules' costs: it costs nothing
        shipped = 0 if route is None else sum(units for _, _, units in shipments(order, route))
        total += order.problem.unfilled_unit_penalty * (order.units - shipped)
    return total


def _locations(network: Network, a: Kpis, b: Kpis) -> list[dict[str, Any]]:
    return [
        {
            "location_id": loc.id,
            "lat": loc.lat,
            "lon": loc.lon,
            "units_a": a.load.get(loc.id, 0),
            "units_b": b.load.get(loc.id, 0),
            "difference": b.load.get(loc.id, 0) - a.load.get(loc.id, 0),
        }
        for loc in network.locations
    ]


def _distance_histogram(a: list[float], b: list[float]) -> dict[str, list[Any]]:
    """Counts per bin over the same edges for both sides (0 up to a round maximum)."""
    top = max([*a, *b], default=0.0)
    edges = np.linspace(0.0, _round_up(top), DISTANCE_BINS + 1)
    return {
        "edges": [_rounded(float(edge)) for edge in edges],
        "a": [int(n) for n in np.histogram(a, bins=edges)[0]],
        "b": [int(n) for n in np.histogram(b, bins=edges)[0]],
    }


def _fo_counts(a: list[int], b: list[int]) -> dict[str, list[int]]:
    counts = list(range(max([*a, *b], default=0) + 1))
    return {
        "counts": counts,
        "a": [a.count(n) for n in counts],
        "b": [b.count(n) for n in counts],
    }


def _round_up(value: float) -> float:
    """A round number at least ``value`` (1, 2 or 5 times a power of ten), 1 for nothing."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def _rounded(value: float) -> float:
    """Counts stay integers; other figures get 6 digits."""
    return value if isinstance(value, int) else round(float(value), DIGITS)
