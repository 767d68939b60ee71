"""Discounts (adjust) and reshipments over HTTP, with the money spelled out, on both stacks."""

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


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, json=body, headers=headers)


def four_units(number: str) -> dict[str, Any]:
    """4 units of SKU-A at 25.00 with 8.00 tax (2.00 a unit), shipping 5.99 + 0.48 tax:
    100.00 + 8.00 + 6.47 = 114.47, authorized in full."""
    return order(
        number,
        delivery_groups=order()["delivery_groups"][:1],
        lines=[
            {
                "id": "1",
                "sku": "SKU-A",
                "quantity": 4,
                "unit_price": 2500,
                "tax": 800,
                "discount": 0,
                "delivery_group": "DG1",
            }
        ],
        discounts=[],
        payment={"authorization_id": f"A-{number}", "amount": 11447},
    )


def last_invoice(client: TestClient, fo: str) -> Any:
    invoice_id = client.get(f"/v1/fulfillment-orders/{fo}").json()["invoice_ids"][-1]
    return client.get(f"/v1/invoices/{invoice_id}").json()


def ship(client: TestClient, fo: str, units: int | None = None) -> None:
    body: dict[str, Any] = {"status": "Fulfilled"}
    if units is not None:
        body["lines"] = [{"line_id": "1", "quantity": units}]
    shipped = client.post(f"/v1/fulfillment-orders/{fo}/status", json=body)
    assert shipped.is_success, shipped.text


def test_discount_a_half_shipped_line_by_20_percent_refunds_the_shipped_half_now(
    client: TestClient,
) -> None:
    summary = client.post("/v1/orders", json=four_units("AD-1")).json()
    fo = summary["fulfillment_orders"][0]["id"]
    ship(client, fo, 2)  # 2 × 25.00 + 4.00 tax + 6.47 shipping = 60.47 captured
    assert client.get("/v1/order-summaries/AD-1").json()["payment"]["captured"] == 6047

    body = {"lines": [{"line_id": "1", "percent": 20}], "reason": "appeasement"}
    preview = post(client, "/v1/order-summaries/AD-1/adjust/preview", body).json()
    done = post(client, "/v1/order-summaries/AD-1/adjust", body, key="adj-1").json()

    # 20% of 100.00 = 20.00 off, and the tax falls with it: 1.60 of 8.00. Half the units
    # shipped: 10.00 + 0.80 is refunded now (a credit memo), 10.80 will not be captured.
    for answer in (preview, done):
        assert (answer["refund"], answer["capture_reduced"]) == (1080, 1080)
        lines = answer["change_order"]["lines"]  # pre- and post-fulfilment parts
        parts = [(x["quantity"], x["discount"], x["tax"], x["post_fulfilment"]) for x in lines]
        assert parts == [(2, -1000, 80, False), (2, -1000, 80, True)]
        assert answer["summary"]["totals"]["grand_total"] == 11447 - 2160
    assert preview["change_order_id"] is None and preview["credit_memo_id"] is None
    memo = client.get(f"/v1/credit-memos/{done['credit_memo_id']}").json()
    assert (memo["discount"], memo["tax"], memo["total"]) == (-1000, 80, 1080)
    assert done["summary"]["payment"]["refunded"] == 1080

    ship(client, fo)  # the last 2 units: 50.00 − 10.00 + 4.00 − 0.80 = 43.20
    after = client.get("/v1/order-summaries/AD-1").json()
    assert last_invoice(client, fo)["total"] == 4320
    assert after["payment"]["captured"] == 6047 + 4320
    # paid in the end: 80.00 + 6.40 tax + 6.47 shipping = 92.87, the adjusted grand total
    assert after["payment"]["captured"] - after["payment"]["refunded"] == 9287
    assert after["totals"]["grand_total"] == 9287 and after["payment"]["balance_due"] == 0


def test_an_adjustment_is_idempotent_on_its_key(client: TestClient) -> None:
    summary = client.post("/v1/orders", json=four_units("AD-2")).json()
    ship(client, summary["fulfillment_orders"][0]["id"])
    body = {"lines": [{"line_id": "1", "amount": 500}]}
    first = post(client, "/v1/order-summaries/AD-2/adjust", body, key="k").json()
    again = post(client, "/v1/order-summaries/AD-2/adjust", body, key="k").json()
    assert first["change_order_id"] == again["change_order_id"]
    # 5.00 off 100.00 of shipped units and 0.40 of their tax: all refunded, once
    assert client.get("/v1/order-summaries/AD-2").json()["payment"]["refunded"] == 540
    other = post(client, "/v1/order-summaries/AD-2/adjust", {**body, "reason": "x"}, key="k")
    assert other.status_code == 409


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"line_id": "1", "amount": -500}, "lines[0].amount"),
        ({"line_id": "1", "percent": -10}, "lines[0].percent"),
        ({"line_id": "1", "percent": 120}, "lines[0].percent"),
        ({"line_id": "1", "amount": 10001}, "lines[0].amount"),
        ({"line_id": "1"}, "lines[0]"),
        ({"line_id": "1", "amount": 5, "percent": 5}, "lines[0]"),
        ({"line_id": "9", "amount": 5}, "lines[0].line_id"),
    ],
)
def test_an_adjustment_that_is_not_a_discount_is_refused_and_changes_nothing(
    client: TestClient, line: dict[str, Any], field: str
) -> None:
    client.post("/v1/orders", json=four_units("AD-3"))
    before = client.get("/v1/order-summaries/AD-3").json()
    refused = post(client, "/v1/order-summaries/AD-3/adjust", {"lines": [line]}, key="bad")
    assert refused.status_code == 422, refused.text
    assert field in refused.text
    assert client.get("/v1/order-summaries/AD-3").json() == before
    assert client.get("/v1/order-summaries/AD-3/change-orders").json()["change_orders"] == []


def test_a_reship_of_a_lost_parcel_routes_replacements_at_no_charge(client: TestClient) -> None:
    document = four_units("RS-1")
    document["lines"][0]["quantity"] = 1  # 1 × 25.00 + 8.00 tax + 6.47 shipping
    document["lines"][0]["tax"] = 200
    document["payment"]["amount"] = 3347
    summary = client.post("/v1/orders", json=document).json()
    ship(client, summary["fulfillment_orders"][0]["id"])
    captured = client.get("/v1/order-summaries/RS-1").json()["payment"]["captured"]
    assert captured == 3347

    body = {"lines": [{"line_id": "1", "quantity": 1}], "reason": "lost_in_transit"}
    preview = post(client, "/v1/order-summaries/RS-1/reship/preview", body).json()
    assert [i["line_id"] for i in preview["summary"]["items"]] == ["1", "1-R1"]
    assert client.get("/v1/order-summaries/RS-1").json()["items"][0]["quantity_reshipped"] == 0
    done = post(client, "/v1/order-summaries/RS-1/reship", body, key="rs").json()

    # the replacement line: 25.00 with 25.00 off and no tax; nothing refunded or captured
    assert (done["refund"], done["capture_reduced"], done["credit_memo_id"]) == (0, 0, None)
    assert done["change_order"]["total"] == 0
    items = {i["line_id"]: i for i in done["summary"]["items"]}
    assert items["1"]["quantity_reshipped"] == 1 and items["1"]["status"] == "reshipped"
    assert items["1-R1"]["reship_of"] == "1" and items["1-R1"]["quantity_allocated"] == 1
    assert done["summary"]["totals"]["grand_total"] == 3347
    replacement = [
        fo for fo in done["summary"]["fulfillment_orders"] if fo["status"] != "Fulfilled"
    ]
    assert len(replacement) == 1 and replacement[0]["status"] == "Allocated"

    ship(client, replacement[0]["id"])
    after = client.get("/v1/order-summaries/RS-1").json()
    invoice = last_invoice(client, replacement[0]["id"])
    assert (invoice["total"], invoice["status"]) == (0, "paid")
    assert after["payment"]["captured"] == 3347 and after["payment"]["balance_due"] == 0
    assert after["active_process_exception_count"] == 0
    again = post(client, "/v1/order-summaries/RS-1/reship", body, key="rs").json()
    assert again["change_order_id"] == done["change_order_id"]
    # the one unit shipped was reshipped already: another reship is refused
    refused = post(client, "/v1/order-summaries/RS-1/reship", body, key="rs-2")
    assert refused.status_code == 422 and "lines[0].quantity" in refused.text


def test_reshipping_units_never_shipped_is_refused(client: TestClient) -> None:
    client.post("/v1/orders", json=four_units("RS-2"))
    refused = post(
        client, "/v1/order-summaries/RS-2/reship", {"lines": [{"line_id": "1", "quantity": 1}]}
    )
    assert refused.status_code == 422 and "lines[0].quantity" in refused.text


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("adjust", {"lines": [{"line_id": "1", "percent": 10}]}),
        ("reship", {"lines": [{"line_id": "1", "quantity": 1}]}),
        ("cancel", {"lines": [{"line_id": "1", "quantity": 1}]}),
        ("return", {"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]}),
        ("return-orders", {"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]}),
    ],
)
def test_no_service_action_touches_an_unmanaged_summary(
    client: TestClient, action: str, body: dict[str, Any]
) -> None:
    document = {**four_units("UN-1"), "lifecycle": "unmanaged", "payment": None}
    assert client.post("/v1/orders", json=document).status_code == 201
    before = client.get("/v1/order-summaries/UN-1").json()
    refused = post(client, f"/v1/order-summaries/UN-1/{action}", body, key="u")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "not_managed" and "unmanaged" in refused.json()["message"]
    assert client.get("/v1/order-summaries/UN-1").json() == before


def test_a_reship_key_sent_again_with_another_body_is_refused(client: TestClient) -> None:
    summary = client.post("/v1/orders", json=four_units("RS-3")).json()
    ship(client, summary["fulfillment_orders"][0]["id"])
    body = {"lines": [{"line_id": "1", "quantity": 1}]}
    assert post(client, "/v1/order-summaries/RS-3/reship", body, key="k").is_success
    before = client.get("/v1/order-summaries/RS-3").json()
    other = {"lines": [{"line_id": "1", "quantity": 2}]}
    refused = post(client, "/v1/order-summaries/RS-3/reship", other, key="k")
    assert refused.status_code == 409, refused.text
    assert client.get("/v1/order-summaries/RS-3").json() == before
