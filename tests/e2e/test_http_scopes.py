"""Which scope each HTTP operation needs, as one explicit table, checked three ways: the
OpenAPI document says it, the routes declare it (no endpoint slips by without one), and the
app enforces it (a key without the scope: 403 naming it; with only it: let through; no
key: 401)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from access.scopes import ALL_SCOPES, Scope
from api.access_middleware import CONSOLE
from api.app import create_app
from api.auth import PUBLIC, requires
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from tests.e2e.conftest import small_env
from tests.support.auth import key_header

Operation = tuple[str, str]

# Every operation of the app and the scope it needs; None: public (no key at all).
SCOPE_OF: dict[Operation, Scope | None] = {
    ("GET", "/healthz"): None,
    ("POST", "/v1/order-sources/shopify/orders"): None,  # signed by Shopify instead
    # checkout: previews, availability, reservations
    ("POST", "/v1/routes/preview"): Scope.checkout,
    ("POST", "/v1/routes/previews"): Scope.checkout,
    ("GET", "/v1/availability"): Scope.checkout,
    ("POST", "/v1/reservations"): Scope.checkout,
    ("POST", "/v1/reservations/batch"): Scope.checkout,
    ("GET", "/v1/reservations/{reservation_id}"): Scope.checkout,
    ("POST", "/v1/reservations/{reservation_id}/release"): Scope.checkout,
    ("POST", "/v1/reservations/{reservation_id}/fulfill"): Scope.checkout,
    # orders: intake and reported Fulfillment Orders
    ("POST", "/v1/orders"): Scope.orders,
    ("POST", "/v1/order-summaries/{key}/fulfillment-orders"): Scope.orders,
    # store: the Fulfillment Orders of the key's locations
    ("GET", "/v1/fulfillment-orders"): Scope.store,
    ("GET", "/v1/fulfillment-orders/{fo_id}"): Scope.store,
    ("POST", "/v1/fulfillment-orders/{fo_id}/status"): Scope.store,
    # agent: Order Summaries, service actions, invoices, returns, exchanges, credit memos
    ("GET", "/v1/orders/{order_number}"): Scope.agent,
    ("GET", "/v1/order-summaries/{key}"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/route"): Scope.agent,
    ("GET", "/v1/order-summaries/{key}/routing"): Scope.agent,
    ("GET", "/v1/invoices/{invoice_id}"): Scope.agent,
    ("POST", "/v1/invoices/{invoice_id}/capture"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/cancel/preview"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/cancel"): Scope.agent,
    ("POST", "/v1/fulfillment-orders/{fo_id}/cancel"): Scope.agent,
    ("GET", "/v1/order-summaries/{key}/change-orders"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/return/preview"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/return"): Scope.agent,
    ("GET", "/v1/credit-memos/{memo_id}"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/adjust/preview"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/adjust"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/reship/preview"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/reship"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/return-orders/preview"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/return-orders"): Scope.agent,
    ("GET", "/v1/order-summaries/{key}/return-orders"): Scope.agent,
    ("GET", "/v1/return-orders/{ro_id}"): Scope.agent,
    ("POST", "/v1/return-orders/{ro_id}/approve"): Scope.agent,
    ("POST", "/v1/return-orders/{ro_id}/cancel"): Scope.agent,
    ("POST", "/v1/return-orders/{ro_id}/receive/preview"): Scope.agent,
    ("POST", "/v1/return-orders/{ro_id}/receive"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/exchange/preview"): Scope.agent,
    ("POST", "/v1/order-summaries/{key}/exchange"): Scope.agent,
    # ops: rules, network, config, inventory loads, waves, process exceptions
    ("GET", "/v1/rules"): Scope.ops,
    ("PUT", "/v1/rules"): Scope.ops,
    ("GET", "/v1/network"): Scope.ops,
    ("PUT", "/v1/network"): Scope.ops,
    ("GET", "/v1/config"): Scope.ops,
    ("PUT", "/v1/config"): Scope.ops,
    ("PUT", "/v1/inventory"): Scope.ops,
    ("PATCH", "/v1/inventory"): Scope.ops,
    ("POST", "/v1/waves"): Scope.ops,
    ("GET", "/v1/waves/{job_id}"): Scope.ops,
    ("GET", "/v1/waves/{job_id}/plan"): Scope.ops,
    ("GET", "/v1/process-exceptions"): Scope.ops,
    ("PATCH", "/v1/process-exceptions/{exception_id}"): Scope.ops,
    # admin: API keys and the audit trail
    ("POST", "/v1/keys"): Scope.admin,
    ("GET", "/v1/keys"): Scope.admin,
    ("DELETE", "/v1/keys/{name}"): Scope.admin,
    ("GET", "/v1/audit"): Scope.admin,
}
PROTECTED = sorted(op for op, scope in SCOPE_OF.items() if scope is not None)
PUBLIC_OPS = sorted(op for op, scope in SCOPE_OF.items() if scope is None)
# Routes that are not FastAPI operations but serve an operation of the table, checking its
# scope themselves: the preview's fast path.
PLAIN_ROUTES = {("POST", "/v1/routes/preview")}
HTTP_METHODS = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"})
AUTHORIZE = requires(Scope.ops).dependency  # the dependency each requires(...) adds


def _ids(operation: Operation) -> str:
    return f"{operation[0]} {operation[1]}"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


# --- (a) the table, the OpenAPI document and the routes agree -------------------------------


def openapi_operations(app: FastAPI) -> dict[Operation, dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if method.upper() in HTTP_METHODS
    }


def test_the_openapi_operations_are_exactly_the_tables(app: FastAPI) -> None:
    operations = set(openapi_operations(app))
    missing = sorted(operations - set(SCOPE_OF))
    gone = sorted(set(SCOPE_OF) - operations)
    assert not missing, f"operations without a row in SCOPE_OF (give each its scope): {missing}"
    assert not gone, f"rows of SCOPE_OF the app does not serve: {gone}"


def test_each_openapi_operation_states_the_tables_scope(app: FastAPI) -> None:
    wrong = {}
    for operation, document in openapi_operations(app).items():
        scope = SCOPE_OF.get(operation)
        expected = [] if scope is None else [{"apiKey": [scope.value]}]
        if document.get("security") != expected:
            wrong[_ids(operation)] = (document.get("security"), expected)
    assert not wrong, f"security (found, expected): {wrong}"
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes["apiKey"]["type"] == "http"
    assert schemes["apiKey"]["scheme"] == "bearer"


def declared_scopes(dependant: Dependant) -> set[str]:
    """The scopes of every ``requires(...)`` in a route's dependency tree."""
    found: set[str] = set()
    for sub in dependant.dependencies:
        if sub.call is AUTHORIZE:
            found.update(sub.own_oauth_scopes or ())
        found |= declared_scopes(sub)
    return found


def test_every_route_declares_its_tables_scope_or_is_public(app: FastAPI) -> None:
    # /docs is omniroute's own Swagger UI page (api/docs.py), out of the schema like FastAPI's
    docs_pages = {app.openapi_url, "/docs"}
    wrong: dict[str, str] = {}
    seen: set[Operation] = set()
    # iter_route_contexts: FastAPI >= 0.165 keeps an included router as one entry of app.routes
    for context in iter_route_contexts(list(app.routes)):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in context.methods or ():
                operation = (method, str(context.path))
                if context.include_in_schema:
                    seen.add(operation)
                else:
                    if str(context.path) in docs_pages or str(context.path).startswith(CONSOLE):
                        # the docs page is public; the console's pages check the key's scopes
                        # themselves (a cookie, a sign-in page): tests/browser covers them
                        continue
                    # the middleware lets every route left out of the schema through unkeyed
                    wrong[_ids(operation)] = "left out of the OpenAPI document: it would be public"
                    continue
                scope = SCOPE_OF.get(operation, "no row")
                scopes = declared_scopes(context.dependant)
                if scope is None:
                    if scopes or context.openapi_extra != PUBLIC:
                        wrong[_ids(operation)] = f"public in the table; route: {scopes or '-'}"
                elif scope == "no row" or scopes != {str(scope)}:
                    wrong[_ids(operation)] = f"table: {scope}; route: {scopes or 'none'}"
        elif isinstance(route, Route):
            if not route.include_in_schema:
                if route.path not in docs_pages:
                    wrong[route.path] = "a plain route left out of the schema: public"
                continue
            for method in route.methods or ():
                if method != "HEAD" and (method, route.path) not in PLAIN_ROUTES:
                    wrong[f"{method} {route.path}"] = "a plain route: give it a row in PLAIN_ROUTES"
        elif isinstance(route, Mount) and (route.name or "").endswith("-static"):
            continue  # static files (Swagger UI's, the console's): no operation
        else:
            wrong[repr(route)] = "a mount or other route: its operations go unchecked"
    assert not wrong, wrong
    assert seen == set(SCOPE_OF), sorted(seen ^ set(SCOPE_OF))


def test_the_plain_routes_serve_operations_of_the_table(app: FastAPI) -> None:
    for method, path in PLAIN_ROUTES:
        assert SCOPE_OF[(method, path)] is not None
    # a plain route comes first: it answers the request in place of the documented operation
    first = next(r for r in app.routes if isinstance(r, Route) and r.path == "/v1/routes/preview")
    assert not isinstance(first, APIRoute)


# --- (b) the app enforces the table (embedded stack, one app for the module) ----------------


@pytest.fixture(scope="module")
def module_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder: Path = tmp_path_factory.mktemp("scopes")
    services = bootstrap(Settings.from_env(small_env(f"sqlite:///{folder / 'omniroute.db'}")))
    yield services
    services.close()


@pytest.fixture(scope="module")
def http(module_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(module_services)) as client:
        yield client


@pytest.fixture(scope="module")
def keys(module_services: Services) -> dict[str, dict[str, str]]:
    """Per scope: ``only:<scope>`` holds just it, ``without:<scope>`` every other one."""
    made: dict[str, dict[str, str]] = {}
    for scope in Scope:
        made[f"only:{scope}"] = key_header(module_services, scope, name=f"only-{scope}")
        others = sorted(ALL_SCOPES - {scope})
        made[f"without:{scope}"] = key_header(module_services, *others, name=f"without-{scope}")
    return made


def call(http: TestClient, operation: Operation, headers: dict[str, str]) -> Any:
    method, path = operation
    url = re.sub(r"\{[^}]+\}", "X", path)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH", "DELETE") else None
    return http.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize("operation", PROTECTED, ids=_ids)
def test_a_key_without_the_scope_is_refused_naming_it(
    http: TestClient, keys: dict[str, dict[str, str]], operation: Operation
) -> None:
    scope = SCOPE_OF[operation]
    assert scope is not None
    answer = call(http, operation, keys[f"without:{scope}"])
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["error"] == "forbidden"
    assert f"'{scope}'" in body["message"]
    assert body["detail"] == [{"field": "scope", "message": f"needs the '{scope}' scope"}]


@pytest.mark.parametrize("operation", PROTECTED, ids=_ids)
def test_a_key_with_only_the_scope_is_let_through(
    http: TestClient, keys: dict[str, dict[str, str]], operation: Operation
) -> None:
    scope = SCOPE_OF[operation]
    answer = call(http, operation, keys[f"only:{scope}"])
    assert answer.status_code not in (401, 403), answer.text


@pytest.mark.parametrize("operation", PROTECTED, ids=_ids)
def test_no_key_is_401_with_a_bearer_challenge(http: TestClient, operation: Operation) -> None:
    answer = call(http, operation, {})
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"] == "unauthenticated"
    assert "missing API key" in answer.json()["message"]


@pytest.mark.parametrize("operation", PUBLIC_OPS, ids=_ids)
def test_a_public_operation_needs_no_key(http: TestClient, operation: Operation) -> None:
    answer = call(http, operation, {})
    # the webhook refuses an unsigned body (401 bad_signature), never for want of a key
    assert answer.json().get("error") != "unauthenticated", answer.text
    assert "www-authenticate" not in answer.headers
