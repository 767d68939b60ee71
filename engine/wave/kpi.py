"""The figures ops compare between strategies and rules: cost, fill, splits, distance, load."""

from __future__ import annotations

from dataclasses import dataclass

from engine.wave.check import plan_cost, shipments
from engine.wave.model import WavePlan, WaveProblem


@dataclass(frozen=True, slots=True)
class Kpis:
    total_cost: float
    units_ordered: int
    units_filled: int
    fulfillment_orders: int
    orders_routed: int
    distance_km: float  # summed over Fulfillment Orders
    load: dict[str, int]  # units per location id (locations that take any)
    lower_bound: float | None

    @property
    def fill_rate(self) -> float:
        return self.units_filled / self.units_ordered if self.units_ordered else 1.0

    @property
    def fos_per_order(self) -> float:
        return self.fulfillment_orders / self.orders_routed if self.orders_routed else 0.0

    @property
    def average_distance_km(self) -> float:
        return self.distance_km / self.fulfillment_orders if self.fulfillment_orders else 0.0

    @property
    def gap(self) -> float | None:
        """Relative distance to the lower bound (0: proven optimal)."""
        if self.lower_bound is None:
            return None
        return (self.total_cost - self.lower_bound) / max(abs(self.total_cost), 1e-9)


def kpis(problem: WaveProblem, plan: WavePlan) -> Kpis:
    filled = fos = routed = 0
    distance = 0.0
    load: dict[str, int] = {}
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if route is None or order.problem is None:
            continue
        routed += 1
        fos += len(route.plans)
        distance += sum(float(order.distance_km[p.location]) for p in route.plans)
        for _, loc, units in shipments(order, route):
            filled += units
            where = problem.location_ids[loc]
            load[where] = load.get(where, 0) + units
    return Kpis(
        total_cost=plan_cost(problem, plan),
        units_ordered=sum(order.units for order in problem.orders),
        units_filled=filled,
        fulfillment_orders=fos,
        orders_routed=routed,
        distance_km=distance,
        load=dict(sorted(load.items())),
        lower_bound=plan.lower_bound,
    )
