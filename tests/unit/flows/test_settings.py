"""Settings read from environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.errors import ConfigError
from flows.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_SAMPLE_SKUS,
    MAX_WAVE_WORKERS,
    ExecutorKind,
    Settings,
)


def test_no_variables_give_the_embedded_default() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database_url.startswith("sqlite:")
    assert settings.redis_url is None
    assert settings.rules_path is None and settings.network_path is None
    assert settings.inventory_path is None
    assert settings.sample_skus == DEFAULT_SAMPLE_SKUS
    assert settings.uses_sample_network


def test_empty_variables_count_as_unset() -> None:
    env = {"OMNIROUTE_REDIS_URL": "", "OMNIROUTE_RULES": " ", "OMNIROUTE_DATABASE_URL": ""}
    assert Settings.from_env(env) == Settings()


def test_every_variable_is_read(tmp_path: Path) -> None:
    files = {name: tmp_path / name for name in ("rules.yaml", "network.json", "stock.csv")}
    for path in files.values():
        path.write_text("x")
    settings = Settings.from_env(
        {
            "OMNIROUTE_DATABASE_URL": "postgresql+psycopg2://u@db:5432/omni",
            "OMNIROUTE_REDIS_URL": "redis://cache:6379/2",
            "OMNIROUTE_REDIS_PREFIX": "shop1",
            "OMNIROUTE_RULES": str(files["rules.yaml"]),
            "OMNIROUTE_NETWORK": str(files["network.json"]),
            "OMNIROUTE_INVENTORY": str(files["stock.csv"]),
            "OMNIROUTE_SAMPLE_SKUS": "500",
            "OMNIROUTE_REFRESH_SECONDS": "0.25",
        }
    )
    assert settings == Settings(
        database_url="postgresql+psycopg2://u@db:5432/omni",
        redis_url="redis://cache:6379/2",
        redis_prefix="shop1",
        rules_path=files["rules.yaml"],
        network_path=files["network.json"],
        inventory_path=files["stock.csv"],
        sample_skus=500,
        refresh_seconds=0.25,
    )
    assert not settings.uses_sample_network


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_a_postgresql_url_without_a_driver_gets_the_installed_driver(scheme: str) -> None:
    settings = Settings.from_env({"OMNIROUTE_DATABASE_URL": f"{scheme}://u@db/omni"})
    assert settings.database_url == "postgresql+psycopg2://u@db/omni"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OMNIROUTE_DATABASE_URL", "mysql://u@db/omni"),
        ("OMNIROUTE_DATABASE_URL", "omniroute.db"),
        ("OMNIROUTE_REDIS_URL", "localhost:6379"),
        ("OMNIROUTE_REDIS_PREFIX", "has space"),
        ("OMNIROUTE_RULES", "/no/such/rules.yaml"),
        ("OMNIROUTE_NETWORK", "/no/such/network.json"),
        ("OMNIROUTE_INVENTORY", "/no/such/stock.csv"),
        ("OMNIROUTE_SAMPLE_SKUS", "many"),
        ("OMNIROUTE_SAMPLE_SKUS", "0"),
        ("OMNIROUTE_SAMPLE_SKUS", "-5"),
        ("OMNIROUTE_REFRESH_SECONDS", "soon"),
        ("OMNIROUTE_REFRESH_SECONDS", "-1"),
        ("OMNIROUTE_REFRESH_SECONDS", "nan"),
        ("OMNIROUTE_WAVE_EXECUTOR", "threads"),
        ("OMNIROUTE_WAVE_WORKERS", "two"),
        ("OMNIROUTE_WAVE_WORKERS", "0"),
        ("OMNIROUTE_WAVE_WORKERS", "65"),
        ("OMNIROUTE_WAVE_WORKERS", "1.5"),
        ("OMNIROUTE_MAX_BODY_BYTES", "-1"),
        ("OMNIROUTE_MAX_BODY_BYTES", "0"),
        ("OMNIROUTE_MAX_BODY_BYTES", "10MB"),
        ("OMNIROUTE_MAX_BODY_BYTES", "1e6"),
        ("OMNIROUTE_MAX_BULK_BODY_BYTES", "-512"),
        ("OMNIROUTE_MAX_BULK_BODY_BYTES", "lots"),
        ("OMNIROUTE_RATE_LIMIT", "-1"),
        ("OMNIROUTE_RATE_LIMIT", "fast"),
        ("OMNIROUTE_RATE_LIMIT", "nan"),
        ("OMNIROUTE_RATE_LIMIT", "inf"),
        ("OMNIROUTE_RATE_LIMIT", "2000000"),
        ("OMNIROUTE_RATE_BURST", "-3"),
        ("OMNIROUTE_RATE_BURST", "big"),
        ("OMNIROUTE_RATE_BURST", "0"),
        ("OMNIROUTE_RATE_BURST", "0.5"),
    ],
)
def test_an_unusable_value_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_wave_jobs_default_to_a_pool_of_one_process() -> None:
    settings = Settings.from_env({})
    assert (settings.wave_executor, settings.wave_workers) == (ExecutorKind.process, 1)
    assert settings.ray_address is None


@pytest.mark.parametrize("kind", ["inline", "process", "ray", "Ray"])
def test_the_wave_executor_and_its_workers_are_read(kind: str) -> None:
    settings = Settings.from_env(
        {
            "OMNIROUTE_WAVE_EXECUTOR": kind,
            "OMNIROUTE_WAVE_WORKERS": str(MAX_WAVE_WORKERS),
            "OMNIROUTE_RAY_ADDRESS": "ray-head:6379",
        }
    )
    assert settings.wave_executor is ExecutorKind(kind.lower())
    assert settings.wave_workers == MAX_WAVE_WORKERS
    assert settings.ray_address == "ray-head:6379"


def test_a_directory_is_not_a_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OMNIROUTE_RULES"):
        Settings.from_env({"OMNIROUTE_RULES": str(tmp_path)})


def test_error_for_a_bad_database_url_hides_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"OMNIROUTE_DATABASE_URL": "mysql://admin:s3cret@db/omni"})
    assert "s3cret" not in str(caught.value)
    assert "admin" in str(caught.value)


def test_the_limits_default_and_are_read() -> None:
    default = Settings.from_env({})
    assert default.max_body_bytes == 10 * 1024 * 1024
    assert default.max_bulk_body_bytes == 512 * 1024 * 1024
    assert (default.rate_limit, default.rate_burst) == (1000.0, None)  # burst: twice the rate
    settings = Settings.from_env(
        {
            "OMNIROUTE_MAX_BODY_BYTES": "2000",
            "OMNIROUTE_MAX_BULK_BODY_BYTES": "20000",
            "OMNIROUTE_RATE_LIMIT": "2.5",
            "OMNIROUTE_RATE_BURST": "3",
        }
    )
    assert (settings.max_body_bytes, settings.max_bulk_body_bytes) == (2000, 20000)
    assert (settings.rate_limit, settings.rate_burst) == (2.5, 3.0)
    assert Settings.from_env({"OMNIROUTE_RATE_LIMIT": "0"}).rate_limit == 0.0  # off


def test_a_bulk_limit_below_the_normal_limit_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {"OMNIROUTE_MAX_BODY_BYTES": "5000", "OMNIROUTE_MAX_BULK_BODY_BYTES": "4000"}
        )
    assert caught.value.variable == "OMNIROUTE_MAX_BULK_BODY_BYTES"
    assert "OMNIROUTE_MAX_BODY_BYTES (5000)" in str(caught.value)


def test_an_unset_bulk_limit_is_never_below_the_normal_limit() -> None:
    big = str(1024 * 1024 * 1024)
    settings = Settings.from_env({"OMNIROUTE_MAX_BODY_BYTES": big})
    assert settings.max_bulk_body_bytes == settings.max_body_bytes == int(big)
