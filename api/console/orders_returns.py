"""Return Orders (RMA) from the Order Summary page (agent scope): start one (preview, then
create), approve or cancel it, and receive its units (preview, then confirm). Each calls the
API's own translation of its body into the use case (api/app_returns.py → flows/service_rma.py),
so the console and the API answer alike; a create or a receipt confirms with an idempotency
key made when its preview was shown, so a second submit answers the first result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from access.scopes import Scope
from api import app_returns as api
from api.app_inventory import services_of
from api.console.order_steps import Done, Steps, preview_context, refused, step, summary_url
from api.console.order_tools import QTY, REFUSED, quantities
from api.console.web import PREFIX, checked_form, need, render, see_other
from flows import service_rma
from summary.errors import InvalidRequest

router = APIRouter(prefix=f"{PREFIX}/orders", include_in_schema=False)
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


def _preview_page(
    request: Request,
    form: Mapping[str, str],
    answer: dict[str, Any],
    *,
    title: str,
    confirm: str,
    receiving: bool,
) -> Response:
    context = preview_context(answer, form)
    back = f"{summary_url(answer['summary']['id'])}#{ANCHOR}"
    more = {"ro": answer, "back": back, "title": title, "confirm": confirm, "receiving": receiving}
    return render(request, "order_rma_preview.html", {**context, **more})


def _create_preview(
    request: Request, form: Mapping[str, str], _: Any, answer: dict[str, Any]
) -> Response:
    confirm = f"{summary_url(answer['summary']['id'])}/return-orders"
    return _preview_page(
        request, form, answer, title="Start a return", confirm=confirm, receiving=False
    )


def _receive_preview(ro_id: str) -> Done:
    def page(request: Request, form: Mapping[str, str], _: Any, answer: dict[str, Any]) -> Response:
        base = summary_url(answer["summary"]["id"])
        confirm = f"{base}/return-orders/{quote(ro_id, safe='')}/receive"
        return _preview_page(
            request, form, answer, title=f"Receive {ro_id}", confirm=confirm, receiving=True
        )

    return page


CREATE = Steps(lambda _, __, form: create_body(form), api._create)
RECEIVE = Steps(lambda _, __, form: receive_body(form), api._receive)


@router.post("/{key}/return-orders/preview")
async def create_preview(request: Request, key: str) -> Response:
    return await step(request, key, CREATE, _create_preview, preview=True, open_action=ANCHOR)


@router.post("/{key}/return-orders")
async def create(request: Request, key: str) -> Response:
    return await step(request, key, CREATE, _created, preview=False, open_action=ANCHOR)


@router.post("/{key}/return-orders/{ro_id}/receive/preview")
async def receive_preview(request: Request, key: str, ro_id: str) -> Response:
    done = _receive_preview(ro_id)
    return await step(
        request, key, RECEIVE, done, preview=True, open_action=f"receive:{ro_id}", target=ro_id
    )


@router.post("/{key}/return-orders/{ro_id}/receive")
async def receive(request: Request, key: str, ro_id: str) -> Response:
    return await step(
        request,
        key,
        RECEIVE,
        _received,
        preview=False,
        open_action=f"receive:{ro_id}",
        target=ro_id,
    )


def _created(_: Request, __: Mapping[str, str], ___: Any, ro: dict[str, Any]) -> Response:
    return _back_to(ro)


def _received(_: Request, __: Mapping[str, str], ___: Any, answer: dict[str, Any]) -> Response:
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
        return await refused(request, key, exc, None)
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
    return see_other(f"{summary_url(ro['order_summary_id'])}?{query}#ro-{quote(ro['id'], safe='')}")
