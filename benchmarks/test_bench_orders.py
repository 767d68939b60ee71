"""Order intake to allocated Fulfillment Orders: orders/s, and p50/p99 per order.

    .venv/bin/pytest benchmarks/test_bench_orders.py --benchmark-enable   # figures in extra_info
    .venv/bin/python -m benchmarks.test_bench_orders [embedded|production|all] [orders]
    .venv/bin/python -m benchmarks.test_bench_orders profile [embedded|production|all] [orders]

The unit measured is :func:`flows.order_sources.take_order` (what ``POST /v1/orders`` calls
after reading the body): intake transaction, then routing into Fulfillment Orders with
reservations (plan with the engine and record Draft FOs, reserve, activate, exceptions step).

- ``embedded``: SQLite file database + in-process inventory, one worker = one thread calling
  ``take_order`` one order after another.
- ``production``: PostgreSQL + Redis, two workers = two processes (``spawn``), each with its
  own bootstrapped ``Services`` (as two ``omniroute serve`` workers), each calling
  ``take_order`` from ``OMNIROUTE_BENCH_THREADS`` threads (2: a worker's request threads).
  Orders/s is over the wall clock, from the first order to the last of either worker.
  ``OMNIROUTE_BENCH_WORKERS`` / ``OMNIROUTE_BENCH_THREADS`` change the shape (2 / 2).
- ``profile``: one thread in this process, the time and SQL statements of every step of
  each order (wrapped in timers), then a cProfile of as many further orders (top costs).

Besides orders/s and latencies each case reports CPU per order: of the worker processes (all
their threads, user + system), of this run's PostgreSQL backends (found by
``application_name``, read from /proc) and of the Redis server, and the busy share of the
whole machine over the run (anything else running on it counts too: see the load).

Orders: 3 lines each, distinct SKUs drawn by popularity from the sample catalogue's most
popular ``POPULAR_SKUS``, 1-2 units, shipped near a random store (as ``sample_orders``), one
delivery group, managed, paid by an authorization of exactly the grand total; seeded. Stock:
``OMNIROUTE_SAMPLE_DATA=true`` (the generated sample stock) on the bundled sample network,
which has 310 locations (10 warehouses, 300 stores); the target speaks of 500, so by default
the network is the bundled one plus 190 stores next to its existing ones
(``OMNIROUTE_BENCH_LOCATIONS``, 310 = the bundled network as it is).

Sizes (pytest defaults keep ``make test``'s single run of each case to a few seconds; script
mode defaults in brackets): ``OMNIROUTE_BENCH_ORDERS`` orders per case (20 [1000]; profile
200) plus ``WARMUP_ORDERS`` per worker, untimed; ``OMNIROUTE_BENCH_SKUS`` size of the
generated catalogue (500 [2000]).

PostgreSQL (OMNIROUTE_TEST_DATABASE_URL) gets a fresh schema per case, dropped afterwards;
Redis (OMNIROUTE_TEST_REDIS_URL, default db 15) a random key prefix, deleted afterwards.
Timings are reported, never asserted; correctness is: every order recorded, no FO left in
Draft, the active reservations are exactly the Allocated FOs (same lines), what they hold
never exceeds a cell's stock, the summaries' allocated quantities match the FOs, and
``inventory.check() == []``.
"""

from __future__ import annotations

import cProfile
import io
import json
import math
import multiprocessing
import os
import pstats
import queue
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import redis
import sqlalchemy as sa
from pytest_benchmark.fixture import BenchmarkFixture

import flows.order_routing
import flows.order_sources
from benchmarks.test_bench_record import postgres_schema
from flows.bootstrap import Services, bootstrap
from flows.order_schema import (
    fulfillment_order_lines,
    fulfillment_orders,
    order_item_summaries,
    orders,
    process_exceptions,
)
from flows.order_sources import Intake, take_order
from flows.sample import (
    JITTER_KM,
    KM_PER_DEGREE,
    SAMPLE_NETWORK_RESOURCE,
    sample_skus,
    sku_popularity,
)
from flows.settings import Settings
from summary.exceptions import ACTIVE_STATUSES
from tests.conftest import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    delete_redis_prefix,
    reachable_database,
    reachable_redis,
)

SEED = 20240601
LINES = 3
QUANTITIES = (1, 2)
POPULAR_SKUS = 100  # orders draw from the best sellers, so the generated stock covers them
WARMUP_ORDERS = 5  # per worker process, before the clock starts (first-call costs)
WORKERS = 2
ACTIVE_FOS = ("Allocated",)

Latencies = npt.NDArray[np.float64]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _redis_url() -> str:
    return reachable_redis(os.environ.get("OMNIROUTE_TEST_REDIS_URL", DEFAULT_REDIS_URL))


def _database_url() -> str:
    return reachable_database(os.environ.get("OMNIROUTE_TEST_DATABASE_URL", DEFAULT_DATABASE_URL))


def _ms(seconds: Latencies, q: float) -> float:
    return round(float(np.percentile(seconds, q)) * 1e3, 2)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- the network, the orders -----------------------------------------------------------------


def _bundled_network() -> dict[str, Any]:
    text = resources.files("api.data").joinpath(SAMPLE_NETWORK_RESOURCE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def bench_network(locations: int) -> dict[str, Any]:
    """The bundled sample network, plus stores up to ``locations``: each a copy of an
    existing store (cycling through them) moved 3-15 km, shipping and offering pickup, in
    the groups its original is in (so ONLINE, STORES and its region)."""
    document = _bundled_network()
    extra = locations - len(document["locations"])
    if extra <= 0:
        return document
    rng = np.random.default_rng(SEED)
    stores = [loc for loc in document["locations"] if loc["type"] == "store"]
    groups_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for group in document["location_groups"]:
        for member in group["location_ids"]:
            groups_of[member].append(group)
    online = next(g for g in document["location_groups"] if g["id"] == "ONLINE")
    for i in range(extra):
        original = stores[i % len(stores)]
        km = rng.uniform(3.0, 15.0)
        angle = rng.uniform(0.0, 2 * math.pi)
        lat = original["lat"] + km * math.sin(angle) / KM_PER_DEGREE
        lon = original["lon"] + km * math.cos(angle) / (
            KM_PER_DEGREE * max(0.1, math.cos(math.radians(original["lat"])))
        )
        copy = {
            **original,
            "id": f"SX{i + 1:03d}",
            "lat": round(lat, 4),
            "lon": round(lon, 4),
            "capabilities": ["ship", "pickup"],
        }
        document["locations"].append(copy)
        for group in groups_of[original["id"]]:
            group["location_ids"].append(copy["id"])
        if online not in groups_of[original["id"]]:
            online["location_ids"].append(copy["id"])
    return document


def order_bodies(
    network: dict[str, Any], count: int, seed: int, n_skus: int, prefix: str
) -> list[str]:
    """``count`` intake documents as JSON text (the body a client sends)."""
    rng = np.random.default_rng(seed)
    popular = min(POPULAR_SKUS, n_skus)
    weights = sku_popularity(n_skus)[:popular]
    weights = weights / weights.sum()
    skus = sample_skus(popular)
    stores = [loc for loc in network["locations"] if loc["type"] == "store"]
    bodies = []
    for i in range(count):
        picked = rng.choice(popular, size=LINES, replace=False, p=weights).tolist()
        store = stores[int(rng.integers(len(stores)))]
        dlat, dlon = rng.normal(0.0, JITTER_KM / KM_PER_DEGREE, size=2).tolist()
        lat = store["lat"] + dlat
        lon = store["lon"] + dlon / max(0.1, math.cos(math.radians(store["lat"])))
        lines = []
        for n, sku_index in enumerate(picked):
            quantity = int(rng.choice(QUANTITIES))
            unit_price = int(rng.integers(500, 10_000))
            lines.append(
                {
                    "id": str(n + 1),
                    "sku": skus[sku_index],
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "tax": round(unit_price * quantity * 0.08),
                    "discount": 0,
                    "delivery_group": "DG1",
                }
            )
        charge, charge_tax = 599, 48
        total = sum(x["unit_price"] * x["quantity"] + x["tax"] for x in lines) + charge + charge_tax
        number = f"{prefix}-{i + 1:06d}"
        document = {
            "order_number": number,
            "channel": "web",
            "currency": "USD",
            "lifecycle": "managed",
            "placed_at": "2026-11-30T10:00:00Z",
            "customer": {"id": f"C-{i + 1}", "email": f"c{i + 1}@example.com"},
            "delivery_groups": [
                {
                    "id": "DG1",
                    "method": "ship",
                    "delivery_method_id": "STANDARD",
                    "address": {
                        "name": "Bench Customer",
                        "line1": "1 Main St",
                        "country": "US",
                        "lat": round(max(-90.0, min(90.0, lat)), 5),
                        "lon": round(max(-180.0, min(180.0, lon)), 5),
                    },
                    "charge": charge,
                    "charge_tax": charge_tax,
                }
            ],
            "lines": lines,
            "payment": {
                "authorization_id": f"AUTH-{number}",
                "gateway": "test",
                "amount": total,
                "expires_at": "2026-12-07T10:00:00Z",
            },
        }
        bodies.append(json.dumps(document))
    return bodies


# -- the stacks: environments for Settings.from_env ------------------------------------------


def _common_env(network_path: Path | None, skus: int) -> dict[str, str]:
    env = {
        "OMNIROUTE_SAMPLE_DATA": "true",
        "OMNIROUTE_SAMPLE_SKUS": str(skus),
        "OMNIROUTE_RECONCILE_SECONDS": "0",
        "OMNIROUTE_INVENTORY_CHECK_SECONDS": "0",
    }
    if network_path is not None:
        env["OMNIROUTE_NETWORK"] = str(network_path)
    return env


@contextmanager
def stack_env(kind: str, network: dict[str, Any], skus: int) -> Iterator[dict[str, str]]:
    """The environment of a fresh stack: ``embedded`` (SQLite file, in-process inventory) or
    ``production`` (a fresh PostgreSQL schema, a fresh Redis prefix); removed afterwards."""
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="omniroute-")))
        network_path = None
        if network != _bundled_network():
            network_path = directory / "network.json"
            network_path.write_text(json.dumps(network), "utf-8")
        env = _common_env(network_path, skus)
        if kind == "embedded":
            env["OMNIROUTE_DATABASE_URL"] = f"sqlite:///{directory / 'omniroute.db'}"
        elif kind == "production":
            redis_url = _redis_url()
            env["OMNIROUTE_DATABASE_URL"] = stack.enter_context(
                postgres_schema(_database_url(), named=True)
            )
            env["OMNIROUTE_REDIS_URL"] = redis_url
            env["OMNIROUTE_REDIS_PREFIX"] = prefix = f"omniroute-bench-{uuid.uuid4().hex[:12]}"
            stack.callback(delete_redis_prefix, redis_url, prefix)
        else:
            raise ValueError(f"unknown stack {kind!r}")
        yield env


@contextmanager
def services_of(env: dict[str, str]) -> Iterator[Services]:
    services = bootstrap(Settings.from_env(env))
    try:
        yield services
    finally:
        services.close()  # before the schema is dropped: its connections hold it


# -- running orders --------------------------------------------------------------------------


@dataclass
class Part:
    """What one thread did: a latency per order, how many take_order routed."""

    latencies: list[float] = field(default_factory=list)
    routed: int = 0
    started: float = 0.0  # time.monotonic(): comparable across processes on one machine
    ended: float = 0.0


@dataclass
class Batch:
    """What one process's threads did, and the CPU time the process spent meanwhile (all its
    threads; not the database's or Redis's)."""

    parts: list[Part]
    cpu: float


def _take_all(services: Services, bodies: Sequence[str], part: Part) -> None:
    documents = [json.loads(body) for body in bodies]  # as the API parses it, before the clock
    clock = time.perf_counter
    part.started = time.monotonic()
    for document, body in zip(documents, bodies, strict=True):
        began = clock()
        intake: Intake = take_order(services, document, body)
        part.latencies.append(clock() - began)
        assert intake.placed.created, document["order_number"]
        part.routed += intake.routed
    part.ended = time.monotonic()


def run_threads(services: Services, chunks: Sequence[Sequence[str]]) -> Batch:
    """One thread per chunk, sharing ``services``, started together."""
    parts = [Part() for _ in chunks]
    errors: list[BaseException] = []
    start = threading.Barrier(len(chunks))

    def work(i: int) -> None:
        try:
            start.wait()
            _take_all(services, chunks[i], parts[i])
        except BaseException as error:  # re-raised by the caller: a failed run fails
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(chunks))]
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu
    if errors:
        raise errors[0]
    return Batch(parts, cpu)


def _split(items: Sequence[str], n: int) -> list[list[str]]:
    return [list(items[i::n]) for i in range(n)]


def _worker(
    env: dict[str, str],
    warmup: list[str],
    chunks: list[list[str]],
    go: Any,
    leave: Any,
    results: Any,
) -> None:
    """One worker process: bootstrap its own Services, warm up, wait for the start, run its
    threads, send back its batch (or the error), and keep its connections open until told
    to leave (so that the meter still finds their database backends)."""
    try:
        with services_of(env) as services:
            run_threads(services, [warmup])
            results.put(("ready", os.getpid()))
            if not go.wait(timeout=300):
                raise TimeoutError("never started")
            results.put(("done", run_threads(services, chunks)))
            leave.wait(timeout=300)
    except BaseException as error:
        results.put(("error", f"{type(error).__name__}: {error}"))


def run_processes(
    env: dict[str, str], warmups: list[list[str]], work: list[list[list[str]]], meter: Meter
) -> tuple[list[Batch], Usage]:
    """One spawned process per entry of ``work`` (its threads' chunks), started together
    once every one has bootstrapped and warmed up; ``meter`` read just before and after."""
    spawn = multiprocessing.get_context("spawn")
    go, leave, results = spawn.Event(), spawn.Event(), spawn.Queue()
    processes = [
        spawn.Process(target=_worker, args=(env, warm, chunks, go, leave, results), daemon=True)
        for warm, chunks in zip(warmups, work, strict=True)
    ]
    for process in processes:
        process.start()
    batches: list[Batch] = []
    try:
        for message in _messages(results, len(processes), processes):
            if message[0] == "error":
                raise RuntimeError(f"worker failed: {message[1]}")
        before = meter.read()
        go.set()
        for message in _messages(results, len(processes), processes):
            if message[0] == "error":
                raise RuntimeError(f"worker failed: {message[1]}")
            batches.append(message[1])
        used = meter.read().since(before)
    finally:
        go.set()
        leave.set()
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
    return batches, used


def _messages(results: Any, count: int, processes: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    for _ in range(count):
        while True:
            try:
                yield results.get(timeout=5)
                break
            except queue.Empty:
                failed = any(p.exitcode not in (None, 0) for p in processes)
                if failed or not any(p.is_alive() for p in processes):
                    raise RuntimeError("a worker process died") from None


@dataclass(frozen=True)
class Reading:
    """Cumulative CPU counters: the machine's busy and total jiffies (/proc/stat), seconds
    per PostgreSQL backend of this run (by pid), seconds of the Redis server."""

    busy: int = 0
    total: int = 0
    postgres: dict[int, float] = field(default_factory=dict)
    redis: float = 0.0

    def since(self, before: Reading) -> Usage:
        total = self.total - before.total
        return Usage(
            machine_busy=round((self.busy - before.busy) / total, 2) if total else math.nan,
            postgres=sum(self.postgres.values())
            - sum(v for pid, v in before.postgres.items() if pid in self.postgres),
            redis=self.redis - before.redis,
        )


@dataclass(frozen=True)
class Usage:
    machine_busy: float  # busy share of every core over the run, whoever used it
    postgres: float  # seconds of CPU of this run's PostgreSQL backends
    redis: float  # seconds of CPU of the Redis server (every client's)


class Meter:
    """Reads the CPU counters of this machine, of the PostgreSQL backends whose
    ``application_name`` is ``application`` and of the Redis server; what it cannot read
    (a server on another host, no /proc) stays 0."""

    def __init__(
        self, database_url: str | None = None, application: str = "", redis_url: str = ""
    ) -> None:
        self._engine = None if database_url is None else sa.create_engine(database_url)
        self._application = application
        self._redis = redis.Redis.from_url(redis_url) if redis_url else None
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._redis is not None:
            self._redis.close()

    def read(self) -> Reading:
        busy, total = self._machine()
        return Reading(busy, total, self._postgres(), self._redis_cpu())

    def _machine(self) -> tuple[int, int]:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        except OSError:
            return 0, 0
        return sum(fields) - fields[3] - fields[4], sum(fields)  # minus idle and iowait

    def _postgres(self) -> dict[int, float]:
        if self._engine is None:
            return {}
        query = sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
        with self._engine.connect() as conn:
            pids = conn.execute(query, {"name": self._application}).scalars().all()
        seconds = {}
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue  # on another host, or gone
            fields = stat.rsplit(")", 1)[1].split()
            seconds[int(pid)] = (int(fields[11]) + int(fields[12])) / self._tick
        return seconds

    def _redis_cpu(self) -> float:
        if self._redis is None:
            return 0.0
        info = self._redis.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class Run:
    orders: int
    elapsed: float
    latencies: Latencies
    routed_by_intake: int
    cpu: float  # seconds of the worker processes' CPU over the run
    used: Usage
    servers: bool  # PostgreSQL and Redis: their CPU is reported

    def figures(self) -> dict[str, float | int]:
        return {
            "orders": self.orders,
            "orders_per_s": round(self.orders / self.elapsed, 1),
            "p50_ms": _ms(self.latencies, 50),
            "p99_ms": _ms(self.latencies, 99),
            "max_ms": _ms(self.latencies, 100),
            "cpu_ms_per_order_workers": round(self.cpu * 1e3 / self.orders, 2),
            **(
                {
                    "cpu_ms_per_order_postgres": round(self.used.postgres * 1e3 / self.orders, 2),
                    "cpu_ms_per_order_redis": round(self.used.redis * 1e3 / self.orders, 2),
                }
                if self.servers
                else {}
            ),
            "machine_busy": self.used.machine_busy,
            "routing_failed": self.orders - self.routed_by_intake,  # take_order logged an error
        }


def _run_of(batches: Sequence[Batch], used: Usage, servers: bool = True) -> Run:
    parts = [p for b in batches for p in b.parts]
    latencies = np.array([x for p in parts for x in p.latencies])
    elapsed = max(p.ended for p in parts) - min(p.started for p in parts)
    routed = sum(p.routed for p in parts)
    cpu = sum(b.cpu for b in batches)
    return Run(len(latencies), elapsed, latencies, routed, cpu, used, servers)


# -- correctness -------------------------------------------------------------------------------


def verify(services: Services, bodies: Sequence[str]) -> dict[str, float | int]:
    """Assert the record is consistent after the run of ``bodies``; return the routing
    figures."""
    numbers = [json.loads(body)["order_number"] for body in bodies]
    with services.store.engine.connect() as conn:
        recorded = list(conn.execute(sa.select(orders.c.order_number)).scalars())
        fos = conn.execute(
            sa.select(
                fulfillment_orders.c.id,
                fulfillment_orders.c.summary_id,
                fulfillment_orders.c.location_id,
                fulfillment_orders.c.status,
                fulfillment_orders.c.reservation_id,
            )
        ).all()
        fo_lines = conn.execute(
            sa.select(
                fulfillment_order_lines.c.fulfillment_order_id,
                fulfillment_order_lines.c.sku,
                fulfillment_order_lines.c.quantity,
            )
        ).all()
        items = conn.execute(
            sa.select(
                order_item_summaries.c.summary_id,
                order_item_summaries.c.quantity_ordered,
                order_item_summaries.c.quantity_allocated,
            )
        ).all()
        active_exceptions = conn.execute(
            sa.select(sa.func.count()).where(process_exceptions.c.status.in_(ACTIVE_STATUSES))
        ).scalar_one()
    assert sorted(recorded) == sorted(numbers), "an order is missing or extra"
    statuses = Counter(fo.status for fo in fos)
    assert set(statuses) <= {"Allocated", "Canceled"}, f"FOs left half-way: {statuses}"

    location_of = {fo.id: fo.location_id for fo in fos}
    allocated = {fo.id for fo in fos if fo.status in ACTIVE_FOS}
    assert all(fo.reservation_id == fo.id for fo in fos if fo.id in allocated)
    wanted: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    by_summary: Counter[str] = Counter()
    summary_of = {fo.id: fo.summary_id for fo in fos}
    for line in fo_lines:
        if line.fulfillment_order_id in allocated:
            cell = (location_of[line.fulfillment_order_id], line.sku)
            wanted[line.fulfillment_order_id][cell] += line.quantity
            by_summary[summary_of[line.fulfillment_order_id]] += line.quantity

    snapshot = services.inventory.ledger.snapshot()
    active = {s.reservation.id: s.reservation for s in snapshot.reservations}
    active = {rid: r for rid, r in active.items() if r.status == "active"}
    assert set(active) == allocated, "a reservation without an Allocated FO, or the reverse"
    held: Counter[tuple[str, str]] = Counter()
    for rid, reservation in active.items():
        lines: Counter[tuple[str, str]] = Counter()
        for held_line in reservation.lines:
            lines[(held_line.location_id, held_line.sku)] += held_line.quantity
        assert lines == wanted[rid], f"reservation {rid} holds other lines than its FO"
        held += lines
    cells = sorted(held)
    for cell, figures in zip(cells, services.inventory.availability_many(cells), strict=True):
        assert figures.reserved == held[cell], f"{cell}: reserved {figures.reserved}"
        assert figures.available_to_fulfill >= 0, f"{cell} oversold: {figures}"

    ordered: Counter[str] = Counter()
    allocated_units: Counter[str] = Counter()
    for item in items:
        ordered[item.summary_id] += item.quantity_ordered
        allocated_units[item.summary_id] += item.quantity_allocated
    assert allocated_units == by_summary, "summaries disagree with their FOs"
    assert services.inventory.check() == []
    full = sum(allocated_units[s] == ordered[s] for s in ordered)
    return {
        "routed_share": round(full / len(ordered), 4),
        "fos_per_order": round(len(allocated) / len(ordered), 2),
        "lost_races": statuses.get("Canceled", 0),  # refused reservations, planned again
        "unrouted_units": sum(ordered.values()) - sum(allocated_units.values()),
        "active_exceptions": int(active_exceptions),
    }


# -- the cases -----------------------------------------------------------------------------------


def _locations() -> int:
    return _env_int("OMNIROUTE_BENCH_LOCATIONS", 500)


def embedded_case(count: int, skus: int) -> dict[str, float | int]:
    """SQLite + in-process inventory, one worker: one thread, one order after another."""
    network = bench_network(_locations())
    warmup = order_bodies(network, WARMUP_ORDERS, SEED - 1, skus, "WARM")
    bodies = order_bodies(network, count, SEED, skus, "BENCH")
    with stack_env("embedded", network, skus) as env, services_of(env) as services:
        run_threads(services, [warmup])
        meter = Meter()
        before = meter.read()
        batch = run_threads(services, [bodies])
        run = _run_of([batch], meter.read().since(before), servers=False)
        checked = verify(services, warmup + bodies)
    assert run.orders == count
    return {"workers": 1, "threads": 1, **run.figures(), **checked}


def production_case(count: int, skus: int, workers: int, threads: int) -> dict[str, float | int]:
    """PostgreSQL + Redis, ``workers`` processes of ``threads`` threads each. This process
    bootstraps first (it seeds the record and builds the cache, as the first worker to start
    would), then only checks the result."""
    network = bench_network(_locations())
    warmups = [
        order_bodies(network, WARMUP_ORDERS, SEED - 1 - w, skus, f"WARM{w}") for w in range(workers)
    ]
    bodies = order_bodies(network, count, SEED, skus, "BENCH")
    work = [_split(share, threads) for share in _split(bodies, workers)]
    with stack_env("production", network, skus) as env, services_of(env) as services:
        meter = _meter_for(env)
        try:
            run = _run_of(*run_processes(env, warmups, work, meter))
        finally:
            meter.close()
        checked = verify(services, [b for w in warmups for b in w] + bodies)
    assert run.orders == count
    return {"workers": workers, "threads": threads, **run.figures(), **checked}


def _meter_for(env: dict[str, str]) -> Meter:
    """A meter of the machine, and of this stack's PostgreSQL backends and Redis if any."""
    if "OMNIROUTE_REDIS_URL" not in env:
        return Meter()
    application = sa.make_url(env["OMNIROUTE_DATABASE_URL"]).query["application_name"]
    assert isinstance(application, str)
    return Meter(_database_url(), application, env["OMNIROUTE_REDIS_URL"])


def _production_shape() -> tuple[int, int]:
    workers = _env_int("OMNIROUTE_BENCH_WORKERS", WORKERS)
    return workers, _env_int("OMNIROUTE_BENCH_THREADS", 2)


def test_orders_embedded(benchmark: BenchmarkFixture) -> None:
    count = _env_int("OMNIROUTE_BENCH_ORDERS", 20)
    skus = _env_int("OMNIROUTE_BENCH_SKUS", 500)
    figures = benchmark.pedantic(embedded_case, args=(count, skus), rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    benchmark.extra_info.update(figures)
    benchmark.extra_info["load"] = _load()


def test_orders_production(benchmark: BenchmarkFixture) -> None:
    _database_url(), _redis_url()  # skip (or fail under CI=true) before anything starts
    count = _env_int("OMNIROUTE_BENCH_ORDERS", 20)
    skus = _env_int("OMNIROUTE_BENCH_SKUS", 500)
    figures = benchmark.pedantic(  # type: ignore[no-untyped-call]
        production_case, args=(count, skus, *_production_shape()), rounds=1, iterations=1
    )
    benchmark.extra_info.update(figures)
    benchmark.extra_info["load"] = _load()


# -- where one order's time goes (script mode) -------------------------------------------------

STEPS = (
    ("parse", flows.order_sources, "parse_order"),
    ("intake", flows.order_sources, "place_order"),
    ("carry_out", flows.order_sources, "carry_out"),
    ("engine", flows.order_routing, "preview"),
    ("answer_json", flows.order_routing, "_answer_document"),
    ("activate", flows.order_routing, "_settle"),
    ("activate_all", flows.order_routing, "_activate_all"),
)


@dataclass
class Steps:
    """Seconds and SQL statements (through SQLAlchemy: the order tables, not the inventory
    record's own connections) spent in each step, summed over the orders."""

    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    statements: Counter[str] = field(default_factory=Counter)
    checkouts: int = 0  # connections taken from the pool (on PostgreSQL each pings first)


@contextmanager
def step_timers(services: Services) -> Iterator[Steps]:
    """Wrap the steps of take_order (module attributes the flows call through) in timers;
    put everything back afterwards. Single-threaded use only."""
    steps = Steps()
    executed = [0]

    def count(*_: Any) -> None:
        executed[0] += 1

    def checkout(*_: Any) -> None:
        steps.checkouts += 1

    def timed(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began, before = time.perf_counter(), executed[0]
            try:
                return call(*args, **kwargs)
            finally:
                steps.seconds[name] += time.perf_counter() - began
                steps.statements[name] += executed[0] - before

        return wrapper

    saved = [(module, attr, getattr(module, attr)) for _, module, attr in STEPS]
    inventory, engine = services.inventory, services.store.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    sa.event.listen(engine, "checkout", checkout)
    try:
        for (name, module, attr), (_, _, original) in zip(STEPS, saved, strict=True):
            setattr(module, attr, timed(name, original))
        inventory.reserve_many = timed("reserve", inventory.reserve_many)  # type: ignore[method-assign]
        yield steps
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)
        del inventory.reserve_many
        sa.event.remove(engine, "before_cursor_execute", count)
        sa.event.remove(engine, "checkout", checkout)


def _breakdown(steps: Steps, count: int) -> list[tuple[str, float, float]]:
    """(step, mean ms per order, SQL statements per order); un-wrapped parts as differences."""

    def of(*names: str) -> tuple[float, float]:
        sign = [1] + [-1] * (len(names) - 1)
        ms = sum(k * steps.seconds[n] for k, n in zip(sign, names, strict=True)) * 1e3
        sql = sum(k * steps.statements[n] for k, n in zip(sign, names, strict=True))
        return ms / count, sql / count

    rows = [
        ("parse the document (pydantic)", of("parse")),
        (
            "intake transaction: SKU check, insert order + summary + Draft FOs + attempt, commit",
            of("intake", "engine", "answer_json"),
        ),
        ("  in it, plan: engine preview (explain=full)", of("engine")),
        ("  in it, plan: the answer as JSON for the routing attempt", of("answer_json")),
        ("reserve: cache + record", of("reserve")),
        ("activate (common case): Draft -> Allocated, no summary load, commit", of("activate_all")),
        ("settle (otherwise): load the summary, FOs, routing exceptions, commit", of("activate")),
        ("total per order (take_order)", of("total")),
    ]
    return [(name, ms, sql) for name, (ms, sql) in rows]


def profile_case(kind: str, count: int, skus: int, top: int = 25) -> str:
    """The steps of ``count`` orders (timers), then a cProfile of ``count`` more."""
    network = bench_network(_locations())
    warmup = order_bodies(network, WARMUP_ORDERS, SEED - 1, skus, "WARM")
    timed_bodies = order_bodies(network, count, SEED, skus, "STEP")
    profiled_bodies = order_bodies(network, count, SEED + 1, skus, "PROF")
    out = io.StringIO()
    with stack_env(kind, network, skus) as env, services_of(env) as services:
        run_threads(services, [warmup])
        meter = _meter_for(env)
        try:
            before = meter.read()
            with step_timers(services) as steps:
                batch = run_threads(services, [timed_bodies])
            used = meter.read().since(before)
        finally:
            meter.close()
        steps.seconds["total"] = sum(batch.parts[0].latencies)
        steps.statements["total"] = sum(steps.statements[n] for n in ("parse", "intake", "route"))
        print(f"{kind}: where one order's time goes, mean of {count} orders", file=out)
        print(f"  {'ms':>8}  {'SQL':>5}  step", file=out)
        for name, ms, sql in _breakdown(steps, count):
            print(f"  {ms:8.2f}  {sql:5.1f}  {name}", file=out)
        print(f"  {steps.checkouts / count:8.1f}         pool checkouts per order", file=out)
        print(f"  {batch.cpu * 1e3 / count:8.2f}         ms CPU per order, this process", file=out)
        if kind == "production":
            for name, seconds in (("PostgreSQL backends", used.postgres), ("Redis", used.redis)):
                print(f"  {seconds * 1e3 / count:8.2f}         ms CPU per order, {name}", file=out)
        profiler = cProfile.Profile()  # profiles its own thread only: the orders run here
        profiler.enable()
        _take_all(services, profiled_bodies, Part())
        profiler.disable()
        verify(services, warmup + timed_bodies + profiled_bodies)
    stats = pstats.Stats(profiler, stream=out)
    print(f"\ncProfile of {count} more orders, by own time:", file=out)
    stats.sort_stats("tottime").print_stats(top)
    print(f"cProfile of {count} more orders, by cumulative time:", file=out)
    stats.sort_stats("cumulative").print_stats(top * 2)
    return out.getvalue()


# -- script mode ---------------------------------------------------------------------------------


def _line(name: str, figures: dict[str, Any]) -> None:
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()) + f" (load {_load()})")


USAGE = "[embedded|production|all] [orders] | profile [embedded|production|all] [orders]"


def main(argv: Sequence[str]) -> None:
    what = argv[0] if argv else "all"
    skus = _env_int("OMNIROUTE_BENCH_SKUS", 2000)
    where = f"{_locations()} locations, {skus} SKUs"
    if what == "profile":
        kind = argv[1] if len(argv) > 1 else "all"
        count = int(argv[2]) if len(argv) > 2 else 200
        for each in ("embedded", "production") if kind == "all" else (kind,):
            print(f"[{where}] " + profile_case(each, count, skus))
        return
    if what not in ("embedded", "production", "all"):
        raise SystemExit(f"usage: python -m benchmarks.test_bench_orders {USAGE}")
    count = int(argv[1]) if len(argv) > 1 else _env_int("OMNIROUTE_BENCH_ORDERS", 1000)
    if what in ("embedded", "all"):
        _line(f"embedded (SQLite + memory), {where}", embedded_case(count, skus))
    if what in ("production", "all"):
        figures = production_case(count, skus, *_production_shape())
        _line(f"production (PostgreSQL + Redis), {where}", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
