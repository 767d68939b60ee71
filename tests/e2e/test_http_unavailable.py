"""When Redis goes away mid-flight, requests get 503 with a JSON body, not a traceback."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from flows.bootstrap import Services
from inventory.recorded import RecordedInventory
from inventory.redis_store import RedisInventory
from tests.e2e.test_http_api import order
from tests.support.auth import api_client


def test_previews_and_reservations_answer_503_while_redis_is_unreachable(
    embedded_services: Services,
) -> None:
    no_retry = Retry(NoBackoff(), retries=0)
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=no_retry)
    recorded = embedded_services.inventory
    embedded_services.inventory = RecordedInventory(
        RedisInventory(dead, prefix="gone"), recorded.ledger, embedded_services.clock
    )
    with api_client(embedded_services) as client:
        preview = client.post(
            "/v1/routes/preview", json=order([{"id": "1", "sku": "SKU-1", "quantity": 1}])
        )
        body = {"id": "R", "lines": [{"location_id": "DC01", "sku": "SKU-1", "quantity": 1}]}
        reserve = client.post("/v1/reservations", json=body)
    for response in (preview, reserve):
        assert response.status_code == 503
        assert response.json()["error"] == "inventory_unavailable"
    dead.close()
