"""Inventory endpoints: full sync and deltas, availability, reservations (single and batch).

Handlers only translate: requests into ``flows.stock`` calls, results into response models.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from access.scopes import Scope
from api import errors
from api.auth import requires
from api.schemas import (
    AvailabilityOut,
    LoadOut,
    ReservationIn,
    ReservationOut,
    ReservationPartIn,
    ReservationResultOut,
    ReservationsIn,
    ReservationsOut,
)
from flows import stock
from flows.bootstrap import Services
from flows.errors import InvalidDocument, Issue
from inventory.deltas import deltas_from_csv, deltas_from_objects
from inventory.errors import InventoryError
from inventory.model import Reservation, ReservationLine
from inventory.records import parse_csv, parse_json

router = APIRouter()
CHECKOUT = [requires(Scope.checkout)]


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


_svc = services_of


@router.put("/v1/inventory", response_model=LoadOut, dependencies=[requires(Scope.ops)])
async def put_inventory(request: Request) -> LoadOut:
    """Full sync: on hand becomes exactly the body; every cell it does not name has none.
    Reservations stay (cells left with more reserved than on hand are reported)."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("text/csv"):
        records = parse_csv(raw.decode("utf-8", errors="replace"))
    else:
        records = parse_json(_parse_json_body(raw))
    # A bulk load can take seconds: keep it off the event loop that serves previews.
    result = await run_in_threadpool(stock.sync_records, _svc(request), records)
    return LoadOut.of("full_sync", result)


@router.patch("/v1/inventory", response_model=LoadOut, dependencies=[requires(Scope.ops)])
async def patch_inventory(request: Request) -> LoadOut:
    """Delta: only the rows named change. A row sets ``on_hand`` and/or ``safety_stock``
    (JSON, or CSV with the record columns), or moves on hand by ``adjust``."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("text/csv"):
        deltas = deltas_from_csv(raw.decode("utf-8", errors="replace"))
    else:
        deltas = deltas_from_objects(_parse_json_body(raw))
    result = await run_in_threadpool(stock.write_deltas, _svc(request), deltas)
    return LoadOut.of("delta", result)


@router.get("/v1/availability", response_model=AvailabilityOut, dependencies=CHECKOUT)
def get_availability(
    request: Request,
    sku: Annotated[str, Query(min_length=1)],
    location_id: str | None = None,
    location_group: str | None = None,
) -> AvailabilityOut:
    if (location_id is None) == (location_group is None):
        raise InvalidDocument(
            "query", [Issue("location_id", "give exactly one of location_id, location_group")]
        )
    figures = stock.availability(
        _svc(request), sku, location_id=location_id, location_group=location_group
    )
    return AvailabilityOut(
        sku=sku,
        location_id=location_id,
        location_group=location_group,
        on_hand=figures.on_hand,
        reserved=figures.reserved,
        safety_stock=figures.safety_stock,
        available_to_fulfill=figures.available_to_fulfill,
    )


@router.post(
    "/v1/reservations", status_code=201, response_model=ReservationOut, dependencies=CHECKOUT
)
def create_reservation(request: Request, body: ReservationIn) -> ReservationOut:
    lines = [ReservationLine(x.location_id, x.sku, x.quantity) for x in body.lines]
    made = stock.reserve(_svc(request), body.id, lines, body.ttl_seconds)
    return ReservationOut.of(made)


@router.post("/v1/reservations/batch", response_model=ReservationsOut, dependencies=CHECKOUT)
def create_reservations(request: Request, body: ReservationsIn) -> ReservationsOut:
    requests = [
        (
            r.id,
            [ReservationLine(x.location_id, x.sku, x.quantity) for x in r.lines],
            r.ttl_seconds,
        )
        for r in body.reservations
    ]
    outcomes = stock.reserve_many(_svc(request), requests)
    return ReservationsOut(
        results=[
            batch_result(r.id, outcome)
            for r, outcome in zip(body.reservations, outcomes, strict=True)
        ]
    )


@router.get(
    "/v1/reservations/{reservation_id}", response_model=ReservationOut, dependencies=CHECKOUT
)
def get_reservation(request: Request, reservation_id: str) -> ReservationOut:
    return ReservationOut.of(_svc(request).inventory.get_reservation(reservation_id))


@router.post(
    "/v1/reservations/{reservation_id}/release",
    response_model=ReservationOut,
    dependencies=CHECKOUT,
)
def release_reservation(
    request: Request, reservation_id: str, body: ReservationPartIn | None = None
) -> ReservationOut:
    lines = _part_lines(body)
    return ReservationOut.of(_svc(request).inventory.release(reservation_id, lines))


@router.post(
    "/v1/reservations/{reservation_id}/fulfill",
    response_model=ReservationOut,
    dependencies=CHECKOUT,
)
def fulfill_reservation(
    request: Request, reservation_id: str, body: ReservationPartIn | None = None
) -> ReservationOut:
    lines = _part_lines(body)
    return ReservationOut.of(_svc(request).inventory.fulfill(reservation_id, lines))


def batch_result(
    reservation_id: str, outcome: Reservation | InventoryError
) -> ReservationResultOut:
    if isinstance(outcome, Reservation):
        return ReservationResultOut(
            id=reservation_id, status=201, reservation=ReservationOut.of(outcome)
        )
    status, code = errors.status_of(outcome)
    return ReservationResultOut(id=reservation_id, status=status, error=code, message=str(outcome))


def _parse_json_body(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDocument("body", [Issue("body", f"not valid JSON: {exc}")]) from None


def _part_lines(body: ReservationPartIn | None) -> list[ReservationLine] | None:
    if body is None or body.lines is None:
        return None
    return [ReservationLine(x.location_id, x.sku, x.quantity) for x in body.lines]
