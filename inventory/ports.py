"""The inventory port: what the rest of omniroute may ask of an inventory store.

Two adapters implement it: ``MemoryInventory`` (embedded default, unit tests) and
``RedisInventory`` (production). One contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from inventory.errors import InventoryError
from inventory.model import (
    DEFAULT_TTL_SECONDS,
    Availability,
    Change,
    InventoryRecord,
    Reservation,
    ReservationLine,
    ReservationRequest,
    StockDelta,
    StockWriteResult,
)
from inventory.snapshot import Snapshot

IntMatrix = npt.NDArray[np.int64]


class Inventory(Protocol):
    def upsert(self, records: Iterable[InventoryRecord]) -> int:
        """Set absolute on-hand and safety-stock counts; reservations are kept. Returns the
        number of records written."""
        ...

    def is_empty(self) -> bool:
        """True until the first record is written (start-up seeding asks this)."""
        ...

    def availability(self, location_id: str, sku: str) -> Availability:
        """Figures of one (location, sku); all zero when nothing is known."""
        ...

    def availability_many(self, pairs: Sequence[tuple[str, str]]) -> list[Availability]:
        """Figures of many (location, sku) pairs, in order: one batched read."""
        ...

    def group_availability(self, location_ids: Sequence[str], sku: str) -> Availability:
        """Sum of the figures of ``location_ids`` for ``sku`` (a location group's figures)."""
        ...

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntMatrix:
        """Available to fulfill (on hand − reserved − safety stock, may be negative) for each
        sku (rows) at each location (columns), int64. The hot path of every preview: one
        round trip at most."""
        ...

    def reserve(
        self,
        reservation_id: str,
        lines: Sequence[ReservationLine],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> Reservation:
        """All-or-nothing: reserve every line or raise ``InsufficientStock`` and reserve
        nothing. A retry with the same id and lines returns the existing reservation; the
        same id with other lines raises ``ReservationConflict``."""
        ...

    def reserve_many(
        self, requests: Sequence[ReservationRequest]
    ) -> list[Reservation | InventoryError]:
        """Many reservations at once, each all-or-nothing on its own (as ``reserve``): per
        request, in order, its reservation or the error that refused it (insufficient stock,
        conflict, invalid request). One round trip to the store."""
        ...

    def release(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        """Give back the whole reservation (``lines=None``) or part of it."""
        ...

    def fulfill(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        """Consume reserved units at shipment: on hand and reserved both drop."""
        ...

    def get_reservation(self, reservation_id: str) -> Reservation:
        """Raise ``UnknownReservation`` when there is none."""
        ...

    def expire_due(self) -> int:
        """Release every reservation whose TTL has passed; returns how many expired."""
        ...


class InventoryCache(Inventory, Protocol):
    """A fast copy of the durable record (``MemoryInventory``, ``RedisInventory``).

    Every write also answers the :class:`Change` it made, so the caller can put it in the
    record before acknowledging. A cache is *built* from a :class:`Snapshot` of the record and
    remembers the snapshot's marker; when that marker is missing (Redis lost its data) or not
    the one expected, reads and writes raise ``CacheNotReady`` instead of guessing.
    """

    def built_from(self) -> str | None:
        """The marker of the build in use, or None when there is none (empty or lost)."""
        ...

    def build(self, snapshot: Snapshot) -> None:
        """Load ``snapshot`` beside the build in use, then switch to it in one atomic step."""
        ...

    def discard_stale(self) -> None:
        """Free the builds no longer in use (called once the record's rebuild committed)."""
        ...

    def invalidate(self, marker: str) -> None:
        """Drop build ``marker`` (e.g. a write on it could not be recorded): until the next
        build, everything raises ``CacheNotReady``. No-op if another build is in use."""
        ...

    def dump(self) -> Snapshot:
        """Everything in the build in use, for reconciliation (``seq`` = its last write)."""
        ...

    def reserve_change(
        self, reservation_id: str, lines: Sequence[ReservationLine], ttl_seconds: int
    ) -> tuple[Reservation, Change | None]:
        """``reserve``; the change is None when nothing changed (a retry)."""
        ...

    def reserve_many_change(
        self, requests: Sequence[ReservationRequest]
    ) -> list[tuple[Reservation | InventoryError, Change | None]]:
        """Many reservations at once (one round trip), each all-or-nothing on its own:
        per request its reservation and change, or the error that refused it."""
        ...

    def release_change(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None
    ) -> tuple[Reservation, Change | None]: ...

    def fulfill_change(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None
    ) -> tuple[Reservation, Change | None]: ...

    def write_stock(self, deltas: Sequence[StockDelta]) -> tuple[StockWriteResult, Change]:
        """Apply delta rows atomically: every row or none (an adjustment below zero on hand
        raises ``InvalidInventory`` naming its row and changes nothing)."""
        ...


class InventoryLedger(Protocol):
    """The durable inventory record (SQL). The source of truth a cache is rebuilt from."""

    def marker(self) -> str:
        """The record's current version: ``<record id>.<generation>``. A new generation
        starts with every rebuild and every full sync."""
        ...

    def is_empty(self) -> bool:
        """True while the record holds no stock cell."""
        ...

    def write(self, change: Change) -> None:
        """Record ``change`` durably before it is acknowledged. Raises ``CacheStale`` when
        ``change.marker`` is not the record's current marker (a rebuild or a sync happened
        since: the change was made on a build that is gone) and ``RecordUnavailable`` when the
        database cannot be reached."""
        ...

    def write_many(self, changes: Sequence[Change]) -> None:
        """``write`` for several changes of one build, in one transaction (group commit)."""
        ...

    def rebuild(
        self,
        build: Callable[[Snapshot], None],
        *,
        replace: Sequence[InventoryRecord] | None = None,
        unless_built: Callable[[], str | None] | None = None,
    ) -> Snapshot | None:
        """Exclusive: wait for writes in flight, (with ``replace``: make the stock exactly
        ``replace``), start a new generation, call ``build`` with the snapshot, then commit.
        If ``build`` raises, nothing changes. With ``unless_built``: do nothing and answer
        None when it returns the record's current marker (another worker already built)."""
        ...

    def snapshot(self) -> Snapshot:
        """The record now, without locking writers out (for reconciliation)."""
        ...
