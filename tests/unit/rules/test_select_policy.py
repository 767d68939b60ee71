"""Policy selection: the first policy whose `when` matches an order applies.

The rules match on plain facts (delivery method, channel, destination country);
``engine.preview.select_policy`` reads those facts off an order.
"""

from __future__ import annotations

from engine.preview import select_policy
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


def selected(order_rules: Rules, method: str, channel: str, country: str | None) -> str | None:
    policy = order_rules.policy_for(method, channel, country)
    return None if policy is None else policy.name


def test_pickup_order_gets_the_pickup_policy() -> None:
    assert selected(rules(), "pickup", "web", None) == "pickup"


def test_country_given_as_a_list_matches_any_listed_country() -> None:
    assert selected(rules(), "ship", "app", "FR") == "app-eu"


def test_channel_given_as_a_list_matches_any_listed_channel() -> None:
    assert selected(rules(), "ship", "web", "US") == "web-us"
    assert selected(rules(), "ship", "app", "US") == "web-us"


def test_order_matching_no_narrow_policy_falls_to_the_first_broad_one() -> None:
    assert selected(rules(), "ship", "store", "US") == "ship-any"
    assert selected(rules(), "ship", "web", None) == "ship-any"


def test_first_matching_policy_wins_over_a_later_matching_one() -> None:
    matching = [p.name for p in rules().policies if p.when.matches("ship", "web", "US")]
    assert matching[0] == selected(rules(), "ship", "web", "US")
    assert len(matching) > 1


def test_no_matching_policy_selects_none() -> None:
    only_ship = parse_rules("policies: [{name: s, when: {delivery_method: ship}}]").rules
    assert only_ship.policy_for("pickup", "web", None) is None


def test_country_condition_never_matches_a_pickup_order() -> None:
    assert not When(country="US").matches("pickup", "web", None)


def test_empty_when_matches_every_order() -> None:
    assert When().matches("ship", "web", "US") and When().matches("pickup", "app", None)


def test_when_built_in_python_accepts_a_single_value() -> None:
    assert When(delivery_method="pickup") == When(delivery_method=("pickup",))
    assert When(delivery_method="pickup").matches("pickup", "web", None)


def test_an_order_is_matched_on_its_method_channel_and_ship_country() -> None:
    assert getattr(select_policy(rules(), pickup_order()), "name", None) == "pickup"
    assert getattr(select_policy(rules(), ship_order("app", "DE")), "name", None) == "app-eu"
    assert getattr(select_policy(rules(), ship_order("web", "US")), "name", None) == "web-us"
    assert getattr(select_policy(rules(), ship_order("web", None)), "name", None) == "ship-any"


def test_a_pickup_order_never_matches_a_country_condition() -> None:
    by_country = parse_rules("policies: [{name: us, when: {country: US}}]").rules
    assert select_policy(by_country, pickup_order()) is None
    assert select_policy(by_country, ship_order(country="US")) is not None
