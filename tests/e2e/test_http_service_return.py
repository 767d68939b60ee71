"""A direct return (no RMA) after capture, with a fee and a restock, on both stacks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services
from tests.support.orders import order
from tests.support.service import place_and_ship, returns_client, shirts


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    with returns_client(order_services) as test_client:
        yield test_client


def shipped_order(client: TestClient) -> dict[str, Any]:
    """2 shirts at 19.99, 2.00 off the line, 3.20 tax, shipping 5.99 + 0.48: 47.65, shipped."""
    return place_and_ship(client, shirts("T-1", 2, tax=320, discount=200))


def on_hand(client: TestClient) -> int:
    answer = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"})
    figure: int = answer.json()["on_hand"]
    return figure


def test_returning_a_discounted_taxed_unit_with_a_fee_refunds_the_rest_and_restocks(
    client: TestClient,
) -> None:
    shipped_order(client)
    assert on_hand(client) == 3
    body = {
        "lines": [{"line_id": "1", "quantity": 1, "reason": "changed_mind"}],
        "location_id": "DC01",
    }
    preview = client.post("/v1/order-summaries/T-1/return/preview", json=body).json()
    # One shirt gives back 19.99 − 1.00 (its discount share) + 1.60 (its tax) = 20.59;
    # the changed-mind fee keeps 3.00: 17.59 refunded.
    assert (preview["refund"], preview["change_order"]["fee"]) == (1759, 300)
    assert client.get("/v1/order-summaries/T-1").json()["payment"]["refunded"] == 0

    done = client.post(
        "/v1/order-summaries/T-1/return", json=body, headers={"Idempotency-Key": "r-1"}
    ).json()
    assert (done["refund"], done["capture_reduced"]) == (1759, 0)
    memo = client.get(f"/v1/credit-memos/{done['credit_memo_id']}").json()
    assert (memo["product"], memo["discount"], memo["tax"], memo["fee"], memo["total"]) == (
        1999,
        100,
        160,
        300,
        1759,
    )
    assert memo["refund_status"] == "done"
    again = client.post(
        "/v1/order-summaries/T-1/return", json=body, headers={"Idempotency-Key": "r-1"}
    ).json()
    assert again["change_order_id"] == done["change_order_id"]
    summary = client.get("/v1/order-summaries/T-1").json()
    item = summary["items"][0]
    assert (item["quantity_returned"], item["quantity_available_to_return"]) == (1, 1)
    assert summary["totals"] == {
        "product": 1999,
        "discount": 100,
        "delivery": 599,
        "tax": 208,
        "fees": 300,
        "grand_total": 3006,
    }
    assert summary["payment"]["refunded"] == 1759
    assert summary["payment"]["captured"] - summary["payment"]["refunded"] == 3006
    assert on_hand(client) == 4  # restocked at DC01

    damaged = {
        "lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}],
        "location_id": "DC01",
    }
    second = client.post("/v1/order-summaries/T-1/return", json=damaged).json()
    assert (second["refund"], second["change_order"]["fee"]) == (2059, 0)
    final = client.get("/v1/order-summaries/T-1").json()
    assert final["items"][0]["status"] == "returned"
    # What the customer paid in the end: the delivery (5.99 + 0.48) and the 3.00 fee.
    assert final["totals"]["grand_total"] == 947
    assert final["payment"]["captured"] - final["payment"]["refunded"] == 947
    assert on_hand(client) == 4  # a damaged return does not go back into stock


def test_a_return_refuses_what_was_not_shipped_and_unmanaged_summaries(client: TestClient) -> None:
    shipped_order(client)
    body = {"lines": [{"line_id": "1", "quantity": 3, "reason": "damaged"}]}
    too_many = client.post("/v1/order-summaries/T-1/return", json=body)
    assert too_many.status_code == 422
    assert [d["field"] for d in too_many.json()["detail"]] == ["lines[0].quantity"]
    assert client.get("/v1/order-summaries/T-1").json()["payment"]["refunded"] == 0
    nowhere = client.post(
        "/v1/order-summaries/T-1/return",
        json={"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}], "location_id": "X9"},
    )
    assert nowhere.status_code == 422
    client.post("/v1/orders", json=order("U-2", lifecycle="unmanaged", payment=None))
    unmanaged = client.post(
        "/v1/order-summaries/U-2/return",
        json={"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]},
    )
    assert unmanaged.status_code == 409
    assert client.get("/v1/credit-memos/CM-nope").status_code == 404


def test_a_return_that_refunds_the_delivery_credits_the_charge_once(client: TestClient) -> None:
    shipped_order(client)
    body = {
        "lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}],
        "refund_delivery": True,
    }
    done = client.post("/v1/order-summaries/T-1/return", json=body).json()
    # the first shirt's 19.99 − 1.00 + 1.60 tax, and the shipping 5.99 + 0.48: 27.06, no fee
    assert (done["refund"], done["change_order"]["delivery"]) == (2706, 599)
    memo = client.get(f"/v1/credit-memos/{done['credit_memo_id']}").json()
    assert (memo["delivery"], memo["total"]) == (647, 2706)
    assert done["summary"]["totals"]["delivery"] == 0
    # the second shirt's return has no delivery left to give back
    again = client.post("/v1/order-summaries/T-1/return", json=body).json()
    assert (again["refund"], again["change_order"]["delivery"]) == (1999 - 100 + 160, 0)
    after = client.get("/v1/order-summaries/T-1").json()
    assert after["payment"]["refunded"] == 4765 == after["payment"]["captured"]
    assert after["totals"]["grand_total"] == 0 and after["payment"]["balance_due"] == 0
