"""The HTTP API end to end, on the embedded default and on PostgreSQL + Redis."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from engine.geo import haversine_km
from engine.network import Network
from tests.e2e.conftest import DATA

NETWORK = Network.model_validate_json((DATA / "network.json").read_text())
NYC = {"method": "ship", "lat": 40.7, "lon": -74.0, "country": "US"}


def order(lines: list[dict[str, Any]], delivery: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": "O1", "channel": "web", "lines": lines, "delivery": delivery or NYC}


def availability(client: TestClient, location_id: str, sku: str) -> dict[str, Any]:
    response = client.get("/v1/availability", params={"sku": sku, "location_id": location_id})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_health_reports_the_active_rules_version(client: TestClient) -> None:
    rules = client.get("/v1/rules").json()
    assert client.get("/healthz").json() == {"status": "ok", "rules_version": rules["version"]}


def test_preview_ships_from_the_cheapest_location_with_stock(client: TestClient) -> None:
    answer = client.post(
        "/v1/routes/preview", json=order([{"id": "1", "sku": "SKU-1", "quantity": 2}])
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "routable"
    best = body["routes"][0]
    # ST01 has 3 on hand, safety 1, store buffer 1 → 1 usable: it cannot ship both units alone.
    # DC01 (near NYC) can; recompute its cost from the network and the rules.
    fo = best["fulfillment_orders"]
    assert [f["location_id"] for f in fo] == ["DC01"]
    dc01 = NETWORK.locations[NETWORK.index["DC01"]]
    distance = haversine_km(dc01.lat, dc01.lon, NYC["lat"], NYC["lon"])
    expected = dc01.shipment_cost + 0.01 * distance + 2 * dc01.handling_cost_per_unit
    assert abs(best["cost"] - expected) < 1e-6
    assert abs(fo[0]["distance_km"] - distance) < 1e-3
    costs = [route["cost"] for route in body["routes"]]
    assert costs == sorted(costs)


def test_batch_preview_answers_each_order_in_order(client: TestClient) -> None:
    orders = [
        {**order([{"id": "1", "sku": "SKU-1", "quantity": 1}]), "id": "A"},
        {**order([{"id": "1", "sku": "SKU-404", "quantity": 1}]), "id": "B"},
    ]
    response = client.post("/v1/routes/previews", json={"orders": orders})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["order_id"] for r in results] == ["A", "B"]
    assert [r["status"] for r in results] == ["routable", "unroutable"]


def test_max_routes_bounds_the_number_of_routes(client: TestClient) -> None:
    body = order([{"id": "1", "sku": "SKU-2", "quantity": 1}])
    one = client.post("/v1/routes/preview?max_routes=1", json=body).json()
    many = client.post("/v1/routes/preview?max_routes=5", json=body).json()
    assert len(one["routes"]) == 1
    assert len(many["routes"]) > 1
    assert many["routes"][0] == one["routes"][0]


def test_pickup_at_a_store_that_cannot_fill_suggests_nearby_stores(client: TestClient) -> None:
    lines = [{"id": "1", "sku": "SKU-2", "quantity": 3}]
    body = client.post(
        "/v1/routes/preview", json=order(lines, {"method": "pickup", "location_id": "ST01"})
    ).json()
    assert body["status"] == "unroutable"
    assert [alt["location_id"] for alt in body["pickup_alternatives"]] == ["ST02"]


def test_the_fast_preview_route_serves_the_documented_handler() -> None:
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    from api.app import create_app

    app = create_app()
    routes = [r for r in app.router.routes if getattr(r, "path", "") == "/v1/routes/preview"]
    fast, documented = routes[0], next(r for r in routes if isinstance(r, APIRoute))
    assert isinstance(fast, Route) and not isinstance(fast, APIRoute)
    assert fast.endpoint is documented.endpoint
    assert fast.methods == documented.methods
