"""Policy selection: the first policy whose `when` matches an order applies."""

from __future__ import annotations

from rules.loader import parse_rules
from rules.schema import Rules, When

from .support import pickup_order, ship_order

RULES = """\
policies:
  - {name: pickup, when: {delivery_method: pickup}}
  - {name: app-eu, when: {delivery_method: ship, channel: app, country: [DE, FR]}}
  - {name: web-us, when: {delivery_method: ship, channel: [web, app], country: US}}
  - {name: ship-any, when: {delivery_method: ship}}
"""


def rules() -> Rules:
    return parse_rules(RULES).rules


def selected(order_rules: Rules, order: object) -> str | None:
    policy = order_rules.select_policy(order)  # type: ignore[arg-type]
    return None if policy is None else policy.name


def test_pickup_order_gets_the_pickup_policy() -> None:
    assert selected(rules(), pickup_order()) == "pickup"


def test_country_given_as_a_list_matches_any_listed_country() -> None:
    assert selected(rules(), ship_order(channel="app", country="FR")) == "app-eu"


def test_channel_given_as_a_list_matches_any_listed_channel() -> None:
    assert selected(rules(), ship_order(channel="web", country="US")) == "web-us"
    assert selected(rules(), ship_order(channel="app", country="US")) == "web-us"


def test_order_matching_no_narrow_policy_falls_to_the_first_broad_one() -> None:
    assert selected(rules(), ship_order(channel="store", country="US")) == "ship-any"
    assert selected(rules(), ship_order(channel="web", country=None)) == "ship-any"


def test_first_matching_policy_wins_over_a_later_matching_one() -> None:
    order = ship_order(channel="web", country="US")
    matching = [p.name for p in rules().policies if p.when.matches(order)]
    assert matching[0] == selected(rules(), order)
    assert len(matching) > 1


def test_no_matching_policy_selects_none() -> None:
    only_ship = parse_rules("policies: [{name: s, when: {delivery_method: ship}}]").rules
    assert only_ship.select_policy(pickup_order()) is None


def test_country_condition_never_matches_a_pickup_order() -> None:
    assert not When(country="US").matches(pickup_order())


def test_empty_when_matches_every_order() -> None:
    assert When().matches(ship_order()) and When().matches(pickup_order())


def test_when_built_in_python_accepts_a_single_value() -> None:
    assert When(delivery_method="pickup") == When(delivery_method=("pickup",))
    assert When(delivery_method="pickup").matches(pickup_order())
