"""Issue 10's limits over HTTP, on both stacks: the per-key rate limit (429 with
Retry-After; one bucket per key, shared by every worker through Redis when there is one) and
the body limits (413 before the body is parsed; bulk loads have their own, larger limit)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from flows.bootstrap import Services, bootstrap
from flows.ratelimit_redis import RedisRateLimiter
from flows.settings import Settings
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.e2e.test_http_api import order
from tests.support.auth import api_client, key_header

SMALL, BULK = 2000, 20_000
Boot = Callable[..., Services]


@pytest.fixture(params=["embedded", "production"])
def boot(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Boot]:
    """``boot(**variables)``: services (a worker) over this test's database (and Redis
    prefix), with extra OMNIROUTE_ variables; every call is one more worker on the same ones.
    """
    if request.param == "embedded":
        base = small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")
    else:
        base = small_env(
            request.getfixturevalue("postgres_schema_url"), request.getfixturevalue("redis_url")
        )
    opened: list[Services] = []

    def open_worker(**variables: str) -> Services:
        env = base | {f"OMNIROUTE_{name.upper()}": value for name, value in variables.items()}
        services = bootstrap(Settings.from_env(env))
        opened.append(services)
        return services

    yield open_worker
    for services in opened:
        services.close()
    if "OMNIROUTE_REDIS_URL" in base:
        delete_redis_prefix(base["OMNIROUTE_REDIS_URL"], base["OMNIROUTE_REDIS_PREFIX"])


def shared(services: Services) -> bool:
    return services.settings.redis_url is not None


def named_key(services: Services, prefix: str) -> tuple[str, dict[str, str]]:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    return name, key_header(services, name=name)


# --- the rate limit -------------------------------------------------------------------------


# Rates of one token per 10 s where a test needs no refill between its requests: a loaded CI
# machine once took over a second for four requests at 1/s.
SLOW = "0.1"


def test_a_keys_fourth_quick_request_waits_and_other_keys_do_not(boot: Boot) -> None:
    services = boot(rate_limit=SLOW, rate_burst="3")
    alice, alice_key = named_key(services, "alice")
    _, bob_key = named_key(services, "bob")
    with TestClient(create_app(services)) as client:
        for _ in range(3):
            assert client.get("/v1/rules", headers=alice_key).status_code == 200

        refused = client.get("/v1/rules", headers=alice_key)
        assert refused.status_code == 429
        retry_after = refused.headers["retry-after"]
        assert retry_after.isdigit() and int(retry_after) >= 1
        assert refused.headers["content-type"] == "application/json"
        body = refused.json()
        assert body["error"] == "rate_limited"
        assert alice in body["message"]

        for _ in range(3):  # another key: its own bucket
            assert client.get("/v1/rules", headers=bob_key).status_code == 200
        assert client.get("/healthz").status_code == 200  # public: no key, no bucket
        assert client.get("/v1/rules", headers=alice_key).status_code == 429


def test_a_request_after_retry_after_goes_through(boot: Boot) -> None:
    services = boot(rate_limit="0.5", rate_burst="1")  # 2 s for the refusal: a loaded machine
    _, key = named_key(services, "dan")
    with TestClient(create_app(services)) as client:
        assert client.get("/v1/rules", headers=key).status_code == 200
        refused = client.get("/v1/rules", headers=key)
        assert refused.status_code == 429
        time.sleep(int(refused.headers["retry-after"]))
        assert client.get("/v1/rules", headers=key).status_code == 200


def test_every_request_of_a_key_spends_from_its_bucket_whatever_it_asks(boot: Boot) -> None:
    """Refused requests of any kind count: a write the key may not make, a missing page."""
    services = boot(rate_limit=SLOW, rate_burst="3")
    _, key = named_key(services, "carol")
    with TestClient(create_app(services)) as client:
        assert client.get("/v1/no-such-page", headers=key).status_code == 404
        assert client.post("/v1/routes/preview", headers=key, content=b"{").status_code == 422
        assert client.get("/v1/network", headers=key).status_code == 200
        assert client.get("/v1/network", headers=key).status_code == 429


def test_workers_share_a_keys_bucket_through_redis_and_not_without(boot: Boot) -> None:
    first, second = boot(rate_limit=SLOW, rate_burst="3"), boot(rate_limit=SLOW, rate_burst="3")
    name, key = named_key(first, "dave")
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        assert [a.get("/v1/rules", headers=key).status_code for _ in range(2)] == [200, 200]
        assert b.get("/v1/rules", headers=key).status_code == 200
        if shared(first):  # one bucket: the third request, on either worker, was the last
            refused = b.get("/v1/rules", headers=key)
            assert refused.status_code == 429
            assert name in refused.json()["message"]
            assert int(refused.headers["retry-after"]) >= 1
            assert a.get("/v1/rules", headers=key).status_code == 429
        else:  # in process: each worker has its own bucket (documented: Redis shares them)
            assert [b.get("/v1/rules", headers=key).status_code for _ in range(3)] == [
                200,
                200,
                429,
            ]
            assert a.get("/v1/rules", headers=key).status_code == 200


def test_a_rate_of_zero_turns_the_limit_off(boot: Boot) -> None:
    services = boot(rate_limit="0")
    _, key = named_key(services, "erin")
    with TestClient(create_app(services)) as client:
        assert {client.get("/v1/rules", headers=key).status_code for _ in range(50)} == {200}


# --- the body limits ------------------------------------------------------------------------


def padded(document: Any, size: int) -> bytes:
    """``document`` as JSON, padded with whitespace (still the same JSON) to ``size`` bytes."""
    raw = json.dumps(document).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def chunks(raw: bytes, size: int = 500) -> Iterator[bytes]:
    for start in range(0, len(raw), size):
        yield raw[start : start + size]


def assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "body_too_large"
    assert str(limit) in body["message"]


def test_a_body_over_the_limit_is_refused_with_or_without_a_content_length(boot: Boot) -> None:
    services = boot(max_body_bytes=str(SMALL), max_bulk_body_bytes=str(BULK))
    preview = order([{"id": "1", "sku": "SKU-1", "quantity": 1}])
    with api_client(services) as client:
        at_limit = client.post("/v1/routes/preview", content=padded(preview, SMALL))
        assert at_limit.status_code == 200, at_limit.text  # the limit itself is allowed

        over = padded(preview, SMALL + 1)
        declared = client.post("/v1/routes/preview", content=over)
        assert declared.request.headers["content-length"] == str(SMALL + 1)
        assert_too_large(declared, SMALL)

        streamed = client.post("/v1/routes/preview", content=chunks(over))
        assert "content-length" not in streamed.request.headers
        assert streamed.request.headers["transfer-encoding"] == "chunked"
        assert_too_large(streamed, SMALL)

        # a body under the bulk limit is still over this one: only bulk loads get the bulk limit
        batch = padded({"orders": [preview] * 3}, 5000)
        assert_too_large(client.post("/v1/routes/previews", content=batch), SMALL)
        # a body FastAPI parses itself (a model parameter), chunked: the same answer
        assert_too_large(client.post("/v1/routes/previews", content=chunks(batch)), SMALL)


def test_a_chunked_body_is_refused_while_it_is_read(boot: Boot) -> None:
    """Sent in chunks each under the limit, the body is counted as it comes: refused once
    past the limit, without the rest being read."""
    services = boot(max_body_bytes=str(SMALL), max_bulk_body_bytes=str(BULK))
    headers = key_header(services)
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for piece in chunks(padded(order([]), 50_000)):
            sent.append(len(piece))
            yield piece

    async def post(app: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.post("/v1/routes/preview", content=body(), headers=headers)

    with TestClient(create_app(services)) as client:  # started: the app has its services
        response = asyncio.run(post(client.app))
    assert_too_large(response, SMALL)
    assert SMALL < sum(sent) <= SMALL + 500  # read up to the chunk that went past, no further


def test_a_rules_body_over_the_limit_changes_nothing(boot: Boot) -> None:
    services = boot(max_body_bytes=str(SMALL), max_bulk_body_bytes=str(BULK))
    with api_client(services) as client:
        before = client.get("/v1/rules").json()
        changed = before["text"].replace("per_km: 0.01", "per_km: 0.02")
        assert changed != before["text"]
        yaml = {"content-type": "application/yaml"}
        oversize = (changed + "\n# " + "x" * SMALL + "\n").encode()

        assert_too_large(client.put("/v1/rules", content=oversize, headers=yaml), SMALL)
        assert_too_large(client.put("/v1/rules", content=chunks(oversize), headers=yaml), SMALL)
        after = client.get("/v1/rules").json()
        assert (after["version"], after["text"]) == (before["version"], before["text"])
        assert client.get("/healthz").json()["rules_version"] == before["version"]

        # the same change within the limit is taken: it was the size that was refused
        taken = client.put("/v1/rules", content=changed.encode(), headers=yaml)
        assert taken.status_code == 200, taken.text
        assert taken.json()["version"] != before["version"]


def test_an_inventory_load_gets_the_bulk_limit(boot: Boot) -> None:
    services = boot(max_body_bytes=str(SMALL), max_bulk_body_bytes=str(BULK))
    csv = {"content-type": "text/csv"}

    def stock(rows: int, on_hand: int) -> bytes:
        lines = ["location_id,sku,on_hand,safety_stock"]
        lines += [f"DC0{1 + n % 2},BULK-{n},{on_hand},0" for n in range(rows)]
        return ("\n".join(lines) + "\n").encode()

    def on_hand(client: TestClient, sku: str) -> int:
        found = client.get("/v1/availability", params={"sku": sku, "location_id": "DC01"})
        assert found.status_code == 200, found.text
        figure: int = found.json()["on_hand"]
        return figure

    with api_client(services) as client:
        load = stock(300, on_hand=7)
        assert SMALL < len(load) < BULK
        taken = client.put("/v1/inventory", content=load, headers=csv)
        assert taken.status_code == 200, taken.text
        assert on_hand(client, "BULK-0") == 7

        streamed = client.put("/v1/inventory", content=chunks(stock(300, 8)), headers=csv)
        assert streamed.status_code == 200, streamed.text  # chunked: counted against BULK too
        assert on_hand(client, "BULK-0") == 8

        too_big = stock(2000, on_hand=9)
        assert len(too_big) > BULK
        assert_too_large(client.put("/v1/inventory", content=too_big, headers=csv), BULK)
        assert_too_large(client.put("/v1/inventory", content=chunks(too_big), headers=csv), BULK)
        assert on_hand(client, "BULK-0") == 8  # nothing of the refused loads was applied


def test_while_the_limits_redis_is_unreachable_requests_are_served(
    embedded_services: Services,
) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    dead = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), retries=0)
    )
    embedded_services.limiter = RedisRateLimiter(dead, prefix="gone", rate=1.0, burst=1.0)
    try:
        with api_client(embedded_services) as client:
            assert [client.get("/v1/rules").status_code for _ in range(3)] == [200] * 3
    finally:
        dead.close()
