"""Inventory in Redis: atomic Lua scripts for every change, packed vectors for fast reads.

Key layout (``P`` is the key prefix given to the constructor; it must not contain braces):

``P:slots``            hash   location id -> slot (0, 1, 2, ... given once, never moved)
``P:nslots``           string number of slots; read with every ``atf_matrix`` MGET so a
                              process notices new locations without another round trip
``P:{sku}:qty``        string packed little-endian int32 triples per slot: on hand, reserved,
                              safety stock (12 bytes at offset 12 * slot) - the exact figures
``P:{sku}:atf``        string packed little-endian int32 per slot: available to fulfill
                              (on hand - reserved - safety stock), the preview's hot path
``P:res:<id>``         hash   a reservation: req (canonical request JSON), st (status), exp
                              (expires at, epoch seconds), held / ful / rel (JSON lines)
``P:due``              zset   active reservation ids scored by expiry time

The ``{sku}`` hash tag keeps one SKU's keys in one cluster slot. The scripts (reserve,
release/fulfill, upsert, expire) read and write every key they need atomically, deriving the
per-SKU key names from the prefix; on a single Redis node (the recommended deployment: one
primary plus replica) a multi-SKU reservation is therefore atomic. On Redis Cluster a script
may only touch one hash slot, so a multi-SKU reservation would need one tag per shipment (e.g.
per region) plus a compensating release for split orders; this adapter does not do that.

The exact figures live in packed vectors rather than hashes because hash fields cost about
50-90 bytes each once a hash outgrows its listpack encoding: 500 locations x 100,000 SKUs x 3
figures would need several GB, the packed layout needs 16 bytes per (location, sku).

Closed reservations (released, expired, fulfilled) are kept ``retention_seconds`` (Redis
time) for idempotent answers, then Redis deletes them. Expiry of active reservations follows
the injected clock: every reserve sweeps due reservations first, and ``expire_due`` sweeps all.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import redis

from inventory.checks import canonical_lines, check_reservation_id, check_ttl
from inventory.errors import (
    InsufficientStock,
    InvalidReservation,
    InventoryUnavailable,
    ReservationConflict,
    Shortage,
    UnknownReservation,
)
from inventory.model import (
    DEFAULT_TTL_SECONDS,
    Availability,
    InventoryRecord,
    Reservation,
    ReservationLine,
    ReservationStatus,
)
from inventory.records import check_records
from inventory.redis_scripts import CLOSE, EXPIRE, GET, RESERVE, UPSERT
from inventory.slots import IntMatrix, SlotIndexCache, gather

DEFAULT_RETENTION_SECONDS = 7 * 24 * 60 * 60
SWEEP_LIMIT = 1000  # reservations expired per script call: bounds how long Redis is blocked
UPSERT_CHUNK = 2000  # records per upsert script call
READ_CHUNK = 10_000  # commands per pipeline in bulk reads


@contextmanager
def _redis_errors() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise InventoryUnavailable(f"Redis inventory failed: {exc}") from exc


def _lines(raw: bytes | None) -> tuple[ReservationLine, ...]:
    items = json.loads(raw) if raw else []
    lines = (ReservationLine(loc, sku, int(q)) for loc, sku, q in items)
    return tuple(sorted(lines, key=lambda line: (line.location_id, line.sku)))


def _as_bytes(value: object) -> bytes:
    """Replies are bytes (the client must not decode them); this narrows the type."""
    if not isinstance(value, bytes):
        raise InventoryUnavailable(f"unexpected Redis reply {value!r}")
    return value


class RedisInventory:
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
        self._clock = clock
        self._retention = retention_seconds
        self._reserve = client.register_script(RESERVE)
        self._close = client.register_script(CLOSE)
        self._get = client.register_script(GET)
        self._expire = client.register_script(EXPIRE)
        self._upsert = client.register_script(UPSERT)
        self._slots: dict[str, int] = {}
        self._slots_lock = threading.Lock()
        self._indexes = SlotIndexCache()

    @property
    def prefix(self) -> str:
        return self._prefix

    # -- keys --------------------------------------------------------------------------------

    def _qty_key(self, sku: str) -> str:
        return f"{self._prefix}:{{{sku}}}:qty"

    def _atf_key(self, sku: str) -> str:
        return f"{self._prefix}:{{{sku}}}:atf"

    def _fixed_keys(self, reservation_id: str | None = None) -> list[str]:
        keys = [f"{self._prefix}:slots", f"{self._prefix}:due"]
        if reservation_id is not None:
            keys.append(f"{self._prefix}:res:{reservation_id}")
        return keys

    def _args(self) -> list[Any]:
        return [self._prefix, repr(self._clock()), self._retention]

    # -- stock -------------------------------------------------------------------------------

    def upsert(self, records: Iterable[InventoryRecord]) -> int:
        checked = check_records(records)
        keys = [f"{self._prefix}:slots", f"{self._prefix}:nslots"]
        written = 0
        with _redis_errors():
            pipe = self._redis.pipeline(transaction=False)
            for start in range(0, len(checked), UPSERT_CHUNK):
                args = self._args()
                for r in checked[start : start + UPSERT_CHUNK]:
                    args += [r.location_id, r.sku, r.on_hand, r.safety_stock]
                self._upsert(keys=keys, args=args, client=pipe)
                if len(pipe) >= 16:  # bound the replies held in memory
                    written += sum(int(n) for n in pipe.execute())
            written += sum(int(n) for n in pipe.execute())
        return written

    def _refresh_slots(self) -> dict[str, int]:
        with _redis_errors():
            raw = self._redis.hgetall(f"{self._prefix}:slots")
        fresh = {_as_bytes(k).decode(): int(v) for k, v in raw.items()}
        with self._slots_lock:
            if len(fresh) > len(self._slots):
                self._slots = fresh
            return self._slots

    def _slot_map(self, location_ids: Iterable[str]) -> dict[str, int]:
        """Known slots, refreshed from Redis when one of ``location_ids`` is not known yet."""
        slots = self._slots
        if any(loc not in slots for loc in location_ids):
            slots = self._refresh_slots()
        return slots

    def is_empty(self) -> bool:
        with _redis_errors():
            return int(self._redis.get(f"{self._prefix}:nslots") or 0) == 0

    def availability(self, location_id: str, sku: str) -> Availability:
        return self.availability_many([(location_id, sku)])[0]

    def availability_many(self, pairs: Sequence[tuple[str, str]]) -> list[Availability]:
        """Figures of many (location, sku) pairs: pipelined GETRANGEs, chunked."""
        slots = self._slot_map(loc for loc, _ in pairs)
        known = [(i, slots[loc], sku) for i, (loc, sku) in enumerate(pairs) if loc in slots]
        result = [Availability()] * len(pairs)
        with _redis_errors():
            for start in range(0, len(known), READ_CHUNK):
                chunk = known[start : start + READ_CHUNK]
                pipe = self._redis.pipeline(transaction=False)
                for _, slot, sku in chunk:
                    pipe.getrange(self._qty_key(sku), slot * 12, slot * 12 + 11)
                for (i, _, _), raw in zip(chunk, pipe.execute(), strict=True):
                    if len(raw) == 12:
                        result[i] = Availability(*np.frombuffer(raw, "<i4").tolist())
        return result

    def group_availability(self, location_ids: Sequence[str], sku: str) -> Availability:
        unique = list(dict.fromkeys(location_ids))
        slots = self._slot_map(unique)
        with _redis_errors():
            raw = self._redis.get(self._qty_key(sku))
        figures = np.frombuffer(_as_bytes(raw or b""), "<i4").reshape(-1, 3).astype(np.int64)
        index = [slots[loc] for loc in unique if slots.get(loc, len(figures)) < len(figures)]
        total = figures[index].sum(axis=0) if index else np.zeros(3, dtype=np.int64)
        return Availability(*total.tolist())

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntMatrix:
        """One MGET (slot count + one packed vector per SKU), then fancy indexing."""
        with _redis_errors():
            raw = self._redis.mget([f"{self._prefix}:nslots", *map(self._atf_key, skus)])
        slots = self._slots
        if int(raw[0] or 0) > len(slots):
            slots = self._refresh_slots()
        width = len(slots)
        index = self._indexes.index(location_ids, slots, width)
        rows = [None if b is None else np.frombuffer(_as_bytes(b), "<i4") for b in raw[1:]]
        return gather(rows, index, width)

    # -- reservations ------------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        lines: Sequence[ReservationLine],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> Reservation:
        check_reservation_id(reservation_id)
        request = canonical_lines(lines)
        ttl = check_ttl(ttl_seconds)
        args = self._args()
        expires_at = float(args[1]) + ttl
        encoded = json.dumps([[x.location_id, x.sku, x.quantity] for x in request])
        args += [reservation_id, repr(expires_at), encoded, SWEEP_LIMIT]
        with _redis_errors():
            reply = self._reserve(keys=self._fixed_keys(reservation_id), args=args)
        tag = reply[0]
        if tag == b"new":
            return Reservation(reservation_id, request, "active", expires_at)
        if tag == b"conflict":
            raise ReservationConflict(reservation_id)
        if tag == b"short":
            shortages = [
                Shortage(loc, sku, int(q), int(u)) for loc, sku, q, u in json.loads(reply[1])
            ]
            raise InsufficientStock(reservation_id, shortages)
        return self._reservation(reservation_id, reply)

    def _reservation(self, reservation_id: str, reply: list[Any]) -> Reservation:
        if reply[0] == b"unknown":
            raise UnknownReservation(reservation_id)
        if reply[0] == b"invalid":
            raise InvalidReservation(reply[1].decode())
        status, expires_at, held, fulfilled, released = reply[1]
        state: ReservationStatus = status.decode()
        return Reservation(
            id=reservation_id,
            lines=_lines(held),
            status=state,
            expires_at=float(expires_at),
            fulfilled=_lines(fulfilled),
            released=_lines(released),
        )

    def release(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self._finish(reservation_id, lines, "release")

    def fulfill(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self._finish(reservation_id, lines, "fulfill")

    def _finish(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None, action: str
    ) -> Reservation:
        check_reservation_id(reservation_id)
        args = [*self._args(), reservation_id, action]
        if lines is not None:
            for line in canonical_lines(lines):
                args += [line.location_id, line.sku, line.quantity]
        with _redis_errors():
            reply = self._close(keys=self._fixed_keys(reservation_id), args=args)
        return self._reservation(reservation_id, reply)

    def get_reservation(self, reservation_id: str) -> Reservation:
        check_reservation_id(reservation_id)
        with _redis_errors():
            reply = self._get(
                keys=self._fixed_keys(reservation_id), args=[*self._args(), reservation_id]
            )
        return self._reservation(reservation_id, reply)

    def expire_due(self) -> int:
        expired = 0
        with _redis_errors():
            while True:
                looked, count = self._expire(
                    keys=self._fixed_keys(), args=[*self._args(), SWEEP_LIMIT]
                )
                expired += int(count)
                if int(looked) < SWEEP_LIMIT:
                    return expired
