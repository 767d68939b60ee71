"""Shared fixtures: real services for the integration suites.

``redis_url`` / ``database_url`` point at a reachable server (env OMNIROUTE_TEST_REDIS_URL /
OMNIROUTE_TEST_DATABASE_URL, defaults on loopback). When the server cannot be reached the
test is skipped with a loud reason, except under CI=true where a missing service fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.support.fixtures", "tests.support.orders"]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
DEFAULT_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _unreachable(service: str, url: str, variable: str, error: Exception) -> None:
    reason = (
        f"!!! {service} NOT REACHABLE at {url} ({error.__class__.__name__}: {error}); "
        f"start it or set {variable} !!!"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: a missing service fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return reachable_redis(os.environ.get("OMNIROUTE_TEST_REDIS_URL", DEFAULT_REDIS_URL))


def reachable_redis(url: str) -> str:
    """``url`` when Redis answers there; otherwise skip (or fail under CI=true)."""
    import redis  # test-only dependency of the integration suites

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        _unreachable("Redis", url, "OMNIROUTE_TEST_REDIS_URL", exc)
    return url


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg2://...``) as a libpq connection URI."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


@pytest.fixture(scope="session")
def database_url() -> str:
    return reachable_database(os.environ.get("OMNIROUTE_TEST_DATABASE_URL", DEFAULT_DATABASE_URL))


def reachable_database(url: str) -> str:
    """``url`` when PostgreSQL accepts a connection; otherwise skip (or fail under CI=true)."""
    import psycopg2  # type: ignore[import-untyped]

    try:
        psycopg2.connect(libpq_url(url), connect_timeout=2).close()
    except (psycopg2.Error, OSError, ValueError) as exc:
        _unreachable("PostgreSQL", url, "OMNIROUTE_TEST_DATABASE_URL", exc)
    return url


@pytest.fixture
def postgres_schema_url(database_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema (dropped afterwards): raw SQL
    sees it too, unlike a SQLAlchemy ``schema_translate_map``."""
    import sqlalchemy as sa

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def delete_redis_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix:`` (test isolation: each test writes its own prefix)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
