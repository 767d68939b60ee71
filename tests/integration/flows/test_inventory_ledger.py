"""The durable inventory record (``SqlInventoryLedger``) on SQLite and on PostgreSQL.

Every test runs against a SQLite file and against real PostgreSQL (a fresh schema per test,
``postgres_schema_url`` in tests/conftest.py). Each ``open_ledger()`` is a new engine, like a
new worker process.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from flows.db import DocumentStore, make_engine
from flows.inventory_ledger import SqlInventoryLedger
from flows.inventory_schema import WRITE_BEGIN
from inventory.errors import CacheNotReady, CacheStale, RecordUnavailable
from inventory.model import (
    Change,
    InventoryRecord,
    Reservation,
    ReservationLine,
    StockCell,
    StoredReservation,
)
from inventory.snapshot import Snapshot
from tests.conftest import libpq_url


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.clock = Clock()
        self.engines: list[Engine] = []
        self.ledgers: list[SqlInventoryLedger] = []

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def open_ledger(self, **options: Any) -> SqlInventoryLedger:
        engine = make_engine(self.url)
        self.engines.append(engine)
        DocumentStore(engine)  # creates the tables, as every worker does at start-up
        options.setdefault("clock", self.clock)
        self.ledgers.append(SqlInventoryLedger(engine, **options))
        return self.ledgers[-1]

    def close(self) -> None:
        for ledger in self.ledgers:
            ledger.close()
        for engine in self.engines:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'omniroute.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    database = Database(url)
    yield database
    database.close()


def held(rid: str, *lines: tuple[str, str, int], expires_at: float = 5_000.0) -> StoredReservation:
    request = tuple(ReservationLine(*line) for line in lines)
    return StoredReservation(Reservation(rid, request, "active", expires_at), request)


def released(stored: StoredReservation) -> StoredReservation:
    r = stored.reservation
    closed = Reservation(r.id, (), "released", r.expires_at, released=r.lines)
    return StoredReservation(closed, stored.request)


def cells(snapshot: Snapshot) -> dict[tuple[str, str], tuple[int, int]]:
    stock = snapshot.stock
    return {
        (stock.locations[loc], stock.skus[sku]): (int(on_hand), int(safety))
        for sku, loc, on_hand, safety in zip(
            stock.sku, stock.location, stock.on_hand, stock.safety_stock, strict=True
        )
    }


def by_id(snapshot: Snapshot) -> dict[str, StoredReservation]:
    return {stored.reservation.id: stored for stored in snapshot.reservations}


def ignore(_: Snapshot) -> None:
    pass


def test_marker_is_record_id_dot_generation_and_stable(db: Database) -> None:
    first = db.open_ledger().marker()
    assert re.fullmatch(r"[0-9a-f]{32}\.0", first)
    assert db.open_ledger().marker() == first  # every worker sees the same record
    assert db.open_ledger().snapshot().marker == first  # a snapshot is no new generation


def test_is_empty_until_a_stock_cell_is_written(db: Database) -> None:
    ledger = db.open_ledger()
    assert ledger.is_empty()
    ledger.write(Change(ledger.marker(), 1, reservations=(held("R1", ("DC1", "A", 1)),)))
    assert ledger.is_empty()
    ledger.write(Change(ledger.marker(), 2, cells=(StockCell("DC1", "A", 5, 0),)))
    assert not ledger.is_empty()


def test_write_rejects_a_stale_marker_and_writes_nothing(db: Database) -> None:
    ledger = db.open_ledger()
    marker = ledger.marker()
    ledger.rebuild(ignore)
    change = Change(marker, 1, (StockCell("DC1", "A", 5, 0),), (held("R1", ("DC1", "A", 1)),))
    with pytest.raises(CacheStale):
        ledger.write(change)
    with pytest.raises(CacheStale):
        ledger.write(Change("someone-else.1", 1, (StockCell("DC1", "A", 5, 0),)))
    snapshot = ledger.snapshot()
    assert cells(snapshot) == {}
    assert snapshot.reservations == ()
    assert ledger.is_empty()


def test_seq_guard_keeps_the_latest_state_when_writes_arrive_out_of_order(db: Database) -> None:
    ledger = db.open_ledger()
    marker = ledger.marker()
    reservation = held("R1", ("DC1", "A", 2))
    ledger.write(Change(marker, 5, (StockCell("DC1", "A", 8, 1),), (released(reservation),)))
    ledger.write(Change(marker, 3, (StockCell("DC1", "A", 10, 0),), (reservation,)))  # late
    snapshot = ledger.snapshot()
    assert cells(snapshot) == {("DC1", "A"): (8, 1)}
    assert by_id(snapshot)["R1"] == released(reservation)
    assert snapshot.seq == 5
    ledger.write(Change(marker, 6, (StockCell("DC1", "A", 7, 1),)))
    assert cells(ledger.snapshot()) == {("DC1", "A"): (7, 1)}


def test_rebuild_bumps_the_generation_and_builds_from_what_was_written(db: Database) -> None:
    ledger = db.open_ledger()
    marker = ledger.marker()
    r1, r2 = held("R1", ("DC1", "A", 2), ("ST2", "B", 1)), held("R2", ("ST2", "B", 3))
    stock = (StockCell("DC1", "A", 10, 1), StockCell("ST2", "B", 4, 0))
    ledger.write(Change(marker, 1, stock, (r1,)))
    ledger.write(Change(marker, 2, (StockCell("DC1", "B", 0, 0),), (r2,)))
    built: list[Snapshot] = []

    snapshot = db.open_ledger().rebuild(built.append)

    assert snapshot is not None
    assert built == [snapshot]
    record_id, generation = marker.split(".")
    assert snapshot.marker == f"{record_id}.{int(generation) + 1}" == ledger.marker()
    assert snapshot.seq == 2
    assert cells(snapshot) == {
        ("DC1", "A"): (10, 1),
        ("ST2", "B"): (4, 0),
        ("DC1", "B"): (0, 0),
    }
    assert by_id(snapshot) == {"R1": r1, "R2": r2}
    assert snapshot.reserved_by_cell() == {("DC1", "A"): 2, ("ST2", "B"): 4}


def test_a_failing_build_leaves_generation_and_stock_unchanged(db: Database) -> None:
    ledger = db.open_ledger()
    marker = ledger.marker()
    ledger.write(Change(marker, 1, (StockCell("DC1", "A", 10, 1),), (held("R1", ("DC1", "A", 1)),)))
    before = ledger.snapshot()

    def fail(_: Snapshot) -> None:
        raise RuntimeError("redis went away")

    with pytest.raises(RuntimeError, match="redis went away"):
        ledger.rebuild(fail, replace=[InventoryRecord("ST9", "Z", 1)])
    db.clock.now = 10**9  # the reservation would expire, and be deleted, in a rebuild
    with pytest.raises(RuntimeError):
        ledger.rebuild(fail)
    db.clock.now = 1_000.0
    assert ledger.marker() == marker
    assert ledger.snapshot() == before
    ledger.write(Change(marker, 2, (StockCell("DC1", "A", 9, 1),)))  # still the current build


def test_replace_makes_stock_exactly_the_given_rows_and_keeps_reservations(
    db: Database,
) -> None:
    ledger = db.open_ledger()
    marker = ledger.marker()
    r1 = held("R1", ("DC1", "A", 2))
    ledger.write(Change(marker, 4, (StockCell("DC1", "A", 10, 1), StockCell("DC1", "B", 3, 0))))
    ledger.write(Change(marker, 5, (), (r1,)))
    replace = [
        InventoryRecord("DC1", "A", 20, 2),
        InventoryRecord("ST7", "C", 5),
        InventoryRecord("ST7", "C", 6, 1),  # a repeated cell: the last one counts
    ]
    snapshot = ledger.rebuild(ignore, replace=replace)
    assert snapshot is not None
    assert cells(snapshot) == {("DC1", "A"): (20, 2), ("ST7", "C"): (6, 1)}
    assert snapshot.stock.skus == ("A", "C")  # no code for a sku without a cell
    assert by_id(snapshot) == {"R1": r1}
    assert snapshot.seq == 5
    assert cells(ledger.snapshot()) == cells(snapshot)
    # writes on the new build land on the replaced rows
    ledger.write(Change(snapshot.marker, 6, (StockCell("ST7", "C", 4, 1),)))
    assert cells(ledger.snapshot())[("ST7", "C")] == (4, 1)


def test_reservations_past_their_ttl_appear_expired(db: Database) -> None:
    ledger = db.open_ledger(retention_seconds=3_600)
    marker = ledger.marker()
    due = held("DUE", ("DC1", "A", 2), ("DC1", "B", 1), expires_at=1_500.0)
    partly = Reservation("PART", (ReservationLine("DC1", "A", 1),), "active", 1_500.0,
                         released=(ReservationLine("DC1", "A", 2),))  # fmt: skip
    later = held("LATER", ("DC1", "A", 1), expires_at=9_000.0)
    old = released(held("OLD", ("DC1", "A", 1)))
    ledger.write(Change(marker, 1, (), (due, old)))
    ledger.write(Change(marker, 2, (), (StoredReservation(partly, partly.lines), later)))
    db.clock.now = 2_000.0

    shown = by_id(ledger.snapshot())
    assert shown["DUE"].reservation == Reservation(
        "DUE", (), "expired", 1_500.0, released=due.request
    )
    assert shown["PART"].reservation.released == (ReservationLine("DC1", "A", 3),)
    assert shown["PART"].request == partly.lines
    assert shown["LATER"] == later
    assert ledger.snapshot().marker == marker  # nothing was written by looking

    db.clock.now = 1_000.0 + 3_601  # OLD closed more than the retention ago
    snapshot = ledger.rebuild(ignore)
    assert snapshot is not None
    assert set(by_id(snapshot)) == {"DUE", "PART", "LATER"}
    assert by_id(snapshot)["DUE"] == shown["DUE"]
    assert snapshot.reserved_by_cell() == {("DC1", "A"): 1}
    db.clock.now = 1_000.0  # the rebuild wrote the expiry: it stays whatever the clock says
    assert by_id(ledger.snapshot())["DUE"].reservation.status == "expired"


def test_unless_built_skips_when_the_current_marker_is_already_built(db: Database) -> None:
    ledger = db.open_ledger()
    marker = ledger.marker()
    built: list[Snapshot] = []
    assert ledger.rebuild(built.append, unless_built=lambda: marker) is None
    assert built == []
    assert ledger.marker() == marker
    assert ledger.rebuild(built.append, unless_built=lambda: None) is not None
    assert len(built) == 1


def test_two_workers_racing_a_rebuild_build_only_once(db: Database) -> None:
    ledgers = [db.open_ledger(), db.open_ledger()]
    ledgers[0].marker()
    built: list[str] = []  # the markers a (shared) cache was built from
    start = threading.Barrier(2)

    def build(snapshot: Snapshot) -> None:
        time.sleep(0.3)  # a slow build: the other worker arrives while it runs
        built.append(snapshot.marker)

    def worker(ledger: SqlInventoryLedger) -> None:
        start.wait()
        ledger.rebuild(build, unless_built=lambda: built[-1] if built else None)

    threads = [threading.Thread(target=worker, args=(ledger,)) for ledger in ledgers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [ledgers[1].marker()]


def test_writers_wait_for_a_rebuild_in_progress_then_get_cache_stale(db: Database) -> None:
    ledger, writer = db.open_ledger(), db.open_ledger()
    marker = ledger.marker()
    building = threading.Event()
    outcome: list[object] = []

    def build(_: Snapshot) -> None:
        building.set()
        time.sleep(0.5)

    def write() -> None:
        building.wait()
        try:
            writer.write(Change(marker, 1, (StockCell("DC1", "A", 5, 0),)))
            outcome.append("written")
        except CacheStale as error:
            outcome.append(error)
        outcome.append(time.monotonic())

    thread = threading.Thread(target=write)
    thread.start()
    ledger.rebuild(build)
    committed = time.monotonic()
    thread.join()
    assert isinstance(outcome[0], CacheStale)
    assert isinstance(outcome[1], float) and outcome[1] >= committed - 0.05
    assert ledger.is_empty()


@pytest.mark.postgres
def test_a_writer_gives_up_with_cache_not_ready_when_a_rebuild_outlasts_its_wait(
    postgres_schema_url: str,
) -> None:
    db = Database(postgres_schema_url)
    try:
        ledger, writer = db.open_ledger(), db.open_ledger(lock_timeout_seconds=0.2)
        marker = ledger.marker()
        building = threading.Event()
        outcome: list[Exception] = []

        def write() -> None:
            building.wait()
            try:
                writer.write(Change(marker, 1, (StockCell("DC1", "A", 5, 0),)))
            except Exception as error:
                outcome.append(error)

        def build(_: Snapshot) -> None:
            building.set()
            time.sleep(1.0)

        thread = threading.Thread(target=write)
        thread.start()
        ledger.rebuild(build)
        thread.join()
        assert len(outcome) == 1 and isinstance(outcome[0], CacheNotReady)
        assert "retry" in str(outcome[0])
    finally:
        db.close()


def hold_writer_lock(db: Database, marker: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """A writer that has taken the lock and written a cell but not committed yet, as the
    ledger's own write does it; answers (commit, close)."""
    if db.is_postgres:
        import psycopg2  # type: ignore[import-untyped]

        pg = psycopg2.connect(libpq_url(db.url))
        cur = pg.cursor()
        cur.execute(f"SELECT {WRITE_BEGIN}(%s, 5000)", (marker,))
        cur.execute("INSERT INTO inventory_skus (sku) VALUES ('A') RETURNING ref")
        sku_ref = cur.fetchone()[0]
        cur.execute("INSERT INTO inventory_locations (location_id) VALUES ('DC1') RETURNING ref")
        location_ref = cur.fetchone()[0]
        cur.execute("INSERT INTO inventory_stock VALUES (%s, %s, 7, 0, 1)", (sku_ref, location_ref))
        return pg.commit, pg.close
    path = db.url.removeprefix("sqlite:///")
    lite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    lite.execute("BEGIN IMMEDIATE")
    lite.execute("INSERT INTO inventory_skus (ref, sku) VALUES (1, 'A')")
    lite.execute("INSERT INTO inventory_locations (ref, location_id) VALUES (1, 'DC1')")
    lite.execute("INSERT INTO inventory_stock VALUES (1, 1, 7, 0, 1)")
    return lambda: lite.execute("COMMIT") and None, lite.close


def test_a_writer_holding_the_lock_delays_a_rebuild_until_it_commits(db: Database) -> None:
    ledger = db.open_ledger()
    commit, close = hold_writer_lock(db, ledger.marker())
    snapshots: list[Snapshot | None] = []
    thread = threading.Thread(target=lambda: snapshots.append(ledger.rebuild(ignore)))
    try:
        thread.start()
        time.sleep(0.4)
        assert snapshots == []  # waiting for the writer
        commit()
        thread.join(timeout=10)
    finally:
        close()
    assert len(snapshots) == 1 and snapshots[0] is not None
    assert cells(snapshots[0]) == {("DC1", "A"): (7, 0)}


def test_a_database_that_cannot_be_used_raises_record_unavailable(tmp_path: Path) -> None:
    ledger = SqlInventoryLedger(make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}"))
    with pytest.raises(RecordUnavailable, match="inventory record"):
        ledger.marker()
    with pytest.raises(RecordUnavailable):
        ledger.write(Change("x.0", 1, (StockCell("DC1", "A", 1, 0),)))


@pytest.mark.postgres
def test_an_unreachable_postgres_raises_record_unavailable() -> None:
    engine = make_engine("postgresql+psycopg2://postgres@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(RecordUnavailable):
        SqlInventoryLedger(engine).write(Change("x.0", 1, (StockCell("DC1", "A", 1, 0),)))


@pytest.mark.postgres
def test_a_write_survives_its_connection_being_dropped(postgres_schema_url: str) -> None:
    import psycopg2

    db = Database(postgres_schema_url)
    try:
        ledger = db.open_ledger()
        marker = ledger.marker()
        ledger.write(Change(marker, 1, (StockCell("DC1", "A", 5, 0),)))
        backends = [connection.get_backend_pid() for connection in ledger._idle]
        admin = psycopg2.connect(libpq_url(postgres_schema_url))
        admin.autocommit = True
        admin.cursor().execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) pid", (backends,))
        admin.close()
        ledger.write(Change(marker, 2, (StockCell("DC1", "A", 4, 0),)))
        assert cells(ledger.snapshot()) == {("DC1", "A"): (4, 0)}
    finally:
        db.close()
