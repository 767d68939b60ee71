"""The store work queue: a store key sees its own location's Fulfillment Orders only, moves
one through its steps to Fulfilled with the buttons (and the agent then sees the capture),
ships part of one, rejects one with a reason; another location's FO is 404; at 390 px the
queue is cards and the buttons are big enough to tap."""

from __future__ import annotations

from typing import Any

from access.scopes import Scope
from tests.browser.conftest import Console, fits, screenshot, sign_in
from tests.browser.orders_support import api, fo_at, hidden_fields, place, summary_of

STEPS = ("Assigned", "Pick Complete", "Pack Complete")


def _status(page: Any) -> str:
    text: str = page.locator("h1 .status").inner_text()
    return text


def test_an_associate_moves_a_pickup_to_fulfilled_and_the_agent_sees_the_capture(
    page: Any, console: Console
) -> None:
    summary = place(console)
    st03, dc01 = fo_at(summary, "ST03"), fo_at(summary, "DC01")
    sign_in(page, console, console.key(Scope.store, locations=["ST03"]), then="/console/store")
    assert page.url.endswith("/console/store")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 1
    assert st03 in rows.inner_text() and dc01 not in page.content()
    assert page.locator("table.queue td[data-label=Location]").all_inner_texts() == ["ST03"]
    assert page.locator("form.picker").count() == 0  # one location: nothing to pick
    screenshot(page, "store-queue")

    page.click(f"text={st03}")
    assert _status(page) == "Allocated"
    screenshot(page, "store-fo")
    for step in STEPS:
        page.click(f"form[action$='/step'] button:text-is('{step}')")
        page.wait_for_load_state()
        assert _status(page) == step
        done = page.locator("[role=status]").inner_text()
        assert done == f"Done: the fulfillment order is {step}."
    # only the steps still ahead are offered, never one back
    buttons = page.locator("form[action$='/step'] button").all_inner_texts()
    assert buttons == ["Picked up (Fulfilled)"]
    page.click("text=Picked up (Fulfilled)")
    page.wait_for_load_state()
    assert _status(page) == "Fulfilled"
    assert page.locator("form[action$='/step']").count() == 0
    history = page.locator("table.history td[data-label=Status]").all_inner_texts()
    assert history == ["Draft", "Allocated", *STEPS, "Fulfilled"]
    screenshot(page, "store-fo-fulfilled")

    after = summary_of(console, "W-1001")
    captured = after["payment"]["captured"]
    assert captured > 0
    page.click("text=Sign out")  # then an agent, at the same desk
    page.wait_for_load_state()
    sign_in(page, console, console.key(Scope.agent), then="/console/orders/W-1001")
    shown = f"{captured // 100}.{captured % 100:02d} USD"
    assert page.locator("dd.captured").inner_text() == shown
    invoices = page.locator("table.invoices tbody tr")
    assert invoices.count() == 1
    assert shown in invoices.inner_text() and "paid" in invoices.inner_text()
    fo_panel = page.locator(f"section.fo[data-fo='{st03}']")
    assert "Fulfilled" in fo_panel.locator("ol.history").inner_text()


def test_another_locations_fo_is_404_for_pages_and_actions(page: Any, console: Console) -> None:
    summary = place(console)
    st03, dc01 = fo_at(summary, "ST03"), fo_at(summary, "DC01")
    sign_in(page, console, console.key(Scope.store, locations=["ST03"]))
    response = page.goto(f"{console.url}/console/store/fo/{dc01}")
    assert response is not None and response.status == 404
    unknown = page.goto(f"{console.url}/console/store/fo/FO-nope")
    assert unknown is not None and unknown.status == 404
    assert page.locator("[role=alert]").inner_text() == "fulfillment order 'FO-nope' not found"

    page.goto(f"{console.url}/console/store/fo/{st03}")
    form = hidden_fields(page, "form[action$='/step']")
    refused = page.request.post(f"{console.url}/console/store/fo/{dc01}/step", form=form)
    assert refused.status == 404
    assert summary_of(console, "W-1001")["fulfillment_orders"][0]["status"] == "Allocated"
    assert {fo["status"] for fo in summary_of(console, "W-1001")["fulfillment_orders"]} == {
        "Allocated"
    }
    # no CSRF token: refused before anything is looked at
    assert page.request.post(f"{console.url}/console/store/fo/{st03}/step").status == 403


def test_a_key_without_the_store_scope_never_sees_the_queue(page: Any, console: Console) -> None:
    sign_in(page, console, console.key(Scope.agent))
    response = page.goto(f"{console.url}/console/store")
    assert response is not None and response.status == 403
    assert "'store'" in page.locator("[role=alert]").inner_text()


def test_ship_part_of_one_and_reject_another_with_a_reason(page: Any, console: Console) -> None:
    summary = place(console)
    dc01, st02 = fo_at(summary, "DC01"), fo_at(summary, "ST02")
    sign_in(page, console, console.key(Scope.store, locations=["DC01", "ST02"]), "/console/store")
    assert page.locator("select[name=location] option").all_inner_texts() == [
        "All my locations",
        "DC01",
        "ST02",
    ]
    assert page.locator("table.queue tbody tr").count() == 2
    page.select_option("select[name=location]", "DC01")
    page.click("form.picker button")
    page.wait_for_load_state()
    assert page.locator("table.queue td[data-label=Location]").all_inner_texts() == ["DC01"]

    page.click(f"text={dc01}")
    page.fill("input[name='qty:1']", "1")
    page.click("text=Ship these units")
    page.wait_for_load_state()
    assert _status(page) == "Allocated"  # one unit is still open
    open_cells = page.locator("table.lines td[data-label=Open]").all_inner_texts()
    assert open_cells == ["1"]
    fo = next(f for f in summary_of(console, "W-1001")["fulfillment_orders"] if f["id"] == dc01)
    assert fo["status"] == "Allocated"
    with api(console, Scope.store) as http:
        lines = http.get(f"/v1/fulfillment-orders/{dc01}").json()["lines"]
    assert [(x["quantity"], x["quantity_fulfilled"]) for x in lines] == [(2, 1)]

    # more than is open: the browser's max stops it; a stale page's form is refused by the flow
    page.eval_on_selector("input[name='qty:1']", "input => input.removeAttribute('max')")
    page.fill("input[name='qty:1']", "5")
    page.click("text=Ship these units")
    page.wait_for_load_state()
    assert "lines[0].quantity" in page.locator("[role=alert]").inner_text()

    page.goto(f"{console.url}/console/store/fo/{st02}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.select_option("select[name=reason]", "other")
    page.click("form[action$='/reject'] button")
    page.wait_for_load_state()
    assert page.locator("[role=alert]").inner_text() == "say why the units cannot be fulfilled"
    page.select_option("select[name=reason]", "damaged")
    page.click("form[action$='/reject'] button")
    page.wait_for_load_state()
    assert _status(page) == "Rejected"
    assert "damaged" in page.locator("dl.facts").inner_text()
    assert page.locator("section.actions").count() == 0


def test_the_queue_and_an_fo_at_phone_width(phone: Any, console: Console) -> None:
    summary = place(console)
    st03 = fo_at(summary, "ST03")
    sign_in(phone, console, console.key(Scope.store, locations=["ST03"]), then="/console/store")
    assert not phone.locator("table.queue thead").is_visible()  # rows are cards
    cell = phone.locator("table.queue td[data-label=Status]")
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"Status"'
    screenshot(phone, "store-queue")
    phone.click(f"text={st03}")
    buttons = phone.locator("section.actions button").all()
    assert buttons  # the FO's next steps are offered
    for button in buttons:
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 120, box
    assert fits(phone)  # no sideways scroll
    screenshot(phone, "store-fo")
