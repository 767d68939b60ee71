"""Every number of a preview order and of a network has a documented bound: the largest (and
smallest) allowed value validates, one past it is refused naming the field, and the JSON
Schema (hence the OpenAPI document) shows the bound in the field's description."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from engine.network import Network
from engine.order import Order

ORDER: dict[str, Any] = {
    "id": "O1",
    "lines": [{"id": "1", "sku": "S", "quantity": 1}],
    "delivery": {"method": "ship", "lat": 40.0, "lon": -74.0},
}
NETWORK: dict[str, Any] = {
    "locations": [{"id": "DC01", "type": "warehouse", "lat": 40.0, "lon": -75.0}],
    "delivery_methods": [
        {"id": "GROUND", "kind": "ship", "transit_days": [{"max_km": 500, "days": 2}]}
    ],
}


def with_value(document: dict[str, Any], path: tuple[int | str, ...], value: Any) -> Any:
    result = copy.deepcopy(document)
    target: Any = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return result


def error_fields(model: type[BaseModel], document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    return [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()]


# (model, document, path, allowed extreme, one past it)
BOUNDS: list[tuple[type[BaseModel], dict[str, Any], tuple[int | str, ...], Any, Any]] = [
    (Order, ORDER, ("lines", 0, "quantity"), 1_000_000, 1_000_001),
    (Order, ORDER, ("lines", 0, "quantity"), 1_000_000, 10**30),
    (Network, NETWORK, ("locations", 0, "shipment_cost"), 1_000_000, 1_000_000.01),
    (Network, NETWORK, ("locations", 0, "shipment_cost"), 1_000_000, float("inf")),
    (Network, NETWORK, ("locations", 0, "handling_cost_per_unit"), 1_000_000, 2e6),
    (Network, NETWORK, ("locations", 0, "priority"), 1_000_000, 1_000_001),
    (Network, NETWORK, ("locations", 0, "priority"), -1_000_000, -1_000_001),
    (Network, NETWORK, ("locations", 0, "daily_capacity_units"), 10_000_000, 10_000_001),
    (Network, NETWORK, ("locations", 0, "processing_days"), 365, 366),
    (Network, NETWORK, ("delivery_methods", 0, "transit_days", 0, "days"), 365, 366),
    (Network, NETWORK, ("delivery_methods", 0, "transit_days", 0, "max_km"), 40_000, 40_001),
]


@pytest.mark.parametrize(
    ("model", "document", "path", "allowed", "too_far"),
    BOUNDS,
    ids=[f"{'.'.join(map(str, b[2]))}={b[4]!r}" for b in BOUNDS],
)
def test_a_number_past_its_bound_is_refused_naming_the_field(
    model: type[BaseModel],
    document: dict[str, Any],
    path: tuple[int | str, ...],
    allowed: Any,
    too_far: Any,
) -> None:
    model.model_validate(with_value(document, path, allowed))
    field = ".".join(map(str, path))
    fields = error_fields(model, with_value(document, path, too_far))
    # pydantic also reports a list whose only item failed as too short: an enclosing path
    assert field in fields and all(field.startswith(f) for f in fields), fields


def test_an_order_has_at_most_1000_lines() -> None:
    lines = [{"id": str(i), "sku": "S", "quantity": 1} for i in range(1001)]
    Order.model_validate({**ORDER, "lines": lines[:1000]})
    assert error_fields(Order, {**ORDER, "lines": lines}) == ["lines"]


def number_properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every property of every definition whose value may be a number, by ``Model.field``."""
    found: dict[str, dict[str, Any]] = {}
    for model, definition in schema.get("$defs", {}).items():
        for name, prop in definition.get("properties", {}).items():
            for option in (prop, *prop.get("anyOf", ())):
                if option.get("type") in ("integer", "number"):
                    found[f"{model}.{name}"] = {**option, "description": prop.get("description")}
    return found


@pytest.mark.parametrize("model", [Order, Network], ids=lambda m: m.__name__)
def test_the_json_schema_shows_every_numbers_bound_in_its_description(
    model: type[BaseModel],
) -> None:
    numbers = number_properties(model.model_json_schema())
    assert numbers
    for name, prop in numbers.items():
        assert "maximum" in prop, name
        shown = f"{prop['maximum']:,.0f}"
        assert shown in (prop["description"] or ""), (name, prop)
