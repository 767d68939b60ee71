"""Refund-causing service actions from two workers at once: the money moves exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from flows import order_fulfilment, order_queries, service_flows
from flows.bootstrap import Services, bootstrap
from flows.order_sources import take_order
from flows.settings import Settings
from summary.errors import InvalidRequest
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.support.orders import STOCK, order


@pytest.fixture
def workers(postgres_schema_url: str, redis_url: str) -> Iterator[tuple[Services, Services]]:
    from inventory.records import parse_json

    env = small_env(postgres_schema_url, redis_url)
    first = bootstrap(Settings.from_env(env))
    first.inventory.upsert(parse_json(STOCK))
    second = bootstrap(Settings.from_env(env))
    second.gateway = first.gateway  # one payment provider behind both workers
    try:
        yield first, second
    finally:
        second.close()
        first.close()
        delete_redis_prefix(redis_url, first.settings.redis_prefix)


def shipped_then_open(services: Services) -> str:
    """Two lines in one group: line 1 shipped (the delivery charge captured with it), line 2
    taken off its fulfillment order, so that a prorated cancel of it refunds half the charge."""
    document = order("R-1", delivery_groups=order()["delivery_groups"][:1], discounts=[])
    document["delivery_groups"][0]["charge"], document["delivery_groups"][0]["charge_tax"] = 500, 40
    document["lines"] = [
        {"id": "1", "sku": "SKU-A", "quantity": 1, "unit_price": 1000, "delivery_group": "DG1"},
        {"id": "2", "sku": "SKU-B", "quantity": 1, "unit_price": 2000, "delivery_group": "DG1"},
    ]
    document["payment"] = {"authorization_id": "A-R1", "amount": 3540}
    summary_id = take_order(services, document, "{}").placed.summary_id
    fos = order_queries.order_summary(services, summary_id)["fulfillment_orders"]
    by_location = {fo["location_id"]: fo["id"] for fo in fos}
    order_fulfilment.change_status(services, by_location["DC01"], "Fulfilled")
    service_flows.cancel_fulfillment_lines(services, by_location["ST02"], [("2", 1)])
    return summary_id


def cancel(services: Services, key: str) -> Any:
    body = {"lines": [{"line_id": "2", "quantity": 1}], "prorate_delivery": True}
    return service_flows.cancel(
        services,
        "R-1",
        lines=[("2", 1)],
        reason="customer_request",
        prorate_delivery=True,
        idempotency_key=key,
        body=body,
        preview=False,
    )


def direct_return(services: Services, key: str) -> Any:
    body = {"lines": [{"line_id": "1", "quantity": 1, "reason": "damaged"}]}
    return service_flows.direct_return(
        services,
        "R-1",
        lines=[("1", 1, "damaged")],
        location_id=None,
        idempotency_key=key,
        body=body,
        preview=False,
    )


# (action, its kind, what it refunds, the line it takes, the quantity that line records)
ACTIONS = {
    "cancel": (cancel, "cancel", 270, 1, "quantity_canceled"),  # half the delivery + tax
    "return": (direct_return, "return", 1000, 0, "quantity_returned"),  # line 1: 10.00
}


@pytest.mark.parametrize("same_key", [True, False])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_same_refunding_action_from_two_workers_at_once_refunds_exactly_once(
    workers: tuple[Services, Services], same_key: bool, action: str
) -> None:
    submit_one, kind, refunded, line, quantity = ACTIONS[action]
    first, second = workers
    summary_id = shipped_then_open(first)

    def submit(n: int) -> Any:
        try:
            return submit_one(first if n % 2 else second, "k" if same_key else f"k-{n}")
        except InvalidRequest as refused:  # nothing left to take: the other one won
            return refused

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(submit, range(4)))
    done = [a for a in answers if isinstance(a, dict)]
    assert len({a["change_order_id"] for a in done}) == 1
    assert all(isinstance(a, InvalidRequest) for a in answers if not isinstance(a, dict))
    assert len(done) == (4 if same_key else 1)
    after = order_queries.order_summary(first, summary_id)
    assert after["payment"]["refunded"] == refunded
    assert first.gateway.refunded == refunded  # type: ignore[attr-defined]
    assert after["items"][line][quantity] == 1
    changes = service_flows.change_orders(first, summary_id)["change_orders"]
    assert [(c["kind"], c["refund"], c["refund_status"]) for c in changes] == [
        (kind, refunded, "done")
    ]


def test_a_cancel_and_a_return_on_two_workers_at_once_each_refund_once(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    summary_id = shipped_then_open(first)
    with ThreadPoolExecutor(max_workers=2) as pool:
        cancelled = pool.submit(cancel, first, "c")
        returned = pool.submit(direct_return, second, "r")
        cancelled.result(), returned.result()
    after = order_queries.order_summary(first, summary_id)
    # 270: half the delivery charge and its tax given back; 1000: the returned unit
    assert after["payment"]["refunded"] == 1270
    assert first.gateway.refunded == 1270  # type: ignore[attr-defined]
    changes = service_flows.change_orders(first, summary_id)["change_orders"]
    assert sorted((c["kind"], c["refund"], c["refund_status"]) for c in changes) == [
        ("cancel", 270, "done"),
        ("return", 1000, "done"),
    ]
