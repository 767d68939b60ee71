"""The order life over HTTP, on the embedded default and on PostgreSQL + Redis: intake,
routing into Fulfillment Orders, a rejection re-routed, shipments, invoices, capture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services
from flows.shopify import webhook_signature
from tests.support.auth import api_client
from tests.support.orders import SECRET, SHOPIFY, STOCK, order


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    with api_client(order_services) as test_client:
        yield test_client


def fos_of(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {fo["location_id"]: fo for fo in summary["fulfillment_orders"]}


def availability(client: TestClient, location: str, sku: str) -> dict[str, Any]:
    answer = client.get("/v1/availability", params={"location_id": location, "sku": sku})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_an_order_is_routed_rejected_rerouted_shipped_invoiced_and_captured(
    client: TestClient,
) -> None:
    body = json.dumps(order(), indent=2).encode()
    placed = client.post("/v1/orders", content=body, headers={"content-type": "application/json"})
    assert placed.status_code == 201, placed.text
    summary = placed.json()
    assert summary["totals"] == {
        "product": 9498,
        "discount": 700,
        "delivery": 599,
        "tax": 808,
        "fees": 0,
        "grand_total": 10205,
    }
    fos = fos_of(summary)
    assert set(fos) == {"DC01", "ST02", "ST03"}
    assert {fo["status"] for fo in fos.values()} == {"Allocated"}
    assert [i["status"] for i in summary["items"]] == ["allocated"] * 3

    rejected = client.post(
        f"/v1/fulfillment-orders/{fos['ST02']['id']}/status",
        json={"status": "Rejected", "reason": "not_in_stock"},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "Rejected"
    assert availability(client, "ST02", "SKU-B")["on_hand"] == 0
    summary = client.get("/v1/order-summaries/W-1001").json()
    rerouted = [fo for fo in summary["fulfillment_orders"] if fo["status"] == "Allocated"]
    assert {fo["location_id"] for fo in rerouted} == {"DC01", "DC02", "ST03"}
    assert summary["delivery_groups"][0]["excluded_locations"] == ["ST02"]

    dc01 = fos["DC01"]["id"]
    partial = client.post(
        f"/v1/fulfillment-orders/{dc01}/status",
        json={"status": "Fulfilled", "lines": [{"line_id": "1", "quantity": 1}]},
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["status"] == "Allocated"
    for fo in rerouted:
        shipped = client.post(
            f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Fulfilled"}
        )
        assert shipped.status_code == 200, shipped.text
        assert shipped.json()["status"] == "Fulfilled"

    summary = client.get("/v1/order-summaries/W-1001").json()
    assert summary["status"] == "fulfilled"
    for item in summary["items"]:
        assert item["status"] == "fulfilled"
        assert item["quantity_fulfilled"] == item["quantity_ordered"]
        assert item["quantity_available_to_return"] == item["quantity_ordered"]
    invoice_ids = [
        i
        for fo in summary["fulfillment_orders"]
        for i in client.get(f"/v1/fulfillment-orders/{fo['id']}").json()["invoice_ids"]
    ]
    invoices = [client.get(f"/v1/invoices/{i}").json() for i in invoice_ids]
    assert len(invoices) == 4  # DC01 twice (a partial shipment), DC02, ST03
    assert all(inv["status"] == "paid" for inv in invoices)
    assert sum(inv["total"] for inv in invoices) == summary["totals"]["grand_total"]
    assert sum(inv["delivery"] for inv in invoices) == 599  # once per group
    payment = summary["payment"]
    assert payment["captured"] == sum(inv["captured"] for inv in invoices) == 10205
    assert payment["captured"] <= payment["authorized"]
    assert payment["balance_due"] == 0
    original = client.get("/v1/orders/W-1001")
    assert original.content == body
    a = availability(client, "DC01", "SKU-A")
    assert (a["on_hand"], a["reserved"]) == (3, 0)
    b = availability(client, "DC02", "SKU-B")
    assert (b["on_hand"], b["reserved"]) == (4, 0)
    attempts = client.get("/v1/order-summaries/W-1001/routing").json()["attempts"]
    assert {"location_id": "ST02", "excluded_by": "exclude_locations"} in attempts[-1]["answer"][
        "explanation"
    ]["candidates"]
    assert all(len(a["rules_version"]) > 8 for a in attempts)


def test_the_same_order_again_answers_the_same_summary_and_another_body_is_a_conflict(
    client: TestClient,
) -> None:
    first = client.post("/v1/orders", json=order())
    again = client.post("/v1/orders", json=order())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(again.json()["fulfillment_orders"]) == 3  # routed once, not twice
    other = order(channel="store")
    conflict = client.post("/v1/orders", json=other)
    assert conflict.status_code == 409
    assert "W-1001" in conflict.json()["message"]


def test_a_signed_shopify_webhook_becomes_a_routed_summary(client: TestClient) -> None:
    raw = (SHOPIFY / "orders_create_geocoded.json").read_bytes()
    headers = {
        "X-Shopify-Hmac-Sha256": webhook_signature(raw, SECRET),
        "content-type": "application/json",
    }
    answer = client.post("/v1/order-sources/shopify/orders", content=raw, headers=headers)
    assert answer.status_code == 201, answer.text
    summary = answer.json()
    assert summary["order_number"] == "#1071"
    assert summary["totals"]["grand_total"] == 8408
    assert [fo["location_id"] for fo in summary["fulfillment_orders"]] == ["DC01"]
    backup = [{"location_id": "DC02", "sku": r["sku"], "on_hand": 10} for r in STOCK[4:]]
    assert client.patch("/v1/inventory", json=backup).status_code == 200
    first = summary["fulfillment_orders"][0]["id"]
    rejected = client.post(
        f"/v1/fulfillment-orders/{first}/status", json={"status": "Rejected", "reason": "damaged"}
    )
    assert rejected.status_code == 200, rejected.text
    summary = client.get("/v1/order-summaries/#1071".replace("#", "%23")).json()
    live = [fo for fo in summary["fulfillment_orders"] if fo["status"] == "Allocated"]
    assert [fo["location_id"] for fo in live] == ["DC02"]
    assert availability(client, "DC01", "TEE-BLK-M")["on_hand"] == 10  # not not_in_stock
    for fo in live:
        shipped = client.post(
            f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Fulfilled"}
        )
        assert shipped.status_code == 200, shipped.text
    by_id = client.get(f"/v1/order-summaries/{summary['external_id']}").json()
    assert by_id["id"] == summary["id"]
    assert by_id["status"] == "fulfilled"
    assert by_id["payment"]["captured"] == 8408 <= by_id["payment"]["authorized"]
    assert client.get("/v1/orders/%231071").content == raw
    replay = client.post("/v1/order-sources/shopify/orders", content=raw, headers=headers)
    assert replay.status_code == 200
    assert replay.json()["id"] == summary["id"]


@pytest.mark.parametrize("signature", [None, "bm90IHRoZSByaWdodCBvbmU=", "garbage!"])
def test_a_shopify_webhook_with_a_bad_signature_is_refused_and_stores_nothing(
    client: TestClient, signature: str | None
) -> None:
    raw = (SHOPIFY / "orders_create_geocoded.json").read_bytes()
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    answer = client.post("/v1/order-sources/shopify/orders", content=raw, headers=headers)
    assert answer.status_code == 401
    assert client.get("/v1/order-summaries/%231071").status_code == 404


def test_units_no_location_can_fill_raise_a_routing_exception_and_a_later_route_takes_them(
    client: TestClient,
) -> None:
    big = order(
        lines=[
            {"id": "1", "sku": "SKU-A", "quantity": 7, "unit_price": 100, "delivery_group": "DG1"}
        ],
        delivery_groups=order()["delivery_groups"][:1],
        discounts=[],
        payment={"authorization_id": "A", "amount": 1347},
    )
    summary = client.post("/v1/orders", json=big).json()
    assert summary["items"][0]["quantity_allocated"] == 5
    assert summary["items"][0]["status"] == "partially allocated"
    assert summary["active_process_exception_count"] == 1
    found = client.get("/v1/process-exceptions", params={"order_summary_id": "W-1001"}).json()
    assert [pe["category"] for pe in found["items"]] == ["routing"]
    client.patch("/v1/inventory", json=[{"location_id": "DC02", "sku": "SKU-A", "on_hand": 2}])
    routed = client.post("/v1/order-summaries/W-1001/route").json()
    assert routed["summary"]["items"][0]["status"] == "allocated"
    assert routed["summary"]["active_process_exception_count"] == 0


def test_a_store_reads_its_work_queue_page_by_page(client: TestClient) -> None:
    for n in range(3):
        document = order(f"Q-{n}")
        document["delivery_groups"] = document["delivery_groups"][1:]  # the pickup at ST03
        document["lines"] = [
            {"id": "1", "sku": "SKU-C", "quantity": 1, "unit_price": 1000, "delivery_group": "DG2"}
        ]
        document["discounts"] = []
        assert client.post("/v1/orders", json=document).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"location_id": "ST03", "status": "Allocated", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/fulfillment-orders", params=params).json()
        assert len(page["items"]) <= 2
        seen += [fo["id"] for fo in page["items"]]
        assert all(fo["location_id"] == "ST03" for fo in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3
    assert client.get("/v1/fulfillment-orders", params={"location_id": "DC01"}).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert client.get("/v1/fulfillment-orders", params={"limit": 0}).status_code == 422


@pytest.mark.parametrize(("postal_code", "located"), [("07102", True), ("00000", False)])
def test_an_address_without_coordinates_is_located_by_its_zip_code_or_waits_for_a_person(
    client: TestClient, postal_code: str, located: bool
) -> None:
    groups = order()["delivery_groups"][:1]
    address = {k: v for k, v in groups[0]["address"].items() if k not in ("lat", "lon")}
    groups[0] = {**groups[0], "address": {**address, "postal_code": postal_code}}
    document = order(delivery_groups=groups, lines=order()["lines"][:2])
    summary = client.post("/v1/orders", json=document).json()
    group = summary["delivery_groups"][0]
    if located:
        assert (round(group["lat"], 1), round(group["lon"], 1)) == (40.7, -74.2)
        assert summary["active_process_exception_count"] == 0
        assert summary["fulfillment_orders"]
    else:
        assert (group["lat"], group["lon"]) == (None, None)  # never a guessed destination
        assert summary["fulfillment_orders"] == []
        pes = client.get("/v1/process-exceptions", params={"order_summary_id": "W-1001"}).json()
        assert [pe["category"] for pe in pes["items"]] == ["routing"]
        assert "00000" in pes["items"][0]["message"]
