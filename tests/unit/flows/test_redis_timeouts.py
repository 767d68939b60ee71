"""A Redis that stops answering fails the request (503 upstream) instead of holding it, and the
rate limit (on the event loop) lets requests through after a quarter of a second."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from flows.bootstrap import make_limiter, redis_client
from flows.settings import Settings
from inventory.errors import InventoryUnavailable
from inventory.model import ReservationLine
from inventory.redis_store import RedisInventory


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A Redis URL whose listener completes connections (the kernel's backlog) and never
    answers: a hung or partitioned Redis, as a client sees it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def seconds_until_done(call: Callable[[], object], limit: float = 5.0) -> float:
    """How long ``call`` took; ``limit`` (a failure) if it was still waiting then. It runs
    in a daemon thread so that a call which never returns fails the test, not hangs it."""
    done = threading.Event()

    def run() -> None:
        with contextlib.suppress(InventoryUnavailable):
            call()
        done.set()

    began = time.monotonic()
    threading.Thread(target=run, daemon=True).start()
    done.wait(limit)
    return time.monotonic() - began if done.is_set() else limit


def test_reads_and_reservations_on_a_silent_redis_fail_after_the_timeout(silent_url: str) -> None:
    inventory = RedisInventory(redis_client(silent_url, 0.2), prefix="omniroute-test:silent")
    assert seconds_until_done(lambda: inventory.atf_matrix(["SKU-1"], ["DC01"])) < 3
    line = ReservationLine("DC01", "SKU-1", 1)
    assert seconds_until_done(lambda: inventory.reserve("R1", [line], 60)) < 3
    with pytest.raises(InventoryUnavailable):
        inventory.atf_matrix(["SKU-1"], ["DC01"])


def test_a_timeout_in_the_url_wins_over_the_services_default(silent_url: str) -> None:
    client = redis_client(f"{silent_url}?socket_timeout=0.2&socket_connect_timeout=0.2", 60)
    inventory = RedisInventory(client, prefix="omniroute-test:silent")
    assert seconds_until_done(lambda: inventory.atf_matrix(["SKU-1"], ["DC01"])) < 3


def test_the_rate_limit_lets_requests_through_long_before_the_inventorys_timeout(
    silent_url: str,
) -> None:
    settings = dataclasses.replace(Settings(), redis_url=silent_url, rate_limit=5.0)
    limiter, close = make_limiter(settings)
    began = time.monotonic()
    assert limiter.take("key-1") == 0.0  # let through: the limit fails open
    # its own 0.25 s, not the inventory's 5 s (room left for a loaded machine)
    assert time.monotonic() - began < 2.5
    close()
