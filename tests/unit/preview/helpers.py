"""Small hand-made networks, rules and an in-test stock reader for the preview tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.answer import FulfillmentOrderOut, PreviewAnswer
from engine.geo import haversine_km
from engine.network import Location, Network
from engine.order import Order
from engine.preview import preview
from rules.schema import Policy, Rules

# a Monday, 10:00 UTC
NOW = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
VERSION = "test-rules"


class FakeStock:
    """Available to fulfill = on hand − reserved − safety stock per (location, sku)."""

    def __init__(self, counts: dict[tuple[str, str], tuple[int, int, int]] | None = None) -> None:
        self.counts = dict(counts or {})
        self.calls: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def set(
        self, location_id: str, sku: str, on_hand: int, reserved: int = 0, safety: int = 0
    ) -> FakeStock:
        self.counts[(location_id, sku)] = (on_hand, reserved, safety)
        return self

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        self.calls.append((tuple(skus), tuple(location_ids)))
        out = np.zeros((len(skus), len(location_ids)), dtype=np.int64)
        for r, sku in enumerate(skus):
            for c, loc in enumerate(location_ids):
                on_hand, reserved, safety = self.counts.get((loc, sku), (0, 0, 0))
                out[r, c] = on_hand - reserved - safety
        return out


def location(loc_id: str, lat: float, lon: float, **fields: Any) -> Location:
    fields.setdefault("type", "warehouse")
    fields.setdefault("capabilities", ("ship",))
    return Location(id=loc_id, lat=lat, lon=lon, **fields)


def network(*locations: Location, **fields: Any) -> Network:
    return Network(locations=locations, **fields)


def rules(*policies: dict[str, Any]) -> Rules:
    return Rules.model_validate({"policies": list(policies)})


def ship_policy(**fields: Any) -> dict[str, Any]:
    return {"name": "ship", "when": {"delivery_method": "ship"}, **fields}


def pickup_policy(**fields: Any) -> dict[str, Any]:
    return {"name": "pickup", "when": {"delivery_method": "pickup"}, **fields}


def ship_order(
    lines: Sequence[tuple[str, int]],
    lat: float = 40.0,
    lon: float = -75.0,
    order_id: str = "O1",
    **delivery: Any,
) -> Order:
    return Order.model_validate(
        {
            "id": order_id,
            "lines": [
                {"id": str(i + 1), "sku": s, "quantity": q} for i, (s, q) in enumerate(lines)
            ],
            "delivery": {"method": "ship", "lat": lat, "lon": lon, **delivery},
        }
    )


def pickup_order(
    lines: Sequence[tuple[str, int]], location_id: str, order_id: str = "O1", **delivery: Any
) -> Order:
    return Order.model_validate(
        {
            "id": order_id,
            "lines": [
                {"id": str(i + 1), "sku": s, "quantity": q} for i, (s, q) in enumerate(lines)
            ],
            "delivery": {"method": "pickup", "location_id": location_id, **delivery},
        }
    )


def run(
    order: Order, net: Network, rule_set: Rules, stock: FakeStock, **kwargs: Any
) -> PreviewAnswer:
    kwargs.setdefault("now", NOW)
    return preview(order, network=net, rules=rule_set, rules_version=VERSION, stock=stock, **kwargs)


def excluded(answer: PreviewAnswer) -> dict[str, str]:
    return {c["location_id"]: c["excluded_by"] for c in answer.explanation.candidates}


def used_locations(answer: PreviewAnswer, rank: int = 1) -> set[str]:
    return {fo.location_id for fo in answer.routes[rank - 1].fulfillment_orders}


def units(fo: FulfillmentOrderOut) -> int:
    return sum(line["quantity"] for line in fo.lines)


def recomputed_distance(net: Network, order: Order, location_id: str) -> float:
    delivery = order.delivery
    if delivery.method == "pickup":
        return 0.0
    loc = net.locations[net.index[location_id]]
    return haversine_km(delivery.lat, delivery.lon, loc.lat, loc.lon)


def recomputed_cost(
    net: Network, order: Order, policy: Policy, answer: PreviewAnswer, rank: int
) -> float:
    """DESIGN.md's objective, from the network and the route's quantities alone."""
    route = answer.routes[rank - 1]
    cost = policy.cost
    total = 0.0
    for fo in route.fulfillment_orders:
        loc = net.locations[net.index[fo.location_id]]
        distance = recomputed_distance(net, order, fo.location_id)
        total += loc.shipment_cost + cost.per_km * distance
        total += units(fo) * (loc.handling_cost_per_unit + cost.priority_weight * loc.priority)
    total += cost.split_penalty * max(0, len(route.fulfillment_orders) - 1)
    total += cost.unfilled_unit_penalty * sum(line["quantity"] for line in route.unfilled)
    return total
