"""Orders for the order-life suites: a DESIGN.md-shaped intake document, the stock it needs
on tests/e2e/data's network, and the services that serve it (embedded or production)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from inventory.records import parse_json
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env

SECRET = "shh-test-secret"
SHOPIFY = Path(__file__).parents[1] / "data" / "shopify"

# Newark, NJ: DC01 (PA) and ST02 (NYC) are near; DC02 is in Los Angeles.
STOCK = [
    {"location_id": "DC01", "sku": "SKU-A", "on_hand": 5},
    {"location_id": "ST02", "sku": "SKU-B", "on_hand": 5},
    {"location_id": "DC02", "sku": "SKU-B", "on_hand": 5},
    {"location_id": "ST03", "sku": "SKU-C", "on_hand": 5},
    # the Shopify fixture's SKUs
    {"location_id": "DC01", "sku": "TEE-BLK-M", "on_hand": 10},
    {"location_id": "DC01", "sku": "MUG-CER-12", "on_hand": 10},
    {"location_id": "DC01", "sku": "SOCK-3PK-GRY", "on_hand": 10},
]


def order(number: str = "W-1001", **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "order_number": number,
        "channel": "web",
        "currency": "USD",
        "lifecycle": "managed",
        "placed_at": "2026-11-30T10:00:00Z",
        "customer": {"id": "C-17", "email": "ana@example.com"},
        "delivery_groups": [
            {
                "id": "DG1",
                "method": "ship",
                "delivery_method_id": "STANDARD",
                "address": {
                    "name": "Ana Ruiz",
                    "line1": "1 Main St",
                    "city": "Newark",
                    "region": "NJ",
                    "postal_code": "07102",
                    "country": "US",
                    "lat": 40.73,
                    "lon": -74.17,
                },
                "charge": 599,
                "charge_tax": 48,
            },
            {"id": "DG2", "method": "pickup", "location_id": "ST03", "charge": 0, "charge_tax": 0},
        ],
        "lines": [
            {
                "id": "1",
                "sku": "SKU-A",
                "quantity": 2,
                "unit_price": 1999,
                "tax": 320,
                "discount": 200,
                "delivery_group": "DG1",
            },
            {
                "id": "2",
                "sku": "SKU-B",
                "quantity": 1,
                "unit_price": 4500,
                "tax": 360,
                "discount": 0,
                "delivery_group": "DG1",
            },
            {
                "id": "3",
                "sku": "SKU-C",
                "quantity": 1,
                "unit_price": 1000,
                "tax": 80,
                "discount": 0,
                "delivery_group": "DG2",
            },
        ],
        "discounts": [{"code": "WELCOME5", "amount": 500}],
        "payment": {
            "authorization_id": "AUTH-88",
            "gateway": "test",
            "amount": 10205,
            "expires_at": "2026-12-07T10:00:00Z",
        },
    }
    document.update(changes)
    return document


def order_services_for(database_url: str, redis_url: str | None) -> Services:
    """Services on tests/e2e/data (plus :data:`STOCK`), with the Shopify secret set."""
    env = small_env(database_url, redis_url)
    env["OMNIROUTE_SHOPIFY_WEBHOOK_SECRET"] = SECRET
    services = bootstrap(Settings.from_env(env))
    services.inventory.upsert(parse_json(STOCK))
    return services


@pytest.fixture(params=["embedded", "production"])
def order_services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """The order life's services on SQLite + memory and on PostgreSQL + Redis."""
    redis_url = None
    if request.param == "embedded":
        services = order_services_for(f"sqlite:///{tmp_path / 'omniroute.db'}", None)
    else:
        redis_url = request.getfixturevalue("redis_url")
        services = order_services_for(request.getfixturevalue("postgres_schema_url"), redis_url)
    try:
        yield services
    finally:
        services.close()
        if redis_url is not None:
            delete_redis_prefix(redis_url, services.settings.redis_prefix)
