"""Return Orders (RMA) and exchanges on the Order Summary page: an agent cancels one return
order, starts another after its preview, approves it and receives its unit after the
receipt's preview (a refund and a credit memo, as the API's preview said); an exchange of a
delivered unit for a pricier one after its preview (the difference charged on a new
authorization, a new routed order); a store key gets 403 on every such POST, and a POST
without its CSRF token is refused and changes nothing."""

from __future__ import annotations

from typing import Any

from access.scopes import Scope
from api.cli_views import money
from tests.browser.conftest import Console, fits, screenshot, sign_in
from tests.browser.orders_support import (
    api,
    delivered,
    hidden_fields,
    item_cell,
    open_and_submit,
    submit,
    summary_of,
)

OPEN_ONE = {
    "lines": [{"line_id": "3", "quantity": 1, "reason": "damaged"}],
    "location_id": "ST03",
}
RECEIVE_ONE = {"lines": [{"line_id": "3", "quantity_received": 1, "quantity_returned": 1}]}
EXCHANGE = {
    "returns": [{"line_id": "3", "quantity": 1, "reason": "wrong_size"}],
    "replacements": [{"sku": "SKU-C", "quantity": 1, "unit_price": 1500, "tax": 120}],
    "location_id": "ST03",
}
# the exchange form, as EXCHANGE says
EXCHANGE_FORM = {
    "qty:3": "1",
    "reason": "wrong_size",
    "location_id": "ST03",
    "sku": "SKU-C",
    "unit_price": "15.00",
    "tax": "1.20",
}


def _return_orders(console: Console) -> list[dict[str, Any]]:
    with api(console, Scope.agent) as http:
        answer = http.get("/v1/order-summaries/W-1001/return-orders")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["return_orders"]
    return found


def _ro(page: Any, ro_id: str) -> Any:
    return page.locator(f"section.return-order[data-ro='{ro_id}']")


def test_an_agent_starts_approves_and_receives_a_return_order_after_its_previews(
    page: Any, phone: Any, console: Console
) -> None:
    delivered(console)
    with api(console, Scope.agent) as http:
        first = http.post("/v1/order-summaries/W-1001/return-orders", json=OPEN_ONE).json()
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    assert page.locator("#action-return-orders").count() == 0  # its one unit is initiated
    assert _ro(page, first["id"]).locator(".status").inner_text() == "Submitted"
    page.once("dialog", lambda dialog: dialog.accept())
    _ro(page, first["id"]).locator("form.cancel button").click()
    page.wait_for_load_state()
    assert page.locator("p.ro-done").inner_text() == f"Return order {first['id']}: Canceled."
    assert _ro(page, first["id"]).locator("form").count() == 0  # a canceled one is over

    with api(console, Scope.agent) as http:
        expected = http.post("/v1/order-summaries/W-1001/return-orders/preview", json=OPEN_ONE)
    assert expected.status_code == 200, expected.text
    open_and_submit(
        page,
        "#action-return-orders",
        "Preview this return order",
        {"qty:3": "1", "reason": "damaged", "location_id": "ST03"},
    )
    assert page.locator("dd.ro-status").inner_text() == "Submitted"
    assert page.locator("table.ro-lines td.expected").all_inner_texts() == ["1"]
    initiated = page.locator("table.after tr[data-line='3'] td.initiated").inner_text()
    assert initiated == str(expected.json()["summary"]["items"][2]["quantity_return_initiated"])
    assert initiated == "1"
    assert len(_return_orders(console)) == 1  # a preview creates nothing
    confirm = hidden_fields(page, "form.confirm")
    page.click("form.confirm button")
    page.wait_for_load_state()
    (_, second) = _return_orders(console)
    assert page.locator("p.ro-done").inner_text() == f"Return order {second['id']}: Submitted."
    again = page.request.post(f"{console.url}/console/orders/W-1001/return-orders", form=confirm)
    assert again.ok and len(_return_orders(console)) == 2  # the same key: the same one

    _ro(page, second["id"]).locator("form.approve button").click()
    page.wait_for_load_state()
    assert _ro(page, second["id"]).locator(".status").inner_text() == "Approved"
    with api(console, Scope.agent) as http:
        planned = http.post(f"/v1/return-orders/{second['id']}/receive/preview", json=RECEIVE_ONE)
    assert planned.status_code == 200, planned.text
    receive = _ro(page, second["id"]).locator("details.receive")
    receive.locator("summary").click()
    receive.locator("input[name='returned:3']").fill("1")
    screenshot(page, "order-returns")  # one canceled, one approved being received
    sign_in(phone, console, console.key(Scope.agent), then="/console/orders/W-1001")
    _ro(phone, second["id"]).locator("details.receive summary").click()
    screenshot(phone, "order-returns")
    assert fits(phone)  # no sideways scroll
    receive.locator("button").click()
    page.wait_for_load_state()
    refund = page.locator("dd.refund").inner_text()
    assert refund == money(planned.json()["refund"], "USD") != "0.00 USD"
    assert page.locator("dd.ro-status").inner_text() == "Closed"
    assert summary_of(console, "W-1001")["items"][2]["quantity_returned"] == 0  # not yet
    page.click("form.confirm button")
    page.wait_for_load_state()
    assert page.locator("[role=status]").first.inner_text().startswith("Done: return CO-")
    assert item_cell(page, "3", "Returned") == "1"
    memos = page.locator("table.memos tbody tr")
    assert memos.count() == 1 and refund in memos.inner_text()
    assert page.locator("dd.refunded").inner_text() == refund
    assert _ro(page, second["id"]).locator(".status").inner_text() == "Closed"
    returned = _ro(page, second["id"]).locator("td[data-label=Returned]").all_inner_texts()
    assert returned == ["1"]


def test_an_exchange_of_a_delivered_unit_is_previewed_then_makes_a_new_routed_order(
    page: Any, console: Console
) -> None:
    delivered(console)
    with api(console, Scope.agent) as http:
        expected = http.post("/v1/order-summaries/W-1001/exchange/preview", json=EXCHANGE)
    assert expected.status_code == 200, expected.text
    plan = expected.json()
    assert plan["charge"] > 0  # 16.20 for the replacement, less the return's credit
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    form = page.locator("#action-exchange")
    form.locator("summary").click()
    submit(page, form, "Preview the exchange", {**EXCHANGE_FORM, "sku": "SKU-NOPE"})
    assert "unknown SKU 'SKU-NOPE'" in page.locator("[role=alert]").inner_text()
    assert form.get_attribute("open") is not None  # refused: the form again, nothing changed
    submit(page, form, "Preview the exchange", EXCHANGE_FORM)
    assert page.locator("dd.charge").inner_text() == money(plan["charge"], "USD")
    assert page.locator("dd.refund").inner_text() == money(plan["refund"], "USD")
    assert page.locator("dd.applied").inner_text() == money(plan["change_order"]["applied"], "USD")
    assert page.locator("table.replacements td.cost").inner_text() == "16.20 USD"
    assert page.locator("table.plan-lines td.quantity").all_inner_texts() == ["1"]
    amount = page.locator("fieldset.payment input[name=payment_amount]").input_value()
    assert f"{amount} USD" == money(plan["charge"], "USD")  # prefilled with the difference
    screenshot(page, "order-exchange-preview")
    with api(console, Scope.agent) as http:
        assert http.get("/v1/order-summaries/W-1001-EX1").status_code == 404  # nothing yet

    page.fill("fieldset.payment input[name=authorization_id]", "AUTH-EX1")
    page.click("form.confirm button[type=submit]")
    page.wait_for_load_state()
    done = page.locator("[role=status]").first
    assert done.inner_text().startswith("Done: exchange CO-")
    assert item_cell(page, "3", "Returned") == "1"
    with api(console, Scope.agent) as http:
        (change,) = http.get("/v1/order-summaries/W-1001/change-orders").json()["change_orders"]
        new = http.get(f"/v1/order-summaries/{change['linked_id']}").json()
    assert change["kind"] == "exchange" and new["order_number"] == "W-1001-EX1"
    assert new["payment"]["authorized"] == plan["charge"]
    done.locator("a.linked").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("W-1001-EX1")
    shown = [
        (fo.get_attribute("data-fo"), fo.locator(".badge").inner_text())
        for fo in page.locator("section.fo").all()
    ]
    assert shown == [(fo["id"], fo["status"]) for fo in new["fulfillment_orders"]]
    assert shown and page.locator("section.fo p.muted").first.inner_text().startswith("ST03")
    assert page.locator("dd.authorized").inner_text().startswith(money(plan["charge"], "USD"))


def test_a_store_key_gets_403_and_a_post_without_csrf_changes_nothing(
    page: Any, console: Console
) -> None:
    delivered(console)
    with api(console, Scope.agent) as http:
        ro_id = http.post("/v1/order-summaries/W-1001/return-orders", json=OPEN_ONE).json()["id"]
    base = f"{console.url}/console/orders/W-1001"
    posts = {
        "exchange/preview": {"qty:3": "1", "reason": "wrong_size", "sku": "SKU-C"},
        "exchange": {"qty:3": "1", "reason": "wrong_size", "sku": "SKU-C"},
        "return-orders/preview": {"qty:3": "1", "reason": "damaged"},
        "return-orders": {"qty:3": "1", "reason": "damaged"},
        f"return-orders/{ro_id}/approve": {},
        f"return-orders/{ro_id}/cancel": {},
        f"return-orders/{ro_id}/receive/preview": {"returned:3": "1"},
        f"return-orders/{ro_id}/receive": {"returned:3": "1"},
    }
    sign_in(page, console, console.key(Scope.store, locations=["ST03"]))
    csrf = hidden_fields(page, "header form")
    for path, fields in posts.items():
        posted = page.request.post(f"{base}/{path}", form={**csrf, **fields})
        assert posted.status == 403, path
        assert "&#39;agent&#39; scope" in posted.text(), path

    page.click("text=Sign out")
    page.wait_for_load_state()
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    for path, fields in posts.items():
        posted = page.request.post(f"{base}/{path}", form=fields)  # no CSRF token
        assert posted.status == 403, path
        assert "This form has expired" in posted.text(), path
    (ro,) = _return_orders(console)
    assert ro["status"] == "Submitted"
    item = summary_of(console, "W-1001")["items"][2]
    assert (item["quantity_return_initiated"], item["quantity_returned"]) == (1, 0)
    with api(console, Scope.agent) as http:
        assert http.get("/v1/order-summaries/W-1001/change-orders").json()["change_orders"] == []
        assert http.get("/v1/order-summaries/W-1001-EX1").status_code == 404
