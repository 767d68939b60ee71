"""Return Order (RMA) endpoints (see flows/service_rma.py): open one on an Order Summary,
approve, cancel, receive units against it, read. Opening and receiving take an
``Idempotency-Key`` header."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from access.scopes import Scope
from api.app_inventory import services_of
from api.app_service import IdempotencyKey
from api.auth import requires
from flows import service_rma
from summary.return_order import ReceiptLine

router = APIRouter(dependencies=[requires(Scope.agent)])
_STRICT = ConfigDict(extra="forbid")


class ReturnOrderLineIn(BaseModel):
    model_config = _STRICT
    line_id: str = Field(min_length=1)
    quantity: StrictInt = Field(gt=0, le=1_000_000, description="units expected back")
    reason: str = Field(min_length=1, max_length=64)


class ReturnOrderIn(BaseModel):
    model_config = _STRICT
    lines: list[ReturnOrderLineIn] = Field(min_length=1, max_length=1000)
    location_id: str | None = Field(
        default=None, description="where the units are expected back (restocked there)"
    )


class ReceiveLineIn(BaseModel):
    model_config = _STRICT
    line_id: str = Field(min_length=1)
    quantity_received: StrictInt = Field(ge=0, le=1_000_000, description="returned + rejected")
    quantity_returned: StrictInt = Field(ge=0, le=1_000_000, description="accepted, refunded")
    quantity_rejected: StrictInt = Field(default=0, ge=0, le=1_000_000)
    quantity_canceled: StrictInt = Field(
        default=0, ge=0, le=1_000_000, description="units no longer expected"
    )
    rejection_reason: str | None = Field(default=None, min_length=1, max_length=255)


class ReceiveIn(BaseModel):
    model_config = _STRICT
    lines: list[ReceiveLineIn] = Field(min_length=1, max_length=1000)
    location_id: str | None = Field(
        default=None, description="where the units arrived, if not the return order's location"
    )
    refund_delivery: bool = Field(
        default=False, description="credit the delivery charge the lines' groups still hold"
    )


def _create(
    request: Request, key: str, body: ReturnOrderIn, idem: str | None, *, preview: bool
) -> Any:
    return service_rma.create(
        services_of(request),
        key,
        lines=[(x.line_id, x.quantity, x.reason) for x in body.lines],
        location_id=body.location_id,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/order-summaries/{key}/return-orders/preview")
def create_return_order_preview(request: Request, key: str, body: ReturnOrderIn) -> Any:
    """The return order (without an id) and the summary it would make; writes nothing."""
    return _create(request, key, body, None, preview=True)


@router.post("/v1/order-summaries/{key}/return-orders")
def create_return_order(
    request: Request, key: str, body: ReturnOrderIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """Open a Submitted return order: each line's units (at most what is available to
    return) become return initiated."""
    return _create(request, key, body, idempotency_key, preview=False)


@router.get("/v1/order-summaries/{key}/return-orders")
def list_return_orders(request: Request, key: str) -> Any:
    return service_rma.return_orders(services_of(request), key)


@router.get("/v1/return-orders/{ro_id}")
def get_return_order(request: Request, ro_id: str) -> Any:
    return service_rma.return_order(services_of(request), ro_id)


@router.post("/v1/return-orders/{ro_id}/approve")
def approve_return_order(request: Request, ro_id: str) -> Any:
    """Submitted → Approved: its units may now be received."""
    return service_rma.approve(services_of(request), ro_id)


@router.post("/v1/return-orders/{ro_id}/cancel")
def cancel_return_order(request: Request, ro_id: str) -> Any:
    """Cancel a Submitted or Approved return order: its units stop being return initiated."""
    return service_rma.cancel(services_of(request), ro_id)


def _receive(
    request: Request, ro_id: str, body: ReceiveIn, idem: str | None, *, preview: bool
) -> Any:
    return service_rma.receive_units(
        services_of(request),
        ro_id,
        lines=[
            ReceiptLine(
                x.line_id,
                x.quantity_received,
                x.quantity_returned,
                x.quantity_rejected,
                x.quantity_canceled,
                x.rejection_reason,
            )
            for x in body.lines
        ],
        location_id=body.location_id,
        refund_delivery=body.refund_delivery,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/return-orders/{ro_id}/receive/preview")
def receive_return_order_preview(request: Request, ro_id: str, body: ReceiveIn) -> Any:
    """What a receipt would change and refund; writes nothing."""
    return _receive(request, ro_id, body, None, preview=True)


@router.post("/v1/return-orders/{ro_id}/receive")
def receive_return_order(
    request: Request, ro_id: str, body: ReceiveIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """Record units received (returned or rejected) and canceled: returned units are
    refunded (a Credit Memo, less the reason's fee) and restocked when the reason says so."""
    return _receive(request, ro_id, body, idempotency_key, preview=False)
