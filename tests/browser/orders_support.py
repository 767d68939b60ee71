"""Orders for the store and order console tests: tests/support/orders.py's W-1001 placed over
HTTP (routed into Fulfillment Orders at DC01, ST02 and the ST03 pickup), and the API beside
the pages to check what they did."""

from __future__ import annotations

from typing import Any

import httpx

from access.scopes import Scope
from inventory.records import parse_json
from tests.browser.conftest import Console
from tests.support.orders import STOCK, order

SCRIPT = "<script>alert(1)</script>"


def api(console: Console, *scopes: Scope) -> httpx.Client:
    key = console.key(*scopes)
    return httpx.Client(base_url=console.url, headers={"Authorization": f"Bearer {key}"})


def place(console: Console, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """Stock the network and place ``document`` (default: W-1001); its summary."""
    console.services.inventory.upsert(parse_json(STOCK))
    with api(console, Scope.orders) as http:
        placed = http.post("/v1/orders", json=document or order())
    assert placed.status_code == 201, placed.text
    summary: dict[str, Any] = placed.json()
    return summary


def fo_at(summary: dict[str, Any], location: str) -> str:
    found = [fo["id"] for fo in summary["fulfillment_orders"] if fo["location_id"] == location]
    assert len(found) == 1, summary["fulfillment_orders"]
    return str(found[0])


def summary_of(console: Console, key: str) -> dict[str, Any]:
    with api(console, Scope.agent) as http:
        answer = http.get(f"/v1/order-summaries/{key}")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def hidden_fields(page: Any, form: str) -> dict[str, str]:
    """The name → value of a form's inputs, as the browser would post them."""
    fields: dict[str, str] = page.eval_on_selector(
        form,
        "f => Object.fromEntries(Array.from(new FormData(f).entries()))",
    )
    return fields


def delivered(console: Console) -> dict[str, Any]:
    """W-1001 placed, its ST03 pickup (line 3, one SKU-C) picked up: a delivered unit."""
    summary = place(console)
    with api(console, Scope.store) as http:
        shipped = http.post(
            f"/v1/fulfillment-orders/{fo_at(summary, 'ST03')}/status", json={"status": "Fulfilled"}
        )
    assert shipped.status_code == 200, shipped.text
    return summary


def item_cell(page: Any, line_id: str, label: str) -> str:
    """The text of the summary's items table, at line ``line_id`` and column ``label``."""
    row = page.locator(f"table.items tr[data-line='{line_id}']")
    text: str = row.locator(f"td[data-label='{label}']").inner_text()
    return text


def fill(form: Any, values: dict[str, str]) -> None:
    """Each value into the form's field of that name: typed, or chosen in a select."""
    for name, value in values.items():
        field = form.locator(f"[name='{name}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def submit(page: Any, form: Any, press: str, values: dict[str, str] | None = None) -> None:
    """Fill ``values`` in ``form`` (a locator), press its button ``press`` and wait for the
    page."""
    fill(form, values or {})
    form.locator("button", has_text=press).click()
    page.wait_for_load_state()


def open_and_submit(
    page: Any, panel: str, press: str, values: dict[str, str] | None = None
) -> None:
    """Open the closed action ``panel`` (its <details> selector), then submit its form."""
    page.click(f"{panel} summary")
    submit(page, page.locator(panel), press, values)
