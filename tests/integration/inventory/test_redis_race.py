"""Threads and processes racing for the last units of a hot SKU in Redis never oversell."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
import redis

from inventory.redis_store import RedisInventory
from tests.integration.inventory.conftest import MakeRedisInventory
from tests.unit.inventory import race

pytestmark = pytest.mark.redis
PROCESSES = 4
THREADS_PER_PROCESS = 4


def _process(url: str, prefix: str, attempts: list[race.Attempt]) -> list[str]:
    client = redis.Redis.from_url(url)
    try:
        inventory = RedisInventory.standalone(client, prefix=prefix)
        return sorted(race.race_threads(inventory, attempts, THREADS_PER_PROCESS))
    finally:
        client.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_sixteen_threads_racing_reserve_exactly_the_usable_stock(
    make_redis_inventory: MakeRedisInventory, seed: int
) -> None:
    inventory = make_redis_inventory()
    inventory.upsert(race.STOCK)
    attempts = race.attempts(seed)
    won = race.race_threads(inventory, attempts, threads=16)
    race.check_no_oversell(inventory, attempts, won)


def test_processes_racing_reserve_exactly_the_usable_stock(
    make_redis_inventory: MakeRedisInventory, redis_url: str
) -> None:
    inventory = make_redis_inventory()
    inventory.upsert(race.STOCK)
    attempts = race.attempts(seed=3, extra_singles=20, multis=80, doubles=40)
    shares = [attempts[i::PROCESSES] for i in range(PROCESSES)]
    prefix = inventory.prefix  # the same keys, seen from other processes
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(_process, redis_url, prefix, share) for share in shares]
        won = {rid for future in futures for rid in future.result()}
    race.check_no_oversell(inventory, attempts, won)
