"""Service action endpoints: exchange (see flows/service_exchange.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from access.scopes import Scope
from api.app_inventory import services_of
from api.app_service import IdempotencyKey, ReturnLineIn
from api.auth import requires
from flows.service_exchange import ExchangeRequest, exchange
from service.exchange import MAX_MONEY, MAX_QUANTITY, Replacement
from summary.order import Payment

router = APIRouter(dependencies=[requires(Scope.agent)])
_STRICT = ConfigDict(extra="forbid")


class ReplacementIn(BaseModel):
    """A replacement line; its limits below 1 (quantity) and 0 (money) are the exchange's
    rules (service/exchange.py), checked there."""

    model_config = _STRICT
    sku: str = Field(min_length=1, max_length=64)
    quantity: StrictInt = Field(le=MAX_QUANTITY)
    unit_price: StrictInt = Field(le=MAX_MONEY, description="minor units, per unit")
    tax: StrictInt = Field(default=0, le=MAX_MONEY, description="minor units, whole line")


class PaymentIn(BaseModel):
    """A new authorization for what the return's credit does not cover."""

    model_config = _STRICT
    authorization_id: str = Field(min_length=1, max_length=64)
    gateway: str = Field(default="test", min_length=1, max_length=32)
    amount: StrictInt = Field(ge=0, le=MAX_MONEY)
    expires_at: AwareDatetime | None = None


class ExchangeIn(BaseModel):
    model_config = _STRICT
    returns: list[ReturnLineIn] = Field(min_length=1, max_length=1000)
    replacements: list[ReplacementIn] = Field(min_length=1, max_length=1000)
    location_id: str | None = Field(
        default=None,
        description="where the returned units come back (restocked there if the reason says so)",
    )
    payment: PaymentIn | None = Field(
        default=None, description="required when the replacements cost more than the credit"
    )
    reason: str | None = Field(default=None, min_length=1, max_length=255)


def _exchange(
    request: Request, key: str, body: ExchangeIn, idem: str | None, *, preview: bool
) -> Any:
    payment = body.payment
    asked = ExchangeRequest(
        returns=[(x.line_id, x.quantity, x.reason) for x in body.returns],
        replacements=[
            Replacement(x.sku, x.quantity, x.unit_price, x.tax) for x in body.replacements
        ],
        location_id=body.location_id,
        payment=None if payment is None else Payment.model_validate(payment.model_dump()),
        reason=body.reason,
    )
    return exchange(
        services_of(request),
        key,
        asked,
        idempotency_key=idem,
        body=body.model_dump(mode="json"),
        preview=preview,
    )


@router.post("/v1/order-summaries/{key}/exchange/preview")
def exchange_preview(request: Request, key: str, body: ExchangeIn) -> Any:
    """What an exchange would change, refund and charge; writes nothing (no new summary)."""
    return _exchange(request, key, body, None, preview=True)


@router.post("/v1/order-summaries/{key}/exchange")
def exchange_now(
    request: Request, key: str, body: ExchangeIn, idempotency_key: IdempotencyKey = None
) -> Any:
    """Returned units (a direct return) pay for replacements on a new Order Summary, linked
    to this one and routed like any order: the credit left over is refunded, a difference is
    charged on the new authorization in ``payment``."""
    return _exchange(request, key, body, idempotency_key, preview=False)
