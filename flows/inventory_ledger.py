"""The durable inventory record in SQL (SQLite embedded, PostgreSQL in production).

The caches (``MemoryInventory``, ``RedisInventory``) are rebuilt from this record; every cache
write is recorded here before it is acknowledged. Writers and rebuilds share one lock:
writers take it shared (they never wait for each other), a rebuild takes it exclusively, so a
rebuild sees every write that was acknowledged and a writer that waited for a rebuild finds a
new marker and gets ``CacheStale``. On PostgreSQL the lock is a transaction-scoped advisory
lock; on SQLite the database's single write lock plays both roles (writes serialise there).

Tables and row conversions: :mod:`flows.inventory_schema`; statements: :mod:`flows.inventory_sql`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from flows.errors import ConfigError
from flows.inventory_schema import STALE_SQLSTATE, reservation_values, stock_columns
from flows.inventory_schema import stored_reservation as read_reservation
from flows.inventory_sql import (
    ENSURE_META,
    EXPIRE,
    FORGET_CLOSED,
    INSERT_STOCK,
    IS_EMPTY,
    MARK_SYNCED,
    MARKER,
    NEXT_GENERATION,
    PG_REBUILD_BEGIN,
    PG_SNAPSHOT_BEGIN,
    RESERVATIONS,
    UPSERT_RESERVATION,
    UPSERT_STOCK,
    StockRow,
    all_refs,
    pg,
    pg_copy_stock,
    pg_ensure_refs,
    pg_read_stock,
    pg_write,
    sqlite_ensure_refs,
    sqlite_read_stock,
)
from inventory.checks import settled
from inventory.errors import CacheNotReady, CacheStale, RecordUnavailable
from inventory.model import Change, InventoryRecord, StockCell, StoredReservation
from inventory.snapshot import Snapshot

DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600
DEFAULT_LOCK_TIMEOUT_SECONDS = 5.0
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout passed
_BUSY = "inventory is being rebuilt or synced; retry"
_PG_IDLE = 0  # psycopg2.extensions.TRANSACTION_STATUS_IDLE
_SQLITE_IN_CHUNK = 500  # names per "IN (...)": far below SQLite's variable limit


class SqlInventoryLedger:
    """``InventoryLedger`` over a SQLAlchemy engine whose tables ``DocumentStore`` created."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] = time.time,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    ) -> None:
        name = engine.dialect.name
        if name not in ("sqlite", "postgresql"):
            raise ConfigError("OMNIROUTE_DATABASE_URL", f"unsupported database {name!r}")
        self._engine = engine
        self._pg = name == "postgresql"
        self._clock = clock
        self._retention = retention_seconds
        self._wait_ms = max(1, round(lock_timeout_seconds * 1000))
        self._db_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        # Refs are never deleted or renumbered, so a ref once read stays right forever.
        self._refs: dict[str, dict[str, int]] = {"sku": {}, "location": {}}
        self._idle: list[Any] = []  # PostgreSQL connections of our own, see _connection
        self._idle_lock = threading.Lock()
        self._meta_exists = False

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    # -- the InventoryLedger protocol ----------------------------------------------------

    def marker(self) -> str:
        with self._cursor() as cur:
            if not self._meta_exists:  # a write once per process, not on every look
                cur.execute(self._q(ENSURE_META), (uuid.uuid4().hex,))
                self._commit(cur)
                self._meta_exists = True
            cur.execute(MARKER)
            return str(cur.fetchone()[0])

    def is_empty(self) -> bool:
        with self._cursor() as cur:
            cur.execute(IS_EMPTY)
            return cur.fetchone() is None

    def write(self, change: Change) -> None:
        self.write_many([change])

    def write_many(self, changes: Sequence[Change]) -> None:
        """Record several changes of one build in ONE transaction (one commit, one flush):
        how concurrent writers share the cost of durability. Each row keeps its own seq."""
        if not changes:
            return
        marker = changes[0].marker
        if any(change.marker != marker for change in changes):
            raise ValueError("write_many: every change must be of the same build")
        cells: dict[tuple[str, str], tuple[int, StockCell]] = {}
        reservations: dict[str, tuple[int, StoredReservation]] = {}
        for change in changes:  # per key, the state of the latest write wins
            for cell in change.cells:
                key = (cell.sku, cell.location_id)
                if key not in cells or cells[key][0] < change.seq:
                    cells[key] = (change.seq, cell)
            for stored in change.reservations:
                rid = stored.reservation.id
                if rid not in reservations or reservations[rid][0] < change.seq:
                    reservations[rid] = (change.seq, stored)
        sku_refs = self._resolve("sku", {sku for sku, _ in cells})
        location_refs = self._resolve("location", {loc for _, loc in cells})
        stock = [
            (sku_refs[c.sku], location_refs[c.location_id], c.on_hand, c.safety_stock, seq)
            for seq, c in cells.values()
        ]
        values = [(*reservation_values(s), seq) for seq, s in reservations.values()]
        now = self._clock()
        if self._pg:
            query, params = pg_write(marker, self._wait_ms, now, stock, values)
            try:
                with self._cursor() as cur:
                    cur.execute(query, params)
            except RecordUnavailable as error:
                if not self._connection_lost(error):
                    raise
                # Pooled connections die together (a server restart): drop them all and try
                # once more. Safe even if the first attempt committed: the seq guard makes a
                # repeated change a no-op, and a marker gone stale since answers CacheStale.
                self.close()
                with self._cursor() as cur:
                    cur.execute(query, params)
            return
        with self._cursor() as cur:
            cur.execute("BEGIN IMMEDIATE")  # the write lock first: no upgrade, no deadlock
            cur.execute(MARKER)
            row = cur.fetchone()
            if row is None or row[0] != marker:
                raise CacheStale(f"inventory change made on build {marker}, not current")
            cur.executemany(UPSERT_STOCK, stock)
            cur.executemany(UPSERT_RESERVATION, [(*v, now) for v in values])
            cur.execute("COMMIT")

    def rebuild(
        self,
        build: Callable[[Snapshot], None],
        *,
        replace: Sequence[InventoryRecord] | None = None,
        unless_built: Callable[[], str | None] | None = None,
    ) -> Snapshot | None:
        rows = None if replace is None else self._replacement(replace)
        self.marker()  # the record exists before anyone waits on it
        with self._cursor() as cur:
            # Exclusive: waits for the writes in flight, holds new ones until we commit.
            cur.execute(PG_REBUILD_BEGIN if self._pg else "BEGIN IMMEDIATE")
            if unless_built is not None:
                cur.execute(MARKER)
                if unless_built() == cur.fetchone()[0]:
                    return None  # _cursor rolls back
            if rows is not None:
                if self._pg:
                    cur.execute("TRUNCATE inventory_stock")  # transactional in PostgreSQL
                    pg_copy_stock(cur, rows)
                else:
                    cur.execute("DELETE FROM inventory_stock")
                    cur.executemany(INSERT_STOCK, [(*row, 0) for row in rows])
                cur.execute(MARK_SYNCED)  # a record synced to nothing is not an empty one
            cur.execute(NEXT_GENERATION)
            snapshot = self._read(cur, persist=True)
            build(snapshot)  # raising here rolls everything back
            cur.execute("COMMIT")
            return snapshot

    def snapshot(self) -> Snapshot:
        self.marker()
        with self._cursor() as cur:
            # One consistent view of stock and reservations, without locking writers out.
            cur.execute(PG_SNAPSHOT_BEGIN if self._pg else "BEGIN")
            return self._read(cur, persist=False)

    # -- reading -------------------------------------------------------------------------

    def _read(self, cur: Any, *, persist: bool) -> Snapshot:
        """The record in ``cur``'s transaction; with ``persist``, the reservations whose time
        has come are written as expired and closed ones past retention are deleted."""
        now = self._clock()
        forget_before = now - self._retention
        cur.execute(MARKER)
        marker = str(cur.fetchone()[0])
        if persist:
            cur.execute(self._q(FORGET_CLOSED), (forget_before,))
        cur.execute(RESERVATIONS)
        reservations: list[StoredReservation] = []
        newly_expired: list[tuple[str, float, str]] = []
        seq = 0
        for row in cur.fetchall():
            seq = max(seq, int(row[7]))
            stored = read_reservation(row)
            status = stored.reservation.status
            if status != "active" and float(row[8]) < forget_before:
                continue
            if status == "active" and stored.reservation.expires_at <= now:
                stored = StoredReservation(settled(stored.reservation, now), stored.request)
                newly_expired.append((reservation_values(stored)[6], now, stored.reservation.id))
            reservations.append(stored)
        if persist and newly_expired:
            cur.executemany(self._q(EXPIRE), newly_expired)
        sku, location, on_hand, safety, stock_seq = (
            pg_read_stock(cur) if self._pg else sqlite_read_stock(cur)
        )
        names: dict[str, dict[int, str]] = {}
        for kind in ("sku", "location"):
            cur.execute(all_refs(kind))
            names[kind] = {int(ref): str(name) for ref, name in cur.fetchall()}
        stock = stock_columns(sku, location, on_hand, safety, names["sku"], names["location"])
        return Snapshot(marker, max(seq, stock_seq), stock, tuple(reservations))

    # -- refs ----------------------------------------------------------------------------

    def _replacement(self, records: Sequence[InventoryRecord]) -> list[StockRow]:
        latest = {(r.sku, r.location_id): r for r in records}  # a repeated cell: last wins
        sku_refs = self._resolve("sku", {sku for sku, _ in latest})
        location_refs = self._resolve("location", {loc for _, loc in latest})
        return [
            (sku_refs[r.sku], location_refs[r.location_id], r.on_hand, r.safety_stock)
            for r in latest.values()
        ]

    def _resolve(self, kind: str, names: set[str]) -> dict[str, int]:
        """Refs of ``names``, inserting the new ones. Committed on their own, before the
        write that needs them: an unused ref is harmless, and the write stays one trip."""
        known = self._refs[kind]
        missing = sorted(name for name in names if name not in known)
        if missing:
            with self._cursor() as cur:
                if self._pg:
                    cur.execute(pg_ensure_refs(kind), (missing, missing))
                    known.update((str(name), int(ref)) for ref, name in cur.fetchall())
                else:
                    self._sqlite_refs(cur, kind, missing)
        return known

    def _sqlite_refs(self, cur: Any, kind: str, missing: list[str]) -> None:
        insert, _ = sqlite_ensure_refs(kind, 0)
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(insert, [(name,) for name in missing])
        cur.execute("COMMIT")
        for start in range(0, len(missing), _SQLITE_IN_CHUNK):
            chunk = missing[start : start + _SQLITE_IN_CHUNK]
            _, select = sqlite_ensure_refs(kind, len(chunk))
            cur.execute(select, chunk)
            self._refs[kind].update((str(name), int(ref)) for ref, name in cur.fetchall())

    # -- connections ---------------------------------------------------------------------

    def _q(self, statement: str) -> str:
        return pg(statement) if self._pg else statement

    def _commit(self, cur: Any) -> None:
        if not self._pg:  # psycopg2 connections here are in autocommit mode
            cur.connection.commit()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A DBAPI cursor; a transaction left open (an error, an early return) is rolled back
        and every database error becomes an inventory error."""
        with self._connection() as connection:
            cursor = connection.cursor()
            try:
                yield cursor
            except self._db_error as error:
                raise self._translate(error) from error
            finally:
                self._end_transaction(connection)

    def _end_transaction(self, connection: Any) -> None:
        try:
            if not self._pg:
                connection.rollback()  # a no-op unless a transaction is open
            elif not connection.closed and connection.info.transaction_status != _PG_IDLE:
                connection.cursor().execute("ROLLBACK")
        except self._db_error:
            if self._pg:
                connection.close()  # unusable: _connection drops it

    def _connection_lost(self, error: Exception) -> bool:
        dbapi = self._engine.dialect.loaded_dbapi
        return isinstance(error.__cause__, dbapi.OperationalError | dbapi.InterfaceError)

    def _translate(self, error: Exception) -> Exception:
        code = getattr(error, "pgcode", None)
        if code == STALE_SQLSTATE:
            detail = getattr(error, "diag", None)
            return CacheStale(str(detail.message_primary if detail else error))
        if code == _LOCK_NOT_AVAILABLE or "database is locked" in str(error):
            return CacheNotReady(_BUSY)
        return RecordUnavailable(f"the inventory record cannot be used: {error}".strip())

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if not self._pg:
            try:
                fairy = self._engine.raw_connection()
            except self._db_error as error:
                raise self._translate(error) from error
            try:
                yield fairy
            finally:
                fairy.close()
            return
        connection = self._pg_connection()
        try:
            yield connection
        finally:
            if not connection.closed:
                with self._idle_lock:
                    self._idle.append(connection)

    def _pg_connection(self) -> Any:
        """A psycopg2 connection of our own, in autocommit mode so the write's query string
        carries its BEGIN and COMMIT (no separate BEGIN round trip), and kept out of the
        engine's pool so no pre-ping precedes every write. A dead one is dropped on error."""
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        try:
            fairy = self._engine.raw_connection()
        except self._db_error as error:
            raise self._translate(error) from error
        fairy.detach()
        connection = fairy.dbapi_connection
        assert connection is not None
        connection.autocommit = True
        return connection
