"""A worker's view of the API keys: what ``cached`` may answer without the database (the
access middleware calls it on the event loop) and what it leaves to ``authenticate``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from access.errors import Unauthenticated
from access.keys import ApiKey, KeyRequest
from flows.access_store import LAST_USED_EVERY_SECONDS, KeyRing, SqlKeyStore
from flows.db import DocumentStore, make_engine


class CountingStore(SqlKeyStore):
    """The real store, counting its queries and writes."""

    finds = 0
    touches = 0

    def find(self, hashed: str) -> ApiKey | None:
        self.finds += 1
        return super().find(hashed)

    def touch(self, name: str, at: datetime) -> None:
        self.touches += 1
        super().touch(name, at)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ring(tmp_path: Path) -> Iterator[tuple[KeyRing, CountingStore, Clock, str]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    DocumentStore(engine)
    store = CountingStore(engine, lambda: datetime.now(UTC))
    secret = store.create(KeyRequest.of("alice", "ops")).secret
    clock = Clock()
    yield KeyRing(store, clock, 0.5), store, clock, secret
    engine.dispose()


def test_a_key_not_looked_up_yet_is_left_to_authenticate(
    ring: tuple[KeyRing, CountingStore, Clock, str],
) -> None:
    keys, store, _, secret = ring
    assert keys.cached(secret) is None
    assert keys.cached("omr_" + "x" * 43) is None
    assert store.finds == 0


def test_a_key_looked_up_is_answered_without_the_database_until_its_time_is_up(
    ring: tuple[KeyRing, CountingStore, Clock, str],
) -> None:
    keys, store, clock, secret = ring
    assert keys.authenticate(secret).name == "alice"
    assert (store.finds, store.touches) == (1, 1)
    clock.now += 0.4
    found = keys.cached(secret)
    assert found is not None and found.name == "alice"
    clock.now += 0.2  # past the TTL: the database must be asked again
    assert keys.cached(secret) is None
    assert (store.finds, store.touches) == (1, 1)


def test_a_key_seen_refused_is_refused_without_the_database(
    ring: tuple[KeyRing, CountingStore, Clock, str],
) -> None:
    keys, store, _, _ = ring
    unknown = "omr_" + "y" * 43
    with pytest.raises(Unauthenticated):
        keys.authenticate(unknown)
    with pytest.raises(Unauthenticated):
        keys.cached(unknown)
    assert store.finds == 1


def test_a_use_due_to_be_recorded_is_left_to_authenticate(
    ring: tuple[KeyRing, CountingStore, Clock, str],
) -> None:
    _, store, clock, secret = ring
    keys = KeyRing(store, clock, 2 * LAST_USED_EVERY_SECONDS)  # lookups outlive the use
    keys.authenticate(secret)
    clock.now += LAST_USED_EVERY_SECONDS
    assert keys.cached(secret) is None  # the key is fresh, but last_used_at is due: a write
    keys.authenticate(secret)
    assert (store.finds, store.touches) == (1, 2)
