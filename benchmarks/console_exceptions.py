"""How fast the console's process exceptions queue answers with many exceptions (a check to
run by hand; nothing is asserted):

    .venv/bin/python -m benchmarks.console_exceptions [embedded|production|all] [exceptions]

``exceptions`` rows (5000) go straight into ``process_exceptions`` (one multi-row INSERT,
spread over 2000 summaries, the five categories, both levels, three in five active); one real
order that cannot be routed gives the records a real summary to show. The app is served by
uvicorn on loopback and signed in with an ops key, as a browser would be; each URL is asked
``ROUNDS`` times after a warm-up and its p50 / p95 / max in milliseconds printed, and on
PostgreSQL the plan of the priority-sorted page.

- ``embedded``: a SQLite file. ``production``: PostgreSQL + Redis (a fresh schema and key
  prefix, dropped afterwards; OMNIROUTE_TEST_DATABASE_URL / OMNIROUTE_TEST_REDIS_URL).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa
import uvicorn

from access.scopes import Scope
from api.app import create_app
from benchmarks.test_bench_record import postgres_schema
from flows.bootstrap import Services, bootstrap
from flows.order_schema import process_exceptions
from flows.order_sources import take_order
from flows.settings import Settings
from inventory.records import parse_json
from tests.conftest import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.support.auth import key_header
from tests.support.orders import order
from tests.support.processes import free_port

ROUNDS = 40
CATEGORIES = ("routing", "fulfillment", "payment", "invoicing", "returns")
STATUSES = ("new", "in_progress", "new", "resolved", "voided")  # three in five active


def fill(services: Services, count: int) -> str:
    """``count`` exceptions and one real stuck order; the id of one exception of it."""
    services.inventory.upsert(parse_json([{"location_id": "DC01", "sku": "GONE", "on_hand": 0}]))
    document = order(
        "B-1",
        lines=[
            {"id": "1", "sku": "GONE", "quantity": 1, "unit_price": 100, "delivery_group": "DG1"}
        ],
        delivery_groups=order()["delivery_groups"][:1],
        discounts=[],
        payment={"authorization_id": "AUTH-B-1", "amount": 747},
    )
    take_order(services, document, json.dumps(document))
    seeded = random.Random(11)
    now = services.now()
    rows = []
    for n in range(count):
        at = now - timedelta(minutes=seeded.randrange(60 * 24 * 30))
        rows.append(
            {
                "id": f"PE-bench{n:012d}",
                "summary_id": f"OS-bench{n % 2000:012d}",
                "category": CATEGORIES[n % 5],
                "severity": seeded.choice(("high", "low")),
                "priority": seeded.choice(("high", "low")),
                "status": STATUSES[seeded.randrange(5)],
                "message": f"bench exception {n}",
                "description": "made by benchmarks/console_exceptions.py",
                "attached_kind": "payment",
                "attached_id": f"AUTH-{n}",
                "note": None,
                "created_at": at,
                "updated_at": at,
            }
        )
    with services.store.engine.begin() as conn:
        conn.execute(sa.insert(process_exceptions), rows)
    with services.uow() as uow:
        [pe] = uow.exceptions(category="routing", limit=1)
    return pe.id


@contextmanager
def served(services: Services) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def measure(services: Services, count: int) -> None:
    record = fill(services, count)
    key = key_header(services, Scope.ops)["Authorization"].removeprefix("Bearer ")
    urls = [
        "/console/exceptions",
        "/console/exceptions?sort=priority",
        "/console/exceptions?sort=-severity&category=payment",
        "/console/exceptions?status=all&sort=priority&limit=200",
        f"/console/exceptions/{record}",
    ]
    with (
        served(services) as base,
        httpx.Client(base_url=base, cookies={"omniroute_console": key}) as http,
    ):
        second = http.get("/console/exceptions?sort=priority")
        cursor = second.text.split('rel="next"')[0].rsplit("cursor=", 1)[1].split('"')[0]
        urls.insert(2, f"/console/exceptions?sort=priority&cursor={cursor}")
        for url in urls:
            times: list[float] = []
            for n in range(ROUNDS + 5):
                start = time.perf_counter()
                answer = http.get(url)
                took = time.perf_counter() - start
                assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
                if n >= 5:
                    times.append(took * 1e3)
            p50, p95 = np.percentile(times, [50, 95])
            print(f"  {url:<62} p50 {p50:6.1f}  p95 {p95:6.1f}  max {max(times):6.1f} ms")
    if services.store.engine.dialect.name == "postgresql":
        explain(services)


def explain(services: Services) -> None:
    with services.uow() as uow:
        statements: list[Any] = []
        keep = _keep(statements)
        sa.event.listen(uow.conn, "before_cursor_execute", keep)
        uow.exceptions(statuses={"new", "in_progress"}, sort="priority", limit=51)
        sa.event.remove(uow.conn, "before_cursor_execute", keep)
        sql, params = statements[-1]
        plan = uow.conn.exec_driver_sql(f"EXPLAIN ANALYZE {sql}", params).scalars().all()
    print("  plan of the priority-sorted page:\n    " + "\n    ".join(plan))


def _keep(into: list[Any]) -> Any:
    def keep(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        into.append((sql, params))

    return keep


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "all"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    if mode in ("embedded", "all"):
        print(f"embedded (SQLite), {count} exceptions:")
        with tempfile.TemporaryDirectory() as folder:
            services = bootstrap(Settings.from_env(small_env(f"sqlite:///{folder}/bench.db")))
            try:
                measure(services, count)
            finally:
                services.close()
    if mode in ("production", "all"):
        print(f"production (PostgreSQL + Redis), {count} exceptions:")
        database = os.environ.get("OMNIROUTE_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
        redis_url = os.environ.get("OMNIROUTE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
        with postgres_schema(database) as url:
            services = bootstrap(Settings.from_env(small_env(url, redis_url)))
            try:
                measure(services, count)
            finally:
                services.close()
                delete_redis_prefix(redis_url, services.settings.redis_prefix)


if __name__ == "__main__":
    main()
