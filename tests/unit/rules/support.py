"""Shared builders for the rules tests: a valid rules document to mutate, a tiny network."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from engine.network import Location, LocationGroup, Network
from engine.order import Order


def full_rules() -> dict[str, Any]:
    """A rules document that sets every field; tests break one field at a time."""
    return {
        "version": 1,
        "policies": [
            {
                "name": "pickup",
                "when": {"delivery_method": "pickup"},
                "split": {"max_locations": 1, "line_split": False, "ship_complete": True},
            },
            {
                "name": "ship",
                "when": {"delivery_method": "ship", "channel": ["web", "app"], "country": "US"},
                "sources": {
                    "location_group": "ONLINE",
                    "location_types": ["warehouse", "store"],
                    "max_distance_km": 1500,
                    "exclude_locations": ["ST02"],
                    "max_delivery_days": 5,
                },
                "inventory": {"buffer_units": {"store": 1, "warehouse": 0}},
                "split": {"max_locations": 3, "line_split": True, "ship_complete": False},
                "cost": {
                    "per_km": 0.01,
                    "split_penalty": 2.0,
                    "unfilled_unit_penalty": 1000.0,
                    "priority_weight": 0.1,
                },
            },
        ],
    }


def with_value(document: dict[str, Any], path: tuple[int | str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the value at ``path`` replaced (or added)."""
    result = copy.deepcopy(document)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return result


def without(document: dict[str, Any], path: tuple[int | str, ...]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return result


def as_yaml(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def tiny_network() -> Network:
    """Two warehouses and three stores in the groups the bundled rules expect."""
    locations = (
        Location(id="DC01", type="warehouse", lat=40.1, lon=-75.2),
        Location(id="DC02", type="warehouse", lat=34.0, lon=-118.2),
        Location(id="ST01", type="store", lat=40.7, lon=-74.0, capabilities=("ship", "pickup")),
        Location(id="ST02", type="store", lat=41.9, lon=-87.6, capabilities=("ship", "pickup")),
        Location(id="ST03", type="store", lat=29.8, lon=-95.4, capabilities=("pickup",)),
    )
    groups = (
        LocationGroup(id="ONLINE", location_ids=("DC01", "DC02", "ST01", "ST02")),
        LocationGroup(id="WAREHOUSES", location_ids=("DC01", "DC02")),
        LocationGroup(id="STORES", location_ids=("ST01", "ST02", "ST03")),
    )
    return Network(locations=locations, location_groups=groups)


def ship_order(channel: str = "web", country: str | None = "US") -> Order:
    return Order.model_validate(
        {
            "id": "O1",
            "channel": channel,
            "lines": [{"id": "1", "sku": "SKU-1", "quantity": 1}],
            "delivery": {"method": "ship", "lat": 40.7, "lon": -74.0, "country": country},
        }
    )


def pickup_order(channel: str = "web") -> Order:
    return Order.model_validate(
        {
            "id": "O2",
            "channel": channel,
            "lines": [{"id": "1", "sku": "SKU-1", "quantity": 1}],
            "delivery": {"method": "pickup", "location_id": "ST01"},
        }
    )
