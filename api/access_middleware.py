"""One ASGI middleware in front of every request: the key (401), the key's rate (429), the
body's size (413), and afterwards the audit trail's entry for a write.

A pure ASGI class rather than ``@app.middleware("http")``: the latter wraps every request in
a streaming response and a task, measurable on the preview path.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from access.audit import ANONYMOUS, AuditEntry, outcome_of
from access.errors import Unauthenticated
from access.keys import bearer_token
from api.auth import ACTOR, AUDIT, AUTH_OFF, PRINCIPAL, PUBLIC
from api.errors import BodyTooLarge, error_response, response_for
from flows.bootstrap import Services

log = logging.getLogger("omniroute.access")

# The bulk loads get OMNIROUTE_MAX_BULK_BODY_BYTES; every other body OMNIROUTE_MAX_BODY_BYTES.
BULK = frozenset(
    {
        ("PUT", "/v1/inventory"),
        ("PATCH", "/v1/inventory"),
        ("PUT", "/v1/config"),
        ("POST", "/v1/waves"),
    }
)
CONSOLE = "/console"  # the console's pages: the key comes in a cookie (api.console.web)
CONSOLE_COOKIE = "omniroute_console"
_RECORD_FIELDS = ("id", "order_summary_id", "name", "version")
_MAX_AUDITED_BODY = 1 << 20  # the answer is kept back for the record id up to this size


class AccessMiddleware:
    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self._public: list[re.Pattern[str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services | None = getattr(self.api.state, "services", None)
        if scope["type"] != "http" or services is None:
            await self.app(scope, receive, send)
            return
        settings = services.settings
        state = scope.setdefault("state", {})
        path = scope["path"]
        # The console's pages sign in with a cookie, and send the browser to the sign-in page
        # rather than answer 401: the key is looked up here, the pages check it.
        console = path == CONSOLE or path.startswith(CONSOLE + "/")
        if console or not self._is_public(path):
            if not settings.auth:
                state[AUTH_OFF] = True
            else:
                refusal = await self._authenticate(services, scope, state, console=console)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        limit = (
            settings.max_bulk_body_bytes
            if (scope["method"], scope["path"]) in BULK
            else settings.max_body_bytes
        )
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await response_for(BodyTooLarge(limit))(scope, receive, send)
            return
        receive = _limited(receive, limit)
        await self.app(scope, receive, _Auditor(services, scope, send))

    async def _authenticate(
        self, services: Services, scope: Scope, state: dict[str, Any], *, console: bool
    ) -> JSONResponse | None:
        """None when the request may go on (with its key in ``state``), else the refusal.
        The console's key comes from its cookie, and none (or a revoked one) is no refusal:
        the page asks to sign in. The key is looked up in a thread when it takes the
        database (every ``OMNIROUTE_KEY_CACHE_SECONDS`` per key), never on the event loop."""
        if console:
            secret = cookie_parser(_header(scope, b"cookie") or "").get(CONSOLE_COOKIE)
            header = f"Bearer {secret}" if secret else None
        else:
            header = _header(scope, b"authorization")
        try:
            token = bearer_token(header)
            key = services.keys.cached(token)
            if key is None:
                key = await run_in_threadpool(services.keys.authenticate, token)
        except Unauthenticated as exc:
            return None if console else response_for(exc)
        wait = services.limiter.take(key.name)
        if wait > 0:
            message = f"API key {key.name!r} is over its rate limit: retry in {wait:.2f} s"
            refusal = error_response(429, "rate_limited", message)
            refusal.headers["Retry-After"] = str(math.ceil(wait))
            return refusal
        state[PRINCIPAL] = key
        return None

    def _is_public(self, path: str) -> bool:
        if self._public is None:
            self._public = list(_public_patterns(self.api.routes))
        return any(pattern.match(path) for pattern in self._public)


def _public_patterns(routes: Iterable[BaseRoute]) -> Iterable[re.Pattern[str]]:
    """Operations marked PUBLIC, the pages out of the API (/docs, /openapi.json) and the
    static files mounted as ``*-static`` (Swagger UI's scripts)."""
    for route in _every_route(routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount) and (original.name or "").endswith("-static"):
            yield original.path_regex
            continue
        if not isinstance(original, Route):
            continue
        extra = getattr(route, "openapi_extra", None) or {}
        if extra.get("security") == PUBLIC["security"] or not route.include_in_schema:
            yield route.path_regex


def _every_route(routes: Iterable[BaseRoute]) -> Iterable[Any]:
    """The routes, with those of included routers: FastAPI >= 0.165 keeps an included router
    as one entry of ``app.routes`` (its operations would be missed) and lists them through
    ``iter_route_contexts``; older versions copy them into ``app.routes``."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - FastAPI < 0.165
        return list(routes)
    return list(iter_route_contexts(list(routes)))


class _Auditor:
    """The ``send`` of a request: a write's answer is held until its audit entry is
    written (so nothing is acknowledged unrecorded); everything else passes straight on."""

    def __init__(self, services: Services, scope: Scope, send: Send) -> None:
        self.services = services
        self.scope = scope
        self.send = send
        self.start: Message | None = None
        self.body: list[bytes] = []
        self.size = 0

    async def __call__(self, message: Message) -> None:
        state = self.scope.get("state", {})
        if message["type"] == "http.response.start":
            if state.get(AUDIT) is None:
                await self.send(message)
                return
            self.start = message
            return
        if self.start is None:
            await self.send(message)
            return
        chunk = message.get("body", b"")
        self.body.append(chunk)
        self.size += len(chunk)
        if message.get("more_body", False) and self.size <= _MAX_AUDITED_BODY:
            return
        await self._record(state)
        await self.send(self.start)
        more = message.get("more_body", False)
        await self.send(
            {"type": "http.response.body", "body": b"".join(self.body), "more_body": more}
        )
        self.start, self.body = None, []

    async def _record(self, state: dict[str, Any]) -> None:
        assert self.start is not None
        status = int(self.start["status"])
        key = state.get(PRINCIPAL)
        actor = key.name if key is not None else state.get(ACTOR, ANONYMOUS)
        entry = AuditEntry(
            at=self.services.now(),
            key=actor,
            action=str(state[AUDIT]),
            target=f"{self.scope['method']} {self.scope['path']}",
            record=_record_id(self.scope, b"".join(self.body)),
            status=status,
            outcome=outcome_of(status),
        )
        try:
            await run_in_threadpool(self.services.audit.record, entry)
        except Exception:  # the write is done: losing its entry must not turn it into a 500
            log.exception("audit entry not written: %s", entry)


def _record_id(scope: Scope, body: bytes) -> str | None:
    params = scope.get("path_params") or {}
    if params:
        return ",".join(str(value) for value in params.values())
    try:
        document = orjson.loads(body) if 0 < len(body) <= _MAX_AUDITED_BODY else None
    except orjson.JSONDecodeError:
        return None
    if isinstance(document, dict):
        for field in _RECORD_FIELDS:
            value = document.get(field)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    return None


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses (413) a body growing past ``limit`` while it is read, for
    bodies sent without a Content-Length (chunked)."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return limited


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None
