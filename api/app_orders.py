"""Order life endpoints: intake (API and Shopify), Order Summaries, Fulfillment Orders,
invoices, process exceptions. Handlers translate; the flows decide."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from access.keys import ApiKey
from access.scopes import Scope
from api.app_inventory import services_of
from api.auth import PUBLIC, audited_as, requires, visible_locations
from flows import order_queries as queries
from flows.order_capture import capture_invoice
from flows.order_fulfilment import change_status
from flows.order_routing import route_summary
from flows.order_sources import Intake, json_document, take_order, take_shopify_order
from summary.exceptions import PeStatus
from summary.fulfillment import FoStatus, FulfillmentType

router = APIRouter()
AGENT = [requires(Scope.agent)]
OPS = [requires(Scope.ops)]
StoreKey = Annotated[ApiKey | None, requires(Scope.store)]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]
_STRICT = ConfigDict(extra="forbid")


class LineQuantity(BaseModel):
    model_config = _STRICT
    line_id: str = Field(min_length=1)
    quantity: StrictInt = Field(gt=0)


class StatusIn(BaseModel):
    model_config = _STRICT
    status: FoStatus
    reason: str | None = Field(default=None, max_length=255)
    lines: list[LineQuantity] | None = Field(default=None, min_length=1)


class ReportedFoIn(BaseModel):
    """A Fulfillment Order an external system runs, for an unmanaged summary."""

    model_config = _STRICT
    delivery_group: str = Field(min_length=1)
    location_id: str = Field(min_length=1)
    fulfillment_type: FulfillmentType
    status: FoStatus = "Allocated"
    lines: list[LineQuantity] = Field(min_length=1)


class ExceptionPatch(BaseModel):
    model_config = _STRICT
    status: PeStatus
    note: str | None = Field(default=None, max_length=2000)


def _intake_answer(request: Request, intake: Intake) -> JSONResponse:
    summary = queries.order_summary(services_of(request), intake.placed.summary_id)
    status = 201 if intake.placed.created else 200
    return JSONResponse(jsonable_encoder(summary), status_code=status)


@router.post("/v1/orders", status_code=201, dependencies=[requires(Scope.orders)])
async def post_order(request: Request) -> JSONResponse:
    """Place an order (DESIGN.md's intake document). The order number is the idempotency
    key: the same order again answers 200 with its summary; another body is 409."""
    raw = await request.body()
    document = json_document(raw)
    intake = await run_in_threadpool(
        take_order, services_of(request), document, raw.decode("utf-8")
    )
    return _intake_answer(request, intake)


@router.post(
    "/v1/order-sources/shopify/orders",
    status_code=201,
    openapi_extra=PUBLIC,
    dependencies=[audited_as("webhook:shopify")],
)
async def post_shopify_order(request: Request) -> JSONResponse:
    """Shopify's ``orders/create`` webhook, verified with ``X-Shopify-Hmac-Sha256``."""
    raw = await request.body()
    signature = request.headers.get("x-shopify-hmac-sha256")
    intake = await run_in_threadpool(take_shopify_order, services_of(request), raw, signature)
    return _intake_answer(request, intake)


@router.get("/v1/orders/{order_number}", dependencies=AGENT)
def get_order(request: Request, order_number: str) -> Response:
    """The Order as placed, byte for byte."""
    body = queries.original_order(services_of(request), order_number)
    return Response(body, media_type="application/json")


@router.get("/v1/order-summaries/{key}", dependencies=AGENT)
def get_summary(request: Request, key: str) -> Any:
    return queries.order_summary(services_of(request), key)


@router.post("/v1/order-summaries/{key}/route", dependencies=AGENT)
def post_route(request: Request, key: str) -> Any:
    services = services_of(request)
    outcome = route_summary(services, key)
    return {
        "order_summary_id": outcome.summary_id,
        "fulfillment_order_ids": outcome.fulfillment_order_ids,
        "unfilled": outcome.unfilled,
        "summary": queries.order_summary(services, outcome.summary_id),
    }


@router.get("/v1/order-summaries/{key}/routing", dependencies=AGENT)
def get_routing(request: Request, key: str) -> Any:
    return queries.routing_attempts(services_of(request), key)


@router.post(
    "/v1/order-summaries/{key}/fulfillment-orders",
    status_code=201,
    dependencies=[requires(Scope.orders)],
)
def post_reported_fo(request: Request, key: str, body: ReportedFoIn) -> Any:
    return queries.report_fulfillment_order(
        services_of(request),
        key,
        group_id=body.delivery_group,
        location_id=body.location_id,
        fulfillment_type=body.fulfillment_type,
        status=body.status,
        lines=[(line.line_id, line.quantity) for line in body.lines],
    )


@router.get("/v1/fulfillment-orders")
def list_fos(
    request: Request,
    key: StoreKey,
    location_id: str | None = None,
    status: FoStatus | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Any:
    return queries.fulfillment_orders(
        services_of(request),
        location_id=location_id,
        status=status,
        cursor=cursor,
        limit=limit,
        visible=visible_locations(key),
    )


@router.get("/v1/fulfillment-orders/{fo_id}")
def get_fo(request: Request, fo_id: str, key: StoreKey) -> Any:
    return queries.fulfillment_order(services_of(request), fo_id, visible=visible_locations(key))


@router.post("/v1/fulfillment-orders/{fo_id}/status")
def post_fo_status(request: Request, fo_id: str, body: StatusIn, key: StoreKey) -> Any:
    services = services_of(request)
    visible = visible_locations(key)
    queries.check_visible(services, fo_id, visible)
    lines = None if body.lines is None else [(x.line_id, x.quantity) for x in body.lines]
    change_status(services, fo_id, body.status, reason=body.reason, lines=lines)
    return queries.fulfillment_order(services, fo_id, visible=visible)


@router.get("/v1/invoices/{invoice_id}", dependencies=AGENT)
def get_invoice(request: Request, invoice_id: str) -> Any:
    return queries.invoice(services_of(request), invoice_id)


@router.post("/v1/invoices/{invoice_id}/capture", dependencies=AGENT)
def post_capture(request: Request, invoice_id: str) -> Any:
    invoice = capture_invoice(services_of(request), invoice_id)
    return queries.invoice_document(invoice)


@router.get("/v1/process-exceptions", dependencies=OPS)
def list_exceptions(
    request: Request,
    status: PeStatus | None = None,
    category: Literal["routing", "fulfillment", "payment", "invoicing", "returns"] | None = None,
    order_summary_id: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Any:
    return queries.process_exceptions(
        services_of(request),
        status=status,
        category=category,
        summary_key=order_summary_id,
        cursor=cursor,
        limit=limit,
    )


@router.patch("/v1/process-exceptions/{exception_id}", dependencies=OPS)
def patch_exception(
    request: Request, exception_id: str, body: Annotated[ExceptionPatch, Body()]
) -> Any:
    return queries.move_exception(services_of(request), exception_id, body.status, body.note)
