"""The shared service fixtures skip when a server is missing, but fail the run under CI=true."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import reachable_database, reachable_redis

UNREACHABLE = {
    "redis": (reachable_redis, "redis://127.0.0.1:1/15"),
    "postgres": (reachable_database, "postgresql+psycopg2://postgres@127.0.0.1:1/test"),
}


@pytest.mark.parametrize("service", sorted(UNREACHABLE))
def test_missing_service_skips_outside_ci(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    check, url = UNREACHABLE[service]
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="NOT REACHABLE"):
        check(url)


@pytest.mark.parametrize("service", sorted(UNREACHABLE))
def test_missing_service_fails_under_ci(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    check: Callable[[str], str]
    check, url = UNREACHABLE[service]
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        check(url)
