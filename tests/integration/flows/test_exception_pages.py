"""Process exceptions page by page in priority, severity or age order, either way, on SQLite
and on PostgreSQL: the database orders them and the cursor (an exception's id) resumes right
after that exception, ties broken by age then id, so no page repeats or skips one."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from flows import order_queries as queries
from flows.bootstrap import Services
from flows.order_records import ExceptionSort
from flows.order_store import NotFound
from summary.exceptions import ACTIVE_STATUSES, ProcessException, new_exception

RANK = {"high": 0, "low": 1}


def made(services: Services, count: int = 23) -> list[ProcessException]:
    seeded = random.Random(7)
    now = services.now()
    found = []
    with services.uow() as uow:
        for n in range(count):
            pe = new_exception(
                id=f"PE-{n:03d}-{seeded.randrange(10**6):06d}",
                order_summary_id=f"OS-{n % 4}",
                category=seeded.choice(["routing", "payment"]),
                message=f"exception {n}",
                attached=("payment", f"AUTH-{n}"),
                now=now - timedelta(minutes=seeded.randrange(4)),  # many equal ages
                priority=seeded.choice(["high", "low"]),
                severity=seeded.choice(["high", "low"]),
            )
            pe.status = seeded.choice(["new", "in_progress", "resolved", "voided"])
            uow.add_exception(pe)
            found.append(pe)
        uow.commit()
    return found


def expected(pes: list[ProcessException], sort: ExceptionSort, descending: bool) -> list[str]:
    def key(pe: ProcessException) -> tuple[Any, ...]:
        level = () if sort == "age" else (RANK[getattr(pe, sort)],)
        return (*level, pe.created_at, pe.id)

    return [pe.id for pe in sorted(pes, key=key, reverse=descending)]


def paged(services: Services, **filters: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = queries.process_exceptions(
            services, status=None, summary_key=None, cursor=cursor, limit=4, **filters
        )
        assert len(page["items"]) <= 4
        seen += [pe["id"] for pe in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["priority", "severity", "age"])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_follow_the_sort_without_repeating_or_skipping(
    order_services: Services, sort: ExceptionSort, descending: bool
) -> None:
    pes = made(order_services)
    active = [pe for pe in pes if pe.status in ACTIVE_STATUSES]
    got = paged(
        order_services, category=None, statuses=ACTIVE_STATUSES, sort=sort, descending=descending
    )
    assert got == expected(active, sort, descending)
    payments = [pe for pe in pes if pe.category == "payment"]
    got = paged(order_services, category="payment", sort=sort, descending=descending)
    assert got == expected(payments, sort, descending)


def test_the_apis_order_by_id_is_unchanged_and_an_unknown_cursor_is_not_found(
    order_services: Services,
) -> None:
    pes = made(order_services)
    assert paged(order_services, category=None) == sorted(pe.id for pe in pes)
    with pytest.raises(NotFound):
        queries.process_exceptions(
            order_services,
            status=None,
            category=None,
            summary_key=None,
            cursor="PE-gone",
            limit=4,
            sort="priority",
        )
