"""Service actions from the Order Summary page (agent scope): cancel, return, adjust and
reship, each previewed first. The form posts to ``…/<action>/preview``, which shows the plan
(quantities and money, from the preview use case the API's ``…/preview`` answers with) and a
Confirm button; Confirm posts the same fields with an idempotency key made when the preview
was shown, so a second submit answers the first change order instead of making another."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from access.scopes import Scope
from api import app_service as api
from api.app_inventory import services_of
from api.console.order_steps import (
    IDEMPOTENCY_FIELD,
    Done,
    Steps,
    changed,
    preview_context,
    refused,
    step,
    summary_url,
)
from api.console.order_tools import REFUSED, quantities
from api.console.web import PREFIX, checked_form, need, render, see_other
from flows import order_queries as queries
from flows import service_flows
from flows.shopify import CURRENCY_EXPONENTS
from summary.errors import InvalidRequest

router = APIRouter(prefix=f"{PREFIX}/orders", include_in_schema=False)


@dataclass(frozen=True)
class Action:
    title: str
    verb: str
    parse: Callable[[Mapping[str, str], str], BaseModel]  # the form (and currency) → API body
    run: Callable[..., Any]  # the API's (request, key, body, idempotency key, *, preview)
    needs_currency: bool = False  # amounts typed in the summary's currency


def _cancel_body(form: Mapping[str, str], _: str) -> BaseModel:
    return api.CancelIn.model_validate(
        {
            "lines": _lines(form),
            "reason": form.get("reason") or "customer_request",
            "prorate_delivery": form.get("prorate_delivery") == "on",
        }
    )


def _return_body(form: Mapping[str, str], _: str) -> BaseModel:
    reason = form.get("reason", "").strip()
    lines = [{**line, "reason": reason} for line in _lines(form)]
    return api.ReturnIn.model_validate(
        {
            "lines": lines,
            "location_id": form.get("location_id") or None,
            "refund_delivery": form.get("refund_delivery") == "on",
        }
    )


def _adjust_body(form: Mapping[str, str], currency: str) -> BaseModel:
    lines = []
    for name, value in form.items():
        if not value.strip():
            continue
        if name.startswith("off:"):
            amount = minor_units(value, currency, name.removeprefix("off:"))
            lines.append({"line_id": name.removeprefix("off:"), "amount": amount})
        elif name.startswith("percent:"):
            lines.append({"line_id": name.removeprefix("percent:"), "percent": value.strip()})
    if not lines:
        raise InvalidRequest("lines", "give an amount or a percent off for at least one line")
    return api.AdjustIn.model_validate(
        {"lines": lines, "reason": form.get("reason") or "appeasement"}
    )


def _reship_body(form: Mapping[str, str], _: str) -> BaseModel:
    return api.ReshipIn.model_validate(
        {"lines": _lines(form), "reason": form.get("reason") or "lost_in_transit"}
    )


def _lines(form: Mapping[str, str]) -> list[dict[str, Any]]:
    lines = [{"line_id": line_id, "quantity": count} for line_id, count in quantities(form)]
    if not lines:
        raise InvalidRequest("lines", "give a quantity for at least one line")
    return lines


def minor_units(text: str, currency: str, line_id: str) -> int:
    """``"5.25"`` USD → 525, exactly (Decimal): a value finer than the currency's minor unit
    is refused, never rounded."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    where = f"lines.{line_id}.amount"
    if exponent is None:
        raise InvalidRequest(where, f"amounts in {currency} are not supported here: use percent")
    try:
        value = Decimal(text.strip()).scaleb(exponent)
    except InvalidOperation:
        raise InvalidRequest(where, f"{text!r} is not an amount") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidRequest(where, f"{text!r} is finer than one minor unit of {currency}")
    return int(value)


# Each runs the API's own translation of its body into the use case: the same call, and
# the same body fingerprint for the idempotency key.
ACTIONS: dict[str, Action] = {
    "cancel": Action("Cancel", "Cancel these units", _cancel_body, api._cancel),
    "return": Action("Return", "Take the return", _return_body, api._return),
    "adjust": Action("Adjust", "Give the discount", _adjust_body, api._adjust, True),
    "reship": Action("Reship", "Reship these units", _reship_body, api._reship),
}


def _steps(action: Action) -> Steps:
    def parse(request: Request, key: str, form: Mapping[str, str]) -> BaseModel:
        currency = ""
        if action.needs_currency:
            currency = queries.summary_currency(services_of(request), key)
        return action.parse(form, currency)

    return Steps(parse, action.run)


STEPS = {name: _steps(action) for name, action in ACTIONS.items()}


def _preview_page(name: str) -> Done:
    def page(request: Request, form: Mapping[str, str], _: Any, answer: dict[str, Any]) -> Response:
        back = summary_url(answer["summary"]["id"])
        more = {"name": name, "action": ACTIONS[name], "back": back, "confirm": f"{back}/{name}"}
        return render(request, "order_preview.html", {**preview_context(answer, form), **more})

    return page


@router.post("/{key}/{name}/preview")
async def preview(request: Request, key: str, name: str) -> Response:
    if name not in STEPS:
        return await _unknown(request, name)
    done = _preview_page(name)
    return await step(request, key, STEPS[name], done, preview=True, open_action=name)


@router.post("/{key}/{name}")
async def submit(request: Request, key: str, name: str) -> Response:
    if name not in STEPS:
        return await _unknown(request, name)
    return await step(request, key, STEPS[name], changed, preview=False, open_action=name)


async def _unknown(request: Request, name: str) -> Response:
    """No such action: a 404 page, once the scope and the form's CSRF token are checked."""
    need(request, Scope.agent)
    await checked_form(request)
    context = {"title": "Not found", "message": f"no service action {name!r}", "back": None}
    return render(request, "error.html", context, status=404)


@router.post("/{key}/fo/{fo_id}/take-off")
async def take_off(request: Request, key: str, fo_id: str) -> Response:
    """Take units off an Allocated or Assigned FO (the API's ``POST /v1/fulfillment-orders/
    {id}/cancel``): they become available to cancel, or to route again."""
    need(request, Scope.agent)
    form = await checked_form(request)
    idem = form.get(IDEMPOTENCY_FIELD, "").strip()[:255] or None
    services = services_of(request)
    try:
        lines = _lines(form)
        body = api.FoCancelIn.model_validate({"lines": lines})
        pairs = [(x.line_id, x.quantity) for x in body.lines]
        fo = await run_in_threadpool(
            lambda: service_flows.cancel_fulfillment_lines(
                services, fo_id, pairs, idempotency_key=idem, body=body.model_dump(mode="json")
            )
        )
    except REFUSED as exc:
        return await refused(request, key, exc, "cancel")
    taken = quote(fo_id, safe="")
    return see_other(f"{summary_url(fo['order_summary_id'])}?taken={taken}#action-cancel")
