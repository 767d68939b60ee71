"""The FastAPI application. Thin: request → use case (flows) → response.

The preview handlers are ``async def``: the routing work is tens of microseconds of CPU, and
running it inline on the event loop is measurably faster than a hop to the thread pool.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Body, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.routing import Route

from api import errors
from api.schemas import (
    MAX_ROUTES_LIMIT,
    AvailabilityOut,
    LoadOut,
    NetworkOut,
    PreviewsIn,
    PreviewsOut,
    ReservationIn,
    ReservationOut,
    ReservationPartIn,
    ReservationResultOut,
    ReservationsIn,
    ReservationsOut,
    RulesOut,
)
from engine.answer import PreviewAnswer
from engine.order import Order
from flows import routing, stock
from flows.bootstrap import Services, bootstrap
from flows.errors import InvalidDocument, Issue
from flows.settings import Settings
from inventory.deltas import deltas_from_csv, deltas_from_objects
from inventory.errors import InventoryError
from inventory.model import Reservation, ReservationLine
from inventory.records import parse_csv, parse_json
from rules.loader import LoadedRules

MaxRoutes = Annotated[
    int, Query(ge=1, le=MAX_ROUTES_LIMIT, description="how many routes, best first")
]
Explain = Annotated[Literal["relevant", "full"], Query(description="excluded candidates to list")]
ModelT = TypeVar("ModelT", bound=BaseModel)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def create_app(services: Services | None = None) -> FastAPI:
    """Build the app; without ``services`` it bootstraps from the environment at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or bootstrap(Settings.from_env())
        app.state.services.upkeep.start()  # keeps this worker's inventory cache built
        yield
        app.state.services.upkeep.stop()
        if owned:
            app.state.services.close()

    app = FastAPI(title="omniroute", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    _routes(app)
    return app


def _svc(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _json(model: BaseModel, status_code: int = 200) -> Response:
    # Serialised straight to bytes by pydantic-core: no str round trip, no re-validation.
    body = model.__pydantic_serializer__.to_json(model)
    return Response(body, status_code=status_code, media_type="application/json")


def _routes(app: FastAPI) -> None:
    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        config = _svc(request).config()
        return {"status": "ok", "rules_version": config.rules.version}

    @app.post(
        "/v1/routes/preview",
        response_model=PreviewAnswer,
        openapi_extra={**_json_body("Order"), "parameters": PREVIEW_QUERY},
    )
    async def preview(request: Request) -> Response:
        # The checkout hot path: the body is validated straight from the bytes (pydantic-core
        # parses the JSON itself) and the two query options are read by hand.
        max_routes, explain = _preview_options(request)
        order = _parse_body(Order, await request.body())
        answer = routing.preview_order(_svc(request), order, max_routes=max_routes, explain=explain)
        return _json(answer)

    # The route above documents the endpoint; requests reach the same handler through a plain
    # Starlette route placed first, which skips FastAPI's per-request dependency machinery
    # (about 7 % of a preview request). Error handlers apply to both alike.
    app.router.routes.insert(0, Route("/v1/routes/preview", preview, methods=["POST"]))

    @app.post("/v1/routes/previews", response_model=PreviewsOut)
    async def previews(
        request: Request, body: PreviewsIn, max_routes: MaxRoutes = 3, explain: Explain = "relevant"
    ) -> Response:
        answers = routing.preview_orders(
            _svc(request), body.orders, max_routes=max_routes, explain=explain
        )
        return _json(PreviewsOut(results=answers))

    @app.get("/v1/network", response_model=NetworkOut)
    def get_network(request: Request) -> NetworkOut:
        config = _svc(request).config()
        return _network_out(config.network_version, config.network)

    @app.put("/v1/network", response_model=NetworkOut)
    def put_network(request: Request, document: Annotated[dict[str, Any], Body()]) -> NetworkOut:
        services = _svc(request)
        network = routing.replace_network(services, document)
        return _network_out(services.config().network_version, network)

    @app.put("/v1/inventory", response_model=LoadOut)
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

    @app.patch("/v1/inventory", response_model=LoadOut)
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

    @app.get("/v1/availability", response_model=AvailabilityOut)
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

    @app.post("/v1/reservations", status_code=201, response_model=ReservationOut)
    def create_reservation(request: Request, body: ReservationIn) -> ReservationOut:
        lines = [ReservationLine(x.location_id, x.sku, x.quantity) for x in body.lines]
        made = stock.reserve(_svc(request), body.id, lines, body.ttl_seconds)
        return ReservationOut.of(made)

    @app.post("/v1/reservations/batch", response_model=ReservationsOut)
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

    @app.get("/v1/reservations/{reservation_id}", response_model=ReservationOut)
    def get_reservation(request: Request, reservation_id: str) -> ReservationOut:
        return ReservationOut.of(_svc(request).inventory.get_reservation(reservation_id))

    @app.post("/v1/reservations/{reservation_id}/release", response_model=ReservationOut)
    def release_reservation(
        request: Request, reservation_id: str, body: ReservationPartIn | None = None
    ) -> ReservationOut:
        lines = _part_lines(body)
        return ReservationOut.of(_svc(request).inventory.release(reservation_id, lines))

    @app.post("/v1/reservations/{reservation_id}/fulfill", response_model=ReservationOut)
    def fulfill_reservation(
        request: Request, reservation_id: str, body: ReservationPartIn | None = None
    ) -> ReservationOut:
        lines = _part_lines(body)
        return ReservationOut.of(_svc(request).inventory.fulfill(reservation_id, lines))

    @app.get("/v1/rules", response_model=RulesOut)
    def get_rules(request: Request) -> RulesOut:
        return _rules_out(_svc(request).config().rules)

    @app.put(
        "/v1/rules",
        response_model=RulesOut,
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                },
                "required": True,
            }
        },
    )
    async def put_rules(request: Request) -> RulesOut:
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        fmt: Literal["yaml", "json", "auto"] = (
            "json"
            if "json" in content_type
            else "yaml"
            if content_type.startswith(YAML_TYPES)
            else "auto"
        )
        loaded = await run_in_threadpool(
            routing.activate_rules, _svc(request), raw, fmt=fmt, source="PUT /v1/rules"
        )
        return _rules_out(loaded)


def batch_result(
    reservation_id: str, outcome: Reservation | InventoryError
) -> ReservationResultOut:
    if isinstance(outcome, Reservation):
        return ReservationResultOut(
            id=reservation_id, status=201, reservation=ReservationOut.of(outcome)
        )
    status, code = errors.status_of(outcome)
    return ReservationResultOut(id=reservation_id, status=status, error=code, message=str(outcome))


def _rules_out(loaded: LoadedRules) -> RulesOut:
    return RulesOut(
        version=loaded.version,
        source=loaded.source,
        rules=loaded.rules.model_dump(mode="json"),
        text=loaded.text,
    )


PREVIEW_QUERY = [
    {
        "name": "max_routes",
        "in": "query",
        "required": False,
        "description": "how many routes, best first",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROUTES_LIMIT, "default": 3},
    },
    {
        "name": "explain",
        "in": "query",
        "required": False,
        "description": "excluded candidates to list",
        "schema": {"enum": ["relevant", "full"], "default": "relevant"},
    },
]


def _preview_options(request: Request) -> tuple[int, Literal["relevant", "full"]]:
    query = request.query_params
    raw_routes, explain = query.get("max_routes", "3"), query.get("explain", "relevant")
    errors = []
    if not (raw_routes.isdigit() and 1 <= int(raw_routes) <= MAX_ROUTES_LIMIT):
        errors.append(
            _query_error(
                "max_routes", f"expected an integer from 1 to {MAX_ROUTES_LIMIT}", raw_routes
            )
        )
    if explain not in ("relevant", "full"):
        errors.append(_query_error("explain", "expected 'relevant' or 'full'", explain))
    if errors:
        raise RequestValidationError(errors)
    return int(raw_routes), "full" if explain == "full" else "relevant"


def _query_error(name: str, message: str, value: str) -> dict[str, Any]:
    return {"loc": ("query", name), "msg": f"{message}, got {value!r}", "type": "value_error"}


def _json_body(schema: str) -> dict[str, Any]:
    """OpenAPI text for a body that a handler validates itself."""
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"requestBody": {"content": {"application/json": {"schema": ref}}, "required": True}}


def _parse_body(model: type[ModelT], raw: bytes) -> ModelT:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _network_out(version: str, network: Any) -> NetworkOut:
    return NetworkOut(
        version=version,
        locations=len(network.locations),
        location_groups=len(network.location_groups),
        delivery_methods=len(network.delivery_methods),
    )


def _parse_json_body(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDocument("body", [Issue("body", f"not valid JSON: {exc}")]) from None


def _part_lines(body: ReservationPartIn | None) -> list[ReservationLine] | None:
    if body is None or body.lines is None:
        return None
    return [ReservationLine(x.location_id, x.sku, x.quantity) for x in body.lines]


__all__ = ["JSONResponse", "create_app"]
