"""A full sync on a live inventory: previews keep being answered from the old stock until the
new one is switched in whole, and a sync that fails halfway leaves the old stock in place."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import redis

from flows.db import DocumentStore, make_engine
from flows.inventory_ledger import SqlInventoryLedger
from inventory.model import InventoryRecord
from inventory.recorded import RecordedInventory
from inventory.redis_store import RedisInventory
from inventory.snapshot import Snapshot
from tests.conftest import delete_redis_prefix

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

LOCATIONS = [f"L{i:03d}" for i in range(100)]
SKUS = [f"SKU-{i:05d}" for i in range(2000)]  # 200,000 cells per sync
CART = SKUS[::400]


def stock(on_hand: int) -> list[InventoryRecord]:
    return [InventoryRecord(loc, sku, on_hand, 0) for sku in SKUS for loc in LOCATIONS]


class FailingBuild(RedisInventory):
    """A Redis cache whose next build breaks after writing aside, before the switch."""

    def build(self, snapshot: Snapshot, before_switch: Callable[[], None] | None = None) -> None:
        def crash() -> None:
            raise ConnectionError("Redis went away halfway through the sync")

        super().build(snapshot, before_switch=crash)


@pytest.fixture
def make(
    postgres_schema_url: str, redis_url: str
) -> Iterator[Callable[[type[RedisInventory]], RecordedInventory]]:
    engine = make_engine(postgres_schema_url)
    DocumentStore(engine)
    client = redis.Redis.from_url(redis_url)
    prefix = f"omniroute-test:{uuid.uuid4().hex}"

    def make(kind: type[RedisInventory] = RedisInventory) -> RecordedInventory:
        inventory = RecordedInventory(
            kind(client, prefix=prefix), SqlInventoryLedger(engine), clock=lambda: 1.8e9
        )
        inventory.rebuild(force=False)
        return inventory

    yield make
    client.close()
    delete_redis_prefix(redis_url, prefix)
    engine.dispose()


def test_previews_are_answered_from_whole_old_or_whole_new_stock_while_a_large_sync_runs(
    make: Callable[..., RecordedInventory],
) -> None:
    inventory = make()
    inventory.sync(stock(5))
    done, seen, failures = threading.Event(), set(), []

    def sync() -> None:
        try:
            inventory.sync(stock(9))
        finally:
            done.set()

    syncing = threading.Thread(target=sync)
    syncing.start()
    reads = 0
    while not done.is_set():
        try:
            matrix = inventory.atf_matrix(CART, LOCATIONS)
        except Exception as exc:  # any failure here is a preview that was not answered
            failures.append(repr(exc))
            continue
        values = set(np.unique(matrix).tolist())
        seen.add(frozenset(values))
        reads += 1
    syncing.join()
    assert failures == []
    assert reads > 10, "the sync ended before previews could be read during it"
    assert seen <= {frozenset({5}), frozenset({9})}  # never a mix, never zeros
    assert inventory.atf_matrix(CART, LOCATIONS).min() == 9
    assert inventory.check() == []


def test_a_sync_that_fails_halfway_leaves_the_old_stock_in_place(
    make: Callable[..., RecordedInventory],
) -> None:
    inventory = make()
    inventory.sync(stock(5)[:5000])
    inventory.reserve("R1", [inventory_line := _line()], 3600)
    marker = inventory.ledger.marker()
    breaking = make(FailingBuild)
    with pytest.raises(ConnectionError):
        breaking.sync(stock(9)[:4000])
    assert inventory.ledger.marker() == marker  # the record rolled back
    assert inventory.cache.built_from() == marker  # the cache still serves the old build
    figures = inventory.availability(inventory_line.location_id, inventory_line.sku)
    assert (figures.on_hand, figures.reserved) == (5, 2)
    assert inventory.availability(LOCATIONS[-1], SKUS[49]).on_hand == 5  # not dropped
    assert inventory.check() == []
    assert inventory.sync(stock(9)[:4000]).written == 4000  # a retry goes through


def _line():  # type: ignore[no-untyped-def]
    from inventory.model import ReservationLine

    return ReservationLine(LOCATIONS[0], SKUS[0], 2)
