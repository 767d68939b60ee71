"""``omniroute inventory``: load (delta or --replace), rebuild-cache and check."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from inventory.model import StockSet
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import DATA

SETTINGS = (
    "OMNIROUTE_DATABASE_URL",
    "OMNIROUTE_REDIS_URL",
    "OMNIROUTE_REDIS_PREFIX",
    "OMNIROUTE_RULES",
    "OMNIROUTE_NETWORK",
    "OMNIROUTE_INVENTORY",
    "OMNIROUTE_SAMPLE_DATA",
    "OMNIROUTE_SAMPLE_SKUS",
)
HEADER = "location_id,sku,on_hand,safety_stock\n"


def base_env(database_url: str) -> dict[str, str]:
    return {
        "OMNIROUTE_DATABASE_URL": database_url,
        "OMNIROUTE_NETWORK": str(DATA / "network.json"),
        "OMNIROUTE_RULES": str(DATA / "rules.yaml"),
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    # Every setting not in ``env`` is unset, so the calling shell cannot leak into the test.
    full: dict[str, str | None] = {name: None for name in SETTINGS}
    full.update(env)
    return CliRunner().invoke(app, ["inventory", *args], env=full)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def stock_of(env: dict[str, str]) -> dict[tuple[str, str], tuple[int, int]]:
    """The record's stock, read by a fresh start over the same database."""
    services = bootstrap(Settings.from_env(env), build_cache=False, seed_inventory=False)
    try:
        stock = services.inventory.ledger.snapshot().stock
        return {
            (stock.locations[loc], stock.skus[sku]): (on_hand, safety)
            for sku, loc, on_hand, safety in zip(
                stock.sku.tolist(),
                stock.location.tolist(),
                stock.on_hand.tolist(),
                stock.safety_stock.tolist(),
                strict=True,
            )
        }
    finally:
        services.close()


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# -- load, against a SQLite file ---------------------------------------------------------


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    """A SQLite record holding tests/e2e/data/inventory.csv (loaded with --replace)."""
    env = base_env(f"sqlite:///{tmp_path / 'omniroute.db'}")
    result = invoke(env, "load", str(DATA / "inventory.csv"), "--replace")
    assert result.exit_code == 0, result.output
    return env


def test_load_replace_is_a_full_sync_and_prints_what_it_did(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    before = stock_of(sqlite_env)
    assert before[("DC02", "SKU-1")] == (50, 0)
    path = write(tmp_path, "full.csv", HEADER + "DC01,SKU-1,7,1\nST02,SKU-9,4,0\n")
    result = invoke(sqlite_env, "load", str(path), "--replace")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"mode": "full_sync", "records": 2, "over_reserved": []}
    assert stock_of(sqlite_env) == {  # every row the file does not name is gone
        ("DC01", "SKU-1"): (7, 1),
        ("ST02", "SKU-9"): (4, 0),
    }


def test_load_without_replace_is_a_delta_that_keeps_rows_not_named(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    before = stock_of(sqlite_env)
    path = write(tmp_path, "delta.csv", HEADER + "DC01,SKU-1,12,2\nST02,SKU-9,4,0\n")
    result = invoke(sqlite_env, "load", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"mode": "delta", "records": 2, "over_reserved": []}
    assert stock_of(sqlite_env) == {
        **before,
        ("DC01", "SKU-1"): (12, 2),
        ("ST02", "SKU-9"): (4, 0),
    }


@pytest.mark.parametrize("replace", [False, True], ids=["delta", "replace"])
def test_a_bad_row_exits_2_naming_row_and_field_and_changes_nothing(
    sqlite_env: dict[str, str], tmp_path: Path, replace: bool
) -> None:
    before = stock_of(sqlite_env)
    # Row 1 is the header: the bad value is on row 3.
    path = write(tmp_path, "bad.csv", HEADER + "DC01,SKU-1,99,0\nDC02,SKU-1,-1,0\n")
    message = one_error_line(invoke(sqlite_env, "load", str(path), *(["--replace"] * replace)))
    assert "row 3" in message and "on_hand" in message, message
    assert stock_of(sqlite_env) == before


@pytest.mark.parametrize("replace", [False, True], ids=["delta", "replace"])
def test_an_unknown_location_exits_2_naming_it_and_changes_nothing(
    sqlite_env: dict[str, str], tmp_path: Path, replace: bool
) -> None:
    before = stock_of(sqlite_env)
    path = write(tmp_path, "unknown.csv", HEADER + "DC01,SKU-1,99,0\nNOWHERE-7,SKU-1,3,0\n")
    message = one_error_line(invoke(sqlite_env, "load", str(path), *(["--replace"] * replace)))
    assert "NOWHERE-7" in message, message
    assert stock_of(sqlite_env) == before


# -- rebuild-cache and check, against PostgreSQL and the shared Redis ----------------------


@pytest.fixture
def redis_env(postgres_schema_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    """PostgreSQL (a fresh schema) and Redis (db 15, a fresh key prefix), seeded from
    tests/e2e/data/inventory.csv and the cache built."""
    env = {
        **base_env(postgres_schema_url),
        "OMNIROUTE_REDIS_URL": redis_url,
        "OMNIROUTE_REDIS_PREFIX": f"test-cli-{uuid.uuid4().hex[:10]}",
        "OMNIROUTE_INVENTORY": str(DATA / "inventory.csv"),
    }
    try:
        yield env
    finally:
        delete_redis_prefix(redis_url, env["OMNIROUTE_REDIS_PREFIX"])


@pytest.fixture
def services(redis_env: dict[str, str]) -> Iterator[Services]:
    services = bootstrap(Settings.from_env(redis_env))
    yield services
    services.close()


def assert_agree(env: dict[str, str]) -> None:
    result = invoke(env, "check")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == ["cache and record agree"]


@pytest.mark.redis
@pytest.mark.postgres
def test_check_finds_a_corrupted_cache_and_check_fix_rebuilds_it(
    redis_env: dict[str, str], services: Services
) -> None:
    assert_agree(redis_env)
    # Straight into the cache, not the record: Redis now says what the record never did.
    services.inventory.cache.write_stock([StockSet("DC01", "SKU-1", on_hand=999)])

    found = invoke(redis_env, "check")
    assert found.exit_code == 1, found.output
    lines = found.stdout.strip().splitlines()
    assert len(lines) == 1, found.stdout
    assert "DC01" in lines[0] and "SKU-1" in lines[0]
    assert "999" in lines[0] and "10" in lines[0]  # cache 999, record 10

    fixed = invoke(redis_env, "check", "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert "fixed: cache rebuilt from the record" in fixed.stdout
    assert_agree(redis_env)
    restarted = bootstrap(Settings.from_env(redis_env))
    try:
        assert restarted.inventory.availability("DC01", "SKU-1").on_hand == 10
    finally:
        restarted.close()


@pytest.mark.redis
@pytest.mark.postgres
def test_check_reports_a_cache_without_its_marker_and_rebuild_cache_restores_it(
    redis_env: dict[str, str], services: Services
) -> None:
    import redis

    client = redis.Redis.from_url(redis_env["OMNIROUTE_REDIS_URL"])
    try:
        assert client.delete(f"{redis_env['OMNIROUTE_REDIS_PREFIX']}:marker") == 1
    finally:
        client.close()

    found = invoke(redis_env, "check")
    assert found.exit_code == 1, found.output
    assert "cache not built" in found.stdout

    rebuilt = invoke(redis_env, "rebuild-cache")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.stdout.startswith("rebuilt build ")
    assert "8 cells" in rebuilt.stdout  # the 8 rows of tests/e2e/data/inventory.csv
    assert_agree(redis_env)
    assert services.inventory.availability("DC02", "SKU-1").on_hand == 50
