"""Many orders for the last units of a SKU, at once, on two workers sharing PostgreSQL and
Redis: stock is allocated exactly as far as it goes, nothing is oversold, no order is lost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flows import order_queries
from flows.bootstrap import Services, bootstrap
from flows.order_sources import take_order
from flows.settings import Settings
from inventory.model import StockSet
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.support.orders import order

ORDERS = 50
UNITS = 10


@pytest.fixture(params=["embedded", "production"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Services, Services]]:
    """Production: two workers sharing PostgreSQL and Redis. Embedded: its one worker (the
    in-process inventory is per process) serving both sides."""
    if request.param == "embedded":
        only = bootstrap(Settings.from_env(small_env(f"sqlite:///{tmp_path / 'o.db'}")))
        try:
            yield only, only
        finally:
            only.close()
        return
    redis_url = request.getfixturevalue("redis_url")
    env = small_env(request.getfixturevalue("postgres_schema_url"), redis_url)
    first = bootstrap(Settings.from_env(env))
    second = bootstrap(Settings.from_env(env))  # another worker: same database, same Redis
    try:
        yield first, second
    finally:
        second.close()
        first.close()
        delete_redis_prefix(redis_url, first.settings.redis_prefix)


def one_unit_order(n: int) -> dict[str, object]:
    document = order(f"C-{n:03d}")
    document["delivery_groups"] = document["delivery_groups"][:1]
    document["lines"] = [
        {"id": "1", "sku": "SKU-LAST", "quantity": 1, "unit_price": 1000, "delivery_group": "DG1"}
    ]
    document["discounts"] = []
    document["payment"] = {"authorization_id": f"A-{n}", "amount": 1647}
    return document


def test_fifty_orders_for_the_last_ten_units_on_two_workers_allocate_exactly_ten(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    first.inventory.write_stock(
        [StockSet("DC01", "SKU-LAST", on_hand=6), StockSet("DC02", "SKU-LAST", on_hand=4)]
    )
    documents = [one_unit_order(n) for n in range(ORDERS)]

    def place(n: int) -> str:
        services = first if n % 2 else second
        document = documents[n]
        return take_order(services, document, str(uuid.uuid4())).placed.summary_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(place, range(ORDERS)))

    assert len(set(ids)) == ORDERS  # every order recorded, none lost
    summaries = [order_queries.order_summary(first, summary_id) for summary_id in ids]
    allocated = sum(s["items"][0]["quantity_allocated"] for s in summaries)
    assert allocated == UNITS
    waiting = [s for s in summaries if s["items"][0]["quantity_allocated"] == 0]
    assert len(waiting) == ORDERS - UNITS
    assert all(s["active_process_exception_count"] == 1 for s in waiting)
    for location, on_hand in (("DC01", 6), ("DC02", 4)):
        figures = first.inventory.availability(location, "SKU-LAST")
        assert (figures.on_hand, figures.reserved) == (on_hand, on_hand)  # all held, no oversell
    exceptions = order_queries.process_exceptions(
        first, status="new", category="routing", summary_key=None, cursor=None, limit=500
    )
    assert len(exceptions["items"]) == ORDERS - UNITS
