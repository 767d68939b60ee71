"""In-process inventory: the embedded default. Thread-safe behind one lock. Pure: no I/O.

Per SKU, one int64 array of shape (4, capacity) over location slots holds on hand, reserved,
safety stock and available to fulfill, so ``atf_matrix`` is fancy indexing. Closed
(released, expired, fulfilled) reservations are kept for the life of the process so a retry
gets the same answer.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inventory.checks import (
    LineKey,
    as_lines,
    as_quantities,
    canonical_lines,
    check_held,
    check_reservation_id,
    check_ttl,
)
from inventory.errors import (
    InsufficientStock,
    InvalidReservation,
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
from inventory.slots import IntMatrix, SlotIndexCache, gather

ON_HAND, RESERVED, SAFETY, ATF = range(4)
Vector = npt.NDArray[np.int64]


@dataclass(slots=True)
class _Held:
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


class MemoryInventory:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, int] = {}
        self._stock: dict[str, npt.NDArray[np.int64]] = {}
        self._reservations: dict[str, _Held] = {}
        self._due: list[tuple[float, str]] = []  # heap of (expires_at, reservation id)
        self._indexes = SlotIndexCache()

    # -- stock -------------------------------------------------------------------------------

    def upsert(self, records: Iterable[InventoryRecord]) -> int:
        checked = check_records(records)
        with self._lock:
            for record in checked:
                slot = self._slots.setdefault(record.location_id, len(self._slots))
                column = self._column(record.sku, slot)
                column[ON_HAND] = record.on_hand
                column[SAFETY] = record.safety_stock
                column[ATF] = column[ON_HAND] - column[RESERVED] - column[SAFETY]
        return len(checked)

    def _column(self, sku: str, slot: int) -> Vector:
        """The (4,) view of ``sku`` at ``slot``, growing the SKU's array when needed."""
        stock = self._stock.get(sku)
        if stock is None or stock.shape[1] <= slot:
            grown = np.zeros((4, max(8, 2 * (slot + 1))), dtype=np.int64)
            if stock is not None:
                grown[:, : stock.shape[1]] = stock
            self._stock[sku] = stock = grown
        return stock[:, slot]

    def _figures(self, location_id: str, sku: str) -> Availability:
        slot = self._slots.get(location_id)
        stock = self._stock.get(sku)
        if slot is None or stock is None or stock.shape[1] <= slot:
            return Availability()
        on_hand, reserved, safety, _ = stock[:, slot].tolist()
        return Availability(on_hand, reserved, safety)

    def is_empty(self) -> bool:
        with self._lock:
            return not self._slots

    def availability(self, location_id: str, sku: str) -> Availability:
        with self._lock:
            return self._figures(location_id, sku)

    def availability_many(self, pairs: Sequence[tuple[str, str]]) -> list[Availability]:
        with self._lock:
            return [self._figures(location_id, sku) for location_id, sku in pairs]

    def group_availability(self, location_ids: Sequence[str], sku: str) -> Availability:
        with self._lock:
            figures = [self._figures(loc, sku) for loc in dict.fromkeys(location_ids)]
        return Availability(
            sum(f.on_hand for f in figures),
            sum(f.reserved for f in figures),
            sum(f.safety_stock for f in figures),
        )

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntMatrix:
        with self._lock:
            width = len(self._slots)
            index = self._indexes.index(location_ids, self._slots, width)
            rows = [self._row(sku) for sku in skus]
            return gather(rows, index, width)

    def _row(self, sku: str) -> Vector | None:
        stock = self._stock.get(sku)
        return None if stock is None else stock[ATF]

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
        with self._lock:
            now = self._clock()
            self._expire_due_locked(now)
            existing = self._reservations.get(reservation_id)
            if existing is not None:
                if existing.request != request:
                    raise ReservationConflict(reservation_id)
                return existing.snapshot()
            shortages = [
                Shortage(line.location_id, line.sku, line.quantity, usable)
                for line in request
                if (usable := self._figures(line.location_id, line.sku).available_to_fulfill)
                < line.quantity
            ]
            if shortages:
                raise InsufficientStock(reservation_id, shortages)
            for line in request:
                self._shift(line, reserved=line.quantity)
            state = _Held(reservation_id, request, now + ttl, held=as_quantities(request))
            self._reservations[reservation_id] = state
            heapq.heappush(self._due, (state.expires_at, reservation_id))
            return state.snapshot()

    def _shift(self, line: ReservationLine, reserved: int, on_hand: int = 0) -> None:
        slot = self._slots.get(line.location_id)
        if slot is None:
            return  # only reachable for a location that never had stock: nothing to shift
        column = self._column(line.sku, slot)
        column[RESERVED] = max(0, column[RESERVED] + reserved)
        # a shipment consumes what was really there even when a recount lowered on hand
        column[ON_HAND] = max(0, column[ON_HAND] + on_hand)
        column[ATF] = column[ON_HAND] - column[RESERVED] - column[SAFETY]

    def release(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self._close(reservation_id, lines, "release")

    def fulfill(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self._close(reservation_id, lines, "fulfill")

    def _close(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None, action: str
    ) -> Reservation:
        wanted = None if lines is None else canonical_lines(lines)
        with self._lock:
            state = self._settled(reservation_id)
            if wanted is None:
                if state.status != "active":
                    if action == "release" or state.status == "fulfilled":
                        return state.snapshot()  # a retry of a whole release / fulfil
                    raise InvalidReservation(
                        f"reservation {reservation_id} is {state.status}: nothing held to fulfill"
                    )
                wanted = as_lines(state.held)
            check_held(reservation_id, action, wanted, state.held)
            for line in wanted:
                if action == "release":
                    self._shift(line, reserved=-line.quantity)
                else:
                    self._shift(line, reserved=-line.quantity, on_hand=-line.quantity)
            state.move(wanted, state.released if action == "release" else state.fulfilled)
            return state.snapshot()

    def get_reservation(self, reservation_id: str) -> Reservation:
        with self._lock:
            return self._settled(reservation_id).snapshot()

    def _settled(self, reservation_id: str) -> _Held:
        """The reservation, expired first if its time has come."""
        state = self._reservations.get(reservation_id)
        if state is None:
            raise UnknownReservation(reservation_id)
        if state.status == "active" and state.expires_at <= self._clock():
            self._expire(state)
        return state

    def _expire(self, state: _Held) -> None:
        lines = as_lines(state.held)
        for line in lines:
            self._shift(line, reserved=-line.quantity)
        state.move(lines, state.released)
        state.status = "expired"

    def expire_due(self) -> int:
        with self._lock:
            return self._expire_due_locked(self._clock())

    def _expire_due_locked(self, now: float) -> int:
        expired = 0
        while self._due and self._due[0][0] <= now:
            _, reservation_id = heapq.heappop(self._due)
            state = self._reservations[reservation_id]
            if state.status == "active":
                self._expire(state)
                expired += 1
        return expired
