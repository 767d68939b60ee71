"""The routing page (ops): the active rules and their history with a diff of any two versions,
a draft rules file checked (and activated) through the same use cases as ``PUT /v1/rules`` and
``omniroute rules validate``, a preview playground over ``flows.routing.preview_order`` and an
offline map of the network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from access.scopes import Scope
from api.app_inventory import services_of
from api.auth import actor_of
from api.console.netmap import network_map
from api.console.routing_forms import (
    CONSOLE_SOURCE,
    FORMATS,
    BadOrder,
    DraftCheck,
    OrderIssue,
    check_draft,
    compare,
    parse_order,
    refused,
    rules_format,
    sample_order,
)
from api.console.web import PREFIX, checked_form, need, render, see_other
from api.schemas import MAX_ROUTES_LIMIT
from engine.answer import PreviewAnswer
from engine.errors import PreviewInputError
from engine.order import Order
from flows import config as config_flows
from flows import routing, wave_replay
from flows.bootstrap import Services
from flows.db import ConfigRecord
from rules.errors import InvalidRules

PAGE = f"{PREFIX}/routing"
MAX_EXCLUDED_SHOWN = 200  # explain=full lists every excluded location; the counts say the rest
VERSIONS_LISTED = 100  # rules versions offered for a diff, latest first

router = APIRouter(prefix=PAGE, include_in_schema=False)


@dataclass
class Playground:
    """The preview form and, once run, its answer (or why there is none)."""

    text: str
    max_routes: int = 3
    issues: list[OrderIssue] = field(default_factory=list)
    order: Order | None = None
    answer: PreviewAnswer | None = None


@router.get("")
def routing_page(
    request: Request, a: str | None = None, b: str | None = None, activated: str | None = None
) -> Response:
    need(request, Scope.ops)
    services = services_of(request)
    context: dict[str, Any] = {}
    if a and b:
        context["comparison"] = compare(services, a, b)
    if activated:
        context["activated"] = activated
    return render(request, "routing.html", _context(services, **context))


@router.post("/validate")
async def validate_draft(request: Request) -> Response:
    need(request, Scope.ops)
    form = await checked_form(request)
    services = services_of(request)
    text, fmt = _text(form.get("draft")), rules_format(form.get("fmt"))
    draft = await run_in_threadpool(check_draft, services, text, fmt)
    context = await run_in_threadpool(_context, services, draft=draft)
    return render(request, "routing.html", context)


@router.post("/activate")
async def activate_draft(request: Request) -> Response:
    need(request, Scope.ops)
    form = await checked_form(request)
    services = services_of(request)
    text, fmt = _text(form.get("draft")), rules_format(form.get("fmt"))
    try:
        loaded = await run_in_threadpool(
            routing.activate_rules,
            services,
            text,
            fmt=fmt,
            source=CONSOLE_SOURCE,
            actor=actor_of(request),
        )
    except InvalidRules as exc:
        context = await run_in_threadpool(_context, services, draft=refused(text, fmt, exc))
        return render(request, "routing.html", context, status=422)
    return see_other(f"{PAGE}?activated={quote(loaded.version)}#active")


@router.post("/preview")
async def preview(request: Request) -> Response:
    need(request, Scope.ops)
    form = await checked_form(request)
    services = services_of(request)
    playground = Playground(_text(form.get("order")), _max_routes(form.get("max_routes")))
    try:
        playground.order = parse_order(playground.text)
        playground.answer = await run_in_threadpool(
            routing.preview_order,
            services,
            playground.order,
            max_routes=playground.max_routes,
            explain="full",
        )
    except BadOrder as exc:
        playground.issues = exc.issues
    except PreviewInputError as exc:
        playground.issues = [OrderIssue(exc.field, exc.message)]
    context = await run_in_threadpool(_context, services, playground=playground)
    return render(request, "routing.html", context, 422 if playground.issues else 200)


def _text(value: str | None) -> str:
    """A textarea's text with the line ends of a file (browsers send CR LF)."""
    return (value or "").replace("\r\n", "\n")


def _max_routes(value: str | None) -> int:
    if value is not None and value.isdigit() and 1 <= int(value) <= MAX_ROUTES_LIMIT:
        return int(value)
    return 3


def _activation(history: list[ConfigRecord], version: str) -> ConfigRecord | None:
    """The entry that made the active rules active: the oldest of the latest entries that
    all have them (a later network change keeps them)."""
    found = None
    for record in history:
        if record.rules_version != version:
            break
        found = record
    return found


def _context(
    services: Services,
    *,
    draft: DraftCheck | None = None,
    playground: Playground | None = None,
    **extra: Any,
) -> dict[str, Any]:
    config = services.config()
    history = config_flows.history(services)
    versions = wave_replay.rules_history(services)[:VERSIONS_LISTED]
    active = config.rules
    others = [version for version, _ in versions if version != active.version]
    comparison = extra.get("comparison")
    play = playground or Playground(sample_order(services))
    answer = play.answer
    return {
        "active": active,
        "active_since": _activation(history, active.version),
        "history": history,
        "versions": versions,
        "pick_a": comparison.a if comparison else (others[0] if others else active.version),
        "pick_b": comparison.b if comparison else active.version,
        "draft": draft or DraftCheck("", "auto"),
        "formats": FORMATS,
        "playground": play,
        "max_routes_limit": MAX_ROUTES_LIMIT,
        "excluded": answer.explanation.candidates[:MAX_EXCLUDED_SHOWN] if answer else [],
        "map": network_map(config.network, answer, play.order),
        "locations": len(config.network.locations),
        **extra,
    }
