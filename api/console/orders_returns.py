"""Return Orders (RMA) from the Order Summary page (agent scope): start one (preview, then
create), approve or cancel it, and receive its units (preview, then confirm). Each calls the
API's own translation of its body into the use case (api/app_returns.py → flows/service_rma.py),
so the console and the API answer alike; a create or a receipt confirms with an idempotency
key made when its preview was shown, so a second submit answers the first result."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from access.scopes import Scope
from api import app_returns as api
from api.app_inventory import services_of
from api.console.order_tools import QTY, REFUSED, money, quantities, refusal
from api.console.pages_orders import summary_view
from api.console.web import CSRF_FIELD, PREFIX, checked_form, need, render, see_other
from flows import service_rma
from summary.errors import InvalidRequest

router = APIRouter(prefix=f"{PREFIX}/orders", include_in_schema=False)
IDEMPOTENCY_FIELD = "idempotency_key"
ANCHOR = "return-orders"  # the section, and the open_action of its "Start a return" form
# receive form fields, per return order line: "returned:<line id>" and so on
RETURNED, REJECTED, CANCELED, WHY = "returned:", "rejected:", "canceled:", "why:"


def create_body(form: Mapping[str, str]) -> api.ReturnOrderIn:
    reason = form.get("reason", "").strip()
    lines = [
        {"line_id": line_id, "quantity": count, "reason": reason}
        for line_id, count in quantities(form)
    ]
    if not lines:
        raise InvalidRequest("lines", "give a quantity for at least one line")
    return api.ReturnOrderIn.model_validate(
        {"lines": lines, "location_id": form.get("location_id") or None}
    )


def receive_body(form: Mapping[str, str]) -> api.ReceiveIn:
    """The receipt's lines: those with a unit returned, rejected or canceled. A line's units
    received are its returned + rejected ones, as the API's body defines them."""
    counts: dict[str, dict[str, int]] = {}
    for prefix, name in ((RETURNED, "returned"), (REJECTED, "rejected"), (CANCELED, "canceled")):
        picked = {n.removeprefix(prefix): v for n, v in form.items() if n.startswith(prefix)}
        for line_id, count in quantities({f"{QTY}{k}": v for k, v in picked.items()}):
            counts.setdefault(line_id, {})[name] = count
    lines = []
    for line_id, got in counts.items():
        returned, rejected = got.get("returned", 0), got.get("rejected", 0)
        why = form.get(f"{WHY}{line_id}", "").strip()
        lines.append(
            {
                "line_id": line_id,
                "quantity_received": returned + rejected,
                "quantity_returned": returned,
                "quantity_rejected": rejected,
                "quantity_canceled": got.get("canceled", 0),
                "rejection_reason": why if rejected and why else None,
            }
        )
    if not lines:
        raise InvalidRequest("lines", "give a quantity returned, rejected or canceled")
    return api.ReceiveIn.model_validate(
        {
            "lines": lines,
            "location_id": form.get("location_id") or None,
            "refund_delivery": form.get("refund_delivery") == "on",
        }
    )


def _fields(form: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in form.items() if n not in (CSRF_FIELD, IDEMPOTENCY_FIELD)]


def _base(summary_id: str) -> str:
    return f"{PREFIX}/orders/{quote(summary_id, safe='')}"


async def _refused(
    request: Request, key: str, exc: Exception, action: str | None = ANCHOR
) -> Response:
    """The summary page again with the refusal, the form it came from open."""
    status, message = refusal(exc)
    return await summary_view(request, key, error=message, status=status, open_action=action)


def _preview_page(
    request: Request, answer: dict[str, Any], form: Mapping[str, str], **more: Any
) -> Response:
    summary = answer["summary"]
    context = {
        "answer": answer,
        "ro": answer,
        "change": answer.get("change_order"),
        "summary": summary,
        "currency": summary["currency"],
        "fields": _fields(form),
        "idempotency_key": f"console-{uuid.uuid4().hex}",
        "idempotency_field": IDEMPOTENCY_FIELD,
        "money": money,
        "back": f"{_base(summary['id'])}#{ANCHOR}",
        **more,
    }
    return render(request, "order_rma_preview.html", context)


@router.post("/{key}/return-orders/preview")
async def create_preview(request: Request, key: str) -> Response:
    need(request, Scope.agent)
    form = await checked_form(request)
    try:
        body = create_body(form)
        answer = await run_in_threadpool(
            lambda: api._create(request, key, body, None, preview=True)
        )
    except REFUSED as exc:
        return await _refused(request, key, exc)
    confirm = f"{_base(answer['summary']['id'])}/return-orders"
    return _preview_page(
        request, answer, form, title="Start a return", confirm=confirm, receiving=False
    )


@router.post("/{key}/return-orders")
async def create(request: Request, key: str) -> Response:
    need(request, Scope.agent)
    form = await checked_form(request)
    idem = form.get(IDEMPOTENCY_FIELD, "").strip()[:255] or f"console-{uuid.uuid4().hex}"
    try:
        body = create_body(form)
        ro = await run_in_threadpool(lambda: api._create(request, key, body, idem, preview=False))
    except REFUSED as exc:
        return await _refused(request, key, exc)
    return _back_to(ro)


@router.post("/{key}/return-orders/{ro_id}/receive/preview")
async def receive_preview(request: Request, key: str, ro_id: str) -> Response:
    need(request, Scope.agent)
    form = await checked_form(request)
    try:
        body = receive_body(form)
        answer = await run_in_threadpool(
            lambda: api._receive(request, ro_id, body, None, preview=True)
        )
    except REFUSED as exc:
        return await _refused(request, key, exc, f"receive:{ro_id}")
    base = _base(answer["summary"]["id"])
    confirm = f"{base}/return-orders/{quote(ro_id, safe='')}/receive"
    return _preview_page(
        request, answer, form, title=f"Receive {ro_id}", confirm=confirm, receiving=True
    )


@router.post("/{key}/return-orders/{ro_id}/receive")
async def receive(request: Request, key: str, ro_id: str) -> Response:
    need(request, Scope.agent)
    form = await checked_form(request)
    idem = form.get(IDEMPOTENCY_FIELD, "").strip()[:255] or f"console-{uuid.uuid4().hex}"
    try:
        body = receive_body(form)
        answer = await run_in_threadpool(
            lambda: api._receive(request, ro_id, body, idem, preview=False)
        )
    except REFUSED as exc:
        return await _refused(request, key, exc, f"receive:{ro_id}")
    return _back_to(answer, answer.get("change_order_id"))


async def _move(
    request: Request, key: str, ro_id: str, act: Callable[[Any, str], dict[str, Any]]
) -> Response:
    need(request, Scope.agent)
    await checked_form(request)
    services = services_of(request)
    try:
        ro = await run_in_threadpool(act, services, ro_id)
    except REFUSED as exc:
        return await _refused(request, key, exc, None)
    return _back_to(ro)


@router.post("/{key}/return-orders/{ro_id}/approve")
async def approve(request: Request, key: str, ro_id: str) -> Response:
    """Submitted → Approved (the API's ``POST /v1/return-orders/{id}/approve``)."""
    return await _move(request, key, ro_id, service_rma.approve)


@router.post("/{key}/return-orders/{ro_id}/cancel")
async def cancel(request: Request, key: str, ro_id: str) -> Response:
    """Cancel a Submitted or Approved return order (``POST /v1/return-orders/{id}/cancel``)."""
    return await _move(request, key, ro_id, service_rma.cancel)


def _back_to(ro: dict[str, Any], change_id: str | None = None) -> Response:
    """The return order's summary page, its outcome shown at the top."""
    query = f"ro={quote(ro['id'], safe='')}"
    if change_id:
        query += f"&change={quote(change_id, safe='')}"
    return see_other(f"{_base(ro['order_summary_id'])}?{query}#ro-{quote(ro['id'], safe='')}")
