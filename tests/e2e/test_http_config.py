"""``PUT /v1/config``: the network and the rules (and the stock) switched as one step, and
``GET /v1/config``. On SQLite + memory and on PostgreSQL + Redis (the ``client`` fixture).

The situation of issue 7: the bundled rules name ONLINE, the user's network has only its own
groups and the user's rules name only those. Either single PUT is refused; one config PUT
switches both.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access.scopes import Scope
from flows.bootstrap import Services
from tests.e2e.test_http_api import availability, order
from tests.support.auth import key_header

OWN_NETWORK: dict[str, Any] = {
    "locations": [
        {"id": "NJ1", "type": "warehouse", "lat": 40.73, "lon": -74.17, "capabilities": ["ship"]},
        {"id": "CA1", "type": "warehouse", "lat": 34.05, "lon": -118.24, "capabilities": ["ship"]},
        {
            "id": "NY1",
            "type": "store",
            "lat": 40.71,
            "lon": -74.00,
            "capabilities": ["ship", "pickup"],
        },
    ],
    "location_groups": [
        {"id": "EAST", "location_ids": ["NJ1", "NY1"]},
        {"id": "WEST", "location_ids": ["CA1"]},
    ],
    "delivery_methods": [
        {"id": "GROUND", "kind": "ship", "transit_days": [{"max_km": None, "days": 3}]},
        {"id": "COUNTER", "kind": "pickup"},
    ],
}
OWN_RULES = """\
version: 1
policies:
  - name: east-pickup
    when: {delivery_method: pickup}
    sources: {location_group: EAST}
  - name: east-ship
    when: {delivery_method: ship}
    sources: {location_group: EAST}
    split: {max_locations: 2}
"""
OWN_STOCK: list[dict[str, Any]] = [
    {"location_id": "NJ1", "sku": "SKU-1", "on_hand": 10, "safety_stock": 0},
    {"location_id": "CA1", "sku": "SKU-1", "on_hand": 40, "safety_stock": 0},
    {"location_id": "NY1", "sku": "SKU-1", "on_hand": 2, "safety_stock": 0},
]
ONE_UNIT = [{"id": "1", "sku": "SKU-1", "quantity": 1}]


def own_config(**changes: Any) -> dict[str, Any]:
    body = {"network": OWN_NETWORK, "rules": OWN_RULES, "inventory": OWN_STOCK}
    return copy.deepcopy({**body, **changes})


def fields(response: Any) -> list[str]:
    return [d["field"] for d in response.json()["detail"]]


def shipped_from(client: TestClient) -> set[str]:
    answer = client.post("/v1/routes/preview", json=order(ONE_UNIT))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "routable", body
    return {fo["location_id"] for fo in body["routes"][0]["fulfillment_orders"]}


def test_one_put_swaps_a_network_and_rules_that_only_fit_each_other(client: TestClient) -> None:
    before = client.get("/v1/config").json()
    assert before["network"]["group_ids"] == ["ONLINE", "WAREHOUSES", "STORES"]
    # The deadlock this endpoint ends: each part alone is refused, saying how to do both.
    alone = [
        client.put("/v1/network", json=OWN_NETWORK),
        client.put("/v1/rules", content=OWN_RULES, headers={"content-type": "application/yaml"}),
    ]
    for refused in alone:
        assert refused.status_code == 422
        assert "PUT /v1/config with both" in refused.json()["message"]

    response = client.put("/v1/config", json=own_config())

    assert response.status_code == 200, response.text
    applied = response.json()
    assert applied["changed"] is True
    assert applied["version"] != before["version"]
    assert applied["network"]["group_ids"] == ["EAST", "WEST"]
    assert applied["inventory"] == {"mode": "full_sync", "records": 3, "over_reserved": []}
    after = client.get("/v1/config").json()
    assert after["version"] == applied["version"]
    assert after["rules"] == {"version": applied["rules"]["version"], "source": "PUT /v1/config"}
    assert client.get("/v1/network").json()["version"] == applied["network"]["version"]
    assert client.get("/v1/rules").json()["version"] == applied["rules"]["version"]
    # Previews run on the new network, the new rules and the new stock: only EAST ships.
    assert shipped_from(client) <= {"NJ1", "NY1"}
    assert availability(client, "CA1", "SKU-1")["on_hand"] == 40
    # The history: the new config first, then the seeded one it replaced.
    history = after["history"]
    assert [(h["version"], h["change"]) for h in history] == [
        (applied["version"], "config"),
        (before["version"], "initial"),
    ]
    assert history[0]["network_version"] == applied["network"]["version"]
    assert history[0]["rules_version"] == applied["rules"]["version"]
    assert after["applied_at"] == history[0]["applied_at"] == applied["applied_at"]


def test_the_rules_may_be_a_json_object_and_the_stock_csv_text(client: TestClient) -> None:
    rules = {
        "version": 1,
        "policies": [{"name": "east", "sources": {"location_group": "EAST"}}],
    }
    csv = "location_id,sku,on_hand\nNJ1,SKU-1,4\n\nNY1,SKU-1,1\n"
    response = client.put("/v1/config", json=own_config(rules=rules, inventory=csv))
    assert response.status_code == 200, response.text
    assert response.json()["inventory"]["records"] == 2
    assert availability(client, "NJ1", "SKU-1")["on_hand"] == 4
    assert client.get("/v1/rules").json()["rules"]["policies"][0]["name"] == "east"


def test_without_inventory_the_stock_stays(client: TestClient) -> None:
    # DC01 is not in the new network (availability over HTTP would be a 404): ask the cache.
    inventory = client.app.state.services.inventory  # type: ignore[attr-defined]
    stock = inventory.availability("DC01", "SKU-1")
    body = own_config()
    del body["inventory"]
    response = client.put("/v1/config", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["inventory"] is None
    assert inventory.availability("DC01", "SKU-1") == stock
    assert availability(client, "NJ1", "SKU-1")["on_hand"] == 0


def test_the_same_config_again_changes_nothing_and_adds_no_history(client: TestClient) -> None:
    first = client.put("/v1/config", json=own_config()).json()
    history = client.get("/v1/config").json()["history"]
    again = client.put("/v1/config", json=own_config())
    assert again.status_code == 200
    assert again.json()["version"] == first["version"]
    assert again.json()["changed"] is False
    assert client.get("/v1/config").json()["history"] == history


ALL_WRONG: dict[str, Any] = {
    "network": {**OWN_NETWORK, "locations": [{"id": "NJ1", "type": "castle"}]},
    "rules": "version: 1\npolicies:\n  - name: x\n    split: {max_locations: 0}\n",
    "inventory": [{"location_id": "NJ1", "sku": "SKU-1", "on_hand": "ten"}],
}
BAD_PARTS = [
    pytest.param(
        {
            "rules": OWN_RULES.replace(
                "{location_group: EAST}\n    split", "{location_group: MARS}\n    split"
            )
        },
        ["rules.policies[1].sources.location_group"],
        id="rules-name-an-unknown-group",
    ),
    pytest.param(
        {
            "network": {
                **OWN_NETWORK,
                "locations": [
                    *OWN_NETWORK["locations"][:1],
                    {**OWN_NETWORK["locations"][1], "lat": 123.0},
                    *OWN_NETWORK["locations"][2:],
                ],
            }
        },
        ["network.locations[1].lat"],
        id="network-with-a-bad-coordinate",
    ),
    pytest.param(
        {"inventory": [*OWN_STOCK, {"location_id": "DC01", "sku": "SKU-1", "on_hand": 1}]},
        ["inventory[3].location_id"],
        id="stock-at-a-location-of-the-old-network",
    ),
    pytest.param(
        {"inventory": [OWN_STOCK[0], {**OWN_STOCK[1], "on_hand": -3}]},
        ["inventory[1].on_hand"],
        id="negative-on-hand",
    ),
    pytest.param(
        {"inventory": "location_id,sku,on_hand\nNJ1,SKU-1,4\nZZ9,SKU-1,1\n"},
        ["inventory row 3.location_id"],
        id="csv-stock-at-an-unknown-location",
    ),
    pytest.param(
        ALL_WRONG,
        [
            "network.locations[0].type",
            "rules.policies[0].split.max_locations",
            "inventory[0].on_hand",
        ],
        id="every-part-wrong-at-once",
    ),
    pytest.param({"rules": 7}, ["rules"], id="rules-of-the-wrong-type"),
    pytest.param({"colour": "red"}, ["colour"], id="an-unknown-part"),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_PARTS)
def test_a_bad_part_is_422_naming_part_and_field_and_the_previous_config_stays(
    client: TestClient, changes: dict[str, Any], expected: list[str]
) -> None:
    before = client.get("/v1/config").json()
    routed_from = shipped_from(client)
    stock = availability(client, "DC02", "SKU-1")

    response = client.put("/v1/config", json=own_config(**changes))

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_config"
    assert set(expected) <= set(fields(response)), fields(response)
    assert all(
        any(f.startswith(p) for p in ("network", "rules", "inventory", "colour"))
        for f in fields(response)
    )
    assert client.get("/v1/config").json() == before
    assert shipped_from(client) == routed_from  # still the old network and rules
    assert availability(client, "DC02", "SKU-1") == stock


def test_a_missing_part_or_a_body_that_is_not_an_object_is_422(client: TestClient) -> None:
    missing = client.put("/v1/config", json={"network": OWN_NETWORK})
    assert missing.status_code == 422
    assert fields(missing) == ["rules"]
    not_json = client.put(
        "/v1/config", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert fields(not_json) == ["body"]
    assert fields(client.put("/v1/config", json=[1])) == ["body"]


def test_yaml_rules_errors_name_the_line(client: TestClient) -> None:
    rules = OWN_RULES.replace("max_locations: 2", "max_locations: 0")
    response = client.put("/v1/config", json=own_config(rules=rules))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail == [
        {"field": "rules.policies[1].split.max_locations", "message": detail[0]["message"]}
    ]
    assert "(line 9)" in detail[0]["message"]


def test_single_puts_of_the_network_or_the_rules_add_to_the_history(client: TestClient) -> None:
    seeded = client.get("/v1/config").json()
    rules = "version: 1\npolicies:\n  - name: one\n    sources: {location_group: WAREHOUSES}\n"
    put_rules = client.put("/v1/rules", content=rules, headers={"content-type": "application/yaml"})
    assert put_rules.status_code == 200
    network = client.get("/v1/config").json()
    # A network that drops ONLINE and the stores is fine now: the rules name WAREHOUSES only.
    warehouses_only = {
        "locations": [
            {"id": "DC01", "type": "warehouse", "lat": 40.1, "lon": -75.2},
            {"id": "DC02", "type": "warehouse", "lat": 34.05, "lon": -118.24},
        ],
        "location_groups": [{"id": "WAREHOUSES", "location_ids": ["DC01", "DC02"]}],
    }
    assert client.put("/v1/network", json=warehouses_only).status_code == 200
    after = client.get("/v1/config").json()
    assert [h["change"] for h in after["history"]] == ["network", "rules", "initial"]
    assert [h["version"] for h in after["history"][1:]] == [network["version"], seeded["version"]]
    assert after["history"][0]["rules_version"] == put_rules.json()["version"]


def test_the_history_names_the_key_that_activated_each_config(
    client: TestClient, services: Services
) -> None:
    seeded = client.get("/v1/config").json()["history"]
    assert [(h["change"], h["activated_by"]) for h in seeded] == [("initial", None)]
    alice = key_header(services, Scope.ops, name="ops-alice")
    rules = "version: 1\npolicies:\n  - name: one\n    sources: {location_group: WAREHOUSES}\n"
    yaml_type = {"content-type": "application/yaml"}
    put_rules = client.put("/v1/rules", content=rules, headers={**alice, **yaml_type})
    assert put_rules.status_code == 200, put_rules.text
    history = client.get("/v1/config").json()["history"]
    assert history[0]["change"] == "rules"
    assert history[0]["activated_by"] == "ops-alice"
    assert history[1]["activated_by"] is None  # the seeded config it replaced

    bob = key_header(services, Scope.ops, name="ops-bob")
    warehouses_only = {
        "locations": [{"id": "DC01", "type": "warehouse", "lat": 40.1, "lon": -75.2}],
        "location_groups": [{"id": "WAREHOUSES", "location_ids": ["DC01"]}],
    }
    assert client.put("/v1/network", json=warehouses_only, headers=bob).status_code == 200

    carol = key_header(services, Scope.ops, name="ops-carol")
    put_config = client.put("/v1/config", json=own_config(), headers=carol)
    assert put_config.status_code == 200, put_config.text
    history = client.get("/v1/config").json()["history"]
    assert [(h["change"], h["activated_by"]) for h in history] == [
        ("config", "ops-carol"),
        ("network", "ops-bob"),
        ("rules", "ops-alice"),
        ("initial", None),
    ]
    # Sending the active config again changes nothing: it still names who switched to it.
    assert client.put("/v1/config", json=own_config(), headers=alice).json()["changed"] is False
    assert client.get("/v1/config").json()["history"][0]["activated_by"] == "ops-carol"


def test_a_refusal_for_rules_wrong_on_their_own_does_not_suggest_the_config_put(
    client: TestClient,
) -> None:
    bad = "version: 1\npolicies:\n  - name: x\n    split: {max_locations: 0}\n"
    response = client.put("/v1/rules", content=bad, headers={"content-type": "application/yaml"})
    assert response.status_code == 422
    assert "/v1/config" not in response.json()["message"]


def test_the_refused_network_put_names_the_rules_and_says_how_to_change_both(
    client: TestClient,
) -> None:
    response = client.put("/v1/network", json=OWN_NETWORK)
    assert response.status_code == 422
    body = response.json()
    assert "policies[1].sources.location_group" in fields(response)
    assert body["message"].endswith(
        "to change the network and the rules together, PUT /v1/config with both "
        "(or run omniroute config apply --network FILE --rules FILE)"
    )
