"""Inventory benchmarks: availability read per preview and reservation throughput.

Run: .venv/bin/pytest benchmarks/test_bench_inventory.py --benchmark-enable
Redis cases use OMNIROUTE_TEST_REDIS_URL (default redis://127.0.0.1:6379/15) under a random
prefix that is deleted afterwards.
"""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from pytest_benchmark.fixture import BenchmarkFixture

from inventory.errors import InsufficientStock
from inventory.memory import MemoryInventory
from inventory.model import InventoryRecord, ReservationLine
from inventory.ports import Inventory
from inventory.redis_store import RedisInventory
from tests.conftest import DEFAULT_REDIS_URL, delete_redis_prefix, reachable_redis

SEED = 20240601
LOCATIONS = [f"L{i:03d}" for i in range(500)]
SKUS = [f"SKU-{i:05d}" for i in range(2000)]
PREVIEW_SKUS = 5
RESERVATIONS_PER_ROUND = 1000


def catalogue(rng: random.Random) -> list[InventoryRecord]:
    """Warehouses (first 10 locations) stock every SKU, each store about 20% of them."""
    records = []
    for i, loc in enumerate(LOCATIONS):
        for sku in SKUS if i < 10 else rng.sample(SKUS, len(SKUS) // 5):
            records.append(InventoryRecord(loc, sku, rng.randint(0, 40), rng.randint(0, 2)))
    return records


@pytest.fixture(scope="module")
def records() -> list[InventoryRecord]:
    return catalogue(random.Random(SEED))


@pytest.fixture
def redis_inventory() -> Iterator[Callable[[], RedisInventory]]:
    url = reachable_redis(os.environ.get("OMNIROUTE_TEST_REDIS_URL", DEFAULT_REDIS_URL))
    client = redis.Redis.from_url(url)
    prefix = f"omniroute-bench:{uuid.uuid4().hex}"
    yield lambda: RedisInventory.standalone(client, prefix=prefix)
    client.close()
    delete_redis_prefix(url, prefix)


def make(kind: str, factory: Callable[[], RedisInventory]) -> Inventory:
    return factory() if kind == "redis" else MemoryInventory()


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_availability_read_for_one_preview(
    benchmark: BenchmarkFixture,
    records: list[InventoryRecord],
    redis_inventory: Callable[[], RedisInventory],
    kind: str,
) -> None:
    """atf_matrix for 5 SKUs x 500 locations, a different SKU set each call."""
    inventory = make(kind, redis_inventory)
    inventory.upsert(records)
    rng = random.Random(SEED)
    carts = itertools.cycle([tuple(rng.sample(SKUS, PREVIEW_SKUS)) for _ in range(256)])
    locations = tuple(LOCATIONS)
    matrix = benchmark(lambda: inventory.atf_matrix(next(carts), locations))
    assert matrix.shape == (PREVIEW_SKUS, len(LOCATIONS))


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_reservation_throughput_from_one_thread(
    benchmark: BenchmarkFixture, redis_inventory: Callable[[], RedisInventory], kind: str
) -> None:
    """3-line reservations (3 SKUs, random locations); the last ones find some pairs sold out."""
    inventory = make(kind, redis_inventory)
    rng = random.Random(SEED)
    locations, skus = LOCATIONS[:20], SKUS[:50]
    stock = [InventoryRecord(loc, sku, 18, 1) for loc in locations for sku in skus]
    inventory.upsert(stock)
    counter = itertools.count()
    won: list[tuple[ReservationLine, ...]] = []

    def one_round() -> None:
        for _ in range(RESERVATIONS_PER_ROUND):
            lines = tuple(
                ReservationLine(rng.choice(locations), sku, 1) for sku in rng.sample(skus, 3)
            )
            try:
                inventory.reserve(f"bench-{next(counter)}", lines, 3600)
                won.append(lines)
            except InsufficientStock:
                pass

    started = time.perf_counter()
    benchmark.pedantic(one_round, rounds=5, iterations=1)  # type: ignore[no-untyped-call]
    elapsed = time.perf_counter() - started
    attempts = next(counter)
    benchmark.extra_info["reservations_per_s"] = round(attempts / elapsed)
    benchmark.extra_info["reserved"] = len(won)
    benchmark.extra_info["refused"] = attempts - len(won)

    held: dict[tuple[str, str], int] = {}
    for lines in won:
        for line in lines:
            held[(line.location_id, line.sku)] = held.get((line.location_id, line.sku), 0) + 1
    figures = inventory.availability_many([(r.location_id, r.sku) for r in stock])
    for record, f in zip(stock, figures, strict=True):
        assert f.reserved == held.get((record.location_id, record.sku), 0)
        assert f.available_to_fulfill >= 0, "oversold"
