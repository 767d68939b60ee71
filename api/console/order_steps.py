"""The preview → confirm steps the Order Summary page's actions share (orders_actions.py,
orders_returns.py, orders_exchange.py): the agent scope and the CSRF check, the API's own use
case called with the body the form makes (a preview without an idempotency key, a confirm with
the key made when its preview was shown), a refusal shown on the summary page next to the form
it came from, and what every preview page is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from access.scopes import Scope
from api.console.order_tools import REFUSED, money, new_key, refusal
from api.console.pages_orders import summary_view
from api.console.web import CSRF_FIELD, PREFIX, checked_form, need, see_other

IDEMPOTENCY_FIELD = "idempotency_key"

Form = Mapping[str, str]
# (request, form, body, the use case's answer) → the page to send back
Done = Callable[[Request, Form, Any, dict[str, Any]], Response]


@dataclass(frozen=True)
class Steps:
    """An action's preview and confirm: how its form becomes the API's body (run in a thread:
    it may read the summary, for its currency), and the API's call with that body."""

    parse: Callable[[Request, str, Form], BaseModel]  # (request, summary key, form) → body
    run: Callable[..., Any]  # (request, target, body, idempotency key, *, preview) → answer


def summary_url(summary_id: str) -> str:
    return f"{PREFIX}/orders/{quote(summary_id, safe='')}"


async def refused(request: Request, key: str, exc: Exception, open_action: str | None) -> Response:
    """The summary page again with the refusal, the form it came from open."""
    status, message = refusal(exc)
    return await summary_view(request, key, error=message, status=status, open_action=open_action)


async def step(
    request: Request,
    key: str,
    steps: Steps,
    done: Done,
    *,
    preview: bool,
    open_action: str | None,
    target: str | None = None,
) -> Response:
    """One step of an action on summary ``key``, a preview or its confirm: the API's call on
    ``target`` (the summary by default), then ``done`` with its answer. A confirm posts the
    idempotency key its preview made; a refusal shows the summary page again, nothing changed."""
    need(request, Scope.agent)
    form = await checked_form(request)
    idem = None if preview else form.get(IDEMPOTENCY_FIELD, "").strip()[:255] or new_key()
    try:
        body = await run_in_threadpool(steps.parse, request, key, form)
        answer = await run_in_threadpool(
            lambda: steps.run(request, target or key, body, idem, preview=preview)
        )
    except REFUSED as exc:
        return await refused(request, key, exc, open_action)
    return done(request, form, body, answer)


def changed(_: Request, __: Form, ___: Any, answer: dict[str, Any]) -> Response:
    """After a confirmed change order: its summary, the change shown at the top."""
    change = quote(str(answer["change_order_id"]), safe="")
    return see_other(f"{summary_url(answer['summary']['id'])}?change={change}")


def preview_context(
    answer: dict[str, Any], form: Form, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What every preview page shows: the answer, and the form's fields (but ``skip``) to post
    again on Confirm, with a new idempotency key."""
    summary = answer["summary"]
    dropped = (CSRF_FIELD, IDEMPOTENCY_FIELD, *skip)
    return {
        "answer": answer,
        "change": answer.get("change_order"),
        "summary": summary,
        "currency": summary["currency"],
        "fields": [(n, v) for n, v in form.items() if n not in dropped],
        "idempotency_key": new_key(),
        "idempotency_field": IDEMPOTENCY_FIELD,
        "money": money,
    }
