"""A snapshot of the durable inventory record: what a cache build is made from. Pure.

Stock is columnar (numpy) because a production record holds tens of millions of
(location, sku) cells and a rebuild must read them in seconds, not build one object each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inventory.model import ReservationLine, StoredReservation

Codes = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class StockColumns:
    """Cells as codes: ``skus[sku[i]]`` at ``locations[location[i]]`` has ``on_hand[i]`` and
    ``safety_stock[i]``. A cell that is not listed has neither."""

    skus: tuple[str, ...]
    locations: tuple[str, ...]
    sku: Codes
    location: Codes
    on_hand: Codes
    safety_stock: Codes

    @classmethod
    def empty(cls) -> StockColumns:
        none = np.zeros(0, dtype=np.int64)
        return cls((), (), none, none, none, none)

    def __len__(self) -> int:
        return len(self.sku)

    def cells(self) -> Iterator[tuple[str, str, int, int]]:
        """``(location_id, sku, on_hand, safety_stock)`` of every listed cell."""
        for s, loc, on_hand, safety in zip(
            self.sku.tolist(),
            self.location.tolist(),
            self.on_hand.tolist(),
            self.safety_stock.tolist(),
            strict=True,
        ):
            yield self.locations[loc], self.skus[s], on_hand, safety


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The record at one moment: stock, and every reservation a cache must know (active ones,
    and closed ones still kept for idempotent retries). ``seq`` is the highest write sequence
    the record has seen; a cache built from it continues from there."""

    marker: str
    seq: int
    stock: StockColumns
    reservations: tuple[StoredReservation, ...] = field(default=())

    def reserved_by_cell(self) -> dict[tuple[str, str], int]:
        """Units held by active reservations per (location, sku)."""
        totals: dict[tuple[str, str], int] = {}
        for stored in self.reservations:
            if stored.reservation.status != "active":
                continue
            for line in stored.reservation.lines:
                key = (line.location_id, line.sku)
                totals[key] = totals.get(key, 0) + line.quantity
        return totals


def held_lines(reservations: tuple[StoredReservation, ...]) -> list[ReservationLine]:
    """Every line still held by an active reservation."""
    return [
        line
        for stored in reservations
        if stored.reservation.status == "active"
        for line in stored.reservation.lines
    ]
