"""Bulk work on one build namespace of :mod:`inventory.redis_store`: write a snapshot aside,
read a build back, delete a namespace. Key layout: see :mod:`inventory.redis_store`.

Bulk commands go in pipelines of ``PIPELINE`` commands and bulk deletes are SCAN + UNLINK
(freed in the background), never one long script: Redis keeps answering the build in use
while another is written or deleted beside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import redis

from inventory.checks import encode_lines
from inventory.model import StoredReservation
from inventory.redis_codec import RESERVATION_FIELDS, stored_reservation
from inventory.snapshot import Codes, Snapshot, StockColumns

PIPELINE = 1000  # commands per round trip of bulk work: a few ms of Redis time each
BLOCK_CELLS = 1 << 23  # dense (sku, slot) cells per numpy block: bounds a build's memory
UNLINK_KEYS = 100  # keys per UNLINK: freeing is synchronous for small values
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def glob_escape(text: str) -> str:
    """``text`` as a literal in a SCAN MATCH pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _keys(client: redis.Redis, pattern: str) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=PIPELINE):
        batch.append(key)
        if len(batch) >= PIPELINE:
            yield batch
            batch = []
    if batch:
        yield batch


def delete_namespace(client: redis.Redis, namespace: str) -> None:
    for batch in _keys(client, glob_escape(namespace) + ":*"):
        pipe = client.pipeline(transaction=False)
        for start in range(0, len(batch), UNLINK_KEYS):  # small strings are freed inline
            pipe.unlink(*batch[start : start + UNLINK_KEYS])
        pipe.execute()


class _Batch:
    """A pipeline sent every ``PIPELINE`` commands."""

    def __init__(self, client: redis.Redis) -> None:
        self._pipe = client.pipeline(transaction=False)

    def __call__(self) -> Any:
        if len(self._pipe) >= PIPELINE:
            self._pipe.execute()
        return self._pipe

    def flush(self) -> None:
        if len(self._pipe):
            self._pipe.execute()


def write_namespace(
    client: redis.Redis, namespace: str, snapshot: Snapshot, retention_seconds: int
) -> None:
    """Write ``snapshot`` as the build ``namespace`` (which must be empty). Slot = index in
    ``snapshot.stock.locations``; locations only reservations name come after them."""
    stock = snapshot.stock
    locations, skus = list(stock.locations), list(stock.skus)
    location_codes = {loc: i for i, loc in enumerate(locations)}
    sku_codes = {sku: i for i, sku in enumerate(skus)}
    held: list[tuple[int, int, int]] = []
    for (loc, sku), quantity in snapshot.reserved_by_cell().items():
        slot = location_codes.setdefault(loc, len(locations))
        if slot == len(locations):
            locations.append(loc)
        code = sku_codes.setdefault(sku, len(skus))
        if code == len(skus):
            skus.append(sku)
        held.append((code, slot, quantity))
    reserved = np.array(held, dtype=np.int64).reshape(-1, 3)
    batch = _Batch(client)
    for start in range(0, len(locations), PIPELINE):
        chunk = locations[start : start + PIPELINE]
        batch().hset(f"{namespace}:slots", mapping={loc: start + i for i, loc in enumerate(chunk)})
    batch().set(f"{namespace}:nslots", len(locations))
    batch().set(f"{namespace}:seq", snapshot.seq)
    _write_vectors(batch, namespace, stock, skus, len(locations), reserved)
    for stored in snapshot.reservations:
        _write_reservation(batch, namespace, stored, retention_seconds)
    batch.flush()


def _block(stock: StockColumns, start: int, stop: int, sorted_skus: bool) -> npt.NDArray[Any]:
    """Indexes of the cells of SKU codes ``start <= code < stop``."""
    if sorted_skus:
        lo, hi = np.searchsorted(stock.sku, [start, stop])
        return np.arange(lo, hi)
    return np.flatnonzero((stock.sku >= start) & (stock.sku < stop))


def _write_vectors(
    batch: _Batch,
    namespace: str,
    stock: StockColumns,
    skus: list[str],
    width: int,
    reserved: Codes,
) -> None:
    """Dense per-SKU vectors, a block of SKUs at a time, each as long as its last cell."""
    if not skus or not width:
        return
    per_block = max(1, BLOCK_CELLS // width)
    sorted_skus = bool(np.all(stock.sku[1:] >= stock.sku[:-1]))  # e.g. read ORDER BY sku
    for start in range(0, len(skus), per_block):
        stop = min(len(skus), start + per_block)
        cells = _block(stock, start, stop, sorted_skus)
        flat = (stock.sku[cells] - start) * width + stock.location[cells]
        qty = np.zeros(((stop - start) * width, 3), dtype="<i4")
        qty[flat, 0] = stock.on_hand[cells]
        qty[flat, 2] = stock.safety_stock[cells]
        present = np.zeros(len(qty), dtype=bool)
        present[flat] = True
        mine = reserved[(reserved[:, 0] >= start) & (reserved[:, 0] < stop)]
        held_flat = (mine[:, 0] - start) * width + mine[:, 1]
        qty[held_flat, 1] = mine[:, 2]  # one entry per cell: reserved_by_cell summed them
        present[held_flat] = True
        wide = qty.astype(np.int64)
        atf = np.clip(wide[:, 0] - wide[:, 1] - wide[:, 2], INT32_MIN, INT32_MAX)
        atf_rows = atf.astype("<i4").reshape(-1, width)
        qty_rows = qty.reshape(-1, width * 3)
        has = present.reshape(-1, width)
        lengths = np.where(has.any(axis=1), width - np.argmax(has[:, ::-1], axis=1), 0)
        for row in np.flatnonzero(lengths).tolist():
            n, sku = int(lengths[row]), skus[start + row]
            pipe = batch()
            pipe.set(f"{namespace}:{{{sku}}}:qty", qty_rows[row, : 3 * n].tobytes())
            pipe.set(f"{namespace}:{{{sku}}}:atf", atf_rows[row, :n].tobytes())


def _write_reservation(
    batch: _Batch, namespace: str, stored: StoredReservation, retention_seconds: int
) -> None:
    r = stored.reservation
    key = f"{namespace}:res:{r.id}"
    request = sorted(stored.request, key=lambda line: (line.location_id, line.sku))
    fields = {
        "req": encode_lines(request),
        "st": r.status,
        "exp": repr(float(r.expires_at)),
        "held": encode_lines(r.lines),
        "ful": encode_lines(r.fulfilled),
        "rel": encode_lines(r.released),
    }
    batch().hset(key, mapping=fields)
    if r.status == "active":
        batch().zadd(f"{namespace}:due", {r.id: float(r.expires_at)})
    else:  # closed: kept for idempotent retries, like a reservation closed by a script
        batch().expire(key, retention_seconds)


def read_stock(client: redis.Redis, namespace: str, locations: Sequence[str]) -> StockColumns:
    """Every cell of the qty vectors with on hand or safety stock (slot = location index)."""
    head, tail = f"{namespace}:{{".encode(), b"}:qty"
    skus: list[str] = []
    parts: list[tuple[int, Codes, Codes, Codes]] = []
    for keys in _keys(client, glob_escape(namespace) + ":{*}:qty"):
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        for key, raw in zip(keys, pipe.execute(), strict=True):
            figures = np.frombuffer(raw or b"", dtype="<i4").reshape(-1, 3)[: len(locations)]
            slots = np.flatnonzero((figures[:, 0] != 0) | (figures[:, 2] != 0))
            if len(slots):
                skus.append(key[len(head) : -len(tail)].decode())
                parts.append((len(skus) - 1, slots, figures[slots, 0], figures[slots, 2]))
    if not parts:
        return StockColumns((), tuple(locations), *(np.zeros(0, dtype=np.int64),) * 4)
    return StockColumns(
        skus=tuple(skus),
        locations=tuple(locations),
        sku=np.concatenate([np.full(len(s), code, dtype=np.int64) for code, s, _, _ in parts]),
        location=np.concatenate([s for _, s, _, _ in parts]).astype(np.int64),
        on_hand=np.concatenate([oh for _, _, oh, _ in parts]).astype(np.int64),
        safety_stock=np.concatenate([ss for _, _, _, ss in parts]).astype(np.int64),
    )


def read_reservations(client: redis.Redis, namespace: str) -> tuple[StoredReservation, ...]:
    head = len(f"{namespace}:res:".encode())
    found: list[StoredReservation] = []
    for keys in _keys(client, glob_escape(namespace) + ":res:*"):
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, list(RESERVATION_FIELDS))
        for key, fields in zip(keys, pipe.execute(), strict=True):
            if fields[0] is not None:  # not gone (retention) between the scan and the read
                found.append(stored_reservation(key[head:].decode(), fields))
    return tuple(sorted(found, key=lambda s: s.reservation.id))
