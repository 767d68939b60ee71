"""Fixtures over :mod:`tests.support.processes`, registered for the whole suite by
``pytest_plugins`` in ``tests/conftest.py``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import PrivateRedis


def _missing(what: str, hint: str) -> None:
    """Skip with a loud reason, or fail under CI=true (as ``_unreachable`` in tests/conftest)."""
    reason = f"!!! {what} NOT INSTALLED; {hint} !!!"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: a missing service fails the run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A started ``redis-server`` of this test's own on a free loopback port (never 6379),
    empty, no persistence; stopped after the test whatever happened."""
    if shutil.which("redis-server") is None:
        _missing("redis-server", "install it (e.g. apt-get install redis-server) or put it on PATH")
    server = PrivateRedis(tmp_path / "private-redis")
    try:
        server.start()
        yield server
    finally:
        server.close()
