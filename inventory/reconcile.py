"""Compare a cache build with the durable record. Pure.

Both sides are normalised the same way before comparing: an active reservation whose time
has passed counts as expired (the cache expires lazily, the record by its TTL), and reserved
units are what active reservations hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from inventory.checks import settled
from inventory.model import Reservation, ReservationLine, StoredReservation
from inventory.snapshot import Codes, Snapshot, StockColumns

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


MAX_REPORTED = 1000  # stock differences listed; a broken cache of 50M cells must not flood


def _keyed(
    columns: StockColumns, skus: npt.NDArray[np.str_], locations: npt.NDArray[np.str_]
) -> tuple[Codes, Codes, Codes]:
    """Cells with stock or safety stock as (sorted keys, on hand, safety stock), the keys in a
    code space shared by both sides (``skus``, ``locations``: the sorted union of names)."""
    sku = np.searchsorted(skus, np.array(columns.skus, dtype=skus.dtype))
    loc = np.searchsorted(locations, np.array(columns.locations, dtype=locations.dtype))
    kept = (columns.on_hand != 0) | (columns.safety_stock != 0)
    keys = sku[columns.sku[kept]].astype(np.int64) * len(locations) + loc[columns.location[kept]]
    order = np.argsort(keys, kind="stable")
    return keys[order], columns.on_hand[kept][order], columns.safety_stock[kept][order]


def stock_differences(cache: StockColumns, record: StockColumns) -> list[Difference]:
    """Cells whose on hand or safety stock differ (or exist on one side only), vectorised:
    a production record holds tens of millions of cells."""
    skus = np.unique(np.array([*cache.skus, *record.skus, ""], dtype=str))
    locations = np.unique(np.array([*cache.locations, *record.locations, ""], dtype=str))
    ours, theirs = _keyed(cache, skus, locations), _keyed(record, skus, locations)
    _, i, j = np.intersect1d(ours[0], theirs[0], assume_unique=True, return_indices=True)
    changed = (ours[1][i] != theirs[1][j]) | (ours[2][i] != theirs[2][j])
    only_ours = np.flatnonzero(~np.isin(ours[0], theirs[0], assume_unique=True))
    only_theirs = np.flatnonzero(~np.isin(theirs[0], ours[0], assume_unique=True))
    found: dict[int, tuple[Figures | None, Figures | None]] = {}
    for a, b in zip(
        i[changed][:MAX_REPORTED].tolist(), j[changed][:MAX_REPORTED].tolist(), strict=True
    ):
        found[int(ours[0][a])] = (
            (int(ours[1][a]), int(ours[2][a])),
            (int(theirs[1][b]), int(theirs[2][b])),
        )
    for a in only_ours[:MAX_REPORTED].tolist():
        found[int(ours[0][a])] = ((int(ours[1][a]), int(ours[2][a])), None)
    for b in only_theirs[:MAX_REPORTED].tolist():
        found[int(theirs[0][b])] = (None, (int(theirs[1][b]), int(theirs[2][b])))
    width = len(locations)
    return [
        Difference(
            "stock", f"{locations[key % width]}/{skus[key // width]}", _show(mine), _show(other)
        )
        for key, (mine, other) in sorted(found.items())
    ][:MAX_REPORTED]


def _effective(reservation: Reservation, now: float) -> ResState:
    def flat(lines: tuple[ReservationLine, ...]) -> tuple[tuple[str, str, int], ...]:
        return tuple((x.location_id, x.sku, x.quantity) for x in lines)

    r = settled(reservation, now)
    return (r.status, flat(r.fulfilled), flat(r.released))


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
    found += stock_differences(cache.stock, record.stock)
    for kind, ours, theirs in (
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
