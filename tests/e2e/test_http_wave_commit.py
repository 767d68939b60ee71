"""A wave over recorded Order Summaries: planned jointly, and, when it commits, routed
through the order life (Draft FOs and routing attempts, reservations, activation), on both
stacks. The orders arrive while SKU-A is out of stock, so they wait unrouted; stock arrives;
the wave routes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services
from tests.e2e.test_http_waves import finished
from tests.support.auth import api_client
from tests.support.service import shirts


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    with api_client(order_services) as test_client:
        yield test_client


def stock_a(client: TestClient, units: int) -> None:
    rows = [{"location_id": "DC01", "sku": "SKU-A", "on_hand": units}]
    assert client.patch("/v1/inventory", json=rows).status_code == 200


def waiting_orders(client: TestClient) -> list[str]:
    """Two orders of SKU-A (2 units and 1), placed while none is in stock: unrouted."""
    stock_a(client, 0)
    numbers = []
    for number, units in (("WV-1", 2), ("WV-2", 1)):
        document = shirts(number, units, tax=0, discount=0)
        placed = client.post("/v1/orders", json=document).json()
        assert placed["fulfillment_orders"] == [], placed
        numbers.append(number)
    return numbers


def summary(client: TestClient, number: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/v1/order-summaries/{number}").json()
    return found


def test_a_committed_wave_routes_recorded_summaries_through_the_order_life(
    client: TestClient,
) -> None:
    numbers = waiting_orders(client)
    stock_a(client, 3)
    body = {"order_summaries": numbers, "strategy": "optimize", "time_limit": 10, "commit": True}
    posted = client.post("/v1/waves", json=body)
    assert posted.status_code == 202, posted.text
    job = finished(client, posted.json()["id"])
    assert job["status"] == "done", job
    assert job["kpis"]["units_filled"] == 3 and job["kpis"]["committed_fulfillment_orders"] == 2
    for number, units in zip(numbers, (2, 1), strict=True):
        after = summary(client, number)
        assert [fo["status"] for fo in after["fulfillment_orders"]] == ["Allocated"]
        assert after["items"][0]["quantity_allocated"] == units
        assert after["active_process_exception_count"] == 0  # the routing exception settled
        attempts = client.get(f"/v1/order-summaries/{number}/routing").json()
        assert attempts["attempts"][-1]["status"] == "routable"
    held = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"}).json()
    assert held["reserved"] == 3
    plan = client.get(f"/v1/waves/{job['id']}/plan").json()["results"]
    assert [answer["order_id"] for answer in plan] == ["WV-1/DG1", "WV-2/DG1"]


def test_a_dry_run_over_summaries_plans_them_and_changes_nothing(client: TestClient) -> None:
    numbers = waiting_orders(client)
    stock_a(client, 2)  # one order can be filled, not both
    before = [summary(client, n) for n in numbers]
    posted = client.post("/v1/waves", json={"order_summaries": numbers})
    job = finished(client, posted.json()["id"])
    assert job["status"] == "done", job
    assert job["kpis"]["units_filled"] == 2 and "committed_fulfillment_orders" not in job["kpis"]
    assert [summary(client, n) for n in numbers] == before
    held = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"}).json()
    assert held["reserved"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"orders": [], "commit": True}, "orders"),
        ({"order_summaries": ["NOPE-1"], "commit": True}, "order_summaries[0]"),
        ({"order_summaries": []}, "orders"),
    ],
)
def test_a_wave_names_what_is_wrong_with_its_source(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    refused = client.post("/v1/waves", json=body)
    assert refused.status_code == 422, refused.text
    assert field in refused.text


def test_only_a_wave_of_summaries_may_commit(client: TestClient) -> None:
    preview_order = {
        "id": "O1",
        "channel": "web",
        "lines": [{"id": "1", "sku": "SKU-A", "quantity": 1}],
        "delivery": {"method": "ship", "lat": 40.7, "lon": -74.0, "country": "US"},
    }
    refused = client.post("/v1/waves", json={"orders": [preview_order], "commit": True})
    assert refused.status_code == 422 and "commit" in refused.text
