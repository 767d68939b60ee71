"""Request and response bodies of the HTTP API (one family per use)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from engine.answer import PreviewAnswer
from engine.order import Order
from inventory.model import DEFAULT_TTL_SECONDS, Reservation, StockWriteResult

_STRICT = ConfigDict(extra="forbid")

MAX_ROUTES_LIMIT = 20  # most routes one preview may ask for (HTTP and CLI alike)


class PreviewsIn(BaseModel):
    model_config = _STRICT
    orders: list[Order] = Field(min_length=1, max_length=1000)


class PreviewsOut(BaseModel):
    results: list[PreviewAnswer]


class ReservationLineIn(BaseModel):
    model_config = _STRICT
    location_id: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    quantity: StrictInt = Field(gt=0)


class ReservationIn(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1, max_length=200)
    lines: list[ReservationLineIn] = Field(min_length=1, max_length=100)
    ttl_seconds: StrictInt = Field(default=DEFAULT_TTL_SECONDS, gt=0, le=DEFAULT_TTL_SECONDS)


MAX_BATCH_RESERVATIONS = 500  # one Redis script and one record transaction per batch


class ReservationsIn(BaseModel):
    """Several reservations at once (one round trip to Redis, one record commit), each
    all-or-nothing on its own, as Omnichannel Inventory's batch reservation."""

    model_config = _STRICT
    reservations: list[ReservationIn] = Field(min_length=1, max_length=MAX_BATCH_RESERVATIONS)


class ReservationPartIn(BaseModel):
    """Release or fulfil part of a reservation; no body (or no lines) means all of it."""

    model_config = _STRICT
    lines: list[ReservationLineIn] | None = None


class ReservationLineOut(BaseModel):
    location_id: str
    sku: str
    quantity: int


class ReservationOut(BaseModel):
    id: str
    status: Literal["active", "fulfilled", "released", "expired"]
    expires_at: float
    lines: list[ReservationLineOut]
    fulfilled: list[ReservationLineOut]
    released: list[ReservationLineOut]

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationOut:
        def out(lines: tuple[object, ...]) -> list[ReservationLineOut]:
            return [ReservationLineOut.model_validate(line, from_attributes=True) for line in lines]

        return cls(
            id=reservation.id,
            status=reservation.status,
            expires_at=reservation.expires_at,
            lines=out(reservation.lines),
            fulfilled=out(reservation.fulfilled),
            released=out(reservation.released),
        )


class ReservationResultOut(BaseModel):
    """One reservation of a batch: ``status`` is the HTTP status it would have had alone
    (201 reserved or retried, 409 insufficient stock or conflict, 422 invalid)."""

    id: str
    status: int
    reservation: ReservationOut | None = None
    error: str | None = None
    message: str | None = None


class ReservationsOut(BaseModel):
    results: list[ReservationResultOut]


class AvailabilityOut(BaseModel):
    sku: str
    location_id: str | None = None
    location_group: str | None = None
    on_hand: int
    reserved: int
    safety_stock: int
    available_to_fulfill: int


class RulesOut(BaseModel):
    version: str
    source: str
    rules: dict[str, object]
    text: str


class NetworkOut(BaseModel):
    version: str
    locations: int
    location_groups: int
    delivery_methods: int


class OverReservedOut(BaseModel):
    row: int | None = Field(
        description="index of the row in the body; null for a cell a full sync dropped"
    )
    location_id: str
    sku: str
    on_hand: int
    reserved: int


class LoadOut(BaseModel):
    """What an inventory load did. ``over_reserved``: rows (and, for a full sync, dropped
    cells) where active reservations now hold more than is on hand; nothing was clamped."""

    mode: Literal["full_sync", "delta"]
    records: int
    over_reserved: list[OverReservedOut] = []

    @classmethod
    def of(cls, mode: Literal["full_sync", "delta"], result: StockWriteResult) -> LoadOut:
        over = [
            OverReservedOut(
                row=o.row,
                location_id=o.location_id,
                sku=o.sku,
                on_hand=o.on_hand,
                reserved=o.reserved,
            )
            for o in result.over_reserved
        ]
        return cls(mode=mode, records=result.written, over_reserved=over)


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    error: str
    message: str
    detail: list[ErrorDetail] = []
