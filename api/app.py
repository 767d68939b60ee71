"""The FastAPI application. Thin: request → use case (flows) → response.

The preview handlers are ``async def``: the routing work is tens of microseconds of CPU, and
running it inline on the event loop is measurably faster than a hop to the thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Body, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.routing import Route

from access.scopes import Scope
from api import docs, errors
from api.access_middleware import AccessMiddleware
from api.app_config import router as config_router
from api.app_exchange import router as exchange_router
from api.app_inventory import router as inventory_router
from api.app_inventory import services_of
from api.app_keys import router as keys_router
from api.app_orders import router as orders_router
from api.app_returns import router as returns_router
from api.app_service import router as service_router
from api.app_waves import router as waves_router
from api.auth import PUBLIC, actor_of, check_scope, requires
from api.console import app as console
from api.schemas import (
    MAX_ROUTES_LIMIT,
    NetworkOut,
    PreviewsIn,
    PreviewsOut,
    RulesOut,
)
from engine.answer import PreviewAnswer
from engine.order import Order
from flows import routing
from flows.bootstrap import Services, bootstrap
from flows.order_reconcile import reconcile
from flows.order_upkeep import OrderUpkeep
from flows.settings import Settings
from flows.wave_runner import WaveRunner
from rules.loader import LoadedRules

MaxRoutes = Annotated[
    int, Query(ge=1, le=MAX_ROUTES_LIMIT, description="how many routes, best first")
]
Explain = Annotated[Literal["relevant", "full"], Query(description="excluded candidates to list")]
ModelT = TypeVar("ModelT", bound=BaseModel)
CHECKOUT = [requires(Scope.checkout)]
OPS = [requires(Scope.ops)]
log = logging.getLogger("omniroute")
AUTH_OFF_WARNING = (
    "OMNIROUTE_AUTH=off: every endpoint answers anyone who can reach this port, without a key"
)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def create_app(services: Services | None = None) -> FastAPI:
    """Build the app; without ``services`` it bootstraps from the environment at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or bootstrap(Settings.from_env())
        if not app.state.services.settings.auth:
            log.warning(AUTH_OFF_WARNING)
        app.state.services.upkeep.start()  # keeps this worker's inventory cache built
        orders = OrderUpkeep(
            lambda: reconcile(app.state.services),
            every_seconds=app.state.services.settings.reconcile_seconds,
        )
        orders.start()
        app.state.wave_runner = waves = WaveRunner(app.state.services)  # dry-run wave jobs
        waves.start()
        yield
        waves.stop()
        orders.stop()
        app.state.services.upkeep.stop()
        if owned:
            app.state.services.close()

    # /docs is served below with Swagger UI's files from omniroute itself (FastAPI's own
    # page loads them from a CDN: blank without internet); ReDoc has no such bundle here.
    app = FastAPI(
        title="omniroute", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    errors.install(app)
    _routes(app)
    docs.install(app)
    console.install(app)
    app.add_middleware(AccessMiddleware, api=app)
    return app


_svc = services_of


def _json(model: BaseModel, status_code: int = 200) -> Response:
    # Serialised straight to bytes by pydantic-core: no str round trip, no re-validation.
    body = model.__pydantic_serializer__.to_json(model)
    return Response(body, status_code=status_code, media_type="application/json")


def _routes(app: FastAPI) -> None:
    @app.get("/healthz", openapi_extra=PUBLIC)
    async def healthz(request: Request) -> dict[str, str]:
        config = _svc(request).config()
        return {"status": "ok", "rules_version": config.rules.version}

    @app.post(
        "/v1/routes/preview",
        response_model=PreviewAnswer,
        openapi_extra={**_json_body("Order"), "parameters": PREVIEW_QUERY},
        dependencies=CHECKOUT,
    )
    async def preview(request: Request) -> Response:
        # The checkout hot path: the body is validated straight from the bytes (pydantic-core
        # parses the JSON itself) and the two query options are read by hand.
        check_scope(request, Scope.checkout)
        max_routes, explain = _preview_options(request)
        order = _parse_body(Order, await request.body())
        answer = routing.preview_order(_svc(request), order, max_routes=max_routes, explain=explain)
        return _json(answer)

    # The route above documents the endpoint; requests reach the same handler through a plain
    # Starlette route placed first, which skips FastAPI's per-request dependency machinery
    # (about 7 % of a preview request). Error handlers apply to both alike.
    app.router.routes.insert(0, Route("/v1/routes/preview", preview, methods=["POST"]))

    @app.post("/v1/routes/previews", response_model=PreviewsOut, dependencies=CHECKOUT)
    async def previews(
        request: Request, body: PreviewsIn, max_routes: MaxRoutes = 3, explain: Explain = "relevant"
    ) -> Response:
        answers = routing.preview_orders(
            _svc(request), body.orders, max_routes=max_routes, explain=explain
        )
        return _json(PreviewsOut(results=answers))

    @app.get("/v1/network", response_model=NetworkOut, dependencies=OPS)
    def get_network(request: Request) -> NetworkOut:
        config = _svc(request).config()
        return _network_out(config.network_version, config.network)

    @app.put("/v1/network", response_model=NetworkOut, dependencies=OPS)
    def put_network(request: Request, document: Annotated[dict[str, Any], Body()]) -> NetworkOut:
        services = _svc(request)
        network = routing.replace_network(services, document, actor=actor_of(request))
        return _network_out(services.config().network_version, network)

    app.include_router(config_router)
    app.include_router(inventory_router)
    app.include_router(orders_router)
    app.include_router(service_router)
    app.include_router(returns_router)
    app.include_router(exchange_router)
    app.include_router(waves_router)
    app.include_router(keys_router)

    @app.get("/v1/rules", response_model=RulesOut, dependencies=OPS)
    def get_rules(request: Request) -> RulesOut:
        return _rules_out(_svc(request).config().rules)

    @app.put(
        "/v1/rules",
        response_model=RulesOut,
        dependencies=OPS,
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
            routing.activate_rules,
            _svc(request),
            raw,
            fmt=fmt,
            source="PUT /v1/rules",
            actor=actor_of(request),
        )
        return _rules_out(loaded)


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


__all__ = ["JSONResponse", "create_app"]
