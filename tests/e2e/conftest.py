"""End-to-end fixtures: the real app over the embedded default and over PostgreSQL + Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from tests.conftest import delete_redis_prefix
from tests.support.auth import api_client

DATA = Path(__file__).parent / "data"


def small_env(database_url: str, redis_url: str | None = None) -> dict[str, str]:
    env = {
        "OMNIROUTE_DATABASE_URL": database_url,
        "OMNIROUTE_NETWORK": str(DATA / "network.json"),
        "OMNIROUTE_RULES": str(DATA / "rules.yaml"),
        "OMNIROUTE_INVENTORY": str(DATA / "inventory.csv"),
    }
    if redis_url is not None:
        env["OMNIROUTE_REDIS_URL"] = redis_url
        env["OMNIROUTE_REDIS_PREFIX"] = f"test-{uuid.uuid4().hex[:10]}"
    return env


@pytest.fixture
def embedded_services(tmp_path: Path) -> Iterator[Services]:
    """SQLite file database and in-process inventory, seeded from tests/e2e/data."""
    services = bootstrap(Settings.from_env(small_env(f"sqlite:///{tmp_path / 'omniroute.db'}")))
    yield services
    services.close()


@pytest.fixture
def production_services(postgres_schema_url: str, redis_url: str) -> Iterator[Services]:
    """PostgreSQL (a fresh schema) and Redis (a fresh key prefix), seeded the same way."""
    services = bootstrap(Settings.from_env(small_env(postgres_schema_url, redis_url)))
    yield services
    services.close()
    delete_redis_prefix(redis_url, services.settings.redis_prefix)


@pytest.fixture(params=["embedded", "production"])
def services(request: pytest.FixtureRequest) -> Services:
    name = "embedded_services" if request.param == "embedded" else "production_services"
    result: Services = request.getfixturevalue(name)
    return result


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with api_client(services) as test_client:
        yield test_client
