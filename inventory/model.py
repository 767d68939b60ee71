"""Availability arithmetic and reservation records. Pure: no I/O."""

from __future__ import annotations

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
