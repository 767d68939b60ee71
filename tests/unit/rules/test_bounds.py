"""Every number in a rules file has a documented bound: the largest allowed value loads, one
past it is refused with the field's path and the bound, and the JSON Schema shows the bound.
Adding the bounds changed no version (the version hashes the values, not the schema).
"""

from __future__ import annotations

from typing import Any

import pytest

from rules.errors import InvalidRules
from rules.loader import parse_rules, rules_json_schema

from .support import as_yaml, full_rules, with_value

SHIP = ("policies", 1)
# (field below the ship policy, the largest allowed value, one past it, the message's bound)
BOUNDS: list[tuple[tuple[str, ...], Any, Any, str]] = [
    (("cost", "per_km"), 1_000_000, 1_000_000.5, "a number <= 1,000,000"),
    (("cost", "split_penalty"), 1_000_000.0, 1_000_001, "a number <= 1,000,000"),
    (("cost", "unfilled_unit_penalty"), 1_000_000, 2e6, "a number <= 1,000,000"),
    (("cost", "priority_weight"), 1_000_000, 1e30, "a number <= 1,000,000"),
    (("sources", "max_distance_km"), 40_000, 40_000.5, "a number <= 40,000"),
    (("sources", "max_delivery_days"), 365, 366, "an integer <= 365"),
    (("inventory", "buffer_units", "store"), 1_000_000, 1_000_001, "an integer <= 1,000,000"),
    (("split", "max_locations"), 100, 101, "an integer <= 100"),
]


@pytest.mark.parametrize(
    ("field", "largest", "too_big", "bound"),
    BOUNDS,
    ids=lambda v: ".".join(v) if isinstance(v, tuple) else "",
)
def test_a_rules_number_past_its_bound_is_refused_naming_the_field(
    field: tuple[str, ...], largest: Any, too_big: Any, bound: str
) -> None:
    path = (*SHIP, *field)
    parse_rules(as_yaml(with_value(full_rules(), path, largest)))
    with pytest.raises(InvalidRules) as caught:
        parse_rules(as_yaml(with_value(full_rules(), path, too_big)), source="r.yaml")
    [issue] = caught.value.issues
    assert issue.path == "policies[1]." + ".".join(field)
    assert issue.message == f"expected {bound}, got {too_big!r}"


def number_properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every property of every definition whose value may be a number, by ``Model.field``."""
    found: dict[str, dict[str, Any]] = {}
    for model, definition in schema.get("$defs", {}).items():
        for name, prop in definition.get("properties", {}).items():
            options = [prop, *prop.get("anyOf", ())]
            if isinstance(prop.get("additionalProperties"), dict):  # buffer_units: {type: n}
                options.append(prop["additionalProperties"])
            for option in options:
                if option.get("type") in ("integer", "number"):
                    found[f"{model}.{name}"] = {**option, "description": prop.get("description")}
    return found


def test_the_json_schema_shows_every_numbers_bound_in_its_description() -> None:
    numbers = number_properties(rules_json_schema())
    assert set(numbers) >= {"Cost.per_km", "Split.max_locations", "Sources.max_distance_km"}
    for name, prop in numbers.items():
        assert "maximum" in prop, name
        shown = f"{prop['maximum']:,.0f}"
        assert shown in (prop["description"] or ""), (name, prop)
