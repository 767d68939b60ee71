"""Availability arithmetic and reservation records. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

ReservationStatus = Literal["active", "fulfilled", "released", "expired"]

DEFAULT_TTL_SECONDS = 4 * 60 * 60  # Omnichannel Inventory's maximum reservation lifetime
MAX_TTL_SECONDS = 7 * 24 * 60 * 60  # longer holds belong to orders, not to carts
MAX_RESERVATION_LINES = 1000  # bounds the work of one atomic Redis script
MAX_COUNT = 2**31 - 1  # counts are packed as int32 in Redis


@dataclass(frozen=True, slots=True)
class InventoryRecord:
    """Absolute counts for one (location, sku), as in the inventory CSV/JSON of DESIGN.md."""

    location_id: str
    sku: str
    on_hand: int
    safety_stock: int = 0


@dataclass(frozen=True, slots=True)
class Availability:
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0

    @property
    def available_to_fulfill(self) -> int:
        return self.on_hand - self.reserved - self.safety_stock


@dataclass(frozen=True, slots=True)
class ReservationLine:
    location_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Reservation:
    """``lines`` are the units still held; ``fulfilled`` and ``released`` what left them."""

    id: str
    lines: tuple[ReservationLine, ...]
    status: ReservationStatus
    expires_at: float
    fulfilled: tuple[ReservationLine, ...] = ()
    released: tuple[ReservationLine, ...] = ()


# (reservation id, lines, ttl seconds): one reservation of a batch
ReservationRequest = tuple[str, Sequence[ReservationLine], int]


@dataclass(frozen=True, slots=True)
class StoredReservation:
    """A reservation as the record and a cache build keep it: its state plus the canonical
    request (so a retry after a rebuild is still recognised as the same request)."""

    reservation: Reservation
    request: tuple[ReservationLine, ...]


@dataclass(frozen=True, slots=True)
class StockSet:
    """A delta row that sets absolute figures; ``None`` leaves that figure as it is."""

    location_id: str
    sku: str
    on_hand: int | None = None
    safety_stock: int | None = None


@dataclass(frozen=True, slots=True)
class StockAdjust:
    """A delta row that moves on hand by ``adjust`` units (a receipt, a shrink, a recount)."""

    location_id: str
    sku: str
    adjust: int


StockDelta = StockSet | StockAdjust


@dataclass(frozen=True, slots=True)
class StockCell:
    """Absolute on hand and safety stock of one (location, sku) after a write. Reserved is not
    here: it is what the active reservations hold, so it is derived, never copied."""

    location_id: str
    sku: str
    on_hand: int
    safety_stock: int


@dataclass(frozen=True, slots=True)
class OverReserved:
    """A row of a stock write that left more reserved than on hand (reported, never clamped);
    ``row`` None: a cell a full sync dropped while reservations still hold units there."""

    row: int | None
    location_id: str
    sku: str
    on_hand: int
    reserved: int


@dataclass(frozen=True, slots=True)
class StockWriteResult:
    written: int
    over_reserved: tuple[OverReserved, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """What one cache write did, for the durable record.

    ``marker`` names the cache build the write was applied to (the record refuses a change
    made on another build); ``seq`` is the build's write sequence, so the record keeps the
    latest state of each cell and reservation whatever order concurrent writes reach it in.
    Cells and reservations are absolute states after the write, never deltas.
    """

    marker: str
    seq: int
    cells: tuple[StockCell, ...] = ()
    reservations: tuple[StoredReservation, ...] = ()
