"""API keys and the audit trail in the SQL database (SQLite or PostgreSQL).

Keys live in the configured database, so a key made by ``omniroute keys create`` works on
every worker at once. Each worker keeps what it has looked up for
``OMNIROUTE_KEY_CACHE_SECONDS`` (:class:`KeyRing`): a revocation reaches every worker within
that time without a database round trip on every request.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from access.audit import AuditEntry
from access.errors import KeyExists, KeyNotFound, Unauthenticated
from access.keys import ApiKey, KeyRequest, key_hash, key_hint, new_secret
from access.scopes import Scope
from flows.access_schema import api_keys, audit_log
from flows.order_records import as_utc

LAST_USED_EVERY_SECONDS = 60.0  # last_used_at is written at most this often per key
MAX_AUDIT_PAGE = 1000


def _key_from_row(row: Row[tuple[object, ...]]) -> ApiKey:
    locations = None if row.locations is None else frozenset(json.loads(row.locations))
    return ApiKey(
        name=row.name,
        scopes=frozenset(Scope(s) for s in row.scopes.split(",")),
        locations=locations,
        hint=row.hint,
        created_at=as_utc(row.created_at),
        last_used_at=None if row.last_used_at is None else as_utc(row.last_used_at),
        revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
    )


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


class SqlKeyStore:
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now

    def create(self, request: KeyRequest) -> NewKey:
        secret = new_secret()
        hint = key_hint(secret)
        now = self._now()
        locations = None if request.locations is None else json.dumps(sorted(request.locations))
        values: dict[str, object] = {
            "name": request.name,
            "key_hash": key_hash(secret),
            "hint": hint,
            "scopes": ",".join(sorted(s.value for s in request.scopes)),
            "locations": locations,
            "created_at": now,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(api_keys).values(**values))
        except IntegrityError:
            raise KeyExists(request.name) from None
        key = ApiKey(request.name, request.scopes, request.locations, hint, now)
        return NewKey(key, secret)

    def active(self) -> list[ApiKey]:
        query = select(api_keys).where(api_keys.c.revoked_at.is_(None)).order_by(api_keys.c.name)
        with self._engine.connect() as conn:
            return [_key_from_row(row) for row in conn.execute(query)]

    def has_keys(self) -> bool:
        """Whether any key was ever made (revoked ones too)."""
        with self._engine.connect() as conn:
            return conn.execute(select(api_keys.c.id).limit(1)).first() is not None

    def revoke(self, name: str) -> ApiKey:
        now = self._now()
        table = api_keys
        with self._engine.begin() as conn:
            row = conn.execute(
                select(table).where(table.c.name == name, table.c.revoked_at.is_(None))
            ).one_or_none()
            if row is None:
                raise KeyNotFound(name)
            conn.execute(update(table).where(table.c.id == row.id).values(revoked_at=now))
        return dataclasses.replace(_key_from_row(row), revoked_at=now)

    def find(self, hashed: str) -> ApiKey | None:
        """The active key with this hash, or None."""
        query = select(api_keys).where(
            api_keys.c.key_hash == hashed, api_keys.c.revoked_at.is_(None)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else _key_from_row(row)

    def touch(self, name: str, at: datetime) -> None:
        table = api_keys
        with self._engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.name == name, table.c.revoked_at.is_(None))
                .values(last_used_at=at)
            )


class KeyRing:
    """A worker's view of the keys: ``authenticate`` looks a key up at most every
    ``ttl_seconds`` (unknown keys too, so a flood of bad keys costs one query per key per
    period) and records the key's use at most every ``LAST_USED_EVERY_SECONDS``. ``cached``
    answers without any I/O whenever the view can, so the event loop only waits for the
    database in a thread (see the access middleware)."""

    def __init__(self, store: SqlKeyStore, clock: Callable[[], float], ttl_seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl_seconds
        self._seen: dict[str, tuple[float, ApiKey | None]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def cached(self, secret: str) -> ApiKey | None:
        """``authenticate`` when it needs no query and no write: the key, or Unauthenticated
        for a key this worker saw refused; None when only :meth:`authenticate` can tell."""
        now = self._clock()
        seen = self._seen.get(key_hash(secret))
        if seen is None or now - seen[0] >= self._ttl:
            return None
        key = _known(seen[1])
        return None if self._use_due(key, now) else key

    def authenticate(self, secret: str) -> ApiKey:
        hashed = key_hash(secret)
        now = self._clock()
        seen = self._seen.get(hashed)
        if seen is None or now - seen[0] >= self._ttl:
            found = self._store.find(hashed)
            with self._lock:
                if len(self._seen) > 10_000:  # bounded: a flood of random keys
                    self._seen.clear()
                self._seen[hashed] = (now, found)
        else:
            found = seen[1]
        key = _known(found)
        if self._use_due(key, now):
            self._touched[key.name] = now
            self._store.touch(key.name, datetime.fromtimestamp(now, tz=UTC))
        return key

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()

    def _use_due(self, key: ApiKey, now: float) -> bool:
        last = self._touched.get(key.name)
        return last is None or now - last >= LAST_USED_EVERY_SECONDS


def _known(key: ApiKey | None) -> ApiKey:
    if key is None:
        raise Unauthenticated("unknown or revoked API key")
    return key


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, entry: AuditEntry) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(audit_log).values(
                    at=entry.at,
                    key_name=entry.key[:80],
                    action=entry.action[:64],
                    target=entry.target,
                    record=None if entry.record is None else entry.record[:255],
                    status=entry.status,
                    outcome=entry.outcome,
                )
            )

    def entries(
        self,
        *,
        since: datetime | None = None,
        key: str | None = None,
        action: str | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Oldest first; ``after_id`` continues a page."""
        table = audit_log
        query = select(table).order_by(table.c.id).limit(min(limit, MAX_AUDIT_PAGE))
        if since is not None:
            query = query.where(table.c.at >= since)
        if key is not None:
            query = query.where(table.c.key_name == key)
        if action is not None:
            query = query.where(table.c.action == action)
        if after_id is not None:
            query = query.where(table.c.id > after_id)
        with self._engine.connect() as conn:
            return [_entry_from_row(row) for row in conn.execute(query)]


def _entry_from_row(row: Row[tuple[object, ...]]) -> AuditEntry:
    return AuditEntry(
        at=as_utc(row.at),
        key=row.key_name,
        action=row.action,
        target=row.target,
        record=row.record,
        status=row.status,
        outcome=row.outcome,
        id=row.id,
    )


__all__: Sequence[str] = ["KeyRing", "NewKey", "SqlAuditLog", "SqlKeyStore"]
