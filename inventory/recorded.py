"""Inventory with a durable record: a cache (memory or Redis) in front of the record (SQL).

Every write is decided atomically by the cache, then put in the record, then acknowledged.
The record keeps absolute states ordered by the cache's write sequence, so concurrent writes
may reach it in any order. If the record cannot take a change, the cache build that holds it
is dropped: everything answers ``CacheNotReady`` until the cache is rebuilt from the record,
so nothing unrecorded is ever served. Full syncs and rebuilds are exclusive in the record and
switch the cache to a new build in one step. Pure: both sides are ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from inventory.deltas import check_deltas, sets_of
from inventory.errors import (
    CacheNotReady,
    CacheStale,
    InvalidInventory,
    InventoryError,
    InventoryProblem,
    RecordUnavailable,
)
from inventory.group_commit import GroupCommit
from inventory.model import (
    DEFAULT_TTL_SECONDS,
    Availability,
    Change,
    InventoryRecord,
    OverReserved,
    Reservation,
    ReservationLine,
    ReservationRequest,
    StockAdjust,
    StockDelta,
    StockWriteResult,
)
from inventory.ports import InventoryCache, InventoryLedger
from inventory.reconcile import Difference, compare, reserved_cells
from inventory.records import check_records
from inventory.slots import IntMatrix
from inventory.snapshot import Snapshot

SET_CHUNK = 2000  # set-only delta rows per atomic cache write (bounds how long Redis is busy)
MAX_ATOMIC_DELTAS = 10_000  # a delta with adjustments is one atomic write: this many rows at most


def _nothing() -> None:
    return None


class _WakeOnNotReady:
    """``with`` it around a cache call: a cache found not ready wakes whoever rebuilds it, then
    the caller gets the 503. A plain class, not @contextmanager: it wraps every preview's read."""

    __slots__ = ("_wake",)

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> Literal[False]:
        if kind is not None and issubclass(kind, CacheNotReady):
            self._wake()
        return False  # never swallows


class RecordedInventory:
    def __init__(
        self,
        cache: InventoryCache,
        ledger: InventoryLedger,
        clock: Callable[[], float],
        on_not_ready: Callable[[], None] = _nothing,
    ) -> None:
        self.cache = cache
        self.ledger = ledger
        self._clock = clock
        self._on_not_ready = on_not_ready  # e.g. wake the worker that rebuilds the cache
        self._journal = GroupCommit(ledger.write_many)
        self._watch = _WakeOnNotReady(on_not_ready)

    def _record(self, *changes: Change | None) -> None:
        made = [change for change in changes if change is not None]
        if not made:
            return
        try:
            self._journal.write_all(made)
        except (RecordUnavailable, CacheStale):
            # The cache holds changes the record does not: stop serving that build (a no-op
            # when another build already replaced it, as after a rebuild elsewhere).
            for marker in {change.marker for change in made}:
                self.cache.invalidate(marker)
            self._on_not_ready()
            raise

    # -- reads -------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self.ledger.is_empty()

    def availability(self, location_id: str, sku: str) -> Availability:
        with self._watch:
            return self.cache.availability(location_id, sku)

    def availability_many(self, pairs: Sequence[tuple[str, str]]) -> list[Availability]:
        with self._watch:
            return self.cache.availability_many(pairs)

    def group_availability(self, location_ids: Sequence[str], sku: str) -> Availability:
        with self._watch:
            return self.cache.group_availability(location_ids, sku)

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntMatrix:
        with self._watch:
            return self.cache.atf_matrix(skus, location_ids)

    def get_reservation(self, reservation_id: str) -> Reservation:
        with self._watch:
            return self.cache.get_reservation(reservation_id)

    # -- reservations ------------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        lines: Sequence[ReservationLine],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> Reservation:
        with self._watch:
            reservation, change = self.cache.reserve_change(reservation_id, lines, ttl_seconds)
        self._record(change)
        return reservation

    def reserve_many(
        self, requests: Sequence[ReservationRequest]
    ) -> list[Reservation | InventoryError]:
        """Many reservations in one cache round trip and one record transaction, each
        all-or-nothing on its own: per request its reservation or the error that refused it.
        If the record cannot take them, none is acknowledged (the whole call raises)."""
        with self._watch:
            outcomes = self.cache.reserve_many_change(requests)
        self._record(*(change for _, change in outcomes))
        return [outcome for outcome, _ in outcomes]

    def release(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        with self._watch:
            reservation, change = self.cache.release_change(reservation_id, lines)
        self._record(change)
        return reservation

    def fulfill(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        with self._watch:
            reservation, change = self.cache.fulfill_change(reservation_id, lines)
        self._record(change)
        return reservation

    def expire_due(self) -> int:
        # Expiry needs no record write: the record holds each TTL, and an active reservation
        # past it counts as expired there (and is marked so at the next rebuild).
        with self._watch:
            return self.cache.expire_due()

    # -- stock -------------------------------------------------------------------------------

    def upsert(self, records: Iterable[InventoryRecord]) -> int:
        return self.write_stock(sets_of(check_records(records))).written

    def write_stock(
        self, deltas: Sequence[StockDelta], progress: Callable[[int], None] = lambda _: None
    ) -> StockWriteResult:
        """Delta rows: those a row names change, the rest stay. Rows with an adjustment are
        applied in one atomic write (at most ``MAX_ATOMIC_DELTAS``); set-only rows in atomic
        chunks, each recorded before the next (``progress`` gets the rows done so far)."""
        rows = check_deltas(deltas)
        has_adjust = any(isinstance(row, StockAdjust) for row in rows)
        if has_adjust and len(rows) > MAX_ATOMIC_DELTAS:
            raise InvalidInventory(
                [
                    InventoryProblem(
                        "<document>",
                        "adjust",
                        f"a delta with adjustments may have at most {MAX_ATOMIC_DELTAS} rows",
                    )
                ]
            )
        size = len(rows) if has_adjust else SET_CHUNK
        over: list[OverReserved] = []
        for start in range(0, len(rows), max(size, 1)):
            with self._watch:
                result, change = self.cache.write_stock(rows[start : start + size])
            self._record(change)
            over += [
                OverReserved(
                    None if o.row is None else o.row + start,
                    o.location_id,
                    o.sku,
                    o.on_hand,
                    o.reserved,
                )
                for o in result.over_reserved
            ]
            progress(min(start + size, len(rows)))
        return StockWriteResult(len(rows), tuple(over))

    def sync(self, records: Sequence[InventoryRecord]) -> StockWriteResult:
        """Full sync: on hand becomes exactly ``records`` (every other cell has none);
        reservations stay. The record changes in one transaction and the cache switches to a
        build of it in one step; if either fails, the old stock stays in place."""
        checked = check_records(records)
        snapshot = self.ledger.rebuild(self.cache.build, replace=checked)
        assert snapshot is not None  # no unless_built: the rebuild always runs
        self.cache.discard_stale()
        return StockWriteResult(len(checked), _over_reserved(checked, snapshot))

    # -- upkeep ------------------------------------------------------------------------------

    def rebuild(self, *, force: bool = True) -> Snapshot | None:
        """Build the cache from the record. Unless ``force``, skip it when the cache already
        holds the record's current build (another worker got there first)."""
        unless = None if force else self.cache.built_from
        snapshot = self.ledger.rebuild(self.cache.build, unless_built=unless)
        if snapshot is not None:
            self.cache.discard_stale()
        return snapshot

    def needs_rebuild(self) -> bool:
        return self.cache.built_from() != self.ledger.marker()

    def check(self) -> list[Difference]:
        """Differences between the cache and the record. A write in flight shows up on one
        side only for a moment, so only what two passes both find is reported."""
        first = self._differences()
        if not first:
            return []
        second = set(self._differences())
        return [d for d in first if d in second]

    def _differences(self) -> list[Difference]:
        record = self.ledger.snapshot()
        with self._watch:
            cache = self.cache.dump()
            now = self._clock()  # after the dump: whatever the cache swept is due by now
            cells = reserved_cells(cache, record, now)
            served = self.cache.availability_many(cells)
        cache_reserved = {cell: f.reserved for cell, f in zip(cells, served, strict=True)}
        return compare(cache, record, now, cache_reserved)


def _over_reserved(
    records: Sequence[InventoryRecord], snapshot: Snapshot
) -> tuple[OverReserved, ...]:
    """Rows left with more reserved than on hand, then cells the sync dropped (row None)
    that active reservations still hold units of."""
    reserved = snapshot.reserved_by_cell()
    over = [
        OverReserved(row, r.location_id, r.sku, r.on_hand, held)
        for row, r in enumerate(records)
        if (held := reserved.get((r.location_id, r.sku), 0)) > r.on_hand
    ]
    named = {(r.location_id, r.sku) for r in records}
    over += [
        OverReserved(None, loc, sku, 0, held)
        for (loc, sku), held in sorted(reserved.items())
        if held > 0 and (loc, sku) not in named
    ]
    return tuple(over)
