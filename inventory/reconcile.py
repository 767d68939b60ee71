"""Compare a cache build with the durable record. Pure.

Both sides are normalised the same way before comparing: an active reservation whose time
has passed counts as expired (the cache expires lazily, the record by its TTL), and reserved
units are what active reservations hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inventory.model import Reservation, StoredReservation
from inventory.snapshot import Snapshot

Figures = tuple[int, int]  # on hand, safety stock
ResState = tuple[str, tuple[tuple[str, str, int], ...], tuple[tuple[str, str, int], ...]]


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing the cache and the record disagree on."""

    kind: Literal["stock", "reserved", "reservation"]
    key: str
    cache: str
    record: str

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: cache {self.cache}, record {self.record}"


def _cells(snapshot: Snapshot) -> dict[tuple[str, str], Figures]:
    return {
        (location_id, sku): (on_hand, safety)
        for location_id, sku, on_hand, safety in snapshot.stock.cells()
        if on_hand or safety
    }


def _effective(reservation: Reservation, now: float) -> ResState:
    def flat(lines: tuple[object, ...]) -> tuple[tuple[str, str, int], ...]:
        return tuple((x.location_id, x.sku, x.quantity) for x in lines)  # type: ignore[attr-defined]

    if reservation.status == "active" and reservation.expires_at <= now:
        released = {(x.location_id, x.sku): x.quantity for x in reservation.released}
        for line in reservation.lines:
            key = (line.location_id, line.sku)
            released[key] = released.get(key, 0) + line.quantity
        return (
            "expired",
            flat(reservation.fulfilled),
            tuple(sorted((*k, q) for k, q in released.items())),
        )
    return (reservation.status, flat(reservation.fulfilled), flat(reservation.released))


def _reservations(stored: tuple[StoredReservation, ...], now: float) -> dict[str, ResState]:
    return {s.reservation.id: _effective(s.reservation, now) for s in stored}


def _reserved(stored: tuple[StoredReservation, ...], now: float) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for s in stored:
        r = s.reservation
        if r.status == "active" and r.expires_at > now:
            for line in r.lines:
                key = (line.location_id, line.sku)
                totals[key] = totals.get(key, 0) + line.quantity
    return totals


def reserved_cells(cache: Snapshot, record: Snapshot, now: float) -> list[tuple[str, str]]:
    """Cells where either side holds active reservations: where reserved must be compared."""
    cells = set(_reserved(cache.reservations, now)) | set(_reserved(record.reservations, now))
    return sorted(cells)


def compare(
    cache: Snapshot, record: Snapshot, now: float, cache_reserved: dict[tuple[str, str], int]
) -> list[Difference]:
    """Every difference between ``cache`` and ``record`` as of ``now``, sorted.
    ``cache_reserved`` is the reserved figure the cache *serves* for the cells of
    :func:`reserved_cells` (its vectors, not its reservations: they can drift apart)."""
    found: list[Difference] = []
    record_reserved = _reserved(record.reservations, now)
    served = {cell: q for cell, q in cache_reserved.items() if q}
    for kind, ours, theirs in (
        ("stock", _cells(cache), _cells(record)),
        ("reserved", served, record_reserved),
        (
            "reservation",
            _reservations(cache.reservations, now),
            _reservations(record.reservations, now),
        ),
    ):
        for key in sorted(set(ours) | set(theirs), key=str):
            mine, other = ours.get(key), theirs.get(key)  # type: ignore[call-overload]
            if mine != other:
                label = key if isinstance(key, str) else "/".join(key)
                found.append(Difference(kind, label, _show(mine), _show(other)))  # type: ignore[arg-type]
    return found


def _show(value: object) -> str:
    return "missing" if value is None else str(value)
