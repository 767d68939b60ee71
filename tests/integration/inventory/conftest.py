"""Redis inventories under random key prefixes, deleted after each test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from inventory.redis_store import RedisInventory
from tests.conftest import delete_redis_prefix

MakeRedisInventory = Callable[..., RedisInventory]


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def make_redis_inventory(redis_client: redis.Redis, redis_url: str) -> Iterator[MakeRedisInventory]:
    """``make(clock=time.time, prefix=None)``: a standalone RedisInventory (no record behind
    it); a fresh prefix unless given, where it adopts the build in use."""
    prefixes: list[str] = []

    def make(clock: Callable[[], float] = time.time, prefix: str | None = None) -> RedisInventory:
        if prefix is None:
            prefix = f"omniroute-test:{uuid.uuid4().hex}"
            prefixes.append(prefix)
        return RedisInventory.standalone(redis_client, prefix=prefix, clock=clock)

    yield make
    for prefix in prefixes:
        delete_redis_prefix(redis_url, prefix)
