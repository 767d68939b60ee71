"""Validation and canonical form of reservation requests, shared by every adapter. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence

from inventory.errors import InvalidReservation
from inventory.model import (
    MAX_COUNT,
    MAX_RESERVATION_LINES,
    MAX_TTL_SECONDS,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StoredReservation,
)

LineKey = tuple[str, str]


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_reservation_id(reservation_id: object) -> str:
    if not isinstance(reservation_id, str) or not reservation_id.strip():
        raise InvalidReservation("reservation id: expected a non-empty string")
    if len(reservation_id) > 256:
        raise InvalidReservation("reservation id: expected at most 256 characters")
    return reservation_id


def check_ttl(ttl_seconds: object) -> int:
    if _is_count(ttl_seconds) and 0 < ttl_seconds <= MAX_TTL_SECONDS:  # type: ignore[operator]
        return ttl_seconds  # type: ignore[return-value]
    raise InvalidReservation(
        f"ttl_seconds: expected an integer in 1..{MAX_TTL_SECONDS}, got {ttl_seconds!r}"
    )


def canonical_lines(lines: Sequence[ReservationLine]) -> tuple[ReservationLine, ...]:
    """Validate ``lines`` and merge repeated (location, sku) pairs, sorted by (location, sku).

    The canonical form makes a retry with the lines in another order (or split differently
    over repeated pairs) the same request, and lets a stock check see the summed quantity.
    """
    if not lines:
        raise InvalidReservation("lines: expected at least one line")
    if len(lines) > MAX_RESERVATION_LINES:
        raise InvalidReservation(f"lines: expected at most {MAX_RESERVATION_LINES} lines")
    totals: dict[LineKey, int] = {}
    for index, line in enumerate(lines):
        _check_line(index, line)
        key = (line.location_id, line.sku)
        totals[key] = totals.get(key, 0) + line.quantity
    if any(q > MAX_COUNT for q in totals.values()):
        raise InvalidReservation(f"lines: a quantity exceeds {MAX_COUNT}")
    return tuple(ReservationLine(loc, sku, q) for (loc, sku), q in sorted(totals.items()))


def _check_line(index: int, line: ReservationLine) -> None:
    for field in ("location_id", "sku"):
        value = getattr(line, field)
        if not isinstance(value, str) or not value:
            raise InvalidReservation(f"lines[{index}].{field}: expected a non-empty string")
    if not _is_count(line.quantity) or line.quantity <= 0:
        raise InvalidReservation(
            f"lines[{index}].quantity: expected a positive integer, got {line.quantity!r}"
        )


def settled(reservation: Reservation, now: float) -> Reservation:
    """``reservation`` as it stands at ``now``: an active one past its TTL is expired, its
    held lines released (what a cache does when it sweeps it, and how the record reads it)."""
    if reservation.status != "active" or reservation.expires_at > now:
        return reservation
    released: dict[LineKey, int] = {}
    for line in (*reservation.released, *reservation.lines):
        key = (line.location_id, line.sku)
        released[key] = released.get(key, 0) + line.quantity
    return Reservation(
        id=reservation.id,
        lines=(),
        status="expired",
        expires_at=reservation.expires_at,
        fulfilled=reservation.fulfilled,
        released=as_lines(released),
    )


def encode_lines(lines: Sequence[ReservationLine]) -> str:
    """Lines as stored by every adapter (Redis hashes, the SQL record): JSON
    ``[[location, sku, quantity], ...]``. The reserve script recognises a retry by comparing
    this text, so every writer of a request must encode its canonical lines with this."""
    return json.dumps([[line.location_id, line.sku, line.quantity] for line in lines])


def decode_lines(raw: str | bytes | None) -> tuple[ReservationLine, ...]:
    """Lines of :func:`encode_lines` text, sorted by (location, sku)."""
    items = json.loads(raw) if raw else []
    lines = (ReservationLine(loc, sku, int(q)) for loc, sku, q in items)
    return tuple(sorted(lines, key=lambda line: (line.location_id, line.sku)))


def stored_from_text(
    reservation_id: str,
    status: ReservationStatus,
    expires_at: float | str | bytes,
    held: str | bytes,
    fulfilled: str | bytes,
    released: str | bytes,
    request: str | bytes,
) -> StoredReservation:
    """A stored reservation from its fields as an adapter keeps them (lines as
    :func:`encode_lines` text): one reader for the Redis hash and the SQL row."""
    reservation = Reservation(
        id=reservation_id,
        lines=decode_lines(held),
        status=status,
        expires_at=float(expires_at),
        fulfilled=decode_lines(fulfilled),
        released=decode_lines(released),
    )
    return StoredReservation(reservation, decode_lines(request))


def as_quantities(lines: Sequence[ReservationLine]) -> dict[LineKey, int]:
    return {(line.location_id, line.sku): line.quantity for line in lines}


def as_lines(quantities: dict[LineKey, int]) -> tuple[ReservationLine, ...]:
    """Sorted lines of the non-zero quantities."""
    return tuple(ReservationLine(loc, sku, q) for (loc, sku), q in sorted(quantities.items()) if q)


def check_held(
    reservation_id: str, action: str, wanted: Sequence[ReservationLine], held: dict[LineKey, int]
) -> None:
    """Refuse to release or fulfill more of a (location, sku) than the reservation holds."""
    for line in wanted:
        have = held.get((line.location_id, line.sku), 0)
        if line.quantity > have:
            raise InvalidReservation(
                f"reservation {reservation_id}: cannot {action} {line.quantity} of {line.sku} "
                f"at {line.location_id}: it holds {have}"
            )
