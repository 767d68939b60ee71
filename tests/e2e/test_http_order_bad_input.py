"""Bad input to the order life: a 4xx naming the field, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services
from flows.shopify import webhook_signature
from tests.support.auth import api_client
from tests.support.orders import SECRET, SHOPIFY, order


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    with api_client(order_services) as test_client:
        yield test_client


def fields_of(answer: Any) -> list[str]:
    return [d["field"] for d in answer.json()["detail"]]


def line(**changes: Any) -> dict[str, Any]:
    base = {"id": "1", "sku": "SKU-A", "quantity": 1, "unit_price": 1000, "delivery_group": "DG1"}
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [line(sku="NOPE-1")]}, "lines[0].sku"),
        ({"lines": [line(unit_price=-5)]}, "lines[0].unit_price"),
        ({"lines": [line(quantity=0)]}, "lines[0].quantity"),
        ({"lines": [line(delivery_group="DG9")]}, "lines[0].delivery_group"),
        (
            {"payment": {"authorization_id": "A", "amount": 100, "currency": "EUR"}},
            "payment.currency",
        ),
        ({"currency": "usd"}, "currency"),
        ({"payment": None}, "payment"),
        ({"channel": "c" * 65}, "channel"),
        ({"external_id": "e" * 65}, "external_id"),
    ],
)
def test_an_invalid_order_is_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    document = order(**changes)
    if "lines" in changes:
        document["delivery_groups"] = document["delivery_groups"][:1]
    answer = client.post("/v1/orders", json=document)
    assert answer.status_code == 422, answer.text
    assert field in fields_of(answer)
    assert client.get("/v1/order-summaries/W-1001").status_code == 404
    assert client.get("/v1/orders/W-1001").status_code == 404


def test_a_pickup_at_an_unknown_store_is_refused_naming_the_group(client: TestClient) -> None:
    groups = order()["delivery_groups"]
    groups[1] = {**groups[1], "location_id": "ST99"}
    answer = client.post("/v1/orders", json=order(delivery_groups=groups))
    assert answer.status_code == 422
    assert fields_of(answer) == ["delivery_groups[1].location_id"]


@pytest.mark.parametrize(
    "body", [b"{not json", b"[" * 100_000, b'{"n": ' + b"9" * 5000 + b"}", b"\xff\xfe"]
)
def test_a_body_that_is_not_usable_json_is_refused(client: TestClient, body: bytes) -> None:
    answer = client.post("/v1/orders", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert fields_of(answer) == ["body"]


def test_an_illegal_status_change_is_a_conflict_and_changes_nothing(client: TestClient) -> None:
    summary = client.post("/v1/orders", json=order()).json()
    fo = summary["fulfillment_orders"][0]
    assert client.post(
        f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Pack Complete"}
    ).is_success
    back = client.post(f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Assigned"})
    assert back.status_code == 409
    assert fields_of(back) == ["status"]
    assert client.get(f"/v1/fulfillment-orders/{fo['id']}").json()["status"] == "Pack Complete"
    draft = client.post(f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Draft"})
    assert draft.status_code == 409
    unknown = client.post(f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Lost"})
    assert unknown.status_code == 422
    no_reason = client.post(
        f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Rejected"}
    )
    assert no_reason.status_code == 422
    assert fields_of(no_reason) == ["reason"]
    too_many = client.post(
        f"/v1/fulfillment-orders/{fo['id']}/status",
        json={
            "status": "Fulfilled",
            "lines": [{"line_id": fo_line_id(client, fo["id"]), "quantity": 99}],
        },
    )
    assert too_many.status_code == 422
    assert fields_of(too_many) == ["lines[0].quantity"]
    assert client.get("/v1/fulfillment-orders/FO-nope").status_code == 404


def fo_line_id(client: TestClient, fo_id: str) -> str:
    line_id: str = client.get(f"/v1/fulfillment-orders/{fo_id}").json()["lines"][0]["line_id"]
    return line_id


def test_a_capture_beyond_the_authorization_is_refused_and_raises_a_payment_exception(
    client: TestClient,
) -> None:
    short = order(payment={"authorization_id": "A-1", "amount": 1000})
    summary = client.post("/v1/orders", json=short).json()
    shipped = client.post(
        f"/v1/fulfillment-orders/{summary['fulfillment_orders'][0]['id']}/status",
        json={"status": "Fulfilled"},
    ).json()
    invoice_id = shipped["invoice_id"]
    invoice = client.get(f"/v1/invoices/{invoice_id}").json()
    assert (invoice["status"], invoice["captured"]) == ("unpaid", 0)
    retry = client.post(f"/v1/invoices/{invoice_id}/capture")
    assert retry.status_code == 409
    assert fields_of(retry) == ["payment.amount"]
    after = client.get("/v1/order-summaries/W-1001").json()
    assert after["payment"]["captured"] == 0
    assert after["active_process_exception_count"] == 1
    found = client.get("/v1/process-exceptions", params={"category": "payment"}).json()["items"]
    assert len(found) == 1  # a retry does not pile up exceptions
    assert found[0]["attached_to"] == {"kind": "invoice", "id": invoice_id}


def test_a_malformed_shopify_payload_is_refused_naming_the_field(client: TestClient) -> None:
    raw = (SHOPIFY / "orders_create_line_without_sku.json").read_bytes()
    headers = {
        "X-Shopify-Hmac-Sha256": webhook_signature(raw, SECRET),
        "content-type": "application/json",
    }
    answer = client.post("/v1/order-sources/shopify/orders", content=raw, headers=headers)
    assert answer.status_code == 422
    assert "line_items[1].sku" in fields_of(answer)
    assert client.get("/v1/order-summaries/%231073").status_code == 404


def test_an_unmanaged_summary_is_never_routed_and_takes_reported_fulfillment_orders(
    client: TestClient,
) -> None:
    placed = client.post("/v1/orders", json=order(lifecycle="unmanaged", payment=None))
    assert placed.status_code == 201, placed.text
    assert placed.json()["fulfillment_orders"] == []
    assert client.post("/v1/order-summaries/W-1001/route").status_code == 409
    reported = client.post(
        "/v1/order-summaries/W-1001/fulfillment-orders",
        json={
            "delivery_group": "DG1",
            "location_id": "DC01",
            "fulfillment_type": "ship",
            "lines": [{"line_id": "1", "quantity": 2}],
        },
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["reservation_id"] is None
    shipped = client.post(
        f"/v1/fulfillment-orders/{reported.json()['id']}/status", json={"status": "Fulfilled"}
    )
    assert shipped.json()["status"] == "Fulfilled"
    summary = client.get("/v1/order-summaries/W-1001").json()
    assert summary["items"][0]["quantity_fulfilled"] == 2
    assert summary["payment"]["captured"] == 0
    availability = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"})
    assert availability.json()["on_hand"] == 5  # omniroute never touched its stock


def test_a_process_exception_moves_forward_only(client: TestClient) -> None:
    big = order(lines=[line(quantity=9)], delivery_groups=order()["delivery_groups"][:1])
    big["discounts"] = []
    client.post("/v1/orders", json=big)
    pe = client.get("/v1/process-exceptions", params={"status": "new"}).json()["items"][0]
    moved = client.patch(f"/v1/process-exceptions/{pe['id']}", json={"status": "in_progress"})
    assert moved.json()["status"] == "in_progress"
    done = client.patch(
        f"/v1/process-exceptions/{pe['id']}", json={"status": "resolved", "note": "stock ordered"}
    )
    assert done.json()["note"] == "stock ordered"
    again = client.patch(f"/v1/process-exceptions/{pe['id']}", json={"status": "new"})
    assert again.status_code == 409
    assert client.get("/v1/order-summaries/W-1001").json()["active_process_exception_count"] == 0


@pytest.mark.parametrize("mode", ["decline", "fail"])
def test_a_refused_capture_leaves_the_invoice_unpaid_until_a_retry_succeeds(
    client: TestClient, mode: str
) -> None:
    gateway = client.app.state.services.gateway
    summary = client.post("/v1/orders", json=order()).json()
    gateway.mode = mode
    fo_id = summary["fulfillment_orders"][0]["id"]
    invoice_id = client.post(
        f"/v1/fulfillment-orders/{fo_id}/status", json={"status": "Fulfilled"}
    ).json()["invoice_id"]
    assert client.get(f"/v1/invoices/{invoice_id}").json()["status"] == "unpaid"
    assert client.get("/v1/order-summaries/W-1001").json()["active_process_exception_count"] == 1
    assert client.post(f"/v1/invoices/{invoice_id}/capture").status_code == 409
    gateway.mode = "approve"
    paid = client.post(f"/v1/invoices/{invoice_id}/capture")
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["captured"] == paid.json()["total"]
    again = client.post(f"/v1/invoices/{invoice_id}/capture")
    assert again.json()["captured"] == paid.json()["captured"]  # captured once
    after = client.get("/v1/order-summaries/W-1001").json()
    assert after["payment"]["captured"] == paid.json()["total"]
    assert after["active_process_exception_count"] == 0


def test_an_expired_authorization_captures_nothing(client: TestClient) -> None:
    expired = order(
        payment={"authorization_id": "A-old", "amount": 10205, "expires_at": "2020-01-01T00:00:00Z"}
    )
    summary = client.post("/v1/orders", json=expired).json()
    fo_id = summary["fulfillment_orders"][0]["id"]
    client.post(f"/v1/fulfillment-orders/{fo_id}/status", json={"status": "Fulfilled"})
    after = client.get("/v1/order-summaries/W-1001").json()
    assert after["payment"]["captured"] == 0
    pe = client.get("/v1/process-exceptions", params={"category": "payment"}).json()["items"]
    assert "expired" in pe[0]["message"]


def test_a_payment_on_a_gateway_that_is_not_configured_is_never_captured(
    client: TestClient,
) -> None:
    elsewhere = order(payment={"authorization_id": "A-X", "gateway": "adyen", "amount": 10205})
    summary = client.post("/v1/orders", json=elsewhere).json()
    fo_id = summary["fulfillment_orders"][0]["id"]
    invoice_id = client.post(
        f"/v1/fulfillment-orders/{fo_id}/status", json={"status": "Fulfilled"}
    ).json()["invoice_id"]
    assert client.get(f"/v1/invoices/{invoice_id}").json()["status"] == "unpaid"
    assert client.get("/v1/order-summaries/W-1001").json()["payment"]["captured"] == 0
    pe = client.get("/v1/process-exceptions", params={"category": "payment"}).json()["items"]
    assert "no payment gateway 'adyen'" in pe[0]["message"]
    retry = client.post(f"/v1/invoices/{invoice_id}/capture")
    assert retry.status_code == 409
    assert [d["field"] for d in retry.json()["detail"]] == ["payment.gateway"]
