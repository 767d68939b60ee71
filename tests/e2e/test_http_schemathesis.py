"""Property-based requests from the app's own OpenAPI document (schemathesis): with a key of
every scope no operation answers a server error; without a key every operation but the
public ones answers 401. Embedded stack (SQLite + in-process inventory), one app for the
module; bounded and derandomized so a run is repeatable and quick."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans

from access.scopes import ALL_SCOPES
from api.app import create_app
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from tests.e2e.conftest import small_env
from tests.support.auth import key_header
from tests.support.orders import STOCK, order
from tests.support.service import place_and_ship, returns_client, shirts

Case = schemathesis.Case[Any]

# The document does not depend on the services: built here, the tests are one per operation.
DOCUMENT = create_app().openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# The operations without a key (security: []): /healthz and the signed Shopify webhook.
PUBLIC = {
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if operation.get("security") == []
}
KEY_NAME = "schemathesis-every-scope"  # not a name generated cases would revoke

BOUNDED = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure reproduces
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def module_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    env = small_env(f"sqlite:///{folder / 'omniroute.db'}")
    env["OMNIROUTE_RATE_LIMIT"] = "0"  # a few hundred requests a second from one key
    env["OMNIROUTE_SHOPIFY_WEBHOOK_SECRET"] = "shh"
    services = bootstrap(Settings.from_env(env))
    yield services
    services.close()


@pytest.fixture(scope="module")
def app(module_services: Services) -> Iterator[FastAPI]:
    """The app; schemathesis starts its lifespan at the first call, stopped here at the end."""
    application = create_app(module_services)
    yield application
    shutdown_lifespans()


# Ids of records that exist, filled in by ``every_scope``: generated path parameters are
# replaced by one of them in some cases, so the handlers get past "not found".
KNOWN: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    del context
    if not path_parameters:
        return st.just(path_parameters)
    choices = [path_parameters]
    for name in path_parameters:
        choices += [{**path_parameters, name: value} for value in KNOWN.get(name, ())]
    return st.sampled_from(choices)


@pytest.fixture(scope="module")
def every_scope(module_services: Services, app: FastAPI) -> dict[str, str]:
    """A key of every scope, and records for the generated requests to find: an order
    unshipped (W-1001) and one shipped (T-1) with an invoice, a return order, a credit
    memo, a reservation."""
    headers = key_header(module_services, *ALL_SCOPES, name=KEY_NAME)
    with returns_client(module_services) as client:
        client.patch("/v1/inventory", json=STOCK).raise_for_status()
        unshipped = client.post("/v1/orders", json=order()).json()
        shipped = place_and_ship(client, shirts("T-1", 3, tax=480, discount=300))
        fos = [fo["id"] for fo in unshipped["fulfillment_orders"] + shipped["fulfillment_orders"]]
        invoices = client.get(f"/v1/fulfillment-orders/{fos[-1]}").json()["invoice_ids"]
        line = {"line_id": "1", "quantity": 1, "reason": "changed_mind"}
        rma = {"lines": [line], "location_id": "DC01"}
        ro = client.post("/v1/order-summaries/T-1/return-orders", json=rma)
        returned = client.post("/v1/order-summaries/T-1/return", json=rma)
        held = {"id": "R-1", "lines": [{"location_id": "DC02", "sku": "SKU-B", "quantity": 1}]}
        client.post("/v1/reservations", json=held).raise_for_status()
    KNOWN.update(
        key=["W-1001", "T-1", unshipped["id"]],
        order_number=["W-1001", "T-1"],
        fo_id=fos,
        invoice_id=invoices,
        ro_id=[ro.raise_for_status().json()["id"]],
        memo_id=[returned.raise_for_status().json()["credit_memo_id"]],
        reservation_id=["R-1"],
    )
    return headers


def test_the_public_operations_are_the_two_known_ones() -> None:
    assert {("GET", "/healthz"), ("POST", "/v1/order-sources/shopify/orders")} == PUBLIC


@schema.parametrize()
@BOUNDED
def test_no_operation_answers_a_server_error(
    case: Case, app: FastAPI, every_scope: dict[str, str]
) -> None:
    response = case.call(app=app, headers=dict(every_scope))
    case.validate_response(response, checks=[not_a_server_error])
    sent = response.request.headers.get("Authorization")
    if _operation(case) in PUBLIC:
        assert b'"unauthenticated"' not in response.content, response.text
    elif sent == every_scope["Authorization"]:
        assert response.status_code not in (401, 403), response.text
    else:  # a negative case: schemathesis left the key out on purpose
        assert response.status_code == 401, (sent, response.text)


def _operation(case: Case) -> tuple[str, str]:
    return case.method.upper(), str(case.operation.path)


def _public(ctx: Any) -> bool:
    return (str(ctx.operation.method).upper(), str(ctx.operation.path)) in PUBLIC


@schema.exclude(_public).parametrize()
@settings(BOUNDED, max_examples=3)
def test_without_a_key_every_operation_answers_401(case: Case, app: FastAPI) -> None:
    if case.headers:
        case.headers.pop("Authorization", None)
    response = case.call(app=app)
    assert "Authorization" not in response.request.headers
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == ["Bearer"]
    assert response.json()["error"] == "unauthenticated"


def integer_query_parameters() -> list[tuple[str, str, str]]:
    """(method, path, name) of every integer query parameter in the document."""
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                declared = parameter.get("schema", {})
                kinds = [declared, *declared.get("anyOf", [])]
                if parameter["in"] == "query" and any(k.get("type") == "integer" for k in kinds):
                    found.append((method.upper(), path, parameter["name"]))
    return found


@pytest.mark.parametrize(
    ("method", "path", "name"), integer_query_parameters(), ids=lambda value: str(value)
)
def test_a_huge_integer_query_parameter_is_refused_not_a_server_error(
    app: FastAPI, every_scope: dict[str, str], method: str, path: str, name: str
) -> None:
    """Found by the run above: ``GET /v1/audit?after=7728925088640355270656`` was a 500 on
    SQLite (OverflowError: Python int too large to convert to SQLite INTEGER)."""
    url = path.replace("{key}", "W-1001")
    with TestClient(app, raise_server_exceptions=False) as client:
        for value in (2**63, 10**30, -(2**63) - 1):
            answer = client.request(method, url, params={name: value}, headers=every_scope)
            assert answer.status_code < 500, (value, answer.text)
