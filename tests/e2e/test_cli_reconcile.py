"""``omniroute reconcile`` settles what a failed routing left, on the configured database."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from flows import order_queries
from flows.bootstrap import bootstrap
from flows.order_sources import take_order
from flows.settings import Settings
from inventory.errors import InventoryUnavailable
from tests.e2e.conftest import small_env
from tests.e2e.test_cli_orders import order


def reconcile_cli(env: dict[str, str], *args: str) -> Any:
    full: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OMNIROUTE_")}
    full.update(env)
    return CliRunner().invoke(app, ["reconcile", *args], env=full)


def test_reconcile_cancels_an_abandoned_draft_and_routes_the_order_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")
    services = bootstrap(Settings.from_env(env))
    try:

        def down(*_: Any, **__: Any) -> Any:
            raise InventoryUnavailable("injected")

        with monkeypatch.context() as patch:
            patch.setattr(services.inventory, "reserve_many", down)
            placed = take_order(services, order("W-7"), "{}").placed
        before = order_queries.order_summary(services, placed.summary_id)
        assert [fo["status"] for fo in before["fulfillment_orders"]] == ["Draft"]
    finally:
        services.close()

    result = reconcile_cli(env, "--draft-age", "0")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["drafts_canceled"] == 1
    assert report["summaries_routed"] == 1

    services = bootstrap(Settings.from_env(env))
    try:
        after = order_queries.order_summary(services, placed.summary_id)
    finally:
        services.close()
    assert [fo["status"] for fo in after["fulfillment_orders"]] == ["Canceled", "Allocated"]
    assert after["items"][0]["status"] == "allocated"


def test_reconcile_refuses_a_negative_draft_age(tmp_path: Path) -> None:
    result = reconcile_cli(small_env(f"sqlite:///{tmp_path / 'o.db'}"), "--draft-age", "-1")
    assert result.exit_code == 2


def test_orders_show_lists_the_change_orders(tmp_path: Path) -> None:
    from flows import service_flows

    env = small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")
    services = bootstrap(Settings.from_env(env))
    try:
        placed = take_order(services, order("W-8", quantity=2), "{}").placed
        fo = order_queries.order_summary(services, placed.summary_id)["fulfillment_orders"][0]
        service_flows.cancel_fulfillment_lines(services, fo["id"], [("1", 1)])
        service_flows.cancel(
            services,
            "W-8",
            lines=[("1", 1)],
            reason="damaged_box",
            prorate_delivery=False,
            idempotency_key=None,
            body={},
            preview=False,
        )
    finally:
        services.close()
    full: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OMNIROUTE_")}
    full.update(env)
    result = CliRunner().invoke(app, ["orders", "show", "W-8"], env=full)
    assert result.exit_code == 0, result.output
    assert "Change orders" in result.stdout
    assert "damaged_box" in result.stdout
    assert "1: SKU-1 x 1" in result.stdout


def test_orders_show_lists_return_orders_and_credit_memos(tmp_path: Path) -> None:
    from flows import order_fulfilment, service_flows, service_rma

    env = small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")
    services = bootstrap(Settings.from_env(env))
    try:
        placed = take_order(services, order("W-7", quantity=2), "{}").placed
        fo = order_queries.order_summary(services, placed.summary_id)["fulfillment_orders"][0]
        order_fulfilment.change_status(services, fo["id"], "Fulfilled")
        returned = service_flows.direct_return(
            services,
            "W-7",
            lines=[("1", 1, "damaged")],
            location_id=None,
            idempotency_key=None,
            body={},
            preview=False,
        )
        rma = service_rma.create(
            services,
            "W-7",
            lines=[("1", 1, "too_small")],
            location_id=None,
            idempotency_key=None,
            body={},
        )
    finally:
        services.close()
    full: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OMNIROUTE_")}
    full.update(env)
    result = CliRunner().invoke(app, ["orders", "show", "W-7"], env=full)
    assert result.exit_code == 0, result.output
    assert "Return orders" in result.stdout
    assert rma["id"] in result.stdout and "1: 1/0/0/0 too_small" in result.stdout
    assert returned["credit_memo_id"] in result.stdout
