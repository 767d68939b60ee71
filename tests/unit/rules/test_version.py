"""The rules version: a hash of what the rules mean, not of how the file is written."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.loader import parse_rules
from rules.schema import Rules
from rules.version import canonical_json, rules_version

from .support import as_yaml, full_rules, with_value

COMMENTED = """\
# ops notes: holiday tweak
version: 1
policies:
- name: pickup        # BOPIS
  when: {delivery_method: pickup}
  split: {max_locations: 1, line_split: false, ship_complete: true}
- name: ship
  when: {delivery_method: ship, channel: [web, app], country: US}
  sources:
    location_group: ONLINE
    location_types: [warehouse, store]
    max_distance_km: 1500
    exclude_locations: [ST02]
    max_delivery_days: 5
  inventory: {buffer_units: {store: 1, warehouse: 0}}
  split: {max_locations: 3, line_split: true, ship_complete: false}
  cost: {per_km: 0.01, split_penalty: 2.0, unfilled_unit_penalty: 1000.0, priority_weight: 0.1}
"""


def version_of(text: str, fmt: str = "auto") -> str:
    return parse_rules(text, fmt=fmt).version  # type: ignore[arg-type]


def test_version_is_sha256_of_canonical_content() -> None:
    loaded = parse_rules(as_yaml(full_rules()))
    assert loaded.version == rules_version(loaded.rules)
    assert len(loaded.version) == 64
    assert int(loaded.version, 16) >= 0


def test_comments_whitespace_and_flow_style_do_not_change_the_version() -> None:
    assert version_of(COMMENTED) == version_of(as_yaml(full_rules()))


def test_yaml_and_json_of_the_same_rules_have_one_version() -> None:
    document = full_rules()
    assert version_of(json.dumps(document), "json") == version_of(as_yaml(document))
    assert version_of(json.dumps(document, indent=4)) == version_of(as_yaml(document))


def test_key_order_does_not_change_the_version() -> None:
    document = full_rules()
    reordered = {"policies": [dict(reversed(p.items())) for p in document["policies"]]}
    assert version_of(json.dumps(reordered)) == version_of(json.dumps(document))


def test_written_defaults_and_single_values_do_not_change_the_version() -> None:
    spelled_out = with_value(full_rules(), ("policies", 0, "when", "delivery_method"), ["pickup"])
    spelled_out = with_value(spelled_out, ("policies", 0, "cost"), {"per_km": 0})
    spelled_out = with_value(spelled_out, ("policies", 0, "inventory"), {"buffer_units": {}})
    assert version_of(as_yaml(spelled_out)) == version_of(as_yaml(full_rules()))


def test_integer_and_float_spellings_of_a_cost_have_one_version() -> None:
    as_int = with_value(full_rules(), ("policies", 1, "cost", "split_penalty"), 2)
    assert version_of(as_yaml(as_int)) == version_of(as_yaml(full_rules()))


@settings(max_examples=30, deadline=None)
@given(max_locations=st.integers(min_value=1, max_value=50).filter(lambda n: n != 3))
def test_changing_a_value_changes_the_version(max_locations: int) -> None:
    changed = with_value(full_rules(), ("policies", 1, "split", "max_locations"), max_locations)
    assert version_of(as_yaml(changed)) != version_of(as_yaml(full_rules()))


def test_reordering_policies_changes_the_version() -> None:
    document = full_rules()
    swapped = {"policies": list(reversed(document["policies"]))}
    assert version_of(as_yaml(swapped)) != version_of(as_yaml(document))


def test_canonical_json_round_trips_to_the_same_rules() -> None:
    rules = parse_rules(as_yaml(full_rules())).rules
    again = Rules.model_validate(json.loads(canonical_json(rules)))
    assert again == rules
    assert rules_version(again) == rules_version(rules)


def test_a_waves_section_changes_the_version_and_its_absence_keeps_the_old_one() -> None:
    plain = version_of(COMMENTED)
    assert "waves" not in canonical_json(parse_rules(COMMENTED).rules)
    limited = version_of(COMMENTED + "waves: {max_orders_per_location: 50}\n")
    assert limited != plain
    assert parse_rules(COMMENTED + "waves: {}\n").rules.waves is not None
