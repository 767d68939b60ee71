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
