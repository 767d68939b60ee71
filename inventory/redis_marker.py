"""The build marker of the Redis inventory cache: adopting the build in use, checking it with
every read and write, building a new one aside and switching to it. Key layout and the why:
:mod:`inventory.redis_store` (``RedisInventory`` extends ``RedisBuilds``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

import redis

from inventory import redis_build as bulk
from inventory.errors import CacheNotReady, InventoryUnavailable
from inventory.redis_lean import LeanScript
from inventory.redis_scripts import INVALIDATE
from inventory.slots import SlotIndexCache
from inventory.snapshot import Snapshot

DEFAULT_RETENTION_SECONDS = 7 * 24 * 60 * 60
STANDALONE = "standalone.0"  # the marker of an inventory used without a record
NOT_READY = "inventory cache is being rebuilt from the record; retry shortly"
T = TypeVar("T")


@contextmanager
def redis_errors() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise InventoryUnavailable(f"Redis inventory failed: {exc}") from exc


def as_bytes(value: object) -> bytes:
    """Replies are bytes (the client must not decode them); this narrows the type."""
    if not isinstance(value, bytes):
        raise InventoryUnavailable(f"unexpected Redis reply {value!r}")
    return value


class Moved(Exception):
    """Another build is in use than the one adopted: adopt ``marker`` and try again."""

    def __init__(self, marker: str) -> None:
        super().__init__(marker)
        self.marker = marker


@dataclass(frozen=True, slots=True)
class Build:
    """The adopted build: replaced as a whole, so a thread never mixes two builds' slots."""

    marker: str
    namespace: str
    slots: dict[str, int] = field(default_factory=dict)
    indexes: SlotIndexCache = field(default_factory=SlotIndexCache)


class RedisBuilds:
    """Adoption of the build in use and the build lifecycle (``InventoryCache`` minus the
    inventory operations, which :class:`~inventory.redis_store.RedisInventory` adds)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "omniroute:inv",
        clock: Callable[[], float] = time.time,
        retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ValueError("prefix: expected a non-empty string without braces")
        if client.get_connection_kwargs().get("decode_responses"):
            raise ValueError("client: RedisInventory needs decode_responses=False (packed bytes)")
        self._redis = client
        self._prefix = prefix
        self._marker_key = f"{prefix}:marker"
        self._clock = clock
        self._retention = retention_seconds
        self._invalidate = LeanScript(client, INVALIDATE)
        self._build: Build | None = None
        self._build_lock = threading.Lock()  # one build at a time from this process

    @classmethod
    def standalone(
        cls,
        client: redis.Redis,
        prefix: str = "omniroute:inv",
        clock: Callable[[], float] = time.time,
        retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    ) -> Self:
        """An inventory without a durable record (tests, benchmarks): marks an empty build
        ``standalone.0`` unless a build is in use, and adopts whichever is."""
        inventory = cls(client, prefix, clock, retention_seconds)
        with redis_errors():
            client.set(inventory._marker_key, STANDALONE, nx=True)
        inventory._current()
        return inventory

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def namespace(self) -> str:
        """``P:<marker>`` of the adopted build: where its keys are."""
        return self._current().namespace

    # -- builds ------------------------------------------------------------------------------

    def _adopt(self, marker: str) -> Build:
        build = Build(marker, f"{self._prefix}:{marker}")
        self._build = build
        return build

    def _current(self) -> Build:
        build = self._build
        if build is not None:
            return build
        marker = self.built_from()
        if marker is None:
            raise CacheNotReady(NOT_READY)
        return self._adopt(marker)

    def _check(self, build: Build, raw_marker: object) -> None:
        """Raise unless ``raw_marker`` (read with the data) is the build ``build``."""
        if raw_marker is None:
            raise CacheNotReady(NOT_READY)
        marker = as_bytes(raw_marker).decode()
        if marker != build.marker:
            raise Moved(marker)

    def _with_build(self, op: Callable[[Build], T]) -> T:
        """``op`` on the adopted build; once more on the new one if another is in use."""
        try:
            return op(self._current())
        except Moved as moved:
            build = self._adopt(moved.marker)
        try:
            return op(build)
        except Moved as moved:
            self._adopt(moved.marker)
            raise CacheNotReady(NOT_READY) from None

    def _run(self, script: Any, now: float, args: list[Any]) -> tuple[str, list[Any]]:
        """A Lua script on the adopted build: (the build's marker, the reply)."""

        def call(build: Build) -> tuple[str, list[Any]]:
            head = [self._prefix, build.marker, repr(now), self._retention]
            with redis_errors():
                reply = script(keys=[self._marker_key], args=head + args)
            if reply[0] == b"notready":
                raise CacheNotReady(NOT_READY)
            if reply[0] == b"moved":
                raise Moved(as_bytes(reply[1]).decode())
            return build.marker, reply

        return self._with_build(call)

    def built_from(self) -> str | None:
        with redis_errors():
            raw = self._redis.get(self._marker_key)
        return None if raw is None else as_bytes(raw).decode()

    def build(self, snapshot: Snapshot, before_switch: Callable[[], None] | None = None) -> None:
        """Write ``snapshot`` aside, (call ``before_switch``), switch. The old build is only
        listed as stale here; :meth:`discard_stale` deletes it, after the record's exclusive
        lock is released (seconds at 50 million cells, which writers need not wait for)."""
        marker = snapshot.marker
        if not marker or any(c in marker for c in "{}:") or marker.strip() != marker:
            raise ValueError(f"marker: expected no braces, colons or spaces, got {marker!r}")
        stale = f"{self._prefix}:stale"
        namespace = f"{self._prefix}:{marker}"
        with self._build_lock, redis_errors():
            if self.built_from() == marker:  # writing aside would overwrite the build in use
                raise ValueError(f"marker: {marker!r} is the build in use")
            # listed first: a build that fails half-way is deleted by the next one
            self._redis.sadd(stale, marker)
            bulk.delete_namespace(self._redis, namespace)
            bulk.write_namespace(self._redis, namespace, snapshot, self._retention)
            if before_switch is not None:
                before_switch()
            previous = self._redis.set(self._marker_key, marker, get=True)
            self._redis.srem(stale, marker)
            self._adopt(marker)
            if previous is not None:
                self._redis.sadd(stale, as_bytes(previous))

    def discard_stale(self) -> None:
        """Delete every build but the one in use (old ones, and builds that failed halfway)."""
        stale = f"{self._prefix}:stale"
        with self._build_lock, redis_errors():
            current = self.built_from()
            for raw in self._redis.smembers(stale):
                old = as_bytes(raw).decode()
                if old != current:
                    bulk.delete_namespace(self._redis, f"{self._prefix}:{old}")
                    self._redis.srem(stale, old)

    def invalidate(self, marker: str) -> None:
        with redis_errors():
            self._invalidate(keys=[self._marker_key, f"{self._prefix}:stale"], args=[marker])

    def dump(self) -> Snapshot:
        """The build in use. Not one atomic read: writes made while it runs may show in the
        cells and reservations; ``seq`` is read first, so the dump is at least that new."""

        def read(build: Build) -> Snapshot:
            ns = build.namespace
            with redis_errors():
                pipe = self._redis.pipeline(transaction=True)
                pipe.get(self._marker_key)
                pipe.get(f"{ns}:seq")
                pipe.hgetall(f"{ns}:slots")
                raw_marker, seq, slots = pipe.execute()
                self._check(build, raw_marker)
                by_slot = sorted((int(s), as_bytes(loc).decode()) for loc, s in slots.items())
                stock = bulk.read_stock(self._redis, ns, [loc for _, loc in by_slot])
                reservations = bulk.read_reservations(self._redis, ns)
                self._check(build, self._redis.get(self._marker_key))  # not deleted meanwhile
            return Snapshot(build.marker, int(seq or 0), stock, reservations)

        return self._with_build(read)

    def _refresh_slots(self, build: Build) -> Build:
        with redis_errors():
            pipe = self._redis.pipeline(transaction=True)  # the slots of the build checked
            pipe.get(self._marker_key)
            pipe.hgetall(f"{build.namespace}:slots")
            raw_marker, raw = pipe.execute()
        self._check(build, raw_marker)
        fresh = {as_bytes(k).decode(): int(v) for k, v in raw.items()}
        if len(fresh) <= len(build.slots):
            return build
        grown = Build(build.marker, build.namespace, fresh, build.indexes)
        if self._build is not None and self._build.marker == build.marker:
            self._build = grown
        return grown

    def _slot_map(self, build: Build, location_ids: Iterable[str]) -> Build:
        """``build``, with its slots refreshed when one of ``location_ids`` is not known yet."""
        if any(loc not in build.slots for loc in location_ids):
            return self._refresh_slots(build)
        return build

    def is_empty(self) -> bool:
        marker = self.built_from()
        if marker is None:
            return True
        with redis_errors():
            return int(self._redis.get(f"{self._prefix}:{marker}:nslots") or 0) == 0
