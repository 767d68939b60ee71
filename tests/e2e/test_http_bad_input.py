"""Bad input gets a clear error naming the field, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.test_http_api import availability, order

GOOD_LINE = {"id": "1", "sku": "SKU-1", "quantity": 1}


def fields(response: Any) -> list[str]:
    return [d["field"] for d in response.json()["detail"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "O1", "delivery": {"method": "ship", "lat": 1, "lon": 2}}, "lines"),
        (order([{"id": "1", "sku": "SKU-1", "quantity": -2}]), "lines[0].quantity"),
        (order([{"id": "1", "sku": "SKU-1", "quantity": "two"}]), "lines[0].quantity"),
        (order([{"id": "1", "sku": "SKU-1", "quantity": 10**30}]), "lines[0].quantity"),
        (order([GOOD_LINE], {"method": "drone", "lat": 1, "lon": 2}), "delivery"),
        (order([GOOD_LINE], {"method": "ship", "lat": 91, "lon": 2}), "delivery.lat"),
        ({**order([GOOD_LINE]), "colour": "red"}, "colour"),
    ],
    ids=[
        "no-lines",
        "negative-quantity",
        "text-quantity",
        "huge-quantity",
        "unknown-method",
        "bad-lat",
        "extra",
    ],
)
def test_a_malformed_order_gets_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/routes/preview", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert any(f.startswith(field) for f in fields(response)), fields(response)


def test_a_quantity_past_its_bound_gets_422_naming_the_field_and_the_bound(
    client: TestClient,
) -> None:
    """10^30 units used to be answered as an unroutable order; lines ask for 1..1,000,000."""
    response = client.post("/v1/routes/preview", json=order([{**GOOD_LINE, "quantity": 10**30}]))
    assert response.status_code == 422
    assert fields(response) == ["lines[0].quantity"]  # and no echo on "lines" itself
    detail = response.json()["detail"][0]
    assert detail["field"] == "lines[0].quantity"
    assert "1000000" in detail["message"]
    batch = client.post(
        "/v1/routes/previews",
        json={"orders": [order([GOOD_LINE]), order([{**GOOD_LINE, "quantity": 1_000_001}])]},
    )
    assert batch.status_code == 422
    assert batch.json()["detail"][0]["field"] == "orders[1].lines[0].quantity"


def test_a_body_that_is_not_json_gets_422(client: TestClient) -> None:
    response = client.post(
        "/v1/routes/preview", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_an_unknown_delivery_method_id_gets_422(client: TestClient) -> None:
    delivery = {"method": "ship", "lat": 40.7, "lon": -74.0, "delivery_method_id": "TELEPORT"}
    response = client.post("/v1/routes/preview", json=order([GOOD_LINE], delivery))
    assert response.status_code == 422
    assert fields(response) == ["delivery.delivery_method_id"]


def test_a_pickup_at_a_location_that_does_not_exist_gets_422(client: TestClient) -> None:
    delivery = {"method": "pickup", "location_id": "NOWHERE"}
    response = client.post("/v1/routes/preview", json=order([GOOD_LINE], delivery))
    assert response.status_code == 422
    assert fields(response) == ["delivery.location_id"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("version: 1\npolicies:\n  - name: ship\n    colour: red\n", "policies[0].colour"),
        (
            "version: 1\npolicies:\n  - name: ship\n    split: {max_locations: 0}\n",
            "policies[0].split.max_locations",
        ),
        (
            "version: 1\npolicies:\n  - name: ship\n    cost: {per_km: -1}\n",
            "policies[0].cost.per_km",
        ),
        (
            "version: 1\npolicies:\n  - name: s\n    sources: {location_group: MARS}\n",
            "policies[0].sources.location_group",
        ),
    ],
    ids=["unknown-key", "max-locations-0", "negative-cost", "unknown-group"],
)
def test_invalid_rules_get_422_and_the_old_rules_stay_active(
    client: TestClient, text: str, field: str
) -> None:
    before = client.get("/v1/rules").json()["version"]
    response = client.put("/v1/rules", content=text, headers={"content-type": "application/yaml"})
    assert response.status_code == 422
    assert field in fields(response)
    assert client.get("/v1/rules").json()["version"] == before


def test_valid_rules_become_active_with_a_new_version(client: TestClient) -> None:
    before = client.get("/v1/rules").json()["version"]
    text = "version: 1\npolicies:\n  - name: everything\n    split: {max_locations: 1}\n"
    response = client.put("/v1/rules", content=text, headers={"content-type": "application/yaml"})
    assert response.status_code == 200
    after = client.get("/v1/rules").json()
    assert after["version"] == response.json()["version"] != before
    preview = client.post("/v1/routes/preview", json=order([GOOD_LINE])).json()
    assert preview["policy"] == "everything"


def test_a_non_numeric_csv_count_gets_422_and_loads_nothing(client: TestClient) -> None:
    before = availability(client, "DC01", "SKU-1")
    csv = "location_id,sku,on_hand,safety_stock\nDC01,SKU-1,99,0\nDC02,SKU-1,lots,0\n"
    response = client.put("/v1/inventory", content=csv, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert "on_hand" in response.json()["message"]
    assert availability(client, "DC01", "SKU-1") == before


def test_inventory_at_an_unknown_location_gets_422_and_loads_nothing(client: TestClient) -> None:
    before = availability(client, "DC01", "SKU-1")
    records = [
        {"location_id": "DC01", "sku": "SKU-1", "on_hand": 99, "safety_stock": 0},
        {"location_id": "ZZ99", "sku": "SKU-1", "on_hand": 1, "safety_stock": 0},
    ]
    response = client.put("/v1/inventory", json=records)
    assert response.status_code == 422
    assert fields(response) == ["records[1].location_id"]
    assert availability(client, "DC01", "SKU-1") == before


def test_an_invalid_network_gets_422_and_the_old_network_stays(client: TestClient) -> None:
    before = client.get("/v1/network").json()
    bad = {"locations": [{"id": "X", "type": "castle", "lat": 0, "lon": 0}]}
    response = client.put("/v1/network", json=bad)
    assert response.status_code == 422
    assert "locations[0].type" in fields(response)
    assert client.get("/v1/network").json() == before


def test_a_network_that_breaks_the_active_rules_is_refused(client: TestClient) -> None:
    before = client.get("/v1/network").json()
    no_groups = {"locations": [{"id": "DC01", "type": "warehouse", "lat": 40, "lon": -75}]}
    response = client.put("/v1/network", json=no_groups)
    assert response.status_code == 422
    assert client.get("/v1/network").json() == before


def test_availability_of_an_unknown_location_or_group_is_404(client: TestClient) -> None:
    assert client.get("/v1/availability?sku=SKU-1&location_id=NOPE").status_code == 404
    assert client.get("/v1/availability?sku=SKU-1&location_group=NOPE").status_code == 404
    assert client.get("/v1/availability?sku=SKU-1").status_code == 422


def test_bad_preview_options_get_422_naming_the_option(client: TestClient) -> None:
    body = order([GOOD_LINE])
    response = client.post("/v1/routes/preview?max_routes=0&explain=all", json=body)
    assert response.status_code == 422
    assert fields(response) == ["query.max_routes", "query.explain"]
