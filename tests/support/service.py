"""Shared pieces of the service-action suites: a rules file with a ``returns`` section, an
app client that loads it, and a shirt order shipped and captured in full."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from flows.bootstrap import Services
from tests.support.auth import api_client
from tests.support.orders import order

RETURNS_RULES = (
    (Path(__file__).parents[1] / "e2e" / "data" / "rules.yaml").read_text()
    + """
returns:
  reasons:
    changed_mind: {restock: true, fee_per_unit: 300}
    damaged: {restock: false}
"""
)


@contextmanager
def returns_client(services: Services) -> Iterator[TestClient]:
    """The app over ``services`` with :data:`RETURNS_RULES` active."""
    with api_client(services) as client:
        put = client.put(
            "/v1/rules", content=RETURNS_RULES, headers={"content-type": "application/yaml"}
        )
        assert put.status_code == 200, put.text
        yield client


def shirts(number: str, quantity: int, *, tax: int, discount: int) -> dict[str, Any]:
    """``quantity`` shirts (SKU-A) at 19.99 with ``tax`` and ``discount`` for the line,
    shipping 5.99 + 0.48, authorized in full."""
    amount = 1999 * quantity - discount + tax + 599 + 48
    return order(
        number,
        delivery_groups=order()["delivery_groups"][:1],
        lines=[
            {
                "id": "1",
                "sku": "SKU-A",
                "quantity": quantity,
                "unit_price": 1999,
                "tax": tax,
                "discount": discount,
                "delivery_group": "DG1",
            }
        ],
        discounts=[],
        payment={"authorization_id": f"A-{number}", "amount": amount},
    )


def place_and_ship(client: TestClient, document: dict[str, Any]) -> dict[str, Any]:
    """Place ``document``, ship its only FO whole; the summary after, captured in full."""
    summary = client.post("/v1/orders", json=document).json()
    (fo,) = summary["fulfillment_orders"]
    shipped = client.post(f"/v1/fulfillment-orders/{fo['id']}/status", json={"status": "Fulfilled"})
    assert shipped.status_code == 200, shipped.text
    after: dict[str, Any] = client.get(f"/v1/order-summaries/{document['order_number']}").json()
    assert after["payment"]["captured"] == document["payment"]["amount"]
    return after
