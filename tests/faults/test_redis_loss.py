"""Redis loses its data while the service runs: nothing acknowledged is lost or counted twice.

Each test starts its own ``redis-server`` (never the machine's shared one) and keeps the
record in a fresh PostgreSQL schema. Writers reserve (and release) from several threads and a
stock feed adjusts on hand while the test flushes Redis and restarts it empty; readers check
that every availability answer is either a 503 or the true on hand, never zero or a guess.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

import pytest

from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from inventory.errors import InventoryUnavailable
from inventory.model import InventoryRecord, ReservationLine, StockAdjust
from tests.e2e.conftest import small_env
from tests.support.processes import PrivateRedis

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

HOT_ON_HAND = 100_000
HOT = [InventoryRecord(loc, "HOT", HOT_ON_HAND, 0) for loc in ("DC01", "DC02", "ST01")]
FEED = InventoryRecord("DC02", "FEED", 10, 0)
WRITERS = 6
RESERVATIONS_PER_WRITER = 120


@dataclass
class Ledger:
    """What the service acknowledged, and any answer that was wrong."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    active: dict[str, ReservationLine] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)
    adjusted: int = 0
    wrong: list[str] = field(default_factory=list)
    unavailable: int = 0


def until_acknowledged(call: Callable[[], object], ledger: Ledger, attempts: int = 400) -> bool:
    """Retry ``call`` (idempotent) through 503s; True once it is acknowledged."""
    for _ in range(attempts):
        try:
            call()
            return True
        except InventoryUnavailable:
            with ledger.lock:
                ledger.unavailable += 1
            time.sleep(0.02)
    return False


@pytest.fixture
def services(private_redis: PrivateRedis, postgres_schema_url: str) -> Iterator[Services]:
    services = bootstrap(Settings.from_env(small_env(postgres_schema_url, private_redis.url)))
    services.inventory.sync([*HOT, FEED])
    services.upkeep.start()  # the worker's watchdog, as in `serve`
    yield services
    services.close()


def writer(services: Services, number: int, ledger: Ledger, faults_done: threading.Event) -> None:
    """At least RESERVATIONS_PER_WRITER reservations, and on until the faults are over (so
    that writes span them however fast the machine is)."""
    rng = random.Random(number)
    inventory = services.inventory
    i = 0
    while i < RESERVATIONS_PER_WRITER or not faults_done.is_set():
        i += 1
        rid = f"w{number}-{i}"
        line = ReservationLine(rng.choice(HOT).location_id, "HOT", rng.randint(1, 3))
        if not until_acknowledged(partial(inventory.reserve, rid, [line], 3600), ledger):
            continue
        with ledger.lock:
            ledger.active[rid] = line
        if i % 5 == 0 and until_acknowledged(partial(inventory.release, rid), ledger):
            with ledger.lock:
                ledger.released.add(rid)


def feeder(services: Services, ledger: Ledger, stop: threading.Event) -> None:
    while not stop.is_set():
        adjust = [StockAdjust(FEED.location_id, FEED.sku, 1)]
        if until_acknowledged(partial(services.inventory.write_stock, adjust), ledger):
            with ledger.lock:
                ledger.adjusted += 1
        time.sleep(0.005)


def reader(services: Services, ledger: Ledger, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            figures = services.inventory.availability("DC01", "HOT")
        except InventoryUnavailable:
            continue  # 503 is a right answer while the cache is rebuilt
        if figures.on_hand != HOT_ON_HAND or not 0 <= figures.reserved <= HOT_ON_HAND:
            with ledger.lock:
                ledger.wrong.append(f"DC01/HOT answered {figures}")


def wait_until_served(services: Services, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            services.inventory.availability("DC01", "HOT")
            return
        except InventoryUnavailable:
            time.sleep(0.05)
    raise AssertionError("the cache was not rebuilt from the record")


def test_redis_flushed_and_restarted_empty_under_load_keeps_every_acknowledged_change(
    services: Services, private_redis: PrivateRedis
) -> None:
    ledger, stop, faults_done = Ledger(), threading.Event(), threading.Event()
    writers = [
        threading.Thread(target=writer, args=(services, n, ledger, faults_done))
        for n in range(WRITERS)
    ]
    others = [
        threading.Thread(target=feeder, args=(services, ledger, stop)),
        threading.Thread(target=reader, args=(services, ledger, stop)),
    ]
    for thread in writers + others:
        thread.start()
    time.sleep(0.4)
    private_redis.flush()  # an eviction / a flush: the marker and every count are gone
    time.sleep(0.6)
    private_redis.restart_empty()  # a restart without persistence
    time.sleep(0.3)
    faults_done.set()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in others:
        thread.join()
    wait_until_served(services)

    assert ledger.wrong == []
    assert ledger.unavailable > 0, "the faults were not seen: the test proves nothing"
    inventory = services.inventory
    for rid, line in ledger.active.items():
        reservation = inventory.get_reservation(rid)
        if rid in ledger.released:
            assert reservation.status == "released" and reservation.lines == ()
        else:
            assert reservation.status == "active" and reservation.lines == (line,)
    for record in HOT:
        held = sum(
            line.quantity
            for rid, line in ledger.active.items()
            if rid not in ledger.released and line.location_id == record.location_id
        )
        figures = inventory.availability(record.location_id, "HOT")
        assert (figures.on_hand, figures.reserved) == (HOT_ON_HAND, held)  # nothing twice
    assert (
        inventory.availability(FEED.location_id, FEED.sku).on_hand == FEED.on_hand + ledger.adjusted
    )
    recorded = {s.reservation.id for s in inventory.ledger.snapshot().reservations}
    assert recorded == set(ledger.active)  # nothing unacknowledged was recorded
    assert inventory.check() == []
