"""Redis inventories under random key prefixes, deleted after each test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from inventory.redis_store import RedisInventory

MakeRedisInventory = Callable[..., RedisInventory]


def delete_prefix(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def make_redis_inventory(redis_client: redis.Redis) -> Iterator[MakeRedisInventory]:
    """``make(clock=time.time, prefix=None)``: a RedisInventory; a fresh prefix unless given."""
    prefixes: list[str] = []

    def make(clock: Callable[[], float] = time.time, prefix: str | None = None) -> RedisInventory:
        if prefix is None:
            prefix = f"omniroute-test:{uuid.uuid4().hex}"
            prefixes.append(prefix)
        return RedisInventory(redis_client, prefix=prefix, clock=clock)

    yield make
    for prefix in prefixes:
        delete_prefix(redis_client, prefix)
