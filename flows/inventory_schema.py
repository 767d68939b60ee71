"""Tables of the durable inventory record, and the pure conversions between rows and the
inventory types. Used by :mod:`flows.inventory_ledger`; :mod:`flows.db` adds the tables to
its metadata. The migrations (``flows/migrations``) create them, and on PostgreSQL the write
function ``omniroute_inventory_write_begin``; a change here needs a new migration.

- ``inventory_meta(id = 1, record_id, generation)``: the record's marker ``<record id>.<gen>``.
- ``inventory_skus`` / ``inventory_locations``: text ids as integer refs, so that a rebuild
  streams integers for tens of millions of cells instead of text.
- ``inventory_stock(sku_ref, location_ref, on_hand, safety_stock, seq)``.
- ``inventory_reservations(id, request, status, expires_at, held, fulfilled, released, seq,
  updated_at)``: full reservation state, lines as JSON ``[[location, sku, quantity], ...]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    false,
)

from inventory.checks import encode_lines, stored_from_text
from inventory.model import StoredReservation
from inventory.snapshot import Codes, StockColumns

LOCK_CLASS = 0x696E7600  # "inv\0": first key of the writers/rebuild advisory lock
# The second key is the schema, so records in different schemas never wait for each other.
LOCK_KEYS = f"{LOCK_CLASS}, hashtext(current_schema())"
STALE_SQLSTATE = "OR409"  # raised by WRITE_BEGIN when a change names another build
WRITE_BEGIN = "omniroute_inventory_write_begin"

# WRITE_BEGIN(expected, wait_ms), one call per write (the hot path): take the writers' shared
# lock on LOCK_KEYS, waiting at most ``wait_ms`` for a rebuild, then check the marker and raise
# STALE_SQLSTATE if it names another build. In plpgsql so that the lock, the check and the
# writes travel to the server in one query string. The migrations create it with these values
# spelled out, so changing them needs a migration that replaces it (a test compares them).

STOCK_DTYPE = np.dtype(  # one row of COPY (sku_ref, location_ref, on_hand, safety_stock, seq)
    [
        ("fields", ">i2"),
        ("sku_len", ">i4"),
        ("sku", ">i4"),
        ("location_len", ">i4"),
        ("location", ">i4"),
        ("on_hand_len", ">i4"),
        ("on_hand", ">i8"),
        ("safety_len", ">i4"),
        ("safety_stock", ">i8"),
        ("seq_len", ">i4"),
        ("seq", ">i8"),
    ]
)
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"

Refs = npt.NDArray[Any]  # integer arrays, whatever their width and byte order


def add_inventory_tables(metadata: MetaData) -> None:
    """Define the inventory tables in ``metadata``."""
    Table(
        "inventory_meta",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("record_id", Text, nullable=False),
        Column("generation", BigInteger, nullable=False),
        Column("synced", Boolean, nullable=False, server_default=false()),
        CheckConstraint("id = 1", name="inventory_meta_singleton"),
    )
    for name, column in (("inventory_skus", "sku"), ("inventory_locations", "location_id")):
        Table(
            name,
            metadata,
            Column("ref", Integer, primary_key=True, autoincrement=True),
            Column(column, Text, nullable=False, unique=True),
        )
    Table(
        "inventory_stock",
        metadata,
        Column("sku_ref", Integer, nullable=False),
        Column("location_ref", Integer, nullable=False),
        Column("on_hand", BigInteger, nullable=False),
        Column("safety_stock", BigInteger, nullable=False),
        Column("seq", BigInteger, nullable=False),
        PrimaryKeyConstraint("sku_ref", "location_ref"),
    )
    Table(
        "inventory_reservations",
        metadata,
        Column("id", Text, primary_key=True),
        Column("request", Text, nullable=False),
        Column("status", Text, nullable=False),
        Column("expires_at", Float, nullable=False),
        Column("held", Text, nullable=False),
        Column("fulfilled", Text, nullable=False),
        Column("released", Text, nullable=False),
        Column("seq", BigInteger, nullable=False),
        Column("updated_at", Float, nullable=False),
    )


# -- reservations ----------------------------------------------------------------------------


def reservation_values(stored: StoredReservation) -> tuple[str, str, str, float, str, str, str]:
    """``(id, request, status, expires_at, held, fulfilled, released)`` of ``stored``."""
    r = stored.reservation
    return (
        r.id,
        encode_lines(stored.request),
        r.status,
        float(r.expires_at),
        encode_lines(r.lines),
        encode_lines(r.fulfilled),
        encode_lines(r.released),
    )


def stored_reservation(row: tuple[Any, ...]) -> StoredReservation:
    """The reservation of a row selected as ``id, request, status, expires_at, held,
    fulfilled, released``."""
    rid, request, status, expires_at, held, fulfilled, released = row[:7]
    return stored_from_text(rid, status, expires_at, held, fulfilled, released, request)


# -- stock -----------------------------------------------------------------------------------


def parse_stock_copy(data: memoryview | bytes) -> tuple[Refs, Refs, Codes, Codes, int]:
    """``(sku refs, location refs, on hand, safety stock, max seq)`` of the binary COPY output
    of ``sku_ref, location_ref, on_hand, safety_stock, seq``: fixed-size rows, so numpy reads
    them in place instead of Python touching each row. The refs stay views (big-endian int32):
    one pass less over gigabytes when they are turned into codes."""
    if bytes(data[:11]) != _COPY_SIGNATURE:
        raise ValueError("not PostgreSQL binary COPY output")
    start = 19 + int.from_bytes(data[15:19], "big")  # header, flags, extension length
    rows, rest = divmod(len(data) - start - 2, STOCK_DTYPE.itemsize)  # 2: the -1 trailer
    # NOT NULL fixed-size columns: any other row shape would break the sizes or the ends.
    if rest or bytes(data[-2:]) != b"\xff\xff":
        raise ValueError("unexpected rows in PostgreSQL binary COPY output")
    table = np.frombuffer(data, dtype=STOCK_DTYPE, count=rows, offset=start)
    if rows and not (table["fields"][[0, -1]] == 5).all():
        raise ValueError("unexpected rows in PostgreSQL binary COPY output")
    return (
        table["sku"],
        table["location"],
        table["on_hand"].astype(np.int64),
        table["safety_stock"].astype(np.int64),
        int(table["seq"].max()) if rows else 0,
    )


def _codes(refs: Refs, names: dict[int, str]) -> tuple[tuple[str, ...], Codes]:
    """Dense codes of ``refs`` (in ref order) and the names they stand for, in O(n): a
    50-million-cell record must not be sorted to be encoded."""
    if len(refs) == 0:
        return (), np.zeros(0, dtype=np.int64)
    used = np.zeros(int(refs.max()) + 1, dtype=bool)
    used[refs] = True
    code_of = np.cumsum(used, dtype=np.int64) - 1
    return tuple(names[int(ref)] for ref in np.flatnonzero(used)), code_of[refs]


def stock_columns(
    sku_refs: Refs,
    location_refs: Refs,
    on_hand: Codes,
    safety_stock: Codes,
    sku_names: dict[int, str],
    location_names: dict[int, str],
) -> StockColumns:
    skus, sku_codes = _codes(sku_refs, sku_names)
    locations, location_codes = _codes(location_refs, location_names)
    return StockColumns(skus, locations, sku_codes, location_codes, on_hand, safety_stock)
