"""What the recorded inventory does when the record cannot take a change: nothing unrecorded
is ever served; the cache waits for a rebuild from the record."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from flows.db import DocumentStore, make_engine
from flows.inventory_ledger import SqlInventoryLedger
from inventory.errors import CacheNotReady, CacheStale, RecordUnavailable
from inventory.memory import MemoryInventory
from inventory.model import Availability, Change, InventoryRecord, ReservationLine
from inventory.recorded import RecordedInventory


class FlakyLedger(SqlInventoryLedger):
    """The real SQLite record, whose writes fail while ``down`` (a database outage)."""

    down = False

    def write_many(self, changes: Sequence[Change]) -> None:
        if self.down:
            raise RecordUnavailable("inventory record unreachable: connection refused")
        super().write_many(changes)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[RecordedInventory, FlakyLedger, list[str]]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'record.db'}")
    DocumentStore(engine)
    ledger = FlakyLedger(engine)
    woken: list[str] = []
    inventory = RecordedInventory(
        MemoryInventory(marker=None), ledger, time.time, on_not_ready=lambda: woken.append("wake")
    )
    inventory.sync([InventoryRecord("DC01", "SKU-1", 10, 0)])
    yield inventory, ledger, woken
    ledger.close()
    engine.dispose()


def test_a_change_the_record_cannot_take_is_not_acknowledged_and_stops_the_cache(
    setup: tuple[RecordedInventory, FlakyLedger, list[str]],
) -> None:
    inventory, ledger, woken = setup
    ledger.down = True
    with pytest.raises(RecordUnavailable):
        inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 4)], 600)
    assert woken  # the worker's upkeep is asked to rebuild
    with pytest.raises(CacheNotReady):  # never the unrecorded figures
        inventory.availability("DC01", "SKU-1")
    with pytest.raises(CacheNotReady):
        inventory.reserve("R2", [ReservationLine("DC01", "SKU-1", 1)], 600)


def test_once_the_record_is_back_a_rebuild_serves_exactly_what_was_recorded(
    setup: tuple[RecordedInventory, FlakyLedger, list[str]],
) -> None:
    inventory, ledger, _ = setup
    inventory.reserve("R0", [ReservationLine("DC01", "SKU-1", 2)], 600)
    ledger.down = True
    with pytest.raises(RecordUnavailable):
        inventory.reserve_many([("R1", [ReservationLine("DC01", "SKU-1", 4)], 600)])
    ledger.down = False
    inventory.rebuild(force=False)
    assert inventory.availability("DC01", "SKU-1").reserved == 2  # R0 only
    assert inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 4)], 600).status == "active"
    assert inventory.availability("DC01", "SKU-1").reserved == 6
    assert inventory.check() == []


def test_a_write_on_a_build_the_record_moved_past_is_refused_and_that_build_dropped(
    setup: tuple[RecordedInventory, FlakyLedger, list[str]],
) -> None:
    inventory, ledger, woken = setup
    other = RecordedInventory(MemoryInventory(marker=None), ledger, time.time)
    other.sync([InventoryRecord("DC01", "SKU-1", 9, 0)])  # another process's full sync
    with pytest.raises(CacheStale):
        inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 1)], 600)
    assert woken
    with pytest.raises(CacheNotReady):  # the unrecorded hold is never served
        inventory.availability("DC01", "SKU-1")
    inventory.rebuild(force=False)
    assert inventory.availability("DC01", "SKU-1") == Availability(9, 0, 0)
