"""Concurrent reserve() calls on the recorded inventory share one cache call and their commits;
each caller still gets its own answer, and every acknowledged reservation is in the record."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from flows.db import DocumentStore, make_engine
from flows.inventory_ledger import SqlInventoryLedger
from inventory.errors import CacheNotReady, InsufficientStock, InvalidReservation, InventoryError
from inventory.memory import MemoryInventory
from inventory.model import (
    Change,
    InventoryRecord,
    Reservation,
    ReservationLine,
    ReservationRequest,
)
from inventory.recorded import RecordedInventory

Outcome = tuple[Reservation | InventoryError, Change | None]


class GatedCache(MemoryInventory):
    """Counts the cache calls per batch size; the first call waits at a gate, so the callers
    started meanwhile queue behind it."""

    def __init__(self) -> None:
        super().__init__(marker=None)
        self.batches: list[int] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.broken = False

    def _enter(self, size: int) -> None:
        self.batches.append(size)
        if not self.entered.is_set():
            self.entered.set()
            self.gate.wait(5)
        if self.broken:
            raise CacheNotReady("being rebuilt")

    def reserve_change(
        self, reservation_id: str, lines: Sequence[ReservationLine], ttl_seconds: int = 60
    ) -> tuple[Reservation, Change | None]:
        self._enter(1)
        return super().reserve_change(reservation_id, lines, ttl_seconds)

    def reserve_many_change(self, requests: Sequence[ReservationRequest]) -> list[Outcome]:
        self._enter(len(requests))
        self.gate.set()  # one gate only
        return [self._one(*request) for request in requests]

    def _one(self, rid: str, lines: Sequence[ReservationLine], ttl: int) -> Outcome:
        try:
            return MemoryInventory.reserve_change(self, rid, lines, ttl)
        except (InsufficientStock, InvalidReservation) as exc:
            return exc, None


@pytest.fixture
def inventory(tmp_path: Path) -> Iterator[tuple[RecordedInventory, GatedCache]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'together.db'}")
    DocumentStore(engine)
    ledger = SqlInventoryLedger(engine)
    cache = GatedCache()
    recorded = RecordedInventory(cache, ledger, time.time)
    cache.gate.set()
    recorded.sync([InventoryRecord("DC01", "SKU-1", 5)])
    cache.gate.clear()
    cache.entered.clear()
    cache.batches.clear()
    yield recorded, cache
    ledger.close()
    engine.dispose()


def reserve_concurrently(
    recorded: RecordedInventory, cache: GatedCache, asks: list[tuple[str, int]]
) -> list[Reservation | BaseException]:
    """``asks[0]`` enters the cache first and holds it until the others have queued."""
    outcomes: list[Reservation | BaseException] = [Exception("not run")] * len(asks)

    def ask(n: int) -> None:
        rid, quantity = asks[n]
        try:
            outcomes[n] = recorded.reserve(rid, [ReservationLine("DC01", "SKU-1", quantity)], 60)
        except BaseException as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(asks))]
    threads[0].start()
    assert cache.entered.wait(5)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 5
    while len(recorded._reserves._queue) < len(asks) - 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    cache.gate.set()
    for thread in threads:
        thread.join(5)
    return outcomes


def test_callers_arriving_during_a_reservation_share_the_next_cache_call(
    inventory: tuple[RecordedInventory, GatedCache],
) -> None:
    recorded, cache = inventory
    asks = [("r0", 1), ("r1", 1), ("r2", 1), ("r3", 1), ("r4", 1)]
    outcomes = reserve_concurrently(recorded, cache, asks)
    assert all(isinstance(o, Reservation) for o in outcomes)
    assert cache.batches == [1, 4]
    assert recorded.availability("DC01", "SKU-1").reserved == 5
    recorded.rebuild()  # the cache rebuilt from the record alone holds every acknowledgement
    assert recorded.availability("DC01", "SKU-1").reserved == 5
    assert recorded.check() == []


def test_a_refusal_in_a_shared_call_reaches_its_caller_only(
    inventory: tuple[RecordedInventory, GatedCache],
) -> None:
    recorded, cache = inventory
    outcomes = reserve_concurrently(recorded, cache, [("r0", 2), ("r1", 9), ("r2", 2), ("", 1)])
    assert [type(o).__name__ for o in outcomes] == [
        "Reservation",
        "InsufficientStock",
        "Reservation",
        "InvalidReservation",
    ]
    recorded.rebuild()
    assert recorded.availability("DC01", "SKU-1").reserved == 4


def test_a_cache_that_fails_a_shared_call_fails_every_caller_of_it(
    inventory: tuple[RecordedInventory, GatedCache],
) -> None:
    recorded, cache = inventory
    cache.broken = True
    outcomes = reserve_concurrently(recorded, cache, [("r0", 1), ("r1", 1), ("r2", 1)])
    assert [type(o) for o in outcomes] == [CacheNotReady] * 3
    cache.broken = False
    recorded.rebuild()
    assert recorded.availability("DC01", "SKU-1").reserved == 0
