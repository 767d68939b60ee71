"""The state of one in-process inventory build: stock vectors, reservations, write sequence.

Pure; :class:`inventory.memory.MemoryInventory` guards it with its lock.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inventory.checks import LineKey, as_lines
from inventory.errors import InvalidInventory, InventoryProblem
from inventory.model import (
    Availability,
    OverReserved,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockAdjust,
    StockCell,
    StockDelta,
    StockWriteResult,
    StoredReservation,
)
from inventory.snapshot import Snapshot, StockColumns

ON_HAND, RESERVED, SAFETY, ATF = range(4)
Vector = npt.NDArray[np.int64]


@dataclass(slots=True)
class Held:
    """The mutable state of one reservation."""

    id: str
    request: tuple[ReservationLine, ...]
    expires_at: float
    status: ReservationStatus = "active"
    held: dict[LineKey, int] = field(default_factory=dict)
    fulfilled: dict[LineKey, int] = field(default_factory=dict)
    released: dict[LineKey, int] = field(default_factory=dict)

    def snapshot(self) -> Reservation:
        return Reservation(
            id=self.id,
            lines=as_lines(self.held),
            status=self.status,
            expires_at=self.expires_at,
            fulfilled=as_lines(self.fulfilled),
            released=as_lines(self.released),
        )

    def move(self, lines: Sequence[ReservationLine], into: dict[LineKey, int]) -> None:
        for line in lines:
            key = (line.location_id, line.sku)
            self.held[key] -= line.quantity
            into[key] = into.get(key, 0) + line.quantity
        if not any(self.held.values()):
            self.status = "fulfilled" if any(self.fulfilled.values()) else "released"

    @classmethod
    def of(cls, stored: StoredReservation) -> Held:
        r = stored.reservation

        def quantities(lines: Sequence[ReservationLine]) -> dict[LineKey, int]:
            return {(x.location_id, x.sku): x.quantity for x in lines}

        return cls(
            r.id,
            stored.request,
            r.expires_at,
            r.status,
            quantities(r.lines),
            quantities(r.fulfilled),
            quantities(r.released),
        )


@dataclass(slots=True)
class Stock:
    slots: dict[str, int] = field(default_factory=dict)
    stock: dict[str, Vector] = field(default_factory=dict)
    reservations: dict[str, Held] = field(default_factory=dict)
    due: list[tuple[float, str]] = field(default_factory=list)  # heap of (expires_at, id)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def column(self, sku: str, slot: int) -> Vector:
        """The (4,) view of ``sku`` at ``slot``, growing the SKU's array when needed."""
        stock = self.stock.get(sku)
        if stock is None or stock.shape[1] <= slot:
            grown = np.zeros((4, max(8, 2 * (slot + 1))), dtype=np.int64)
            if stock is not None:
                grown[:, : stock.shape[1]] = stock
            self.stock[sku] = stock = grown
        return stock[:, slot]

    def figures(self, location_id: str, sku: str) -> Availability:
        slot = self.slots.get(location_id)
        stock = self.stock.get(sku)
        if slot is None or stock is None or stock.shape[1] <= slot:
            return Availability()
        on_hand, reserved, safety, _ = stock[:, slot].tolist()
        return Availability(on_hand, reserved, safety)

    def cells(self, lines: Sequence[ReservationLine]) -> tuple[StockCell, ...]:
        keys = dict.fromkeys((x.location_id, x.sku) for x in lines)
        return tuple(self._cell(loc, sku) for loc, sku in keys)

    def _cell(self, location_id: str, sku: str) -> StockCell:
        figures = self.figures(location_id, sku)
        return StockCell(location_id, sku, figures.on_hand, figures.safety_stock)

    def shift(self, line: ReservationLine, reserved: int, on_hand: int = 0) -> None:
        slot = self.slots.get(line.location_id)
        if slot is None:
            return  # only reachable for a location that never had stock: nothing to shift
        column = self.column(line.sku, slot)
        column[RESERVED] = max(0, column[RESERVED] + reserved)
        # a shipment consumes what was really there even when a recount lowered on hand
        column[ON_HAND] = max(0, column[ON_HAND] + on_hand)
        column[ATF] = column[ON_HAND] - column[RESERVED] - column[SAFETY]

    def apply(self, rows: Sequence[StockDelta]) -> tuple[StockWriteResult, tuple[StockCell, ...]]:
        """Apply delta rows in order; an adjustment below zero raises before anything moves."""
        planned: dict[tuple[str, str], list[int]] = {}
        for index, row in enumerate(rows):
            key = (row.location_id, row.sku)
            if key not in planned:
                now = self.figures(*key)
                planned[key] = [now.on_hand, now.safety_stock]
            figures = planned[key]
            if isinstance(row, StockAdjust):
                if figures[0] + row.adjust < 0:
                    problem = (
                        f"would make on hand {figures[0] + row.adjust} at {row.location_id} "
                        f"for {row.sku} (on hand {figures[0]})"
                    )
                    raise InvalidInventory([InventoryProblem(f"[{index}]", "adjust", problem)])
                figures[0] += row.adjust
            else:
                figures[0] = figures[0] if row.on_hand is None else row.on_hand
                figures[1] = figures[1] if row.safety_stock is None else row.safety_stock
        for (location_id, sku), (on_hand, safety) in planned.items():
            slot = self.slots.setdefault(location_id, len(self.slots))
            column = self.column(sku, slot)
            column[ON_HAND], column[SAFETY] = on_hand, safety
            column[ATF] = column[ON_HAND] - column[RESERVED] - column[SAFETY]
        over = [
            OverReserved(index, row.location_id, row.sku, f.on_hand, f.reserved)
            for index, row in enumerate(rows)
            if (f := self.figures(row.location_id, row.sku)).reserved > f.on_hand
        ]
        cells = tuple(self._cell(loc, sku) for loc, sku in planned)
        return StockWriteResult(len(rows), tuple(over)), cells

    def expire(self, held: Held) -> None:
        lines = as_lines(held.held)
        for line in lines:
            self.shift(line, reserved=-line.quantity)
        held.move(lines, held.released)
        held.status = "expired"

    def expire_due(self, now: float) -> int:
        expired = 0
        while self.due and self.due[0][0] <= now:
            _, reservation_id = heapq.heappop(self.due)
            held = self.reservations[reservation_id]
            if held.status == "active":
                self.expire(held)
                expired += 1
        return expired

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Stock:
        columns = snapshot.stock
        state = cls(slots={loc: i for i, loc in enumerate(columns.locations)}, seq=snapshot.seq)
        width = max(8, len(columns.locations))
        for code in np.unique(columns.sku).tolist():
            state.stock[columns.skus[code]] = np.zeros((4, width), dtype=np.int64)
        for location_id, sku, on_hand, safety in columns.cells():
            state.stock[sku][[ON_HAND, SAFETY], state.slots[location_id]] = (on_hand, safety)
        for stored in snapshot.reservations:
            held = Held.of(stored)
            state.reservations[held.id] = held
            if held.status == "active":
                heapq.heappush(state.due, (held.expires_at, held.id))
                for line in stored.reservation.lines:
                    state.shift(line, reserved=line.quantity)
        for vector in state.stock.values():
            vector[ATF] = vector[ON_HAND] - vector[RESERVED] - vector[SAFETY]
        return state


def snapshot_of(marker: str, state: Stock) -> Snapshot:
    """Every cell with stock or safety stock, and every reservation, of ``state``."""
    skus = tuple(state.stock)
    locations = tuple(sorted(state.slots, key=state.slots.__getitem__))
    parts: list[tuple[int, int, int, int]] = []
    for code, sku in enumerate(skus):
        vector = state.stock[sku]
        width = min(vector.shape[1], len(locations))
        for slot in np.flatnonzero(vector[ON_HAND, :width] | vector[SAFETY, :width]).tolist():
            parts.append((code, slot, int(vector[ON_HAND, slot]), int(vector[SAFETY, slot])))
    table = np.array(parts, dtype=np.int64).reshape(-1, 4)
    columns = StockColumns(skus, locations, *(table[:, i].copy() for i in range(4)))
    reservations = tuple(
        StoredReservation(h.snapshot(), h.request) for h in state.reservations.values()
    )
    return Snapshot(marker, state.seq, columns, reservations)
