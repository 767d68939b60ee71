"""Inventory in Redis, a rebuildable cache of the durable record: atomic Lua scripts for every
change, packed vectors for fast reads.

Key layout (``P`` is the key prefix given to the constructor; it must not contain braces):

``P:marker``           string the marker of the build in use (``<record id>.<generation>``, no
                              braces or colons). Missing = no build: Redis lost its data or was
                              never built, and every read and write raises ``CacheNotReady``
``P:stale``            set    markers of builds to delete (invalidated or never switched to)

Every other key is in the namespace ``N = P:<marker>`` of one build:

``N:slots``            hash   location id -> slot (0, 1, 2, ... given once, never moved)
``N:nslots``           string number of slots; read with every ``atf_matrix`` MGET so a
                              process notices new locations without another round trip
``N:{sku}:qty``        string packed little-endian int32 triples per slot: on hand, reserved,
                              safety stock (12 bytes at offset 12 * slot) - the exact figures
``N:{sku}:atf``        string packed little-endian int32 per slot: available to fulfill
                              (on hand - reserved - safety stock), the preview's hot path
``N:res:<id>``         hash   a reservation: req (canonical request JSON), st (status), exp
                              (expires at, epoch seconds), held / ful / rel (JSON lines)
``N:due``              zset   active reservation ids scored by expiry time
``N:seq``              string the build's write sequence: every write script INCRs it

A process adopts the marker it finds (lazily) and caches it with the slot map. Every script
checks ``P:marker`` against the adopted marker first, atomically; reads check it in the same
MGET or MULTI. When another build is in use the process adopts it and retries once; when there
is none it raises ``CacheNotReady``: a lost build never reads as zero stock. ``build`` writes a
snapshot in a new namespace beside the one in use, switches with one SET, then deletes the
old namespace in small steps (:mod:`inventory.redis_build`).

The ``{sku}`` hash tag keeps one SKU's keys in one cluster slot, but the scripts derive key
names and touch ``P:marker``, so they need a single Redis node (the recommended deployment: one
primary plus replica), where a multi-SKU reservation is atomic. Packed vectors rather than
hashes: hash fields cost about 50-90 bytes each once a hash outgrows its listpack encoding, the
packed layout needs 16 bytes per (location, sku). Closed reservations are kept
``retention_seconds`` (Redis time) for idempotent answers. Expiry of active reservations follows
the injected clock: every reserve sweeps due reservations first, and ``expire_due`` sweeps all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import redis

from inventory.checks import canonical_lines, check_reservation_id, check_ttl, encode_lines
from inventory.errors import (
    InsufficientStock,
    InvalidReservation,
    InventoryError,
    ReservationConflict,
    Shortage,
    UnknownReservation,
)
from inventory.model import (
    DEFAULT_TTL_SECONDS,
    Availability,
    Change,
    InventoryRecord,
    Reservation,
    ReservationLine,
    ReservationRequest,
    StockCell,
    StockDelta,
    StockSet,
    StockWriteResult,
    StoredReservation,
)
from inventory.records import check_records
from inventory.redis_codec import (
    refused_adjust,
    stock_args,
    stock_result,
    stored_reservation,
)
from inventory.redis_lean import LeanScript, command
from inventory.redis_marker import (
    DEFAULT_RETENTION_SECONDS,
    STANDALONE,
    Build,
    RedisBuilds,
    as_bytes,
    redis_errors,
)
from inventory.redis_scripts import CLOSE, EXPIRE, GET, RESERVE, RESERVE_MANY, WRITE_STOCK
from inventory.slots import IntMatrix, gather

__all__ = ["DEFAULT_RETENTION_SECONDS", "STANDALONE", "RedisInventory"]

SWEEP_LIMIT = 1000  # reservations expired per script call: bounds how long Redis is blocked
UPSERT_CHUNK = 2000  # records per write-stock script call of ``upsert``
READ_CHUNK = 10_000  # commands per pipeline in bulk reads


class RedisInventory(RedisBuilds):
    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "omniroute:inv",
        clock: Callable[[], float] = time.time,
        retention_seconds: int = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        super().__init__(client, prefix, clock, retention_seconds)
        self._reserve = LeanScript(client, RESERVE)
        self._reserve_many = LeanScript(client, RESERVE_MANY)
        self._close = LeanScript(client, CLOSE)
        self._get = LeanScript(client, GET)
        self._expire = LeanScript(client, EXPIRE)
        self._write_stock = LeanScript(client, WRITE_STOCK)

    # -- stock -------------------------------------------------------------------------------

    def write_stock(self, deltas: Sequence[StockDelta]) -> tuple[StockWriteResult, Change]:
        rows = list(deltas)
        marker, reply = self._run(self._write_stock, self._clock(), stock_args(rows))
        if reply[0] == b"refused":
            raise refused_adjust(rows, reply)
        result, cells = stock_result(rows, reply[2])
        return result, Change(marker, int(reply[1]), cells=cells)

    def upsert(self, records: Iterable[InventoryRecord]) -> int:
        checked = check_records(records)
        written = 0
        for start in range(0, len(checked), UPSERT_CHUNK):
            chunk = checked[start : start + UPSERT_CHUNK]
            rows = [StockSet(r.location_id, r.sku, r.on_hand, r.safety_stock) for r in chunk]
            written += self.write_stock(rows)[0].written
        return written

    def availability(self, location_id: str, sku: str) -> Availability:
        return self.availability_many([(location_id, sku)])[0]

    def availability_many(self, pairs: Sequence[tuple[str, str]]) -> list[Availability]:
        """Figures of many (location, sku) pairs: GETRANGEs in MULTI chunks with the marker."""

        def read(build: Build) -> list[Availability]:
            build = self._slot_map(build, [loc for loc, _ in pairs])
            slots = build.slots
            known = [(i, slots[loc], sku) for i, (loc, sku) in enumerate(pairs) if loc in slots]
            result = [Availability()] * len(pairs)
            for start in range(0, max(len(known), 1), READ_CHUNK):  # the marker at least once
                chunk = known[start : start + READ_CHUNK]
                with redis_errors():
                    pipe = self._redis.pipeline(transaction=True)
                    pipe.get(self._marker_key)
                    for _, slot, sku in chunk:
                        pipe.getrange(f"{build.namespace}:{{{sku}}}:qty", slot * 12, slot * 12 + 11)
                    replies = pipe.execute()
                self._check(build, replies[0])
                for (i, _, _), raw in zip(chunk, replies[1:], strict=True):
                    if len(raw) == 12:
                        result[i] = Availability(*np.frombuffer(raw, "<i4").tolist())
            return result

        return self._with_build(read)

    def group_availability(self, location_ids: Sequence[str], sku: str) -> Availability:
        unique = list(dict.fromkeys(location_ids))

        def read(build: Build) -> Availability:
            build = self._slot_map(build, unique)
            with redis_errors():
                pipe = self._redis.pipeline(transaction=True)
                pipe.get(self._marker_key)
                pipe.get(f"{build.namespace}:{{{sku}}}:qty")
                raw_marker, raw = pipe.execute()
            self._check(build, raw_marker)
            figures = np.frombuffer(raw or b"", "<i4").reshape(-1, 3).astype(np.int64)
            slots = build.slots
            index = [slots[loc] for loc in unique if slots.get(loc, len(figures)) < len(figures)]
            total = figures[index].sum(axis=0) if index else np.zeros(3, dtype=np.int64)
            return Availability(*total.tolist())

        return self._with_build(read)

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntMatrix:
        """One MGET (marker, slot count, one packed vector per SKU), then fancy indexing."""

        def read(build: Build) -> IntMatrix:
            ns = build.namespace
            keys = [self._marker_key, f"{ns}:nslots", *(f"{ns}:{{{sku}}}:atf" for sku in skus)]
            with redis_errors():
                raw = command(self._redis, "MGET", *keys)
            self._check(build, raw[0])
            if int(raw[1] or 0) > len(build.slots):
                build = self._refresh_slots(build)
            width = len(build.slots)
            index = build.indexes.index(location_ids, build.slots, width)
            rows = [None if b is None else np.frombuffer(as_bytes(b), "<i4") for b in raw[2:]]
            return gather(rows, index, width)

        return self._with_build(read)

    # -- reservations ------------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        lines: Sequence[ReservationLine],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> Reservation:
        return self.reserve_change(reservation_id, lines, ttl_seconds)[0]

    def reserve_change(
        self,
        reservation_id: str,
        lines: Sequence[ReservationLine],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> tuple[Reservation, Change | None]:
        check_reservation_id(reservation_id)
        request = canonical_lines(lines)
        ttl = check_ttl(ttl_seconds)
        now = self._clock()
        expires_at = now + ttl
        args = [reservation_id, repr(expires_at), encode_lines(request), SWEEP_LIMIT]
        marker, reply = self._run(self._reserve, now, args)
        return _reserved(marker, reservation_id, request, expires_at, reply)

    def reserve_many(
        self, requests: Sequence[ReservationRequest]
    ) -> list[Reservation | InventoryError]:
        return [outcome for outcome, _ in self.reserve_many_change(requests)]

    def reserve_many_change(
        self, requests: Sequence[ReservationRequest]
    ) -> list[tuple[Reservation | InventoryError, Change | None]]:
        """Many reservations in one script call (one round trip), each all-or-nothing on its
        own; a bad request is answered with its error and does not stop the others."""
        now = self._clock()
        outcomes: list[tuple[Reservation | InventoryError, Change | None] | None] = []
        asked: list[tuple[int, str, tuple[ReservationLine, ...], float]] = []
        args: list[Any] = [SWEEP_LIMIT]
        for index, (reservation_id, lines, ttl_seconds) in enumerate(requests):
            try:
                check_reservation_id(reservation_id)
                request, expires_at = canonical_lines(lines), now + check_ttl(ttl_seconds)
            except InvalidReservation as exc:
                outcomes.append((exc, None))
                continue
            outcomes.append(None)
            asked.append((index, reservation_id, request, expires_at))
            args += [reservation_id, repr(expires_at), encode_lines(request)]
        if asked:
            marker, reply = self._run(self._reserve_many, now, args)
            for (index, rid, request, expires_at), answer in zip(asked, reply[1], strict=True):
                try:
                    outcomes[index] = _reserved(marker, rid, request, expires_at, answer)
                except (ReservationConflict, InsufficientStock) as exc:
                    outcomes[index] = (exc, None)
        return [outcome for outcome in outcomes if outcome is not None]

    def release(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self._finish(reservation_id, lines, "release")[0]

    def fulfill(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self._finish(reservation_id, lines, "fulfill")[0]

    def release_change(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> tuple[Reservation, Change | None]:
        return self._finish(reservation_id, lines, "release")

    def fulfill_change(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> tuple[Reservation, Change | None]:
        return self._finish(reservation_id, lines, "fulfill")

    def _finish(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None, action: str
    ) -> tuple[Reservation, Change | None]:
        check_reservation_id(reservation_id)
        args: list[Any] = [reservation_id, action]
        if lines is not None:
            for line in canonical_lines(lines):
                args += [line.location_id, line.sku, line.quantity]
        marker, reply = self._run(self._close, self._clock(), args)
        _raise_for(reservation_id, reply)
        _, seq, fields, cells = reply
        stored = stored_reservation(reservation_id, fields)
        if not int(seq):  # a retry of a whole release or fulfilment: nothing changed
            return stored.reservation, None
        written = tuple(
            StockCell(loc.decode(), sku.decode(), int(oh), int(ss)) for loc, sku, oh, ss in cells
        )
        return stored.reservation, Change(marker, int(seq), written, (stored,))

    def get_reservation(self, reservation_id: str) -> Reservation:
        check_reservation_id(reservation_id)
        _, reply = self._run(self._get, self._clock(), [reservation_id])
        _raise_for(reservation_id, reply)
        return stored_reservation(reservation_id, reply[1]).reservation

    def expire_due(self) -> int:
        expired = 0
        while True:
            _, (_, looked, count) = self._run(self._expire, self._clock(), [SWEEP_LIMIT])
            expired += int(count)
            if int(looked) < SWEEP_LIMIT:
                return expired


def _raise_for(reservation_id: str, reply: list[Any]) -> None:
    if reply[0] == b"unknown":
        raise UnknownReservation(reservation_id)
    if reply[0] == b"invalid":
        raise InvalidReservation(as_bytes(reply[1]).decode())


def _reserved(
    marker: str,
    reservation_id: str,
    request: tuple[ReservationLine, ...],
    expires_at: float,
    reply: list[Any],
) -> tuple[Reservation, Change | None]:
    """The outcome of one reservation of RESERVE / RESERVE_MANY; refusals raise."""
    tag = reply[0]
    if tag == b"new":
        reservation = Reservation(reservation_id, request, "active", expires_at)
        stored = StoredReservation(reservation, request)
        return reservation, Change(marker, int(reply[1]), reservations=(stored,))
    if tag == b"conflict":
        raise ReservationConflict(reservation_id)
    if tag == b"short":
        shortages = [
            Shortage(loc, sku, int(q), int(u)) for loc, sku, q, u in json.loads(as_bytes(reply[1]))
        ]
        raise InsufficientStock(reservation_id, shortages)
    return stored_reservation(reservation_id, reply[1]).reservation, None
