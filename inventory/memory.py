"""In-process inventory: the embedded default's cache and the unit tests' store. Pure: no I/O.

Per SKU, one int64 array of shape (4, capacity) over location slots holds on hand, reserved,
safety stock and available to fulfill, so ``atf_matrix`` is fancy indexing. Everything sits
behind one lock. Closed (released, expired, fulfilled) reservations are kept for the life of
the build so a retry gets the same answer.

As a cache of the durable record it is *built* from a snapshot (``build``) and answers every
write with the :class:`Change` it made; without a record it starts as the ``standalone`` build.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from inventory.checks import as_lines, canonical_lines, check_held, check_reservation_id, check_ttl
from inventory.deltas import check_deltas, sets_of
from inventory.errors import (
    CacheNotReady,
    InsufficientStock,
    InvalidReservation,
    InventoryError,
    ReservationConflict,
    Shortage,
    UnknownReservation,
)
from inventory.memory_state import ATF, Held, Stock, snapshot_of
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
    StockWriteResult,
    StoredReservation,
)
from inventory.records import check_records
from inventory.slots import IntMatrix, SlotIndexCache, gather
from inventory.snapshot import Snapshot

STANDALONE = "standalone.0"
NOT_READY = "inventory cache is being rebuilt from the record; retry shortly"


class MemoryInventory:
    def __init__(
        self, clock: Callable[[], float] = time.time, marker: str | None = STANDALONE
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._marker = marker
        self._state = Stock()
        self._indexes = SlotIndexCache()

    # -- builds ------------------------------------------------------------------------------

    def built_from(self) -> str | None:
        return self._marker

    def build(self, snapshot: Snapshot) -> None:
        state = Stock.from_snapshot(snapshot)  # built aside: readers keep the old one meanwhile
        with self._lock:
            self._state, self._marker = state, snapshot.marker
            self._indexes = SlotIndexCache()

    def discard_stale(self) -> None:
        """Nothing to do: the old build went with the reference to it."""

    def invalidate(self, marker: str) -> None:
        with self._lock:
            if self._marker == marker:
                self._marker = None

    def dump(self) -> Snapshot:
        with self._lock:
            return snapshot_of(self._ready(), self._state)

    def _ready(self) -> str:
        if self._marker is None:
            raise CacheNotReady(NOT_READY)
        return self._marker

    # -- stock -------------------------------------------------------------------------------

    def write_stock(self, deltas: Sequence[StockDelta]) -> tuple[StockWriteResult, Change]:
        rows = check_deltas(deltas)
        with self._lock:
            marker = self._ready()
            result, cells = self._state.apply(rows)  # checks every row before changing any
            return result, Change(marker, self._state.next_seq(), cells=cells)

    def upsert(self, records: Iterable[InventoryRecord]) -> int:
        return self.write_stock(sets_of(check_records(records)))[0].written

    def is_empty(self) -> bool:
        with self._lock:
            self._ready()
            return not self._state.slots

    def availability(self, location_id: str, sku: str) -> Availability:
        with self._lock:
            self._ready()
            return self._state.figures(location_id, sku)

    def availability_many(self, pairs: Sequence[tuple[str, str]]) -> list[Availability]:
        with self._lock:
            self._ready()
            return [self._state.figures(location_id, sku) for location_id, sku in pairs]

    def group_availability(self, location_ids: Sequence[str], sku: str) -> Availability:
        with self._lock:
            self._ready()
            figures = [self._state.figures(loc, sku) for loc in dict.fromkeys(location_ids)]
        return Availability(
            sum(f.on_hand for f in figures),
            sum(f.reserved for f in figures),
            sum(f.safety_stock for f in figures),
        )

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntMatrix:
        with self._lock:
            self._ready()
            state = self._state
            width = len(state.slots)
            index = self._indexes.index(location_ids, state.slots, width)
            rows = [None if (s := state.stock.get(sku)) is None else s[ATF] for sku in skus]
            return gather(rows, index, width)

    # -- reservations ------------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        lines: Sequence[ReservationLine],
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> Reservation:
        return self.reserve_change(reservation_id, lines, ttl_seconds)[0]

    def reserve_change(
        self, reservation_id: str, lines: Sequence[ReservationLine], ttl_seconds: int
    ) -> tuple[Reservation, Change | None]:
        check_reservation_id(reservation_id)
        request = canonical_lines(lines)
        ttl = check_ttl(ttl_seconds)
        with self._lock:
            marker, state = self._ready(), self._state
            now = self._clock()
            state.expire_due(now)
            existing = state.reservations.get(reservation_id)
            if existing is not None:
                if existing.request != request:
                    raise ReservationConflict(reservation_id)
                return existing.snapshot(), None
            shortages = [
                Shortage(line.location_id, line.sku, line.quantity, usable)
                for line in request
                if (usable := state.figures(line.location_id, line.sku).available_to_fulfill)
                < line.quantity
            ]
            if shortages:
                raise InsufficientStock(reservation_id, shortages)
            for line in request:
                state.shift(line, reserved=line.quantity)
            held = Held(reservation_id, request, now + ttl, held=dict(_quantities(request)))
            state.reservations[reservation_id] = held
            heapq.heappush(state.due, (held.expires_at, reservation_id))
            return held.snapshot(), self._change(marker, held)

    def reserve_many(
        self, requests: Sequence[ReservationRequest]
    ) -> list[Reservation | InventoryError]:
        return [outcome for outcome, _ in self.reserve_many_change(requests)]

    def reserve_many_change(
        self, requests: Sequence[ReservationRequest]
    ) -> list[tuple[Reservation | InventoryError, Change | None]]:
        """Each reservation all-or-nothing on its own; a refusal does not stop the others."""
        outcomes: list[tuple[Reservation | InventoryError, Change | None]] = []
        for reservation_id, lines, ttl_seconds in requests:
            try:
                outcomes.append(self.reserve_change(reservation_id, lines, ttl_seconds))
            except (InvalidReservation, ReservationConflict, InsufficientStock) as exc:
                outcomes.append((exc, None))
        return outcomes

    def release(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self.release_change(reservation_id, lines)[0]

    def fulfill(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None = None
    ) -> Reservation:
        return self.fulfill_change(reservation_id, lines)[0]

    def release_change(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None
    ) -> tuple[Reservation, Change | None]:
        return self._close(reservation_id, lines, "release")

    def fulfill_change(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None
    ) -> tuple[Reservation, Change | None]:
        return self._close(reservation_id, lines, "fulfill")

    def _close(
        self, reservation_id: str, lines: Sequence[ReservationLine] | None, action: str
    ) -> tuple[Reservation, Change | None]:
        wanted = None if lines is None else canonical_lines(lines)
        with self._lock:
            marker, state = self._ready(), self._state
            held = self._settled(reservation_id)
            if wanted is None:
                if held.status != "active":
                    if action == "release" or held.status == "fulfilled":
                        return held.snapshot(), None  # a retry of a whole release / fulfil
                    raise InvalidReservation(
                        f"reservation {reservation_id} is {held.status}: nothing held to fulfill"
                    )
                wanted = as_lines(held.held)
            check_held(reservation_id, action, wanted, held.held)
            for line in wanted:
                if action == "release":
                    state.shift(line, reserved=-line.quantity)
                else:
                    state.shift(line, reserved=-line.quantity, on_hand=-line.quantity)
            held.move(wanted, held.released if action == "release" else held.fulfilled)
            cells = state.cells(wanted) if action == "fulfill" else ()
            return held.snapshot(), self._change(marker, held, cells)

    def _change(self, marker: str, held: Held, cells: tuple[StockCell, ...] = ()) -> Change:
        stored = StoredReservation(held.snapshot(), held.request)
        return Change(marker, self._state.next_seq(), cells=cells, reservations=(stored,))

    def get_reservation(self, reservation_id: str) -> Reservation:
        with self._lock:
            self._ready()
            return self._settled(reservation_id).snapshot()

    def _settled(self, reservation_id: str) -> Held:
        """The reservation, expired first if its time has come."""
        held = self._state.reservations.get(reservation_id)
        if held is None:
            raise UnknownReservation(reservation_id)
        if held.status == "active" and held.expires_at <= self._clock():
            self._state.expire(held)
        return held

    def expire_due(self) -> int:
        with self._lock:
            self._ready()
            return self._state.expire_due(self._clock())


def _quantities(lines: Sequence[ReservationLine]) -> Iterable[tuple[tuple[str, str], int]]:
    return (((line.location_id, line.sku), line.quantity) for line in lines)
