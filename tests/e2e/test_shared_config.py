"""Every worker and every restart sees the same network and rules (they live in the database)."""

from __future__ import annotations

from pathlib import Path

from flows.bootstrap import bootstrap
from flows.settings import Settings
from inventory.model import InventoryRecord
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.support.auth import api_client

NEW_RULES = "version: 1\npolicies:\n  - name: single-package\n    split: {max_locations: 1}\n"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rules_put_on_one_worker_reach_another_within_the_refresh_interval(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env(small_env(f"sqlite:///{tmp_path / 'shared.db'}"))
    clock = ManualClock()
    first, second = bootstrap(settings, clock=clock), bootstrap(settings, clock=clock)
    with api_client(first) as a, api_client(second) as b:
        before = b.get("/v1/rules").json()["version"]
        put = a.put("/v1/rules", content=NEW_RULES, headers={"content-type": "application/yaml"})
        assert put.status_code == 200
        assert b.get("/v1/rules").json()["version"] == before  # cached until the refresh
        clock.now += settings.refresh_seconds
        assert b.get("/v1/rules").json()["version"] == put.json()["version"]
    first.close()
    second.close()


def test_a_restart_keeps_the_active_rules(tmp_path: Path) -> None:
    settings = Settings.from_env(small_env(f"sqlite:///{tmp_path / 'restart.db'}"))
    services = bootstrap(settings)
    with api_client(services) as client:
        version = client.put(
            "/v1/rules", content=NEW_RULES, headers={"content-type": "application/yaml"}
        ).json()["version"]
    services.close()
    restarted = bootstrap(settings)
    assert restarted.config().rules.version == version
    restarted.close()


def test_a_restart_keeps_live_redis_counts_instead_of_reloading_the_file(
    postgres_schema_url: str, redis_url: str
) -> None:
    env = small_env(postgres_schema_url, redis_url)
    first = bootstrap(Settings.from_env(env))
    first.inventory.upsert([InventoryRecord("DC01", "SKU-1", 77, 0)])  # a live recount
    first.close()
    restarted = bootstrap(Settings.from_env(env))
    try:
        assert restarted.inventory.availability("DC01", "SKU-1").on_hand == 77
    finally:
        restarted.close()
        delete_redis_prefix(redis_url, env["OMNIROUTE_REDIS_PREFIX"])
