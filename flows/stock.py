"""Use cases over inventory: availability reads, bulk loads and reservations.

Locations are checked against the active network here, so a typo in a location id is a
clear error instead of stock parked at a location no route can ever use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flows.bootstrap import Services
from flows.errors import InvalidDocument, Issue, UnknownLocationOrGroup
from inventory.errors import InvalidReservation, InventoryError
from inventory.model import (
    Availability,
    InventoryRecord,
    Reservation,
    ReservationLine,
    ReservationRequest,
    StockDelta,
    StockWriteResult,
)


def availability(
    services: Services, sku: str, *, location_id: str | None, location_group: str | None
) -> Availability:
    network = services.config().network
    if location_id is not None:
        if location_id not in network.index:
            raise UnknownLocationOrGroup("location_id", location_id)
        return services.inventory.availability(location_id, sku)
    assert location_group is not None
    members = network.groups.get(location_group)
    if members is None:
        raise UnknownLocationOrGroup("location_group", location_group)
    return services.inventory.group_availability(sorted(members), sku)


def sync_records(services: Services, records: Sequence[InventoryRecord]) -> StockWriteResult:
    """Full sync: afterwards on hand is exactly ``records``; every other cell has none."""
    _require_known_locations(services, [r.location_id for r in records], "records")
    return services.inventory.sync(records)


def write_deltas(
    services: Services,
    deltas: Sequence[StockDelta],
    progress: Callable[[int], None] = lambda _: None,
) -> StockWriteResult:
    """Change only the rows named (set figures, or adjust on hand)."""
    _require_known_locations(services, [d.location_id for d in deltas], "records")
    return services.inventory.write_stock(deltas, progress)


def reserve(
    services: Services, reservation_id: str, lines: Sequence[ReservationLine], ttl_seconds: int
) -> Reservation:
    _require_known_locations(services, [line.location_id for line in lines], "lines")
    return services.inventory.reserve(reservation_id, lines, ttl_seconds)


def reserve_many(
    services: Services, requests: Sequence[ReservationRequest]
) -> list[Reservation | InventoryError]:
    """Each request on its own; one naming an unknown location is refused alone."""
    known = services.config().network.index
    outcomes: list[Reservation | InventoryError | None] = []
    asked: list[ReservationRequest] = []
    for reservation_id, lines, ttl in requests:
        unknown = sorted({x.location_id for x in lines if x.location_id not in known})
        if unknown:
            outcomes.append(InvalidReservation(f"lines: unknown location {unknown[0]!r}"))
        else:
            outcomes.append(None)
            asked.append((reservation_id, lines, ttl))
    made = iter(services.inventory.reserve_many(asked) if asked else [])
    return [next(made) if outcome is None else outcome for outcome in outcomes]


def _require_known_locations(services: Services, location_ids: Sequence[str], what: str) -> None:
    known = services.config().network.index
    issues = [
        Issue(f"{what}[{i}].location_id", f"unknown location {loc!r}")
        for i, loc in enumerate(location_ids)
        if loc not in known
    ]
    if issues:
        raise InvalidDocument(what, issues[:20])
