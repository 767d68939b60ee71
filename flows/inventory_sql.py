"""The SQL the inventory ledger sends, per dialect, and the bulk transfers of stock rows.

Statements are written once with ``?`` placeholders and given to psycopg2 with ``%s``. The
write of a change on PostgreSQL is ONE query string (``BEGIN; lock and check; upserts;
COMMIT``): it is the hot path of every reservation, so it costs one round trip and one commit.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from flows.inventory_schema import LOCK_KEYS, WRITE_BEGIN, Refs, parse_stock_copy
from inventory.snapshot import Codes

MARKER = "SELECT record_id || '.' || generation FROM inventory_meta WHERE id = 1"
ENSURE_META = (
    "INSERT INTO inventory_meta (id, record_id, generation) VALUES (1, ?, 0) "
    "ON CONFLICT (id) DO NOTHING"
)
NEXT_GENERATION = "UPDATE inventory_meta SET generation = generation + 1 WHERE id = 1"
# Empty = never loaded: no stock row, and no full sync ever (not even one to no stock), so
# start-up seeding never refills a record someone emptied on purpose.
IS_EMPTY = (
    "SELECT 1 FROM inventory_stock UNION ALL "
    "SELECT 1 FROM inventory_meta WHERE id = 1 AND synced LIMIT 1"
)
MARK_SYNCED = "UPDATE inventory_meta SET synced = TRUE WHERE id = 1"
RESERVATIONS = (
    "SELECT id, request, status, expires_at, held, fulfilled, released, seq, updated_at "
    "FROM inventory_reservations ORDER BY id"
)
FORGET_CLOSED = "DELETE FROM inventory_reservations WHERE status <> 'active' AND updated_at < ?"
EXPIRE = (
    "UPDATE inventory_reservations SET status = 'expired', held = '[]', released = ?, "
    "updated_at = ? WHERE id = ? AND status = 'active'"
)
STOCK_ROWS = "SELECT sku_ref, location_ref, on_hand, safety_stock, seq FROM inventory_stock"
_STOCK_INSERT = (
    "INSERT INTO inventory_stock (sku_ref, location_ref, on_hand, safety_stock, seq) VALUES "
)
INSERT_STOCK = _STOCK_INSERT + "(?, ?, ?, ?, ?)"
# The seq guard: concurrent writes may reach the database out of order; a row only ever
# moves to a later state.
_STOCK_CONFLICT = (
    " ON CONFLICT (sku_ref, location_ref) DO UPDATE SET on_hand = excluded.on_hand, "
    "safety_stock = excluded.safety_stock, seq = excluded.seq "
    "WHERE inventory_stock.seq < excluded.seq"
)
UPSERT_STOCK = INSERT_STOCK + _STOCK_CONFLICT
_RESERVATION_INSERT = (
    "INSERT INTO inventory_reservations (id, request, status, expires_at, held, fulfilled, "
    "released, seq, updated_at) VALUES "
)
_RESERVATION_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
_RESERVATION_CONFLICT = (
    " ON CONFLICT (id) DO UPDATE SET request = excluded.request, status = excluded.status, "
    "expires_at = excluded.expires_at, held = excluded.held, fulfilled = excluded.fulfilled, "
    "released = excluded.released, seq = excluded.seq, updated_at = excluded.updated_at "
    "WHERE inventory_reservations.seq < excluded.seq"
)
UPSERT_RESERVATION = _RESERVATION_INSERT + _RESERVATION_ROW + _RESERVATION_CONFLICT

REF_TABLES = {"sku": ("inventory_skus", "sku"), "location": ("inventory_locations", "location_id")}

PG_REBUILD_BEGIN = f"BEGIN; SELECT pg_advisory_xact_lock({LOCK_KEYS})"
# The lock comes before the first query (which takes the snapshot): TRUNCATE, used by a
# rebuild that replaces the stock, is not MVCC-safe, so it must not commit in between.
PG_SNAPSHOT_BEGIN = (
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
    "LOCK TABLE inventory_stock IN ACCESS SHARE MODE"
)
# The table form, not COPY (SELECT ...): no executor projection, measurably faster.
_PG_COPY_OUT = (
    "COPY inventory_stock (sku_ref, location_ref, on_hand, safety_stock, seq) "
    "TO STDOUT WITH (FORMAT binary)"
)
_PG_COPY_IN = "COPY inventory_stock (sku_ref, location_ref, on_hand, safety_stock, seq) FROM STDIN"

StockRow = tuple[int, int, int, int]  # sku ref, location ref, on hand, safety stock
ReservationParams = tuple[str, str, str, float, str, str, str]
SeqStockRow = tuple[int, int, int, int, int]  # ... and the seq of the write
SeqReservationParams = tuple[str, str, str, float, str, str, str, int]


def pg(statement: str) -> str:
    """``statement`` with psycopg2's placeholders (none of these statements holds a ``?``
    or a ``%`` otherwise)."""
    return statement.replace("?", "%s")


def pg_write(
    marker: str,
    wait_ms: int,
    now: float,
    stock: Sequence[SeqStockRow],
    reservations: Sequence[SeqReservationParams],
) -> tuple[str, list[Any]]:
    """The query string (and its parameters) that records changes on PostgreSQL."""
    parts = ["BEGIN;", f"SELECT {WRITE_BEGIN}(%s, %s);"]
    params: list[Any] = [marker, wait_ms]
    if stock:
        # Integers only: formatted in place, which is cheaper than psycopg2 quoting each one.
        values = ",".join(f"({s:d},{loc:d},{oh:d},{ss:d},{q:d})" for s, loc, oh, ss, q in stock)
        parts.extend((_STOCK_INSERT, values, _STOCK_CONFLICT, ";"))
    if reservations:
        parts.append(_RESERVATION_INSERT)
        parts.append(",".join([pg(_RESERVATION_ROW)] * len(reservations)))
        parts.append(_RESERVATION_CONFLICT + ";")
        for values_of in reservations:
            params.extend(values_of)
            params.append(now)
    parts.append("COMMIT")
    return "".join(parts), params


def pg_ensure_refs(kind: str) -> str:
    """Insert the missing names of ``kind`` and answer the refs of all of them, in one trip."""
    table, column = REF_TABLES[kind]
    # Sorted input (the caller sorts) keeps concurrent inserts of overlapping names from
    # deadlocking on the unique index.
    return (
        f"INSERT INTO {table} ({column}) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING; "
        f"SELECT ref, {column} FROM {table} WHERE {column} = ANY(%s)"
    )


def sqlite_ensure_refs(kind: str, count: int) -> tuple[str, str]:
    """``(insert one name, select the refs of ``count`` names)`` of ``kind`` on SQLite."""
    table, column = REF_TABLES[kind]
    return (
        f"INSERT INTO {table} ({column}) VALUES (?) ON CONFLICT DO NOTHING",
        f"SELECT ref, {column} FROM {table} WHERE {column} IN ({', '.join('?' * count)})",
    )


def all_refs(kind: str) -> str:
    table, column = REF_TABLES[kind]
    return f"SELECT ref, {column} FROM {table}"


def pg_read_stock(cursor: Any) -> tuple[Refs, Refs, Codes, Codes, int]:
    """Every stock row, streamed as binary COPY (integers only) and decoded by numpy."""
    buffer = io.BytesIO()
    cursor.copy_expert(_PG_COPY_OUT, buffer)
    return parse_stock_copy(buffer.getbuffer())


def sqlite_read_stock(cursor: Any) -> tuple[Refs, Refs, Codes, Codes, int]:
    cursor.execute(STOCK_ROWS)
    table = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 5)
    seq = int(table[:, 4].max()) if len(table) else 0
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy(), table[:, 3].copy(), seq


class _TextRows(io.RawIOBase):
    """Stock rows as COPY text, produced a chunk at a time so a big replace is never held
    twice in memory."""

    def __init__(self, rows: Sequence[StockRow], chunk: int = 50_000) -> None:
        self._chunks = self._generate(rows, chunk)

    @staticmethod
    def _generate(rows: Sequence[StockRow], chunk: int) -> Iterator[bytes]:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            yield "".join(
                f"{s:d}\t{loc:d}\t{oh:d}\t{ss:d}\t0\n" for s, loc, oh, ss in part
            ).encode()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        del size  # psycopg2 sends whatever length it is given
        return next(self._chunks, b"")


def pg_copy_stock(cursor: Any, rows: Sequence[StockRow]) -> None:
    """Bulk insert with COPY FROM: far faster than INSERT for a record of millions of rows.
    Replaced rows get seq 0: every row of the new generation is then older than any write made
    on a build of it (those start after the snapshot's seq)."""
    cursor.copy_expert(_PG_COPY_IN, _TextRows(rows))
