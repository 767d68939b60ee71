"""Inventory with its durable record: reservation throughput, read latency, cache rebuild.

    .venv/bin/pytest benchmarks/test_bench_record.py --benchmark-enable     # figures in extra_info
    .venv/bin/python -m benchmarks.test_bench_record throughput [runs]      # one line per case
    .venv/bin/python -m benchmarks.test_bench_record read
    .venv/bin/python -m benchmarks.test_bench_record rebuild [500x100000]
    .venv/bin/python -m benchmarks.test_bench_record floor                  # round trips

Production pairing: ``RecordedInventory(RedisInventory, SqlInventoryLedger(PostgreSQL))``;
the embedded default (in-process cache over SQLite) and a bare Redis cache (no record) are
measured beside it for comparison. A lone reservation is one Redis script plus one PostgreSQL
commit, so its floor is a Redis round trip plus a durable commit: ``floor`` measures both.
Concurrent calls and ``reserve_many`` batches share scripts and commits (batches of 10 and
200 are measured).

Sizes (pytest defaults keep ``make test``'s single smoke run of each case to a few seconds;
script mode defaults in brackets):

- ``OMNIROUTE_BENCH_RESERVATIONS`` reservations per throughput case (100 [5000]);
- ``OMNIROUTE_BENCH_READS`` atf_matrix reads per read case and side (200 [2000]);
- ``OMNIROUTE_BENCH_TRIPS`` round trips per floor figure (200 [2000]);
- ``OMNIROUTE_BENCH_REBUILD`` record size ``<locations>x<skus>`` (50x2000), e.g.
  ``500x100000`` for 50 M cells: loaded with numpy and binary COPY, not Python objects
  (about 3.5 min to load, 6 min in all, 5 GB peak RSS, 0.8 GB in Redis per build).

PostgreSQL (OMNIROUTE_TEST_DATABASE_URL) gets a fresh schema per case, dropped afterwards;
Redis (OMNIROUTE_TEST_REDIS_URL, default db 15) a random key prefix, deleted afterwards.
Timings are reported, never asserted; correctness is: no oversell, every successful line
reserved, and ``inventory.check() == []``.
"""

from __future__ import annotations

import io
import math
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import redis
import sqlalchemy as sa
from pytest_benchmark.fixture import BenchmarkFixture

from flows.db import DocumentStore, make_engine
from flows.inventory_ledger import SqlInventoryLedger
from flows.inventory_schema import STOCK_DTYPE
from inventory.errors import InsufficientStock
from inventory.memory import MemoryInventory
from inventory.model import InventoryRecord, Reservation, ReservationLine
from inventory.ports import Inventory
from inventory.recorded import RecordedInventory
from inventory.redis_store import RedisInventory
from inventory.snapshot import Snapshot
from tests.conftest import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    delete_redis_prefix,
    reachable_database,
    reachable_redis,
)

SEED = 20240601
TTL_SECONDS = 3600
LINES_PER_RESERVATION = 3
SMALL_BATCH = 10  # a checkout service's handful of carts per call
BATCH = 200  # reservations per reserve_many call in the batched cases
# The hot cells of the existing reservation benchmark: 20 locations x 50 SKUs.
HOT_LOCATIONS = [f"L{i:03d}" for i in range(20)]
HOT_SKUS = [f"SKU-{i:05d}" for i in range(50)]
READ_LOCATIONS = [f"L{i:03d}" for i in range(500)]
READ_SKUS = [f"SKU-{i:05d}" for i in range(200)]  # the read touches 5 of them: any catalogue
PREVIEW_SKUS = 5
CART_SIZES = (PREVIEW_SKUS, 20)  # a typical cart, and a big one with repeated SKUs
CHECK_CELLS = 20_000  # check() compares in Python dicts (~30 µs a cell): numpy beyond this
COPY_CHUNK_CELLS = 1 << 20  # binary COPY rows generated per chunk (~46 MB)

Latencies = npt.NDArray[np.float64]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _rebuild_size() -> tuple[int, int]:
    locations, _, skus = os.environ.get("OMNIROUTE_BENCH_REBUILD", "50x2000").partition("x")
    return int(locations), int(skus)


def _redis_url() -> str:
    return reachable_redis(os.environ.get("OMNIROUTE_TEST_REDIS_URL", DEFAULT_REDIS_URL))


def _database_url() -> str:
    return reachable_database(os.environ.get("OMNIROUTE_TEST_DATABASE_URL", DEFAULT_DATABASE_URL))


def _ms(seconds: Latencies, q: float) -> float:
    return round(float(np.percentile(seconds, q)) * 1e3, 3)


def _peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- resources: a PostgreSQL schema, a Redis prefix, the pairings ----------------------------


@contextmanager
def postgres_schema(database_url: str, *, named: bool = False) -> Iterator[str]:
    """A URL whose connections see only a fresh schema, dropped afterwards (as the
    ``postgres_schema_url`` fixture of tests/conftest.py: raw SQL and COPY see it too).
    ``named``: the connections also take the schema as their ``application_name``, so a
    meter can find their server processes."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    name = f"&application_name={schema}" if named else ""
    try:
        yield f"{database_url}{separator}options=-csearch_path%3D{schema}{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def redis_prefix(redis_url: str) -> Iterator[tuple[redis.Redis, str]]:
    client = redis.Redis.from_url(redis_url)
    prefix = f"omniroute-bench:{uuid.uuid4().hex}"
    try:
        yield client, prefix
    finally:
        client.close()
        delete_redis_prefix(redis_url, prefix)


@dataclass(frozen=True)
class BuildTiming:
    written: float  # snapshot written aside in a new namespace
    switched: float  # marker switched and the old build deleted


class TimedRedisInventory(RedisInventory):
    """A Redis cache that times its builds: the rebuild's total minus the build is the record
    read, without instrumenting the ledger."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        super().__init__(client, prefix)
        self.builds: list[BuildTiming] = []

    def build(self, snapshot: Snapshot, before_switch: Callable[[], None] | None = None) -> None:
        started = time.perf_counter()
        written = [started]

        def mark() -> None:  # called by build between writing aside and switching
            written[0] = time.perf_counter()
            if before_switch is not None:
                before_switch()

        super().build(snapshot, mark)
        done = time.perf_counter()
        self.builds.append(BuildTiming(written[0] - started, done - written[0]))


@contextmanager
def recorded_on_postgres(stack: ExitStack) -> Iterator[RecordedInventory]:
    """Redis cache + PostgreSQL record (production), built from the (empty) record."""
    url = stack.enter_context(postgres_schema(_database_url()))
    client, prefix = stack.enter_context(redis_prefix(_redis_url()))
    engine = make_engine(url)
    DocumentStore(engine)  # creates the tables, as every worker does at start-up
    ledger = SqlInventoryLedger(engine)
    inventory = RecordedInventory(TimedRedisInventory(client, prefix), ledger, time.time)
    inventory.rebuild()
    try:
        yield inventory
    finally:
        ledger.close()  # its connections hold the schema: closed before the DROP
        engine.dispose()


@contextmanager
def recorded_on_sqlite(stack: ExitStack) -> Iterator[RecordedInventory]:
    """In-process cache + SQLite record in a temporary file (the embedded default)."""
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="omniroute-bench-"))
    engine = make_engine(f"sqlite:///{Path(directory) / 'record.db'}")
    DocumentStore(engine)
    ledger = SqlInventoryLedger(engine)
    inventory = RecordedInventory(MemoryInventory(marker=None), ledger, time.time)
    inventory.rebuild()
    try:
        yield inventory
    finally:
        ledger.close()
        engine.dispose()


@contextmanager
def bare_redis(stack: ExitStack) -> Iterator[RedisInventory]:
    """Redis cache alone, no record: the reference the record's cost is measured against."""
    client, prefix = stack.enter_context(redis_prefix(_redis_url()))
    yield RedisInventory.standalone(client, prefix=prefix)


PAIRINGS: dict[str, Callable[[ExitStack], Any]] = {
    "redis+postgres": recorded_on_postgres,
    "memory+sqlite": recorded_on_sqlite,
    "redis-bare": bare_redis,
}


@contextmanager
def pairing(kind: str) -> Iterator[Inventory]:
    with ExitStack() as stack:
        yield stack.enter_context(PAIRINGS[kind](stack))


def seed(inventory: Inventory, records: list[InventoryRecord]) -> None:
    if isinstance(inventory, RecordedInventory):
        inventory.sync(records)  # the full sync: record replaced, cache switched to it
    else:
        inventory.upsert(records)


# -- 1. reservation throughput ---------------------------------------------------------------


def hot_stock(reservations: int) -> list[InventoryRecord]:
    """Enough units that most reservations succeed and the busiest cells sell out near the
    end, so refusals (and the no-oversell guarantee) are exercised too."""
    cells = len(HOT_LOCATIONS) * len(HOT_SKUS)
    per_cell = math.ceil(LINES_PER_RESERVATION * reservations / cells * 1.05)
    on_hand = max(18, per_cell) + 1  # + the safety stock of 1
    return [InventoryRecord(loc, sku, on_hand, 1) for loc in HOT_LOCATIONS for sku in HOT_SKUS]


@dataclass
class ReservationRun:
    threads: int
    elapsed: float
    latencies: Latencies  # seconds per reserve call, successful or refused
    won: list[tuple[ReservationLine, ...]]

    attempts: int = 0

    def figures(self) -> dict[str, float | int]:
        return {
            "threads": self.threads,
            "reservations_per_s": round(self.attempts / self.elapsed),
            "p50_ms": _ms(self.latencies, 50),
            "p99_ms": _ms(self.latencies, 99),
            "reserved": len(self.won),
            "refused": self.attempts - len(self.won),
        }


def run_reservations(
    inventory: Inventory, count: int, threads: int, batch: int = 1
) -> ReservationRun:
    """``count`` 3-line reservations (3 random SKUs, each at a random hot location) from
    ``threads`` threads sharing ``inventory``, started together; with ``batch`` > 1 each
    thread sends them ``batch`` at a time (``reserve_many``: one round trip, one commit), and
    the latencies are per call."""
    per_thread = [count // threads + (i < count % threads) for i in range(threads)]
    plans: list[list[tuple[str, tuple[ReservationLine, ...]]]] = []
    for t, n in enumerate(per_thread):
        rng = random.Random(SEED + t)  # drawn before the clock starts
        plans.append(
            [
                (
                    f"bench-{t}-{i}",
                    tuple(
                        ReservationLine(rng.choice(HOT_LOCATIONS), sku, 1)
                        for sku in rng.sample(HOT_SKUS, LINES_PER_RESERVATION)
                    ),
                )
                for i in range(n)
            ]
        )
    latencies: list[list[float]] = [[] for _ in range(threads)]
    won: list[list[tuple[ReservationLine, ...]]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def client(t: int) -> None:
        start.wait()
        clock = time.perf_counter
        try:
            plan = plans[t]
            for start_at in range(0, len(plan), batch):
                chunk = plan[start_at : start_at + batch]
                began = clock()
                if batch == 1:
                    try:
                        inventory.reserve(chunk[0][0], chunk[0][1], TTL_SECONDS)
                        won[t].append(chunk[0][1])
                    except InsufficientStock:
                        pass
                else:
                    answers = inventory.reserve_many(
                        [(rid, lines, TTL_SECONDS) for rid, lines in chunk]
                    )
                    for (_, lines), answer in zip(chunk, answers, strict=True):
                        if isinstance(answer, Reservation):
                            won[t].append(lines)
                        elif not isinstance(answer, InsufficientStock):
                            raise answer
                latencies[t].append(clock() - began)
        except BaseException as error:  # re-raised in the main thread: a failed run fails
            errors.append(error)

    workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return ReservationRun(
        threads,
        elapsed,
        np.array([x for part in latencies for x in part]),
        [lines for part in won for lines in part],
        attempts=sum(per_thread),
    )


def verify_reservations(
    inventory: Inventory, stock: list[InventoryRecord], won: list[tuple[ReservationLine, ...]]
) -> None:
    held: dict[tuple[str, str], int] = {}
    for lines in won:
        for line in lines:
            key = (line.location_id, line.sku)
            held[key] = held.get(key, 0) + line.quantity
    figures = inventory.availability_many([(r.location_id, r.sku) for r in stock])
    for record, f in zip(stock, figures, strict=True):
        assert f.available_to_fulfill >= 0, f"oversold {record.location_id}/{record.sku}"
        assert f.reserved == held.get((record.location_id, record.sku), 0)
    if isinstance(inventory, RecordedInventory):
        assert inventory.check() == []  # the record holds exactly what the cache served


def reservation_case(kind: str, threads: int, count: int, batch: int = 1) -> dict[str, float | int]:
    with pairing(kind) as inventory:
        stock = hot_stock(count)
        seed(inventory, stock)
        run = run_reservations(inventory, count, threads, batch)
        verify_reservations(inventory, stock, run.won)
        return {**run.figures(), "batch": batch}


CASES = [
    ("redis+postgres", 1, 1),
    ("redis+postgres", 8, 1),
    ("redis+postgres", 1, SMALL_BATCH),
    ("redis+postgres", 8, SMALL_BATCH),
    ("redis+postgres", 1, BATCH),
    ("redis+postgres", 8, BATCH),
    ("memory+sqlite", 1, 1),
    ("redis-bare", 1, 1),
]


@pytest.mark.parametrize(("kind", "threads", "batch"), CASES)
def test_reservation_throughput(
    benchmark: BenchmarkFixture, kind: str, threads: int, batch: int
) -> None:
    count = _env_int("OMNIROUTE_BENCH_RESERVATIONS", 100)
    figures = benchmark.pedantic(  # type: ignore[no-untyped-call]
        reservation_case, args=(kind, threads, count, batch), rounds=1, iterations=1
    )
    benchmark.extra_info.update(figures)
    benchmark.extra_info["load"] = _load()


# -- 2. availability read latency --------------------------------------------------------------


def read_catalogue() -> list[InventoryRecord]:
    """The first 10 locations (warehouses) stock every SKU, the stores about 20% of them."""
    rng = random.Random(SEED)
    return [
        InventoryRecord(loc, sku, rng.randint(0, 40), rng.randint(0, 2))
        for i, loc in enumerate(READ_LOCATIONS)
        for sku in (READ_SKUS if i < 10 else rng.sample(READ_SKUS, len(READ_SKUS) // 5))
    ]


def read_latencies(inventory: Inventory, reads: int, size: int = PREVIEW_SKUS) -> Latencies:
    """Seconds per ``atf_matrix`` of ``size`` SKUs x 500 locations, another cart each call;
    big carts repeat SKUs (sizes, gift wrap), as users send them."""
    rng = random.Random(SEED)
    distinct = size if size <= PREVIEW_SKUS else size - size // 10
    carts = [
        tuple(picked + picked[: size - distinct])
        for picked in (rng.sample(READ_SKUS, distinct) for _ in range(256))
    ]
    locations = tuple(READ_LOCATIONS)
    for cart in carts[:50]:  # warm: slot map adopted, index cache filled
        inventory.atf_matrix(cart, locations)
    samples = np.empty(reads)
    for i in range(reads):
        began = time.perf_counter()
        matrix = inventory.atf_matrix(carts[i % len(carts)], locations)
        samples[i] = time.perf_counter() - began
    assert matrix.shape == (size, len(locations))
    return samples


def read_case(reads: int) -> dict[str, float]:
    """The same Redis build read through the record's front and as the bare cache."""
    with pairing("redis+postgres") as inventory:
        assert isinstance(inventory, RecordedInventory)
        seed(inventory, read_catalogue())
        figures: dict[str, float] = {}
        # interleaved, so a drift of the machine's load hits both sides alike
        for size in CART_SIZES:
            for round_ in range(2):
                for name, reader in (("recorded", inventory), ("bare", inventory.cache)):
                    samples = read_latencies(reader, reads, size)
                    if round_:
                        figures[f"{name}_{size}sku_p50_ms"] = _ms(samples, 50)
                        figures[f"{name}_{size}sku_p99_ms"] = _ms(samples, 99)
        assert inventory.check() == []
        return figures


def test_availability_read_through_record(benchmark: BenchmarkFixture) -> None:
    reads = _env_int("OMNIROUTE_BENCH_READS", 200)
    figures = benchmark.pedantic(read_case, args=(reads,), rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    benchmark.extra_info.update(figures)
    benchmark.extra_info["load"] = _load()


# -- 3. cache rebuild from a big record --------------------------------------------------------


def expected_stock(
    sku_refs: npt.NDArray[Any], location_refs: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """On hand and safety stock of a cell as a function of its refs: the load needs no
    random state and the check can recompute any cell."""
    s, loc = sku_refs.astype(np.int64), location_refs.astype(np.int64)
    return (s * 31 + loc * 17) % 41, (s + loc) % 3


class _CopyChunks(io.RawIOBase):
    """A file for psycopg2's ``copy_expert`` that produces its data a chunk at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        del size  # psycopg2 sends whatever length it is given (as flows.inventory_sql does)
        return next(self._chunks, b"")


def _binary_stock(locations: int, skus: int) -> Iterator[bytes]:
    """Every (sku, location) cell as PostgreSQL binary COPY rows, in primary-key order (the
    index then only ever appends), laid out by the ledger's own ``STOCK_DTYPE``."""
    yield b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no header extension
    per_chunk = max(1, COPY_CHUNK_CELLS // locations)
    for first in range(1, skus + 1, per_chunk):
        sku_refs = np.repeat(np.arange(first, min(skus + 1, first + per_chunk)), locations)
        location_refs = np.tile(np.arange(1, locations + 1), len(sku_refs) // locations)
        rows = np.empty(len(sku_refs), dtype=STOCK_DTYPE)
        rows["fields"] = 5
        rows["sku_len"] = rows["location_len"] = 4
        rows["on_hand_len"] = rows["safety_len"] = rows["seq_len"] = 8
        rows["sku"], rows["location"] = sku_refs, location_refs
        rows["on_hand"], rows["safety_stock"] = expected_stock(sku_refs, location_refs)
        rows["seq"] = 0  # as a full sync writes them: older than any write on a build
        yield rows.tobytes()
    yield b"\xff\xff"


def _names(prefix: str, count: int, width: int) -> bytes:
    return "".join(f"{ref}\t{prefix}{ref - 1:0{width}d}\n" for ref in range(1, count + 1)).encode()


def load_record(engine: sa.Engine, locations: int, skus: int) -> None:
    """Write a dense record (every location stocks every SKU) straight into the ledger's
    tables: refs 1..n, names ``L000``.., ``SKU-00000``.., stock by binary COPY."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, column, prefix, count, width in (
            ("inventory_locations", "location_id", "L", locations, 3),
            ("inventory_skus", "sku", "SKU-", skus, 5),
        ):
            cur.copy_expert(
                f"COPY {table} (ref, {column}) FROM STDIN", io.BytesIO(_names(prefix, count, width))
            )
            # refs were given explicitly: the next name the ledger adds must not reuse one
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'ref'), %s)", (count,))
        cur.copy_expert(
            "COPY inventory_stock (sku_ref, location_ref, on_hand, safety_stock, seq) "
            "FROM STDIN WITH (FORMAT binary)",
            _CopyChunks(_binary_stock(locations, skus)),
        )
        cur.execute("ANALYZE inventory_stock")
        raw.commit()
    finally:
        raw.close()


def verify_dense_cache(inventory: RecordedInventory, locations: int, skus: int) -> None:
    """Every cell the cache holds is the generated one, and none is missing. In numpy: at
    50 M cells ``check()`` would build dicts of tens of gigabytes."""
    stock = inventory.cache.dump().stock
    sku_refs = np.array([int(name[4:]) + 1 for name in stock.skus])[stock.sku]
    location_refs = np.array([int(name[1:]) + 1 for name in stock.locations])[stock.location]
    on_hand, safety = expected_stock(sku_refs, location_refs)
    assert (stock.on_hand == on_hand).all() and (stock.safety_stock == safety).all()
    wanted = 0  # the dump lists the cells with on hand or safety stock: count those
    for sku_ref in range(1, skus + 1, 10_000):
        refs = np.arange(sku_ref, min(skus + 1, sku_ref + 10_000))
        on_hand, safety = expected_stock(refs[:, None], np.arange(1, locations + 1)[None, :])
        wanted += int(np.count_nonzero(on_hand | safety))
    assert len(stock) == wanted


def rebuild_case(locations: int, skus: int) -> dict[str, float | int]:
    """Load the record, build the cache once, then time a forced rebuild: record read, new
    build written aside, switch, old build deleted (the production rebuild path)."""
    with ExitStack() as stack:
        url = stack.enter_context(postgres_schema(_database_url()))
        client, prefix = stack.enter_context(redis_prefix(_redis_url()))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        DocumentStore(engine)
        began = time.perf_counter()
        load_record(engine, locations, skus)
        figures: dict[str, float | int] = {
            "cells": locations * skus,
            "load_s": round(time.perf_counter() - began, 2),
        }
        ledger = SqlInventoryLedger(engine)
        stack.callback(ledger.close)  # runs before the dispose and the DROP SCHEMA
        cache = TimedRedisInventory(client, prefix)
        inventory = RecordedInventory(cache, ledger, time.time)
        inventory.rebuild(force=True)  # the first build: the timed one replaces it
        began = time.perf_counter()
        inventory.rebuild(force=True)
        total = time.perf_counter() - began
        timing = cache.builds[-1]
        figures.update(
            rebuild_s=round(total, 2),
            record_read_s=round(total - timing.written - timing.switched, 2),
            cache_write_s=round(timing.written, 2),
            switch_and_delete_old_s=round(timing.switched, 2),
            redis_used_mb=int(client.info("memory")["used_memory"]) >> 20,
        )
        began = time.perf_counter()
        verify_dense_cache(inventory, locations, skus)
        if locations * skus <= CHECK_CELLS:
            assert inventory.check() == []
        figures["verify_s"] = round(time.perf_counter() - began, 2)
        figures["peak_rss_mb"] = _peak_rss_mb()
        return figures


def test_cache_rebuild_from_record(benchmark: BenchmarkFixture) -> None:
    locations, skus = _rebuild_size()
    figures = benchmark.pedantic(  # type: ignore[no-untyped-call]
        rebuild_case, args=(locations, skus), rounds=1, iterations=1
    )
    benchmark.extra_info.update(figures)
    benchmark.extra_info["load"] = _load()


# -- the floor: one round trip of each server from Python --------------------------------------


def round_trips(trips: int = 2000) -> dict[str, float]:
    """p50/p99 of a Redis PING, a PostgreSQL ``SELECT 1`` and a PostgreSQL commit of one row
    (durable: it waits for the WAL flush, as every recorded reservation does)."""
    figures: dict[str, float] = {}
    with redis_prefix(_redis_url()) as (client, _):
        client.ping()
        figures.update(_percentiles("redis_ping", _timed(trips, client.ping)))
    with postgres_schema(_database_url()) as url:
        engine = make_engine(url)
        fairy = engine.raw_connection()
        fairy.detach()  # as the ledger does: psycopg2's own connection, out of the pool
        raw: Any = fairy.dbapi_connection
        try:
            # Set on psycopg2's connection, not the pool's proxy (which would only store the
            # attribute): each INSERT below is then its own durable commit.
            raw.autocommit = True
            cur = raw.cursor()
            cur.execute("CREATE TABLE floor (x integer)")
            select = _timed(trips, lambda: cur.execute("SELECT 1"))
            figures.update(_percentiles("pg_select1", select))
            commit = _timed(trips // 4, lambda: cur.execute("INSERT INTO floor VALUES (1)"))
            figures.update(_percentiles("pg_commit", commit))
        finally:
            raw.close()
            engine.dispose()
    return figures


def _percentiles(name: str, samples: Latencies) -> dict[str, float]:
    return {f"{name}_p50_ms": _ms(samples, 50), f"{name}_p99_ms": _ms(samples, 99)}


def _timed(trips: int, call: Callable[[], object]) -> Latencies:
    samples = np.empty(trips)
    for i in range(trips):
        began = time.perf_counter()
        call()
        samples[i] = time.perf_counter() - began
    return samples


def test_round_trip_floor(benchmark: BenchmarkFixture) -> None:
    trips = _env_int("OMNIROUTE_BENCH_TRIPS", 200)
    figures = benchmark.pedantic(round_trips, args=(trips,), rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    benchmark.extra_info.update(figures)


# -- script mode -------------------------------------------------------------------------------


def _line(name: str, figures: dict[str, Any]) -> None:
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()) + f" (load {_load()})")


def main(argv: Sequence[str]) -> None:
    what = argv[0] if argv else "throughput"
    if what == "throughput":
        count = _env_int("OMNIROUTE_BENCH_RESERVATIONS", 5000)
        for run in range(int(argv[1]) if len(argv) > 1 else 1):
            for kind, threads, batch in CASES:
                figures = reservation_case(kind, threads, count, batch)
                _line(f"run {run + 1} {kind} x{threads} batch {batch}", figures)
    elif what == "read":
        _line("atf_matrix 5 and 20 SKUs x 500", read_case(_env_int("OMNIROUTE_BENCH_READS", 2000)))
    elif what == "rebuild":
        if len(argv) > 1:
            os.environ["OMNIROUTE_BENCH_REBUILD"] = argv[1]
        locations, skus = _rebuild_size()
        _line(f"rebuild {locations}x{skus}", rebuild_case(locations, skus))
    elif what == "floor":
        _line("round trips", round_trips(_env_int("OMNIROUTE_BENCH_TRIPS", 2000)))
    else:
        raise SystemExit(f"usage: {sys.argv[0]} throughput [runs] | read | rebuild [LxS] | floor")


if __name__ == "__main__":
    main(sys.argv[1:])
