"""The Order Summary pages: search and the recent list, a summary with its quantities,
payments and routing attempts, an agent's cancel and return after seeing their preview (a
second confirm changes nothing more), the agent scope, and script tags shown as text."""

from __future__ import annotations

from typing import Any

from access.scopes import Scope
from api.cli_views import money
from tests.browser.conftest import Console, fits, screenshot, sign_in
from tests.browser.orders_support import (
    SCRIPT,
    api,
    delivered,
    fo_at,
    hidden_fields,
    item_cell,
    open_and_submit,
    place,
    submit,
    summary_of,
)
from tests.support.orders import order

CANCEL_ONE = {"lines": [{"line_id": "1", "quantity": 1}], "reason": "customer_request"}


def test_an_agent_finds_an_order_and_cancels_a_unit_after_seeing_the_preview(
    page: Any, console: Console
) -> None:
    dc01 = fo_at(place(console), "DC01")
    place(console, order("W-1002"))
    sign_in(page, console, console.key(Scope.agent), then="/console/orders")
    numbers = page.locator("table.summaries td[data-label=Order]").all_inner_texts()
    assert numbers == ["W-1002", "W-1001"]  # newest first
    screenshot(page, "orders")
    page.fill("input[name=q]", "W-nope")
    page.click("form.search button")
    assert "No order summary" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=q]", "W-1001")
    page.click("form.search button")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("W-1001")
    assert item_cell(page, "1", "Allocated") == "2" and item_cell(page, "1", "To cancel") == "0"
    attempts = page.locator("section.attempt")
    assert attempts.count() >= 2 and "Rules version" in attempts.first.inner_text()
    assert page.locator("#action-cancel").count() == 0  # everything is in an FO
    screenshot(page, "order")

    # the unit is in DC01's Allocated FO: take it off there first, then cancel it
    take_off = page.locator(f"section.fo[data-fo='{dc01}'] details.take-off")
    take_off.locator("summary").click()
    take_off.locator("input[name='qty:1']").fill("1")
    take_off.locator("button").click()
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text().startswith(f"Taken off {dc01}")
    assert item_cell(page, "1", "To cancel") == "1"

    with api(console, Scope.agent) as http:
        expected = http.post("/v1/order-summaries/W-1001/cancel/preview", json=CANCEL_ONE)
    assert expected.status_code == 200, expected.text
    plan = expected.json()["change_order"]
    open_and_submit(page, "#action-cancel", "Preview the cancel", {"qty:1": "1"})
    assert page.locator("table.plan-lines td.quantity").all_inner_texts() == ["1"]
    assert page.locator("dd.refund").inner_text() == money(plan["refund"], "USD")
    reduced = page.locator("dd.capture-reduced").inner_text()
    assert reduced == money(plan["capture_reduced"], "USD") != "0.00 USD"
    assert _canceled(console) == 0  # a preview changes nothing
    screenshot(page, "order-preview")

    confirm = hidden_fields(page, "form.confirm")
    page.click("form.confirm button")
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text().startswith("Done: cancel CO-")
    assert item_cell(page, "1", "Canceled") == "1"
    assert page.locator("table.changes tbody tr").count() == 1
    assert _canceled(console) == 1

    again = page.request.post(f"{page.url.split('?')[0]}/cancel", form=confirm)
    assert again.ok  # the same idempotency key: the first change order's answer
    assert _canceled(console) == 1
    with api(console, Scope.agent) as http:
        changes = http.get("/v1/order-summaries/W-1001/change-orders").json()["change_orders"]
    assert [c["kind"] for c in changes] == ["cancel"]


def _canceled(console: Console) -> int:
    items = summary_of(console, "W-1001")["items"]
    return int(next(i for i in items if i["line_id"] == "1")["quantity_canceled"])


def test_a_return_at_the_counter_shows_its_refund_then_a_credit_memo(
    page: Any, console: Console
) -> None:
    delivered(console)
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    open_and_submit(
        page,
        "#action-return",
        "Preview the return",
        {"qty:3": "1", "reason": "changed_mind", "location_id": "ST03"},
    )
    refund = page.locator("dd.refund").inner_text()
    assert refund != "0.00 USD"
    screenshot(page, "order-return-preview")
    page.click("form.confirm button")
    page.wait_for_load_state()
    assert item_cell(page, "3", "Returned") == "1"
    memos = page.locator("table.memos tbody tr")
    assert memos.count() == 1 and refund in memos.inner_text()
    assert page.locator("dd.refunded").inner_text() == refund


def test_a_refused_action_is_shown_on_the_summary_and_changes_nothing(
    page: Any, console: Console
) -> None:
    dc01 = fo_at(place(console), "DC01")
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    take_off = page.locator(f"section.fo[data-fo='{dc01}'] details.take-off")
    take_off.locator("summary").click()
    take_off.locator("button").click()  # no quantity given
    page.wait_for_load_state()
    assert "give a quantity for at least one line" in page.locator("[role=alert]").inner_text()
    _take_off(console, dc01, "1", 2)
    page.goto(f"{console.url}/console/orders/W-1001")
    open_and_submit(page, "#action-cancel", "Preview the cancel")  # no quantity given
    assert "give a quantity for at least one line" in page.locator("[role=alert]").inner_text()
    assert page.locator("#action-cancel").get_attribute("open") is not None
    page.eval_on_selector("#action-cancel input[name='qty:1']", "i => i.removeAttribute('max')")
    submit(page, page.locator("#action-cancel"), "Preview the cancel", {"qty:1": "9"})
    assert "lines[0].quantity" in page.locator("[role=alert]").inner_text()
    assert _canceled(console) == 0


def test_a_store_key_gets_403_on_order_pages_and_actions(page: Any, console: Console) -> None:
    place(console)
    sign_in(page, console, console.key(Scope.store, locations=["ST03"]))
    for path in ("/console/orders", "/console/orders/W-1001"):
        response = page.goto(f"{console.url}{path}")
        assert response is not None and response.status == 403
        assert "'agent'" in page.locator("[role=alert]").inner_text()
    csrf = hidden_fields(page, "header form")
    for action in ("cancel/preview", "cancel"):
        posted = page.request.post(
            f"{console.url}/console/orders/W-1001/{action}", form={**csrf, "qty:1": "1"}
        )
        assert posted.status == 403
        assert "&#39;agent&#39; scope" in posted.text()  # the scope, not the CSRF check
    assert _canceled(console) == 0
    missing = _agent_page(page, console, "/console/orders/W-nope")
    assert missing == 404


def _take_off(console: Console, fo_id: str, line_id: str, count: int) -> None:
    with api(console, Scope.agent) as http:
        body = {"lines": [{"line_id": line_id, "quantity": count}]}
        taken = http.post(f"/v1/fulfillment-orders/{fo_id}/cancel", json=body)
    assert taken.status_code == 200, taken.text


def _agent_page(page: Any, console: Console, path: str) -> int:
    page.click("text=Sign out")
    page.wait_for_load_state()
    sign_in(page, console, console.key(Scope.agent))
    response = page.goto(f"{console.url}{path}")
    assert response is not None
    status: int = response.status
    return status


def test_script_tags_in_order_fields_render_as_text(
    page: Any, phone: Any, console: Console
) -> None:
    document = order("W-XSS", channel=SCRIPT, customer={"id": SCRIPT, "email": SCRIPT})
    document["delivery_groups"][0]["address"]["name"] = SCRIPT
    document["lines"][2]["id"] = SCRIPT  # the ST03 pickup line
    summary = place(console, document)
    _take_off(console, fo_at(summary, "ST03"), SCRIPT, 1)
    _take_off(console, fo_at(summary, "DC01"), "1", 1)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    for opened in (page, phone):
        opened.on("dialog", on_dialog)
    sign_in(page, console, console.key(Scope.agent, Scope.store), then="/console/orders")
    pages = {
        "orders": "/console/orders",
        "search": f"/console/orders?q={SCRIPT}",
        "summary": "/console/orders/W-XSS",
        "fo": f"/console/store/fo/{fo_at(summary, 'ST03')}",
    }
    for name, path in pages.items():
        page.goto(f"{console.url}{path}")
        text = page.locator("main").inner_text()
        assert SCRIPT in text, name
        assert "&lt;script&gt;" in page.content(), name
        assert page.locator("main script").count() == 0, name
    page.goto(f"{console.url}/console/orders/W-XSS")
    open_and_submit(page, "#action-cancel", "Preview the cancel", {f"qty:{SCRIPT}": "1"})
    assert SCRIPT in page.locator("table.plan-lines").inner_text()
    assert page.locator("main script").count() == 0

    sign_in(phone, console, console.key(Scope.agent), then="/console/orders/W-XSS")
    assert SCRIPT in phone.locator("dd.customer").first.inner_text()
    screenshot(phone, "order")
    assert fits(phone)  # no sideways scroll
    phone.goto(f"{console.url}/console/orders")
    screenshot(phone, "orders")
    phone.goto(f"{console.url}/console/orders/W-XSS")
    open_and_submit(phone, "#action-cancel", "Preview the cancel", {"qty:1": "1"})
    screenshot(phone, "order-preview")
    assert fits(phone)  # no sideways scroll
    assert dialogs == []


def test_an_adjustment_and_a_reshipment_are_previewed_then_recorded(
    page: Any, console: Console
) -> None:
    delivered(console)
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    # finer than a cent: refused
    open_and_submit(page, "#action-adjust", "Preview the adjustment", {"off:3": "1.005"})
    assert "finer than one minor unit of USD" in page.locator("[role=alert]").inner_text()
    submit(page, page.locator("#action-adjust"), "Preview the adjustment", {"off:3": "1.50"})
    with api(console, Scope.agent) as http:
        body = {"lines": [{"line_id": "3", "amount": 150}], "reason": "appeasement"}
        expected = http.post("/v1/order-summaries/W-1001/adjust/preview", json=body).json()
    assert page.locator("dd.refund").inner_text() == money(expected["refund"], "USD") != "0.00 USD"
    page.click("form.confirm button")
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text().startswith("Done: adjust CO-")
    assert page.locator("table.memos tbody tr").count() == 1  # shipped units: refunded now

    open_and_submit(page, "#action-reship", "Preview the reshipment", {"qty:3": "1"})
    assert page.locator("table.plan-lines td.quantity").all_inner_texts() == ["1"]
    page.click("form.confirm button")
    page.wait_for_load_state()
    kinds = page.locator("table.changes td[data-label=Kind]").all_inner_texts()
    assert kinds == ["adjust", "reship"]
