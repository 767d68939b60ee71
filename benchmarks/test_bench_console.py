"""Console pages with many orders in the database: p50 / p99 per page, and SQL statements
per page (a list's count must not grow with its rows: no N+1).

    .venv/bin/pytest benchmarks/test_bench_console.py --benchmark-enable   # figures in extra_info
    .venv/bin/python -m benchmarks.test_bench_console [orders [embedded|production]]

The database: the embedded stack (SQLite file, in-process inventory), or ``production``
(PostgreSQL and Redis: a fresh schema and key prefix), on the bundled sample network with
generated stock; ``orders`` orders taken through ``take_order`` (what ``POST /v1/orders``
calls), one in ``UNROUTABLE_EVERY`` asking for more units than the network holds (so it
raises a process exception), and one cart of ``BIG_CART_LINES`` lines repeating its SKUs;
then one wave job (``WAVE_ORDERS`` of those orders and the big cart) run to its end. The store
queue is measured for one location, the busiest one and every location. Each page is then
asked ``REPEAT`` times through the app (``TestClient``: the whole ASGI stack, the access
middleware included, no network), signed in with a key of every scope. Timings are reported,
never asserted (the target: 200 ms).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pytest_benchmark.fixture import BenchmarkFixture

from api.app import create_app
from benchmarks.test_bench_orders import _bundled_network, order_bodies, services_of, stack_env
from flows.bootstrap import Services
from flows.order_schema import fulfillment_orders
from flows.order_sources import take_order
from tests.support.auth import key_header

SKUS = 500
UNROUTABLE_EVERY = 20
UNFILLABLE_UNITS = 100_000
BIG_CART_LINES = 120
WAVE_ORDERS = 500  # orders of the seeded wave job (at most the orders seeded)
WAVE_SECONDS = 300.0
REPEAT = 30
TARGET_MS = 200.0


def seed(services: Services, count: int) -> list[str]:
    bodies = order_bodies(_bundled_network(), count, seed=11, n_skus=SKUS, prefix="CON")
    for n, body in enumerate(bodies):
        if n % UNROUTABLE_EVERY == 0:  # more units than the network holds: an exception
            document = json.loads(body)
            line = document["lines"][0]
            before = line["unit_price"] * line["quantity"] + line["tax"]
            line["quantity"] = UNFILLABLE_UNITS
            line["tax"] = round(line["unit_price"] * UNFILLABLE_UNITS * 0.08)
            after = line["unit_price"] * line["quantity"] + line["tax"]
            document["payment"]["amount"] += after - before
            body = json.dumps(document)
        take_order(services, json.loads(body), body)
    big = big_cart(json.loads(bodies[1]))
    take_order(services, big, json.dumps(big))
    return bodies


def preview_order(document: dict[str, Any]) -> dict[str, Any]:
    """The preview order of an intake document (what a wave plans)."""
    group = document["delivery_groups"][0]
    address = group["address"]
    return {
        "id": document["order_number"],
        "channel": document["channel"],
        "lines": [
            {"id": x["id"], "sku": x["sku"], "quantity": x["quantity"]} for x in document["lines"]
        ],
        "delivery": {
            "method": "ship",
            "lat": address["lat"],
            "lon": address["lon"],
            "country": address["country"],
            "delivery_method_id": group["delivery_method_id"],
        },
    }


def seed_wave(client: TestClient, bodies: Sequence[str]) -> str:
    """A finished wave job over up to ``WAVE_ORDERS`` of the orders and the big cart, so the
    waves pages show a real plan; its id."""
    orders = [preview_order(json.loads(body)) for body in bodies[:WAVE_ORDERS]]
    orders.append(preview_order(big_cart(json.loads(bodies[1]))))
    started = client.post("/v1/waves", json={"orders": orders, "strategy": "sequential"})
    assert started.status_code == 202, started.text
    job_id: str = started.json()["id"]
    deadline = time.monotonic() + WAVE_SECONDS
    while client.get(f"/v1/waves/{job_id}").json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"wave {job_id} not done in {WAVE_SECONDS} s"
        time.sleep(0.2)
    return job_id


def big_cart(document: dict[str, Any]) -> dict[str, Any]:
    """The hard summary page: ``BIG_CART_LINES`` lines cycling over a few SKUs (repeated SKUs
    in one cart), split over the network's locations."""
    template = document["lines"]
    lines = []
    for n in range(BIG_CART_LINES):
        line = dict(template[n % len(template)], id=str(n + 1))
        lines.append(line)
    charges = document["delivery_groups"][0]
    total = sum(x["unit_price"] * x["quantity"] + x["tax"] for x in lines)
    total += charges["charge"] + charges["charge_tax"]
    number = "CON-BIG-CART"
    payment = dict(document["payment"], amount=total, authorization_id=f"AUTH-{number}")
    return dict(document, order_number=number, lines=lines, payment=payment)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = services.store.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def busiest_location(services: Services) -> str:
    """The location with the most Fulfillment Orders: the longest store queue."""
    table = fulfillment_orders
    query = (
        sa.select(table.c.location_id)
        .group_by(table.c.location_id)
        .order_by(sa.func.count().desc(), table.c.location_id)
        .limit(1)
    )
    with services.store.engine.connect() as conn:
        return str(conn.execute(query).scalar_one())


def pages(client: TestClient, services: Services, job_id: str) -> list[tuple[str, str]]:
    """(name, URL) of every console page, with ids taken from the seeded database."""
    with services.uow() as uow:
        fo = uow.fulfillment_order_page(location_id=None, status=None, after=None, limit=1)[0]
    summary_id = fo.order_summary_id
    exceptions = client.get("/v1/process-exceptions", params={"limit": 1}).json()["items"]
    assert exceptions, f"one order in {UNROUTABLE_EVERY} raises a process exception"
    busiest = busiest_location(services)
    return [
        ("home", "/console"),
        ("exceptions queue", "/console/exceptions"),
        ("exceptions by priority", "/console/exceptions?sort=priority"),
        ("exceptions, all, 200 a page", "/console/exceptions?status=all&sort=priority&limit=200"),
        ("exception", f"/console/exceptions/{exceptions[0]['id']}"),
        ("orders list", "/console/orders"),
        ("order summary", f"/console/orders/{summary_id}"),
        (f"order summary, {BIG_CART_LINES}-line cart", "/console/orders/CON-BIG-CART"),
        ("store queue, one location", f"/console/store?location={fo.location_id}"),
        ("store queue, the busiest location", f"/console/store?location={busiest}"),
        ("store queue, every location", "/console/store"),
        ("store FO", f"/console/store/fo/{fo.id}"),
        ("routing", "/console/routing"),
        ("waves", "/console/waves"),
        (f"wave job ({WAVE_ORDERS} orders and the big cart)", f"/console/waves/{job_id}"),
        ("wave job's progress", f"/console/waves/{job_id}/progress"),
    ]


def measure(count: int, stack: str = "embedded") -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    network = _bundled_network()
    with stack_env(stack, network, SKUS) as env, services_of(env) as services:
        started = time.perf_counter()
        bodies = seed(services, count)
        figures["seed"] = {"orders": count, "seconds": time.perf_counter() - started}
        header = key_header(services)
        key = header["Authorization"].removeprefix("Bearer ")
        with TestClient(create_app(services), headers=header) as client:
            job_id = seed_wave(client, bodies)
            client.cookies.set("omniroute_console", key)
            for name, url in pages(client, services, job_id):
                first = client.get(url)
                if first.status_code != 200:
                    figures[name] = {"status": first.status_code}
                    continue
                times = []
                with statements(services) as seen:
                    for _ in range(REPEAT):
                        began = time.perf_counter()
                        client.get(url)
                        times.append((time.perf_counter() - began) * 1000)
                times.sort()
                figures[name] = {
                    "p50_ms": statistics.median(times),
                    "p99_ms": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
                    "statements": len(seen) / REPEAT,
                }
    return figures


def test_console_pages(benchmark: BenchmarkFixture) -> None:
    count = int(os.environ.get("OMNIROUTE_BENCH_CONSOLE_ORDERS", "200"))
    figures = benchmark.pedantic(measure, args=(count,), rounds=1, iterations=1)
    benchmark.extra_info.update({name: values for name, values in figures.items()})
    for name, values in figures.items():
        assert values.get("status", 200) == 200, (name, values)


def main(argv: Sequence[str]) -> None:
    count = int(argv[0]) if argv else 10_000
    stack = argv[1] if len(argv) > 1 else "embedded"
    figures = measure(count, stack)
    seed_figures = figures.pop("seed")
    print(f"seeded {seed_figures['orders']:.0f} orders in {seed_figures['seconds']:.0f} s")
    print("| page | p50 ms | p99 ms | SQL statements | ≤ 200 ms |")
    print("|---|---:|---:|---:|---|")
    for name, values in figures.items():
        if "status" in values:
            print(f"| {name} | answered {values['status']:.0f} | | | |")
            continue
        meets = "yes" if values["p99_ms"] <= TARGET_MS else "**no**"
        print(
            f"| {name} | {values['p50_ms']:.1f} | {values['p99_ms']:.1f} | "
            f"{values['statements']:.0f} | {meets} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
