"""Return Orders (RMA) over HTTP, on both stacks: open, approve, receive in parts, cancel, and
the refusals, with the money spelled out from a retailer's point of view."""

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


def shipped_order(client: TestClient, number: str = "T-1") -> dict[str, Any]:
    """3 shirts at 19.99, 3.00 off the line, 4.80 tax, shipping 5.99 + 0.48: 68.24, shipped
    from DC01 and captured."""
    return place_and_ship(client, shirts(number, 3, tax=480, discount=300))


def on_hand(client: TestClient) -> int:
    answer = client.get("/v1/availability", params={"location_id": "DC01", "sku": "SKU-A"})
    figure: int = answer.json()["on_hand"]
    return figure


def item(client: TestClient, number: str = "T-1") -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/v1/order-summaries/{number}").json()["items"][0]
    return found


def open_rma(
    client: TestClient, quantity: int, *, key: str = "rma-1", reason: str = "changed_mind"
) -> dict[str, Any]:
    body = {
        "lines": [{"line_id": "1", "quantity": quantity, "reason": reason}],
        "location_id": "DC01",
    }
    answer = client.post(
        "/v1/order-summaries/T-1/return-orders", json=body, headers={"Idempotency-Key": key}
    )
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def approved_rma(client: TestClient, quantity: int) -> str:
    ro_id: str = open_rma(client, quantity)["id"]
    assert client.post(f"/v1/return-orders/{ro_id}/approve").json()["status"] == "Approved"
    return ro_id


def receive(client: TestClient, ro_id: str, key: str | None, **line: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/v1/return-orders/{ro_id}/receive",
        json={"lines": [{"line_id": "1", **line}]},
        headers=headers,
    )


def test_an_rma_received_in_two_parts_refunds_each_returned_unit_once_less_its_fee(
    client: TestClient,
) -> None:
    shipped_order(client)
    assert on_hand(client) == 2
    ro = open_rma(client, 3)
    assert ro["id"].startswith("RO-")
    assert (ro["status"], ro["location_id"], ro["change_order_ids"]) == ("Submitted", "DC01", [])
    assert ro["lines"][0] | {"sku": "SKU-A"} == ro["lines"][0]
    assert (ro["lines"][0]["quantity_expected"], ro["lines"][0]["quantity_outstanding"]) == (3, 3)
    assert open_rma(client, 3) == ro  # the same key and body answer the first result again
    shirt = item(client)
    assert (shirt["quantity_return_initiated"], shirt["quantity_available_to_return"]) == (3, 0)
    assert shirt["status"] == "return initiated"
    assert client.post(f"/v1/return-orders/{ro['id']}/approve").json()["status"] == "Approved"

    # Two shirts arrive: one is taken back, one is worn and goes back to the customer.
    # The shirt taken back gives back 19.99 − 1.00 (its discount share) + 1.60 (its tax)
    # = 20.59; the changed-mind fee keeps 3.00: 17.59 refunded.
    first = receive(
        client,
        ro["id"],
        "rcv-1",
        quantity_received=2,
        quantity_returned=1,
        quantity_rejected=1,
        rejection_reason="worn",
    )
    assert first.status_code == 200, first.text
    part = first.json()
    assert (part["status"], part["refund"]) == ("Received", 1759)
    assert part["change_order_ids"] == [part["change_order_id"]]
    assert part["summary"]["payment"]["refunded"] == 1759
    memo = client.get(f"/v1/credit-memos/{part['credit_memo_id']}").json()
    assert (memo["product"], memo["discount"], memo["tax"], memo["fee"], memo["total"]) == (
        1999,
        100,
        160,
        300,
        1759,
    )
    assert memo["refund_status"] == "done"
    line = part["lines"][0]
    assert (
        line["quantity_received"],
        line["quantity_returned"],
        line["quantity_rejected"],
        line["quantity_outstanding"],
        line["rejection_reasons"],
    ) == (2, 1, 1, 1, ["worn"])
    shirt = item(client)
    # the rejected shirt is the customer's again: it may be returned later
    assert (shirt["quantity_returned"], shirt["quantity_return_initiated"]) == (1, 2)
    assert shirt["quantity_available_to_return"] == 1
    assert on_hand(client) == 3  # changed mind restocks at DC01

    again = receive(
        client,
        ro["id"],
        "rcv-1",
        quantity_received=2,
        quantity_returned=1,
        quantity_rejected=1,
        rejection_reason="worn",
    ).json()
    assert (again["change_order_id"], again["refund"]) == (part["change_order_id"], 1759)
    assert client.get("/v1/order-summaries/T-1").json()["payment"]["refunded"] == 1759
    assert on_hand(client) == 3

    rest = receive(client, ro["id"], "rcv-2", quantity_received=1, quantity_returned=1).json()
    assert (rest["status"], rest["refund"]) == ("Closed", 1759)
    assert rest["change_order_ids"] == [part["change_order_id"], rest["change_order_id"]]
    summary = client.get("/v1/order-summaries/T-1").json()
    # What the customer keeps: one shirt (19.99 − 1.00 + 1.60), the delivery (5.99 + 0.48),
    # and two fees of 3.00: 33.06 of the 68.24 captured; 35.18 refunded.
    assert summary["totals"] == {
        "product": 1999,
        "discount": 100,
        "delivery": 599,
        "tax": 208,
        "fees": 600,
        "grand_total": 3306,
    }
    assert (summary["payment"]["captured"], summary["payment"]["refunded"]) == (6824, 3518)
    shirt = summary["items"][0]
    assert (shirt["quantity_returned"], shirt["quantity_return_initiated"]) == (2, 2)
    assert on_hand(client) == 4
    kinds = client.get("/v1/order-summaries/T-1/change-orders").json()["change_orders"]
    assert [(c["kind"], c["refund"], c["fee"]) for c in kinds] == [("return", 1759, 300)] * 2
    listed = client.get("/v1/order-summaries/T-1/return-orders").json()["return_orders"]
    assert listed == [client.get(f"/v1/return-orders/{ro['id']}").json()]
    assert listed[0]["status"] == "Closed"
    refused = client.post(f"/v1/return-orders/{ro['id']}/cancel")
    assert refused.status_code == 409


def test_receiving_more_than_expected_is_refused_and_changes_nothing(client: TestClient) -> None:
    shipped_order(client)
    ro_id = approved_rma(client, 2)
    before = (client.get(f"/v1/return-orders/{ro_id}").json(), item(client), on_hand(client))
    for line, field in [
        ({"quantity_received": 3, "quantity_returned": 3}, "quantity_received"),
        (
            {"quantity_received": 1, "quantity_returned": 1, "quantity_canceled": 2},
            "quantity_received",
        ),
        (
            {"quantity_received": 0, "quantity_returned": 0, "quantity_canceled": 3},
            "quantity_canceled",
        ),
        ({"quantity_received": 2, "quantity_returned": 1}, "quantity_received"),
        (
            {"quantity_received": 1, "quantity_returned": 0, "quantity_rejected": 1},
            "rejection_reason",
        ),
    ]:
        answer = receive(client, ro_id, "rcv-x", **line)
        assert answer.status_code == 422, line
        assert [d["field"] for d in answer.json()["detail"]] == [f"lines[0].{field}"]
    after = (client.get(f"/v1/return-orders/{ro_id}").json(), item(client), on_hand(client))
    assert after == before
    summary = client.get("/v1/order-summaries/T-1").json()
    assert summary["payment"]["refunded"] == 0
    assert client.get("/v1/order-summaries/T-1/change-orders").json()["change_orders"] == []
    # the key of a refused receipt was not spent: a good body may use it
    good = receive(client, ro_id, "rcv-x", quantity_received=2, quantity_returned=2)
    assert good.json()["status"] == "Closed"


def test_an_rma_cannot_expect_more_than_is_available_to_return(client: TestClient) -> None:
    shipped_order(client)
    open_rma(client, 2)
    body = {"lines": [{"line_id": "1", "quantity": 2, "reason": "damaged"}]}
    too_many = client.post("/v1/order-summaries/T-1/return-orders", json=body)
    assert too_many.status_code == 422
    assert [d["field"] for d in too_many.json()["detail"]] == ["lines[0].quantity"]
    unknown_line = client.post(
        "/v1/order-summaries/T-1/return-orders",
        json={"lines": [{"line_id": "9", "quantity": 1, "reason": "damaged"}]},
    )
    assert [d["field"] for d in unknown_line.json()["detail"]] == ["lines[0].line_id"]
    nowhere = client.post(
        "/v1/order-summaries/T-1/return-orders",
        json={"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}], "location_id": "X9"},
    )
    assert nowhere.status_code == 422
    assert [d["field"] for d in nowhere.json()["detail"]] == ["location_id"]
    assert item(client)["quantity_return_initiated"] == 2
    listed = client.get("/v1/order-summaries/T-1/return-orders").json()["return_orders"]
    assert len(listed) == 1
    one_more = {"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]}
    assert client.post("/v1/order-summaries/T-1/return-orders", json=one_more).is_success
    assert item(client)["quantity_available_to_return"] == 0


def test_canceling_an_rma_gives_its_units_back_to_available_to_return(client: TestClient) -> None:
    shipped_order(client)
    ro_id = open_rma(client, 2)["id"]
    early = receive(client, ro_id, None, quantity_received=1, quantity_returned=1)
    assert early.status_code == 409  # not approved yet
    assert client.post(f"/v1/return-orders/{ro_id}/approve").is_success
    assert client.post(f"/v1/return-orders/{ro_id}/approve").status_code == 409
    canceled = client.post(f"/v1/return-orders/{ro_id}/cancel").json()
    assert canceled["status"] == "Canceled"
    assert (
        canceled["lines"][0]["quantity_canceled"],
        canceled["lines"][0]["quantity_outstanding"],
    ) == (2, 0)
    shirt = item(client)
    assert (shirt["quantity_return_initiated"], shirt["quantity_available_to_return"]) == (0, 3)
    assert shirt["status"] == "fulfilled"
    for action in ("approve", "cancel"):
        assert client.post(f"/v1/return-orders/{ro_id}/{action}").status_code == 409
    late = receive(client, ro_id, None, quantity_received=1, quantity_returned=1)
    assert late.status_code == 409
    assert item(client)["quantity_return_initiated"] == 0


def test_a_receipt_of_only_rejected_and_canceled_units_refunds_nothing(client: TestClient) -> None:
    shipped_order(client)
    ro_id = approved_rma(client, 2)
    answer = receive(
        client,
        ro_id,
        "rcv-1",
        quantity_received=1,
        quantity_returned=0,
        quantity_rejected=1,
        quantity_canceled=1,
        rejection_reason="not ours",
    ).json()
    assert (answer["status"], answer["change_order_id"], answer["refund"]) == ("Closed", None, 0)
    assert (answer["credit_memo_id"], answer["change_order_ids"]) == (None, [])
    assert answer["summary"]["payment"]["refunded"] == 0
    shirt = item(client)
    assert (shirt["quantity_return_initiated"], shirt["quantity_returned"]) == (0, 0)
    assert client.get("/v1/order-summaries/T-1/change-orders").json()["change_orders"] == []
    assert on_hand(client) == 2  # nothing came back into stock


def test_return_orders_refuse_unmanaged_summaries_reused_keys_and_unknown_ids(
    client: TestClient,
) -> None:
    shipped_order(client)
    client.post("/v1/orders", json=order("U-2", lifecycle="unmanaged", payment=None))
    body = {"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]}
    unmanaged = client.post("/v1/order-summaries/U-2/return-orders", json=body)
    assert (unmanaged.status_code, unmanaged.json()["error"]) == (409, "not_managed")

    ro = open_rma(client, 1, key="k-1")
    other = client.post(
        "/v1/order-summaries/T-1/return-orders", json=body, headers={"Idempotency-Key": "k-1"}
    )
    assert (other.status_code, other.json()["error"]) == (409, "idempotency_key_reused")
    assert len(client.get("/v1/order-summaries/T-1/return-orders").json()["return_orders"]) == 1
    assert item(client)["quantity_return_initiated"] == 1

    assert client.post(f"/v1/return-orders/{ro['id']}/approve").is_success
    done = receive(client, ro["id"], "r-1", quantity_received=1, quantity_returned=1)
    assert done.status_code == 200
    reused = receive(
        client,
        ro["id"],
        "r-1",
        quantity_received=1,
        quantity_returned=0,
        quantity_rejected=1,
        rejection_reason="worn",
    )
    assert (reused.status_code, reused.json()["error"]) == (409, "idempotency_key_reused")
    assert client.get("/v1/order-summaries/T-1").json()["payment"]["refunded"] == 1759

    assert client.get("/v1/return-orders/RO-nope").status_code == 404
    assert client.post("/v1/return-orders/RO-nope/approve").status_code == 404
    assert (
        receive(client, "RO-nope", None, quantity_received=1, quantity_returned=1).status_code
        == 404
    )
    assert client.get("/v1/order-summaries/NOPE/return-orders").status_code == 404


def test_previews_of_an_rma_and_of_a_receipt_show_the_money_and_write_nothing(
    client: TestClient,
) -> None:
    shipped_order(client)
    body = {"lines": [{"line_id": "1", "quantity": 2, "reason": "changed_mind"}]}
    before = client.get("/v1/order-summaries/T-1").json()
    preview = client.post("/v1/order-summaries/T-1/return-orders/preview", json=body).json()
    assert (preview["id"], preview["status"]) == (None, "Submitted")
    assert preview["summary"]["items"][0]["quantity_return_initiated"] == 2
    assert client.get("/v1/order-summaries/T-1").json() == before
    assert client.get("/v1/order-summaries/T-1/return-orders").json()["return_orders"] == []

    ro_id = approved_rma(client, 2)
    before = client.get("/v1/order-summaries/T-1").json()
    line = {"line_id": "1", "quantity_received": 1, "quantity_returned": 1}
    seen = client.post(f"/v1/return-orders/{ro_id}/receive/preview", json={"lines": [line]})
    assert seen.status_code == 200, seen.text
    # one shirt back: 19.99 − 1.00 + 1.60, less the 3.00 fee
    assert (seen.json()["refund"], seen.json()["change_order_id"]) == (1759, None)
    assert seen.json()["summary"]["items"][0]["quantity_returned"] == 1
    assert client.get("/v1/order-summaries/T-1").json() == before
    assert client.get(f"/v1/return-orders/{ro_id}").json()["status"] == "Approved"
    assert on_hand(client) == 2
