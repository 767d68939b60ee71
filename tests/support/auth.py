"""API keys for tests: a header with a fresh key of the scopes asked (every scope by
default), made through the same use case as ``omniroute keys create``."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from access.keys import KeyRequest
from access.scopes import ALL_SCOPES, Scope
from api.app import create_app
from flows.access import create_key
from flows.bootstrap import Services


def key_header(
    services: Services,
    *scopes: Scope,
    name: str | None = None,
    locations: list[str] | None = None,
) -> dict[str, str]:
    """``{"Authorization": "Bearer <new key>"}``; every scope when none is named."""
    request = KeyRequest.of(
        name or f"test-{uuid.uuid4().hex[:8]}",
        [scope.value for scope in scopes or ALL_SCOPES],
        locations,
    )
    made = create_key(services, request)
    return {"Authorization": f"Bearer {made.secret}"}


def api_client(services: Services, *scopes: Scope, name: str | None = None) -> TestClient:
    """The app over ``services``, its client sending a key of ``scopes`` (default: all),
    named ``name`` (default: a fresh name)."""
    return TestClient(create_app(services), headers=key_header(services, *scopes, name=name))
