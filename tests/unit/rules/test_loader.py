"""Loading rules files: what is accepted, and what each mistake is reported as."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rules.errors import InvalidRules, Issue, RulesError
from rules.loader import load_rules, parse_rules
from rules.schema import Cost, Rules, Split, When

from .support import as_yaml, full_rules, with_value, without


def only_issue(text: str, source: str = "rules.yaml") -> Issue:
    with pytest.raises(InvalidRules) as caught:
        parse_rules(text, source=source)
    assert len(caught.value.issues) == 1, str(caught.value)
    return caught.value.issues[0]


def test_full_file_loads_every_field_as_written(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(as_yaml(full_rules()))
    loaded = load_rules(path)
    ship = loaded.rules.policies[1]
    assert loaded.source == str(path)
    assert loaded.text == path.read_text()
    assert ship.when.channel == ("web", "app")
    assert ship.when.country == ("US",)
    assert ship.sources.location_group == "ONLINE"
    assert ship.sources.exclude_locations == ("ST02",)
    assert ship.sources.max_distance_km == 1500.0
    assert ship.sources.max_delivery_days == 5
    assert ship.inventory.buffer_for("store") == 1
    assert ship.split == Split(max_locations=3, line_split=True, ship_complete=False)
    expected_cost = Cost(
        per_km=0.01, split_penalty=2.0, unfilled_unit_penalty=1000.0, priority_weight=0.1
    )
    assert ship.cost == expected_cost


def test_minimal_file_gets_documented_defaults() -> None:
    loaded = parse_rules("policies:\n  - name: everything\n")
    policy = loaded.rules.policies[0]
    assert loaded.rules.version == 1
    assert policy.when == When()
    assert policy.sources.location_types == ("warehouse", "store")
    assert policy.sources.location_group is None
    assert policy.inventory.buffer_for("store") == 0
    assert policy.split == Split()
    assert policy.cost == Cost()


def test_json_rules_load_like_yaml(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(full_rules()))
    assert load_rules(path).rules == parse_rules(as_yaml(full_rules())).rules


def test_integer_cost_is_accepted_as_a_number() -> None:
    document = with_value(full_rules(), ("policies", 1, "cost", "split_penalty"), 5)
    assert parse_rules(as_yaml(document)).rules.policies[1].cost.split_penalty == 5.0


BAD_VALUES: list[tuple[tuple[int | str, ...], Any, str, str]] = [
    # (field, bad value, reported path, expected message)
    (
        ("policies", 1, "split", "max_locations"),
        0,
        "policies[1].split.max_locations",
        "expected an integer >= 1, got 0",
    ),
    (
        ("policies", 1, "split", "max_locations"),
        "3",
        "policies[1].split.max_locations",
        "expected an integer, got the string '3'",
    ),
    (
        ("policies", 1, "split", "max_locations"),
        1.5,
        "policies[1].split.max_locations",
        "expected an integer, got 1.5",
    ),
    (
        ("policies", 1, "split", "line_split"),
        "yes please",
        "policies[1].split.line_split",
        "expected true or false, got the string 'yes please'",
    ),
    (
        ("policies", 1, "split", "ship_complete"),
        1,
        "policies[1].split.ship_complete",
        "expected true or false, got 1",
    ),
    (
        ("policies", 1, "cost", "per_km"),
        -0.5,
        "policies[1].cost.per_km",
        "expected a number >= 0, got -0.5",
    ),
    (
        ("policies", 1, "cost", "split_penalty"),
        "2.0",
        "policies[1].cost.split_penalty",
        "expected a number, got the string '2.0'",
    ),
    (
        ("policies", 1, "cost", "unfilled_unit_penalty"),
        float("inf"),
        "policies[1].cost.unfilled_unit_penalty",
        "expected a finite number, got inf",
    ),
    (
        ("policies", 1, "sources", "max_distance_km"),
        0,
        "policies[1].sources.max_distance_km",
        "expected a number > 0, got 0",
    ),
    (
        ("policies", 1, "sources", "location_types"),
        ["warehouse", "shop"],
        "policies[1].sources.location_types[1]",
        "expected 'warehouse' or 'store', got the string 'shop'",
    ),
    (
        ("policies", 1, "sources", "location_types"),
        [],
        "policies[1].sources.location_types",
        "expected a non-empty list, got an empty list",
    ),
    (
        ("policies", 1, "inventory", "buffer_units", "store"),
        -1,
        "policies[1].inventory.buffer_units.store",
        "expected an integer >= 0, got -1",
    ),
    (
        ("policies", 1, "inventory", "buffer_units", "shop"),
        1,
        "policies[1].inventory.buffer_units.shop",
        "unknown key 'shop'; expected 'warehouse' or 'store'",
    ),
    (
        ("policies", 1, "when", "delivery_method"),
        "shipp",
        "policies[1].when.delivery_method",
        "expected 'ship' or 'pickup', got the string 'shipp'",
    ),
    (
        ("policies", 1, "when", "channel"),
        ["web", 7],
        "policies[1].when.channel[1]",
        "expected a string, got 7",
    ),
    (
        ("policies", 1, "when", "channel"),
        [],
        "policies[1].when.channel",
        "expected a non-empty list, got an empty list",
    ),
    (("policies", 1, "name"), "", "policies[1].name", "expected a non-empty string"),
    (("policies", 1, "split"), [1, 2], "policies[1].split", "expected a mapping"),
    (("policies", 1), "ship", "policies[1]", "expected a mapping"),
    (("policies",), [], "policies", "expected a non-empty list, got an empty list"),
    (("version",), 2, "version", "expected 1, got 2"),
    (("version",), True, "version", "expected an integer, got true"),
]


@pytest.mark.parametrize(("field", "value", "path", "message"), BAD_VALUES)
def test_bad_value_is_reported_with_its_path_and_what_was_expected(
    field: tuple[int | str, ...], value: Any, path: str, message: str
) -> None:
    issue = only_issue(as_yaml(with_value(full_rules(), field, value)))
    assert (issue.source, issue.path) == ("rules.yaml", path)
    assert issue.message.startswith(message)


def test_unknown_key_suggests_the_field_it_resembles() -> None:
    document = with_value(full_rules(), ("policies", 1, "split", "max_location"), 2)
    issue = only_issue(as_yaml(document))
    assert issue.path == "policies[1].split.max_location"
    assert issue.message == "unknown key 'max_location'; did you mean 'max_locations'?"


def test_unknown_key_without_a_lookalike_lists_the_allowed_keys() -> None:
    issue = only_issue(as_yaml(with_value(full_rules(), ("policies", 0, "colour"), "red")))
    assert issue.path == "policies[0].colour"
    assert issue.message.startswith("unknown key 'colour'; expected one of: name, when,")


def test_unknown_top_level_key_is_refused() -> None:
    issue = only_issue(as_yaml(with_value(full_rules(), ("policy",), [])))
    assert issue.path == "policy"


def test_missing_policy_name_is_reported() -> None:
    issue = only_issue(as_yaml(without(full_rules(), ("policies", 1, "name"))))
    assert (issue.path, issue.message) == ("policies[1].name", "required field is missing")


def test_missing_policies_is_reported() -> None:
    issue = only_issue("version: 1\n")
    assert (issue.path, issue.message) == ("policies", "required field is missing")


def test_duplicate_policy_names_point_at_the_second_one() -> None:
    document = with_value(full_rules(), ("policies", 1, "name"), "pickup")
    issue = only_issue(as_yaml(document))
    assert issue.path == "policies[1].name"
    assert issue.message == "duplicate policy name 'pickup' (also policies[0].name)"


def test_country_no_read_by_yaml_as_false_explains_the_quoting() -> None:
    text = "policies:\n  - name: norway\n    when: {country: NO}\n"
    issue = only_issue(text)
    assert issue.path == "policies[0].when.country"
    assert issue.message.startswith("expected a string or a list of strings, got false")
    assert "quote" in issue.message


def test_every_problem_is_reported_at_once() -> None:
    document = with_value(full_rules(), ("policies", 1, "split", "max_locations"), 0)
    document = with_value(document, ("policies", 1, "cost", "per_km"), -1)
    with pytest.raises(InvalidRules) as caught:
        parse_rules(as_yaml(document), source="r.yaml")
    assert [i.path for i in caught.value.issues] == [
        "policies[1].split.max_locations",
        "policies[1].cost.per_km",
    ]


def test_error_text_is_one_file_path_message_line_per_issue() -> None:
    text = "policies:\n  - name: a\n    split:\n      max_locations: 0\n"
    with pytest.raises(InvalidRules) as caught:
        parse_rules(text, source="ops/rules.yaml")
    assert str(caught.value) == (
        "ops/rules.yaml: policies[0].split.max_locations: expected an integer >= 1, got 0 (line 4)"
    )


def test_issue_carries_the_line_of_the_field() -> None:
    text = as_yaml(with_value(full_rules(), ("policies", 1, "cost", "per_km"), -1))
    expected_line = 1 + text.splitlines().index("    per_km: -1")
    assert only_issue(text).line == expected_line


def test_yaml_syntax_error_becomes_an_issue_with_the_line() -> None:
    issue = only_issue("policies:\n  - name: a\n    when: delivery_method: ship\n")
    assert issue.line == 3
    assert issue.message.startswith("invalid YAML at line 3")
    assert "\n" not in str(issue)


def test_yaml_key_written_twice_is_refused_instead_of_silently_overwritten() -> None:
    text = "policies:\n  - name: a\n    split: {max_locations: 2}\n    split: {line_split: false}\n"
    issue = only_issue(text)
    assert issue.line == 4
    assert "duplicate key 'split'" in issue.message


def test_yaml_merge_keys_may_override_merged_values() -> None:
    text = (
        "base: &base {max_locations: 2, line_split: false}\n"
        "policies:\n  - name: a\n    split: {<<: *base, max_locations: 4}\n"
    )
    issue = only_issue(text)  # `base` itself is an unknown top-level key...
    assert issue.path == "base"  # ...but the merge with an override is not a duplicate


def test_json_syntax_error_becomes_an_issue_with_the_line() -> None:
    with pytest.raises(InvalidRules) as caught:
        parse_rules('{"policies": [\n  {"name": "a",}\n]}', fmt="json")
    assert caught.value.issues[0].line == 2
    assert caught.value.issues[0].message.startswith("invalid JSON at line 2")


def test_json_key_written_twice_is_refused() -> None:
    issue = only_issue('{"policies": [{"name": "a", "name": "b"}]}')
    assert "duplicate key 'name'" in issue.message


def test_empty_document_says_what_a_rules_file_holds() -> None:
    issue = only_issue("# nothing yet\n")
    assert issue.path == ""
    assert "expected a mapping with a 'policies' list" in issue.message


def test_top_level_list_is_refused() -> None:
    issue = only_issue("- name: a\n")
    assert issue.message.endswith("got a list")


def test_bytes_are_read_as_utf8_and_other_encodings_refused() -> None:
    assert parse_rules(b"policies: [{name: caf\xc3\xa9}]").rules.policies[0].name == "café"
    issue = only_issue(b"policies: [{name: caf\xe9}]")  # type: ignore[arg-type]
    assert "not UTF-8" in issue.message


def test_missing_file_is_one_issue_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InvalidRules) as caught:
        load_rules(missing)
    assert str(caught.value) == f"{missing}: file not found"


def test_invalid_rules_is_a_rules_error() -> None:
    assert issubclass(InvalidRules, RulesError)


def test_policy_hidden_behind_a_broader_earlier_policy_is_refused() -> None:
    text = (
        "policies:\n"
        "  - {name: all-ship, when: {delivery_method: ship}}\n"
        "  - {name: web-us, when: {delivery_method: ship, channel: web, country: US}}\n"
    )
    issue = only_issue(text)
    assert issue.path == "policies[1].when"
    assert "'web-us' can never apply" in issue.message


def test_catch_all_after_both_delivery_methods_is_unreachable() -> None:
    text = (
        "policies:\n"
        "  - {name: any-method, when: {delivery_method: [ship, pickup]}}\n"
        "  - {name: fallback}\n"
    )
    assert only_issue(text).path == "policies[1].when"


def test_narrow_policy_before_a_broad_one_is_fine() -> None:
    rules = parse_rules(as_yaml(full_rules())).rules
    assert isinstance(rules, Rules)
    assert [p.name for p in rules.policies] == ["pickup", "ship"]
