"""A real ``omniroute serve`` keeps the inventory record when Redis loses its data.

Each test runs its own ``redis-server`` (never the machine's shared one) and keeps the record
in a fresh PostgreSQL schema. Redis is only a cache: after a flush while serving, or a restart
of both over an empty Redis, the service answers exactly what it acknowledged before, and
never fills the empty cache with generated sample stock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flows.sample import sample_inventory, sample_network
from tests.e2e.conftest import DATA
from tests.support.processes import PrivateRedis, ServeProcess

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

LOCATIONS = ["DC01", "DC02", "ST01", "ST02", "ST03"]  # tests/e2e/data/network.json
SAMPLE_ONLY_SKU = "SKU-00001"  # stocked at DC01 by the generated sample data, never here
SKUS = ["SKU-1", "SKU-2", "SKU-3", SAMPLE_ONLY_SKU]
SAMPLE_SKUS = 50

LOADED = [
    {"location_id": "DC01", "sku": "SKU-1", "on_hand": 40, "safety_stock": 2},
    {"location_id": "DC02", "sku": "SKU-1", "on_hand": 25},
    {"location_id": "DC02", "sku": "SKU-2", "on_hand": 12},
    {"location_id": "ST01", "sku": "SKU-2", "on_hand": 9, "safety_stock": 1},
    {"location_id": "ST03", "sku": "SKU-1", "on_hand": 6},
]
RESERVATIONS = {
    "R1": [("DC01", "SKU-1", 5)],
    "R2": [("DC02", "SKU-2", 3), ("ST01", "SKU-2", 2)],
    "R3": [("DC01", "SKU-1", 4)],  # released below
}
RELEASED = "R3"
PATCH = [
    {"location_id": "DC02", "sku": "SKU-1", "adjust": -7},
    {"location_id": "ST03", "sku": "SKU-1", "safety_stock": 1},
    {"location_id": "DC01", "sku": "SKU-3", "on_hand": 11},
]
# (on hand, reserved, safety stock) after the load, the reservations, the release and the
# patch; every other (location, sku) of LOCATIONS x SKUS has nothing.
EXPECTED = {
    ("DC01", "SKU-1"): (40, 5, 2),
    ("DC02", "SKU-1"): (18, 0, 0),
    ("DC02", "SKU-2"): (12, 3, 0),
    ("ST01", "SKU-2"): (9, 2, 1),
    ("ST03", "SKU-1"): (6, 0, 1),
    ("DC01", "SKU-3"): (11, 0, 0),
}

Figures = dict[tuple[str, str], dict[str, Any]]


def serve_env(database_url: str, redis: PrivateRedis, **extra: str) -> dict[str, str]:
    return {
        "OMNIROUTE_DATABASE_URL": database_url,
        "OMNIROUTE_REDIS_URL": redis.url,
        "OMNIROUTE_SAMPLE_SKUS": str(SAMPLE_SKUS),
        **extra,
    }


def e2e_env(database_url: str, redis: PrivateRedis) -> dict[str, str]:
    # No OMNIROUTE_INVENTORY: the only stock is what the test PUTs.
    return serve_env(
        database_url,
        redis,
        OMNIROUTE_NETWORK=str(DATA / "network.json"),
        OMNIROUTE_RULES=str(DATA / "rules.yaml"),
    )


@pytest.fixture
def serve() -> Iterator[list[ServeProcess]]:
    """Every ServeProcess a test starts goes in here and is stopped afterwards."""
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.close()


def start(started: list[ServeProcess], env: dict[str, str], *args: str) -> ServeProcess:
    process = ServeProcess(env, extra_args=args)
    started.append(process)
    return process.start()


def availability(http: httpx.Client, location_id: str, sku: str) -> httpx.Response:
    return http.get("/v1/availability", params={"sku": sku, "location_id": location_id})


def figures_of(http: httpx.Client) -> Figures:
    figures: Figures = {}
    for location_id in LOCATIONS:
        for sku in SKUS:
            response = availability(http, location_id, sku)
            assert response.status_code == 200, response.text
            figures[(location_id, sku)] = response.json()
    return figures


def assert_expected(figures: Figures) -> None:
    for cell, body in figures.items():
        got = (body["on_hand"], body["reserved"], body["safety_stock"])
        assert got == EXPECTED.get(cell, (0, 0, 0)), cell


def line(location_id: str, sku: str, quantity: int) -> dict[str, Any]:
    return {"location_id": location_id, "sku": sku, "quantity": quantity}


def load_and_reserve(http: httpx.Client) -> Figures:
    """The writes of every scenario; returns what the service then answered for each cell."""
    put = http.put("/v1/inventory", json=LOADED)
    assert put.status_code == 200, put.text
    assert put.json() == {"mode": "full_sync", "records": len(LOADED), "over_reserved": []}
    for rid, lines in RESERVATIONS.items():
        made = http.post("/v1/reservations", json={"id": rid, "lines": [line(*x) for x in lines]})
        assert made.status_code == 201, made.text
    released = http.post(f"/v1/reservations/{RELEASED}/release")
    assert released.status_code == 200, released.text
    patched = http.patch("/v1/inventory", json=PATCH)
    assert patched.status_code == 200, patched.text
    assert patched.json()["mode"] == "delta"
    acknowledged = figures_of(http)
    assert_expected(acknowledged)
    return acknowledged


def assert_reservations_kept(http: httpx.Client) -> None:
    for rid, lines in RESERVATIONS.items():
        response = http.get(f"/v1/reservations/{rid}")
        assert response.status_code == 200, response.text
        body = response.json()
        if rid == RELEASED:
            assert (body["status"], body["lines"]) == ("released", [])
            assert body["released"] == [line(*x) for x in lines]
        else:
            assert (body["status"], body["lines"]) == ("active", [line(*x) for x in lines])


def wait_until_served(http: httpx.Client, timeout: float = 10.0) -> int:
    """Poll one stocked cell until it answers 200; every answer before must be a 503
    ``inventory_rebuilding`` with Retry-After, and the 200 must carry the true figures.
    Returns how many 503s were seen."""
    rebuilding = 0
    deadline = time.monotonic() + timeout
    while True:
        response = availability(http, "DC01", "SKU-1")
        if response.status_code == 200:
            body = response.json()
            assert (body["on_hand"], body["reserved"], body["safety_stock"]) == EXPECTED[
                ("DC01", "SKU-1")
            ], "served a figure that is not the record's while rebuilding"
            return rebuilding
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "inventory_rebuilding"
        assert response.headers["retry-after"] == "1"
        rebuilding += 1
        assert time.monotonic() < deadline, "the cache was not rebuilt from the record"
        time.sleep(0.05)


def test_redis_data_lost_while_serving_or_across_a_restart_is_rebuilt_from_the_record(
    private_redis: PrivateRedis, postgres_schema_url: str, serve: list[ServeProcess]
) -> None:
    # One scenario, two faults: a serve start costs seconds, so (b) reuses the state of (a).
    env = e2e_env(postgres_schema_url, private_redis)
    first = start(serve, env)
    with first.client() as http:
        acknowledged = load_and_reserve(http)

        # (a) an eviction / FLUSHALL while serving: marker and every count gone.
        private_redis.flush()
        wait_until_served(http)  # 503 inventory_rebuilding meanwhile, never a wrong figure
        assert figures_of(http) == acknowledged
        assert_reservations_kept(http)
        # Still writable afterwards, on top of the rebuilt counts.
        more = http.post("/v1/reservations", json={"id": "R4", "lines": [line("DC01", "SKU-1", 1)]})
        assert more.status_code == 201, more.text
        released = http.post("/v1/reservations/R4/release")
        assert released.status_code == 200, released.text

    # (b) serve stops, Redis comes back empty (no persistence), serve starts again.
    first.stop()
    private_redis.restart_empty()
    second = start(serve, env)
    with second.client() as http:
        after = figures_of(http)
        assert after == acknowledged  # and so no generated stock in any cell
        assert after[("DC01", SAMPLE_ONLY_SKU)]["on_hand"] == 0
        assert_reservations_kept(http)
        assert http.get("/v1/reservations/R4").json()["status"] == "released"


def test_a_first_start_with_redis_and_the_sample_network_seeds_no_stock(
    private_redis: PrivateRedis, postgres_schema_url: str, serve: list[ServeProcess]
) -> None:
    server = start(serve, serve_env(postgres_schema_url, private_redis))
    with server.client() as http:
        assert http.get("/v1/network").json()["locations"] == len(sample_network().locations)
        for location_id in ("DC01", "DC02", "ST001"):
            response = availability(http, location_id, SAMPLE_ONLY_SKU)
            assert response.status_code == 200, response.text
            assert response.json()["on_hand"] == 0


def test_sample_data_flag_seeds_generated_stock_even_with_redis(
    private_redis: PrivateRedis, postgres_schema_url: str, serve: list[ServeProcess]
) -> None:
    expected = {
        (r.location_id, r.sku): r.on_hand
        for r in sample_inventory(sample_network(), n_skus=SAMPLE_SKUS)
    }
    assert expected[("DC01", SAMPLE_ONLY_SKU)] > 0  # else this test would prove nothing
    server = start(serve, serve_env(postgres_schema_url, private_redis), "--sample-data")
    with server.client() as http:
        for location_id in ("DC01", "DC02"):
            response = availability(http, location_id, SAMPLE_ONLY_SKU)
            assert response.status_code == 200, response.text
            assert response.json()["on_hand"] == expected.get((location_id, SAMPLE_ONLY_SKU), 0)
