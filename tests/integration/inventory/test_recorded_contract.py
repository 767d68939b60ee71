"""The inventory contract against the durable record: a cache in front of SQLite or PostgreSQL.

Three pairings: in-process cache + SQLite record (the embedded default), in-process cache +
PostgreSQL record, Redis cache + PostgreSQL record (production). After every contract test the
record must agree with the cache, and a cache rebuilt from the record alone must serve the
same figures and reservations as the cache the test used.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from flows.db import DocumentStore, make_engine, metadata
from flows.inventory_ledger import SqlInventoryLedger
from inventory.memory import MemoryInventory
from inventory.ports import InventoryCache
from inventory.reconcile import compare, reserved_cells
from inventory.recorded import RecordedInventory
from inventory.redis_store import RedisInventory
from tests.conftest import delete_redis_prefix
from tests.unit.inventory.contract import InventoryContract, MakeInventory

Clock = Callable[[], float]
INVENTORY_TABLES = (
    "inventory_meta",
    "inventory_reservations",
    "inventory_stock",
    "inventory_skus",
    "inventory_locations",
)


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"


class RecordedContract(InventoryContract):
    made: list[RecordedInventory]

    @pytest.fixture
    def database(self, tmp_path: Path) -> str:
        return _sqlite_url(tmp_path)

    def cache(self, clock: Clock) -> InventoryCache:
        return MemoryInventory(clock=clock, marker=None)

    @pytest.fixture
    def make_inventory(self, database: str) -> Iterator[MakeInventory]:
        engine = make_engine(database)
        DocumentStore(engine)  # creates the tables
        made: list[tuple[RecordedInventory, Clock]] = []

        def make(clock: Clock) -> RecordedInventory:
            # A fresh, empty record each time (property tests make several per test).
            with engine.begin() as conn:
                for name in INVENTORY_TABLES:
                    conn.execute(metadata.tables[name].delete())
            made[:] = []
            ledger = SqlInventoryLedger(engine, clock=clock)
            inventory = RecordedInventory(self.cache(clock), ledger, clock)
            inventory.rebuild(force=False)
            made.append((inventory, clock))
            return inventory

        yield make
        for inventory, clock in made:
            assert inventory.check() == []
            rebuilt = MemoryInventory(clock=clock, marker=None)
            rebuilt.build(inventory.ledger.snapshot())
            served, fresh = inventory.cache.dump(), rebuilt.dump()
            cells = reserved_cells(served, fresh, clock())
            reserved = {
                c: f.reserved for c, f in zip(cells, rebuilt.availability_many(cells), strict=True)
            }
            assert compare(served, fresh, clock(), reserved) == []
            inventory.ledger.close()  # type: ignore[attr-defined]
        engine.dispose()


class TestMemoryCacheOverSqliteRecord(RecordedContract):
    pass


@pytest.mark.postgres
class TestMemoryCacheOverPostgresRecord(RecordedContract):
    @pytest.fixture
    def database(self, postgres_schema_url: str) -> str:
        return postgres_schema_url


@pytest.mark.postgres
@pytest.mark.redis
class TestRedisCacheOverPostgresRecord(RecordedContract):
    @pytest.fixture
    def database(self, postgres_schema_url: str) -> str:
        return postgres_schema_url

    @pytest.fixture(autouse=True)
    def _redis(self, redis_url: str) -> Iterator[None]:
        self.client = redis.Redis.from_url(redis_url)
        self.prefixes: list[str] = []
        yield
        for prefix in self.prefixes:
            delete_redis_prefix(redis_url, prefix)
        self.client.close()

    def cache(self, clock: Clock) -> InventoryCache:
        prefix = f"omniroute-test:{uuid.uuid4().hex}"
        self.prefixes.append(prefix)
        return RedisInventory(self.client, prefix=prefix, clock=clock)
