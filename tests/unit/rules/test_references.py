"""Rules checked against a network: every group and location they name must exist."""

from __future__ import annotations

import pytest

from rules.errors import InvalidRules
from rules.loader import NetworkRefs, check_references, parse_rules

from .support import as_yaml, full_rules, tiny_network, with_value


def refs() -> NetworkRefs:
    return NetworkRefs.from_network(tiny_network())


def test_refs_hold_the_network_location_and_group_ids() -> None:
    network = tiny_network()
    known = NetworkRefs.from_network(network)
    assert known.location_ids == frozenset(loc.id for loc in network.locations)
    assert known.group_ids == frozenset(g.id for g in network.location_groups)


def test_rules_naming_existing_ids_pass() -> None:
    loaded = parse_rules(as_yaml(full_rules()), known=refs())
    check_references(loaded.rules, refs(), loaded.source)


def test_unknown_location_group_is_reported_with_a_suggestion() -> None:
    document = with_value(full_rules(), ("policies", 1, "sources", "location_group"), "ONLNE")
    with pytest.raises(InvalidRules) as caught:
        parse_rules(as_yaml(document), source="r.yaml", known=refs())
    [issue] = caught.value.issues
    assert issue.path == "policies[1].sources.location_group"
    assert issue.message.startswith("unknown location group 'ONLNE'")
    assert "did you mean 'ONLINE'?" in issue.message
    assert issue.line is not None


def test_unknown_group_without_a_lookalike_lists_the_known_groups() -> None:
    document = with_value(full_rules(), ("policies", 1, "sources", "location_group"), "EU")
    with pytest.raises(InvalidRules) as caught:
        parse_rules(as_yaml(document), known=refs())
    assert caught.value.issues[0].message.endswith("expected one of: ONLINE, STORES, WAREHOUSES")


def test_unknown_excluded_location_is_reported_at_its_index() -> None:
    document = with_value(
        full_rules(), ("policies", 1, "sources", "exclude_locations"), ["ST01", "ZZ99"]
    )
    with pytest.raises(InvalidRules) as caught:
        parse_rules(as_yaml(document), known=refs())
    [issue] = caught.value.issues
    assert issue.path == "policies[1].sources.exclude_locations[1]"
    assert issue.message.startswith("unknown location 'ZZ99'")


def test_without_a_network_unknown_ids_are_not_checked() -> None:
    document = with_value(full_rules(), ("policies", 1, "sources", "location_group"), "NOPE")
    assert parse_rules(as_yaml(document)).rules.policies[1].sources.location_group == "NOPE"


def test_check_references_reports_every_unknown_id_with_the_source() -> None:
    document = with_value(full_rules(), ("policies", 1, "sources", "location_group"), "NOPE")
    document = with_value(document, ("policies", 1, "sources", "exclude_locations"), ["X"])
    rules = parse_rules(as_yaml(document)).rules
    with pytest.raises(InvalidRules) as caught:
        check_references(rules, refs(), "db:rules")
    assert [(i.source, i.path) for i in caught.value.issues] == [
        ("db:rules", "policies[1].sources.location_group"),
        ("db:rules", "policies[1].sources.exclude_locations[0]"),
    ]
