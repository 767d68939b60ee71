"""The bundled default rules, the example files and the JSON Schema."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from engine.network import Network
from engine.preview import select_policy
from rules.loader import NetworkRefs, default_rules, load_rules, parse_rules, rules_json_schema

from .support import pickup_order, ship_order, tiny_network

EXAMPLES = sorted(Path(str(resources.files("rules").joinpath("examples"))).glob("*.yaml"))


def sample_network() -> Network:
    text = resources.files("api.data").joinpath("sample_network.json").read_text("utf-8")
    return Network.model_validate(json.loads(text))


def test_default_rules_validate_against_a_network_with_the_standard_groups() -> None:
    loaded = default_rules()
    parse_rules(loaded.text, known=NetworkRefs.from_network(tiny_network()))
    parse_rules(loaded.text, known=NetworkRefs.from_network(sample_network()))


def test_default_rules_route_pickup_to_one_store_and_ship_through_online() -> None:
    rules = default_rules().rules
    pickup = select_policy(rules, pickup_order())
    ship = select_policy(rules, ship_order())
    assert pickup is not None and ship is not None
    assert (pickup.split.max_locations, pickup.split.line_split) == (1, False)
    assert pickup.split.ship_complete
    assert ship.sources.location_group == "ONLINE"
    assert ship.inventory.buffer_for("store") > ship.inventory.buffer_for("warehouse")


def test_default_rules_version_matches_reloading_the_text() -> None:
    loaded = default_rules()
    assert parse_rules(loaded.text, source=loaded.source).version == loaded.version


def test_there_are_example_files() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_against_networks_with_the_standard_groups(path: Path) -> None:
    load_rules(path, known=NetworkRefs.from_network(tiny_network()))
    load_rules(path, known=NetworkRefs.from_network(sample_network()))


@pytest.mark.parametrize("path", [*EXAMPLES, Path("rules/default.yaml")], ids=lambda p: p.name)
def test_bundled_files_are_commented_for_ops(path: Path) -> None:
    comments = [line for line in path.read_text().splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 5


def test_json_schema_describes_the_top_level_and_forbids_unknown_keys() -> None:
    schema = rules_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["policies"]
    assert schema["additionalProperties"] is False
    definitions = schema["$defs"]
    assert isinstance(definitions, dict)
    for name in ("Policy", "When", "Sources", "InventoryRules", "Split", "Cost"):
        assert definitions[name]["additionalProperties"] is False


def test_json_schema_allows_one_value_or_a_list_in_when() -> None:
    definitions = rules_json_schema()["$defs"]
    assert isinstance(definitions, dict)
    options = definitions["When"]["properties"]["country"]["anyOf"]
    assert {option["type"] for option in options} == {"string", "array", "null"}


def test_json_schema_is_plain_json() -> None:
    assert json.loads(json.dumps(rules_json_schema())) == rules_json_schema()
