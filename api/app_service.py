"""Service action endpoints on an Order Summary (cancel for now): preview and submit, the
submit idempotent on the ``Idempotency-Key`` header."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from access.scopes import Scope
from api.app_inventory import services_of
from api.app_orders import LineQuantity
from api.auth import requires
from flows import service_actions, service_flows
from service.adjust import AdjustLine

router = APIRouter(dependencies=[requires(Scope.agent)])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="the same key with the same body answers the first result again",
    ),
]


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineQuantity] = Field(min_length=1, max_length=1000)
    reason: str = Field(default="customer_request", min_length=1, max_length=255)
    prorate_delivery: bool = Field(
        default=False, description="give back the delivery charge in proportion to the units"
    )


def _cancel(request: Request, key: str, body: CancelIn, idem: str | None, *, preview: bool) -> Any:
    return service_flows.cancel(
        services_of(request),
        key,
        lines=[(x.line_id, x.quantity) for x in body.lines],
        reason=body.reason,
        prorate_delivery=body.prorate_delivery,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/order-summaries/{key}/cancel/preview")
def cancel_preview(request: Request, key: str, body: CancelIn) -> Any:
    """What a cancel would change, in quantities and money; writes nothing."""
    return _cancel(request, key, body, None, preview=True)


@router.post("/v1/order-summaries/{key}/cancel")
def cancel(
    request: Request, key: str, body: CancelIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """Cancel units available to cancel (ordered − canceled − allocated); units in an
    Allocated or Assigned fulfillment order are canceled there first."""
    return _cancel(request, key, body, idempotency_key, preview=False)


class FoCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineQuantity] = Field(min_length=1, max_length=1000)


@router.post("/v1/fulfillment-orders/{fo_id}/cancel")
def cancel_fo_lines(
    request: Request, fo_id: str, body: FoCancelIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """Take units off an Allocated or Assigned fulfillment order (its reservation gives them
    back); they become available to cancel or to route again."""
    return service_flows.cancel_fulfillment_lines(
        services_of(request),
        fo_id,
        [(x.line_id, x.quantity) for x in body.lines],
        idempotency_key=idempotency_key,
        body=body.model_dump(mode="json"),
    )


@router.get("/v1/order-summaries/{key}/change-orders")
def list_change_orders(request: Request, key: str) -> Any:
    return service_flows.change_orders(services_of(request), key)


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1)
    quantity: int = Field(gt=0, le=1_000_000)
    reason: str = Field(min_length=1, max_length=64)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=1000)
    location_id: str | None = Field(
        default=None,
        description="where the units come back (restocked there if the reason says so)",
    )
    refund_delivery: bool = Field(
        default=False, description="credit the delivery charge the lines' groups still hold"
    )


def _return(request: Request, key: str, body: ReturnIn, idem: str | None, *, preview: bool) -> Any:
    return service_flows.direct_return(
        services_of(request),
        key,
        lines=[(x.line_id, x.quantity, x.reason) for x in body.lines],
        location_id=body.location_id,
        refund_delivery=body.refund_delivery,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/order-summaries/{key}/return/preview")
def return_preview(request: Request, key: str, body: ReturnIn) -> Any:
    """What a direct return would change and refund; writes nothing."""
    return _return(request, key, body, None, preview=True)


@router.post("/v1/order-summaries/{key}/return")
def return_now(
    request: Request, key: str, body: ReturnIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """A return at a store counter, without an RMA: shipped units come back, restock when
    their reason says so, and a Credit Memo (less the reason's fee) is refunded."""
    return _return(request, key, body, idempotency_key, preview=False)


@router.get("/v1/credit-memos/{memo_id}")
def get_credit_memo(request: Request, memo_id: str) -> Any:
    return service_flows.credit_memo(services_of(request), memo_id)


class AdjustLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1)
    amount: int | None = Field(
        default=None, description="minor units off the line (a discount: positive)"
    )
    percent: Decimal | None = Field(
        default=None, max_digits=7, decimal_places=4, description="percent off what it charges"
    )


class AdjustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[AdjustLineIn] = Field(min_length=1, max_length=1000)
    reason: str = Field(default="appeasement", min_length=1, max_length=255)


def _adjust(request: Request, key: str, body: AdjustIn, idem: str | None, *, preview: bool) -> Any:
    return service_actions.adjust(
        services_of(request),
        key,
        lines=[AdjustLine(x.line_id, x.amount, x.percent) for x in body.lines],
        reason=body.reason,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/order-summaries/{key}/adjust/preview")
def adjust_preview(request: Request, key: str, body: AdjustIn) -> Any:
    """What a discount would change and refund; writes nothing."""
    return _adjust(request, key, body, None, preview=True)


@router.post("/v1/order-summaries/{key}/adjust")
def adjust(
    request: Request, key: str, body: AdjustIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """A discount (amount or percent) per line, spread over its units: the part on units not
    shipped yet lowers what will be captured; the part on shipped units is refunded now."""
    return _adjust(request, key, body, idempotency_key, preview=False)


class ReshipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineQuantity] = Field(min_length=1, max_length=1000)
    reason: str = Field(default="lost_in_transit", min_length=1, max_length=255)


def _reship(request: Request, key: str, body: ReshipIn, idem: str | None, *, preview: bool) -> Any:
    return service_actions.reship(
        services_of(request),
        key,
        lines=[(x.line_id, x.quantity) for x in body.lines],
        reason=body.reason,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/order-summaries/{key}/reship/preview")
def reship_preview(request: Request, key: str, body: ReshipIn) -> Any:
    """The replacement lines a reshipment would add; writes nothing."""
    return _reship(request, key, body, None, preview=True)


@router.post("/v1/order-summaries/{key}/reship")
def reship(
    request: Request, key: str, body: ReshipIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """Replacement units for a lost or damaged shipment, at no charge, routed at once."""
    return _reship(request, key, body, idempotency_key, preview=False)
