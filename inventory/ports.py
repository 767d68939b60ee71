"""The inventory port: what the rest of omniroute may ask of an inventory store.

Two adapters implement it: ``MemoryInventory`` (embedded default, unit tests) and
``RedisInventory`` (production). One contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from inventory.model import (
    DEFAULT_TTL_SECONDS,
    Availability,
    InventoryRecord,
    Reservation,
    ReservationLine,
)

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
