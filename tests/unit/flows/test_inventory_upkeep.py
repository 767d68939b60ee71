"""The upkeep thread of a worker: rebuilds a cache that lost its build, logs what a check finds."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flows.db import DocumentStore, make_engine
from flows.inventory_ledger import SqlInventoryLedger
from flows.inventory_upkeep import InventoryUpkeep
from inventory.errors import CacheNotReady
from inventory.memory import MemoryInventory
from inventory.model import InventoryRecord, StockSet
from inventory.recorded import RecordedInventory


@pytest.fixture
def inventory(tmp_path: Path) -> Iterator[RecordedInventory]:
    engine = make_engine(f"sqlite:///{tmp_path / 'upkeep.db'}")
    DocumentStore(engine)
    ledger = SqlInventoryLedger(engine)
    recorded = RecordedInventory(MemoryInventory(marker=None), ledger, time.time)
    recorded.sync([InventoryRecord("DC01", "SKU-1", 5, 1)])
    yield recorded
    ledger.close()
    engine.dispose()


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_cache_that_lost_its_build_is_rebuilt_as_soon_as_a_request_notices(
    inventory: RecordedInventory,
) -> None:
    upkeep = InventoryUpkeep(lambda: wired, watch_seconds=60, check_seconds=0)
    wired = RecordedInventory(  # as bootstrap wires it: a request that finds no build wakes it
        inventory.cache, inventory.ledger, time.time, on_not_ready=upkeep.wake
    )
    upkeep.start()
    try:
        wired.cache.invalidate(wired.cache.built_from() or "")
        with pytest.raises(CacheNotReady):
            wired.availability("DC01", "SKU-1")  # noticed: wakes the upkeep thread
        assert wait_for(lambda: not wired.needs_rebuild(), seconds=5)  # not the 60 s watch
        assert wired.availability("DC01", "SKU-1").on_hand == 5
    finally:
        upkeep.stop()


def test_a_new_generation_of_the_record_is_picked_up_within_the_watch_interval(
    inventory: RecordedInventory, tmp_path: Path
) -> None:
    upkeep = InventoryUpkeep(lambda: inventory, watch_seconds=0.05, check_seconds=0)
    upkeep.start()
    try:
        other = RecordedInventory(MemoryInventory(marker=None), inventory.ledger, time.time)
        other.sync([InventoryRecord("DC01", "SKU-1", 9, 0)])  # another process's full sync
        assert wait_for(lambda: inventory.availability("DC01", "SKU-1").on_hand == 9)
    finally:
        upkeep.stop()


def test_the_periodic_check_logs_each_difference_between_cache_and_record(
    inventory: RecordedInventory, caplog: pytest.LogCaptureFixture
) -> None:
    inventory.cache.write_stock([StockSet("DC01", "SKU-1", 99, None)])  # behind the record's back
    upkeep = InventoryUpkeep(lambda: inventory, watch_seconds=60, check_seconds=60)
    with caplog.at_level(logging.WARNING, logger="omniroute.inventory"):
        upkeep.check()
    messages = [r.getMessage() for r in caplog.records]
    assert any("stock DC01/SKU-1: cache (99, 1), record (5, 1)" in m for m in messages)
    assert any("1 differences" in m for m in messages)
