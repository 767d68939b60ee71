"""``PUT /v1/config`` across workers, and when a step after validation fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from inventory.errors import InventoryUnavailable
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.e2e.test_http_config import own_config, shipped_from
from tests.support.auth import api_client


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("stack", ["embedded", "production"])
def test_a_config_put_on_one_worker_reaches_another_as_one_change(
    stack: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if stack == "embedded":
        env = small_env(f"sqlite:///{tmp_path / 'shared.db'}")
    else:
        redis_url: str = request.getfixturevalue("redis_url")
        env = small_env(request.getfixturevalue("postgres_schema_url"), redis_url)
    settings = Settings.from_env(env)
    clock = ManualClock()
    first, second = bootstrap(settings, clock=clock), bootstrap(settings, clock=clock)
    try:
        with api_client(first) as a, api_client(second) as b:
            before = b.get("/v1/config").json()
            body = own_config()
            if stack == "embedded":
                del body["inventory"]  # in-process stock is private to each worker
            applied = a.put("/v1/config", json=body)
            assert applied.status_code == 200, applied.text
            version = applied.json()["version"]

            seen = b.get("/v1/config").json()
            assert seen["version"] == before["version"]  # cached until the refresh
            assert seen["history"][0]["version"] == version  # the database has it already
            clock.now += settings.refresh_seconds

            after = b.get("/v1/config").json()
            assert after["version"] == version
            assert after["network"]["group_ids"] == ["EAST", "WEST"]
            assert after["rules"]["version"] == applied.json()["rules"]["version"]
            if stack == "production":  # shared Redis: the new stock is there for b too
                assert shipped_from(b) <= {"NJ1", "NY1"}
    finally:
        first.close()
        second.close()
        if stack == "production":
            delete_redis_prefix(env["OMNIROUTE_REDIS_URL"], env["OMNIROUTE_REDIS_PREFIX"])


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def test_a_failing_inventory_sync_changes_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = client.get("/v1/config").json()

    def unreachable(*_: Any) -> Any:
        raise InventoryUnavailable("redis: connection refused")

    monkeypatch.setattr(services_of(client).inventory, "sync", unreachable)
    response = client.put("/v1/config", json=own_config())

    assert response.status_code == 503
    assert response.json()["error"] == "inventory_unavailable"
    assert client.get("/v1/config").json() == before


def test_a_switch_refused_after_the_stock_synced_says_so_and_a_retry_finishes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = client.get("/v1/config").json()
    store = services_of(client).store

    def gone(**_: Any) -> Any:
        raise OperationalError("UPDATE active_rules", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(store, "switch_config", gone)
        response = client.put("/v1/config", json=own_config())

    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "config_not_switched"
    assert "server closed the connection" in body["message"]
    assert "inventory WAS synced (3 records)" in body["message"]
    assert client.get("/v1/config").json() == before  # the previous config stays active

    retried = client.put("/v1/config", json=own_config())
    assert retried.status_code == 200
    assert client.get("/v1/config").json()["version"] == retried.json()["version"]
    assert shipped_from(client) <= {"NJ1", "NY1"}
