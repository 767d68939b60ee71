"""Cancel on an Order Summary, with the money spelled out, on both stacks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services
from tests.support.auth import api_client
from tests.support.orders import order


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    with api_client(order_services) as test_client:
        yield test_client


def three_units(**changes: Any) -> dict[str, Any]:
    """3 mugs at 10.00 (tax 0.80 each, 1.00 off each), shipping 5.00 + 0.40 tax: 34.80."""
    document = order(
        "S-1",
        delivery_groups=order()["delivery_groups"][:1],
        lines=[
            {
                "id": "1",
                "sku": "SKU-A",
                "quantity": 3,
                "unit_price": 1000,
                "tax": 240,
                "discount": 300,
                "delivery_group": "DG1",
            },
        ],
        discounts=[],
        payment={"authorization_id": "A-S1", "amount": 3480},
    )
    document["delivery_groups"][0] = {
        **document["delivery_groups"][0],
        "charge": 500,
        "charge_tax": 40,
    }
    document.update(changes)
    return document


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, json=body, headers=headers)


def test_cancel_one_of_three_units_before_capture_shrinks_what_will_be_captured(
    client: TestClient,
) -> None:
    summary = client.post("/v1/orders", json=three_units()).json()
    assert summary["totals"]["grand_total"] == 3480
    fo = summary["fulfillment_orders"][0]
    # The units are in a fulfillment order: take one off it first (its reservation lets go).
    taken = post(
        client,
        f"/v1/fulfillment-orders/{fo['id']}/cancel",
        {"lines": [{"line_id": "1", "quantity": 1}]},
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["lines"][0]["quantity_canceled"] == 1
    held = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"}).json()
    assert held["reserved"] == 2

    body = {"lines": [{"line_id": "1", "quantity": 1}], "reason": "customer_request"}
    preview = post(client, "/v1/order-summaries/S-1/cancel/preview", body).json()
    # One mug: 10.00 − 1.00 discount + 0.80 tax = 9.80 that will never be captured.
    assert preview["change_order_id"] is None
    assert (preview["refund"], preview["capture_reduced"]) == (0, 980)
    assert preview["summary"]["totals"]["grand_total"] == 2500
    assert client.get("/v1/order-summaries/S-1").json()["totals"]["grand_total"] == 3480

    done = post(client, "/v1/order-summaries/S-1/cancel", body, key="k-1")
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["change_order_id"].startswith("CO-")
    assert (answer["refund"], answer["capture_reduced"]) == (0, 980)
    item = answer["summary"]["items"][0]
    assert (item["quantity_canceled"], item["quantity_allocated"], item["status"]) == (
        1,
        2,
        "allocated",
    )
    assert answer["summary"]["totals"] == {
        "product": 2000,
        "discount": 200,
        "delivery": 500,
        "tax": 200,
        "fees": 0,
        "grand_total": 2500,
    }
    # Shipping the other two captures exactly what is left: 2 × 9.80 + 5.40 = 25.00.
    shipped = post(client, f"/v1/fulfillment-orders/{fo['id']}/status", {"status": "Fulfilled"})
    assert shipped.json()["status"] == "Fulfilled"
    after = client.get("/v1/order-summaries/S-1").json()
    assert after["payment"] == {
        "authorization_id": "A-S1",
        "authorized": 3480,
        "captured": 2500,
        "refunded": 0,
        "credit": 0,
        "credit_used": 0,
        "transferred": 0,
        "balance_due": 0,
    }
    assert after["items"][0]["status"] == "fulfilled"
    changes = client.get("/v1/order-summaries/S-1/change-orders").json()["change_orders"]
    assert [c["total"] for c in changes] == [980]
    assert 3480 - sum(c["total"] for c in changes) == after["totals"]["grand_total"]


def test_a_prorated_delivery_charge_already_captured_is_refunded_once(
    client: TestClient, order_services: Services
) -> None:
    document = three_units(order_number="S-2")
    document["lines"] = [
        {"id": "1", "sku": "SKU-A", "quantity": 1, "unit_price": 1000, "delivery_group": "DG1"},
        {"id": "2", "sku": "SKU-B", "quantity": 1, "unit_price": 2000, "delivery_group": "DG1"},
    ]
    document["payment"] = {"authorization_id": "A-S2", "amount": 3540}
    summary = client.post("/v1/orders", json=document).json()
    fos = {fo["location_id"]: fo["id"] for fo in summary["fulfillment_orders"]}
    assert set(fos) == {"DC01", "ST02"}
    post(client, f"/v1/fulfillment-orders/{fos['DC01']}/status", {"status": "Fulfilled"})
    # The first shipment captured line 1 and the whole delivery: 10.00 + 5.00 + 0.40.
    assert client.get("/v1/order-summaries/S-2").json()["payment"]["captured"] == 1540
    post(
        client,
        f"/v1/fulfillment-orders/{fos['ST02']}/cancel",
        {"lines": [{"line_id": "2", "quantity": 1}]},
    )
    body = {"lines": [{"line_id": "2", "quantity": 1}], "prorate_delivery": True}
    answer = post(client, "/v1/order-summaries/S-2/cancel", body, key="k-2").json()
    # Half the units are gone: half the delivery (2.50 + 0.20) goes back as a refund.
    assert (answer["refund"], answer["capture_reduced"]) == (270, 2000)
    again = post(client, "/v1/order-summaries/S-2/cancel", body, key="k-2").json()
    assert again["change_order_id"] == answer["change_order_id"]
    after = client.get("/v1/order-summaries/S-2").json()
    assert after["payment"]["refunded"] == 270
    assert after["payment"]["captured"] - after["payment"]["refunded"] == 1270
    assert after["totals"]["grand_total"] == 1270 and after["payment"]["balance_due"] == 0
    assert order_services.gateway.refunded == 270  # type: ignore[attr-defined]
    assert after["items"][1]["status"] == "canceled"


def test_cancel_refuses_more_than_cancelable_a_reused_key_and_unmanaged_summaries(
    client: TestClient,
) -> None:
    client.post("/v1/orders", json=three_units())
    before = client.get("/v1/order-summaries/S-1").json()
    too_many = post(
        client,
        "/v1/order-summaries/S-1/cancel",
        {"lines": [{"line_id": "1", "quantity": 1}]},
        key="k",
    )
    assert too_many.status_code == 422  # all three units sit in a fulfillment order
    assert [d["field"] for d in too_many.json()["detail"]] == ["lines[0].quantity"]
    assert client.get("/v1/order-summaries/S-1").json() == before
    fo = before["fulfillment_orders"][0]["id"]
    post(
        client, f"/v1/fulfillment-orders/{fo}/cancel", {"lines": [{"line_id": "1", "quantity": 2}]}
    )
    ok = post(
        client,
        "/v1/order-summaries/S-1/cancel",
        {"lines": [{"line_id": "1", "quantity": 1}]},
        key="k",
    )
    assert ok.status_code == 200
    other = post(
        client,
        "/v1/order-summaries/S-1/cancel",
        {"lines": [{"line_id": "1", "quantity": 2}]},
        key="k",
    )
    assert other.status_code == 409
    assert client.get("/v1/order-summaries/S-1").json()["items"][0]["quantity_canceled"] == 1
    unknown = post(
        client, "/v1/order-summaries/S-1/cancel", {"lines": [{"line_id": "9", "quantity": 1}]}
    )
    assert unknown.status_code == 422
    over_fo = post(
        client, f"/v1/fulfillment-orders/{fo}/cancel", {"lines": [{"line_id": "1", "quantity": 5}]}
    )
    assert over_fo.status_code == 422
    client.post(
        "/v1/orders", json=three_units(order_number="U-1", lifecycle="unmanaged", payment=None)
    )
    unmanaged = post(
        client, "/v1/order-summaries/U-1/cancel", {"lines": [{"line_id": "1", "quantity": 1}]}
    )
    assert unmanaged.status_code == 409
    assert "unmanaged" in unmanaged.json()["message"]


def test_taking_units_off_a_fulfillment_order_is_idempotent_on_its_key(
    client: TestClient,
) -> None:
    summary = client.post("/v1/orders", json=three_units()).json()
    fo = summary["fulfillment_orders"][0]["id"]
    body = {"lines": [{"line_id": "1", "quantity": 1}]}
    first = post(client, f"/v1/fulfillment-orders/{fo}/cancel", body, key="off-1")
    again = post(client, f"/v1/fulfillment-orders/{fo}/cancel", body, key="off-1")
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["lines"][0]["quantity_canceled"] == 1  # not 2
    held = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"}).json()
    assert held["reserved"] == 2
    other = post(
        client,
        f"/v1/fulfillment-orders/{fo}/cancel",
        {"lines": [{"line_id": "1", "quantity": 2}]},
        key="off-1",
    )
    assert other.status_code == 409
    item = client.get("/v1/order-summaries/S-1").json()["items"][0]
    assert item["quantity_allocated"] == 2
