"""Exchanges: a return paying for replacements on a new, linked, routed Order Summary, with
the money spelled out, on both stacks.

The order of every test: 2 shirts at 19.99, 2.00 off the line, 3.20 tax, shipping 5.99 +
0.48: 47.65, shipped and captured. One shirt back gives 19.99 − 1.00 (its discount share)
+ 1.60 (its tax share) = 20.59; a changed-mind return keeps a 3.00 fee (credit 17.59), a
damaged one keeps nothing (credit 20.59).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services
from inventory.records import parse_json
from tests.support.orders import order
from tests.support.service import place_and_ship, returns_client, shirts

JACKET = {"sku": "JACKET-M", "quantity": 1, "unit_price": 4999, "tax": 400}  # 53.99


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    order_services.inventory.upsert(
        parse_json([{"location_id": "DC01", "sku": "JACKET-M", "on_hand": 4}])
    )
    with returns_client(order_services) as test_client:
        yield test_client


def shipped_order(client: TestClient) -> dict[str, Any]:
    """T-1: 2 shirts at 19.99, 2.00 off the line, 3.20 tax, shipping 5.99 + 0.48: 47.65,
    shipped from DC01 and captured."""
    return place_and_ship(client, shirts("T-1", 2, tax=320, discount=200))


def on_hand(client: TestClient, sku: str = "SKU-A") -> int:
    answer = client.get("/v1/availability", params={"location_id": "DC01", "sku": sku})
    figure: int = answer.json()["on_hand"]
    return figure


def post(client: TestClient, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    return client.post(path, json=body, headers={"Idempotency-Key": key} if key else {})


def ship(client: TestClient, summary: dict[str, Any]) -> dict[str, Any]:
    """Ship the summary's only FO; returns its invoice."""
    (fo,) = summary["fulfillment_orders"]
    shipped = post(client, f"/v1/fulfillment-orders/{fo['id']}/status", {"status": "Fulfilled"})
    assert shipped.status_code == 200, shipped.text
    (invoice_id,) = shipped.json()["invoice_ids"]
    invoice: dict[str, Any] = client.get(f"/v1/invoices/{invoice_id}").json()
    return invoice


def test_an_exchange_for_a_pricier_item_charges_the_difference_on_a_new_authorization(
    client: TestClient, order_services: Services
) -> None:
    original = shipped_order(client)
    body: dict[str, Any] = {
        "returns": [{"line_id": "1", "quantity": 1, "reason": "changed_mind"}],
        "replacements": [JACKET],
        "location_id": "DC01",
        "reason": "wrong item",
    }
    # The jacket costs 49.99 + 4.00 tax = 53.99; the shirt's credit is 20.59 − 3.00 = 17.59:
    # 53.99 − 17.59 = 36.40 to charge, nothing to refund.
    preview = post(client, "/v1/order-summaries/T-1/exchange/preview", body).json()
    assert (preview["charge"], preview["refund"], preview["change_order_id"]) == (3640, 0, None)
    assert (preview["change_order"]["applied"], preview["change_order"]["fee"]) == (1759, 300)
    assert preview["exchange_order_summary"] is None
    assert client.get("/v1/order-summaries/T-1-EX1").status_code == 404  # preview wrote nothing

    unpaid = post(client, "/v1/order-summaries/T-1/exchange", body, key="x-1")
    assert unpaid.status_code == 422
    assert [d["field"] for d in unpaid.json()["detail"]] == ["payment"]
    short = {**body, "payment": {"authorization_id": "A-EX1", "amount": 3639}}
    too_little = post(client, "/v1/order-summaries/T-1/exchange", short)
    assert [d["field"] for d in too_little.json()["detail"]] == ["payment.amount"]
    assert client.get("/v1/order-summaries/T-1").json()["items"][0]["quantity_returned"] == 0

    body["payment"] = {"authorization_id": "A-EX1", "amount": 3640}
    done = post(client, "/v1/order-summaries/T-1/exchange", body, key="x-1").json()
    assert (done["charge"], done["refund"], done["capture_reduced"]) == (3640, 0, 0)
    change = done["change_order"]
    new = done["exchange_order_summary"]
    assert (change["kind"], change["reason"], change["linked_id"]) == (
        "exchange",
        "wrong item",
        new["id"],
    )
    assert (change["total"], change["fee"], change["applied"], change["refund"]) == (
        2059,
        300,
        1759,
        0,
    )
    memo = client.get(f"/v1/credit-memos/{done['credit_memo_id']}").json()
    assert (memo["total"], memo["applied"], memo["refunded"]) == (1759, 1759, 0)

    assert done["summary"]["id"] == original["id"]
    assert done["summary"]["items"][0]["quantity_returned"] == 1
    assert done["summary"]["payment"]["refunded"] == 0
    # the credit moved to the new summary: the original owes nothing and is owed nothing
    assert done["summary"]["payment"]["transferred"] == 1759
    assert done["summary"]["payment"]["balance_due"] == 0
    assert on_hand(client) == 4  # the changed-mind shirt went back into DC01's stock

    assert (new["order_number"], new["exchange_of"], new["source"]) == (
        "T-1-EX1",
        original["id"],
        "exchange",
    )
    assert [(i["sku"], i["quantity_ordered"], i["status"]) for i in new["items"]] == [
        ("JACKET-M", 1, "allocated")
    ]
    assert new["totals"]["grand_total"] == 5399  # no delivery charge on an exchange
    assert new["payment"] == {
        "authorization_id": "A-EX1",
        "authorized": 3640,
        "captured": 0,
        "refunded": 0,
        "balance_due": 5399,
        "credit": 1759,
        "credit_used": 0,
        "transferred": 0,
    }
    assert [(fo["location_id"], fo["status"]) for fo in new["fulfillment_orders"]] == [
        ("DC01", "Allocated")
    ]
    assert client.get("/v1/orders/T-1-EX1").json()["source"] == "exchange"

    # Shipping the jacket captures 53.99: the 17.59 credit first, 36.40 on the new card.
    invoice = ship(client, new)
    assert (invoice["status"], invoice["captured"], invoice["total"]) == ("paid", 5399, 5399)
    after = client.get(f"/v1/order-summaries/{new['id']}").json()
    assert (after["payment"]["captured"], after["payment"]["credit_used"]) == (5399, 1759)
    assert order_services.gateway.captured == 4765 + 3640  # type: ignore[attr-defined]
    assert order_services.gateway.refunded == 0  # type: ignore[attr-defined]


def test_an_even_exchange_charges_nothing_refunds_nothing_and_ships_on_the_credit(
    client: TestClient, order_services: Services
) -> None:
    original = shipped_order(client)
    # The same shirt, priced at what the damaged one was paid: 18.99 + 1.60 tax = 20.59.
    body = {
        "returns": [{"line_id": "1", "quantity": 1, "reason": "damaged"}],
        "replacements": [{"sku": "SKU-A", "quantity": 1, "unit_price": 1899, "tax": 160}],
    }
    done = post(client, "/v1/order-summaries/T-1/exchange", body, key="even").json()
    assert (done["charge"], done["refund"], done["change_order"]["applied"]) == (0, 0, 2059)
    new = done["exchange_order_summary"]
    assert new["exchange_of"] == original["id"]
    assert new["payment"] == {
        "authorization_id": f"credit:{done['credit_memo_id']}",
        "authorized": 0,
        "captured": 0,
        "refunded": 0,
        "balance_due": 2059,
        "credit": 2059,
        "credit_used": 0,
        "transferred": 0,
    }
    group = new["delivery_groups"][0]
    assert (group["method"], group["lat"], group["lon"], group["charge"]) == (
        "ship",
        40.73,
        -74.17,
        0,
    )
    assert len(new["fulfillment_orders"]) == 1

    invoice = ship(client, new)  # 20.59, all of it from the credit: no gateway call
    assert (invoice["status"], invoice["captured"]) == ("paid", 2059)
    after = client.get("/v1/order-summaries/T-1-EX1").json()
    assert (after["payment"]["captured"], after["payment"]["credit_used"]) == (2059, 2059)
    assert after["payment"]["balance_due"] == 0
    assert order_services.gateway.captured == 4765  # type: ignore[attr-defined]
    assert order_services.gateway.refunded == 0  # type: ignore[attr-defined]
    assert client.get("/v1/order-summaries/T-1").json()["payment"]["refunded"] == 0

    # The replacement comes back too: the credit goes back where it came from, the original
    # order's card (20.59, no fee for a damaged item).
    back = {"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]}
    returned = post(client, "/v1/order-summaries/T-1-EX1/return", back, key="back").json()
    assert returned["refund"] == 2059
    assert returned["summary"]["payment"]["refunded"] == 2059
    assert order_services.gateway.refunded == 2059  # type: ignore[attr-defined]
    first = client.get("/v1/order-summaries/T-1").json()["payment"]
    assert (first["refunded"], first["transferred"], first["balance_due"]) == (2059, 0, 0)
    changes = client.get("/v1/order-summaries/T-1-EX1/change-orders").json()["change_orders"]
    assert [c["refund_status"] for c in changes] == ["done"]


def test_a_cheaper_replacement_refunds_the_difference_exactly_once(
    client: TestClient, order_services: Services
) -> None:
    shipped_order(client)
    # The damaged shirt's 20.59 pays for 10.00 + 0.80 tax = 10.80; 9.79 is refunded.
    body = {
        "returns": [{"line_id": "1", "quantity": 1, "reason": "damaged"}],
        "replacements": [{"sku": "SKU-A", "quantity": 1, "unit_price": 1000, "tax": 80}],
    }
    done = post(client, "/v1/order-summaries/T-1/exchange", body, key="cheap").json()
    assert (done["charge"], done["refund"], done["change_order"]["applied"]) == (0, 979, 1080)
    assert done["summary"]["payment"]["refunded"] == 979
    memo = client.get(f"/v1/credit-memos/{done['credit_memo_id']}").json()
    assert (memo["total"], memo["refunded"], memo["refund_status"]) == (2059, 979, "done")

    again = post(client, "/v1/order-summaries/T-1/exchange", body, key="cheap").json()
    assert again["change_order_id"] == done["change_order_id"]
    assert again["exchange_order_summary"]["id"] == done["exchange_order_summary"]["id"]
    assert (again["refund"], again["charge"]) == (979, 0)
    assert client.get("/v1/order-summaries/T-1").json()["payment"]["refunded"] == 979
    assert order_services.gateway.refunded == 979  # type: ignore[attr-defined]
    assert client.get("/v1/order-summaries/T-1-EX2").status_code == 404  # one exchange only

    # A second exchange on the same order is EX2; the last shirt (20.59) for a jacket.
    second = {
        "returns": [{"line_id": "1", "quantity": 1, "reason": "damaged"}],
        "replacements": [JACKET],
        "payment": {"authorization_id": "A-EX2", "amount": 3340},
    }
    more = post(client, "/v1/order-summaries/T-1/exchange", second, key="jacket").json()
    assert more["exchange_order_summary"]["order_number"] == "T-1-EX2"
    assert more["charge"] == 5399 - 2059
    changes = client.get("/v1/order-summaries/T-1/change-orders").json()["change_orders"]
    assert [(c["kind"], c["refund"], c["applied"]) for c in changes] == [
        ("exchange", 979, 1080),
        ("exchange", 0, 2059),
    ]


def test_bad_exchanges_are_refused_naming_the_field_and_change_nothing(
    client: TestClient, order_services: Services
) -> None:
    shipped_order(client)
    shirt = [{"line_id": "1", "quantity": 1, "reason": "damaged"}]
    cheap = [{"sku": "SKU-A", "quantity": 1, "unit_price": 500, "tax": 0}]

    def refused(body: dict[str, Any], key: str | None = None) -> tuple[int, list[str]]:
        answer = post(client, "/v1/order-summaries/T-1/exchange", body, key)
        return answer.status_code, [d["field"] for d in answer.json().get("detail", [])]

    unknown = [cheap[0], {"sku": "NOPE-1", "quantity": 1, "unit_price": 100}]
    assert refused({"returns": shirt, "replacements": unknown}) == (
        422,
        ["replacements[1].sku"],
    )
    too_many = [{"line_id": "1", "quantity": 3, "reason": "damaged"}]
    assert refused({"returns": too_many, "replacements": cheap}) == (422, ["returns[0].quantity"])
    zero = [{**cheap[0], "quantity": 0}]
    assert refused({"returns": shirt, "replacements": zero}) == (
        422,
        ["replacements[0].quantity"],
    )
    negative = [{**cheap[0], "unit_price": -1}]
    assert refused({"returns": shirt, "replacements": negative}) == (
        422,
        ["replacements[0].unit_price"],
    )
    assert refused({"returns": shirt, "replacements": []})[0] == 422
    nowhere = {"returns": shirt, "replacements": cheap, "location_id": "X9"}
    assert refused(nowhere) == (422, ["location_id"])
    gateway = {
        "returns": shirt,
        "replacements": [JACKET],
        "payment": {"authorization_id": "A-X", "gateway": "nope", "amount": 9999},
    }
    assert refused(gateway) == (422, ["payment.gateway"])
    expired = {"authorization_id": "A-X", "amount": 9999, "expires_at": "2020-01-01T00:00:00Z"}
    assert refused({**gateway, "payment": expired}) == (422, ["payment.expires_at"])
    needless = {
        "returns": shirt,
        "replacements": cheap,
        "payment": {"authorization_id": "A-X", "amount": 100},
    }
    assert refused(needless) == (422, ["payment"])

    assert refused({"returns": shirt, "replacements": cheap}, key="k")[0] == 200
    other = {"returns": shirt, "replacements": [{**cheap[0], "unit_price": 600}]}
    reused = post(client, "/v1/order-summaries/T-1/exchange", other, key="k")
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"

    summary = client.get("/v1/order-summaries/T-1").json()
    assert summary["items"][0]["quantity_returned"] == 1  # the one accepted exchange only
    assert summary["payment"]["refunded"] == 2059 - 500
    changes = client.get("/v1/order-summaries/T-1/change-orders").json()["change_orders"]
    assert len(changes) == 1
    assert client.get("/v1/order-summaries/T-1-EX2").status_code == 404

    client.post("/v1/orders", json=order("U-2", lifecycle="unmanaged", payment=None))
    unmanaged = post(
        client,
        "/v1/order-summaries/U-2/exchange",
        {"returns": [{"line_id": "1", "quantity": 1, "reason": "damaged"}], "replacements": cheap},
    )
    assert unmanaged.status_code == 409
    assert unmanaged.json()["error"] == "not_managed"


def test_a_replacement_out_of_stock_is_recorded_and_waits_for_stock_like_any_order(
    client: TestClient,
) -> None:
    shipped_order(client)
    # SKU-C is stocked only at ST03, a pickup-only store: nothing can ship it to Newark.
    body = {
        "returns": [{"line_id": "1", "quantity": 1, "reason": "damaged"}],
        "replacements": [{"sku": "SKU-C", "quantity": 1, "unit_price": 1000, "tax": 80}],
    }
    done = post(client, "/v1/order-summaries/T-1/exchange", body, key="c").json()
    new = done["exchange_order_summary"]
    assert (new["status"], new["fulfillment_orders"]) == ("ordered", [])
    assert new["active_process_exception_count"] == 1  # a routing exception asks for stock
    assert done["refund"] == 979  # 20.59 − 10.80: the return's part is done all the same
