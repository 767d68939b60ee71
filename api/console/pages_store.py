"""The store work queue (store scope): a location's Fulfillment Orders by status, one FO with
its lines and history, and its buttons: the next steps its status machine allows, a partial
shipment, a rejection with a reason. Every action is the API's ``change_status`` use case,
confined like the API to the key's locations (another location's FO is 404, as unknown)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from access.keys import ApiKey
from access.scopes import Scope
from api.app_inventory import services_of
from api.auth import visible_locations
from api.console.order_tools import REFUSED, quantities, refusal, when
from api.console.web import PREFIX, checked_form, need, render, see_other
from flows import order_queries as queries
from flows.order_fulfilment import NOT_IN_STOCK, change_status
from flows.order_store import NotFound
from summary.errors import IllegalTransition, InvalidRequest
from summary.fulfillment import FORWARD, FoStatus, check_transition

router = APIRouter(prefix=f"{PREFIX}/store", include_in_schema=False)
HOME = f"{PREFIX}/store"
PAGE = 25
ALL = "all"
TABS: tuple[str, ...] = (
    "Allocated",
    "Assigned",
    "Pick Complete",
    "Pack Complete",
    "Fulfilled",
    "Rejected",
    "Canceled",
    ALL,
)
OTHER = "other"
REJECT_REASONS: tuple[tuple[str, str], ...] = (
    (NOT_IN_STOCK, "Not in stock (sets this location's stock of the SKUs to 0)"),
    ("damaged", "Damaged"),
    ("cannot_locate", "Cannot find the units"),
    ("store_closed", "Store closed"),
    (OTHER, "Other (say why below)"),
)


def _choices(request: Request, visible: frozenset[str] | None) -> list[str]:
    if visible is not None:
        return sorted(visible)
    return [location.id for location in services_of(request).config().network.locations]


@router.get("")
def queue(
    request: Request,
    status: str = "Allocated",
    location: str | None = None,
    cursor: str | None = None,
) -> Response:
    key = need(request, Scope.store)
    visible = visible_locations(key)
    choices = _choices(request, visible)
    status = status if status in TABS else "Allocated"
    location = location or None
    if location is None and len(choices) == 1:
        location = choices[0]
    page = queries.fulfillment_orders(
        services_of(request),
        location_id=location,
        status=None if status == ALL else status,
        cursor=cursor or None,
        limit=PAGE,
        visible=visible,
    )

    def link(**changes: str | None) -> str:
        params = {"status": status, "location": location, **changes}
        return f"{HOME}?{urlencode({k: v for k, v in params.items() if v})}"

    context = {
        "fos": page["items"],
        "status": status,
        "location": location,
        "choices": choices,
        "tabs": [(tab, "All" if tab == ALL else tab, link(status=tab)) for tab in TABS],
        "next_url": link(cursor=page["next_cursor"]) if page["next_cursor"] else None,
        "first_url": link() if cursor else None,
    }
    return render(request, "store.html", context)


def legal_steps(status: str) -> list[FoStatus]:
    """The forward statuses the FO's status machine allows from ``status`` (none from Draft:
    omniroute itself makes a Draft Allocated once its reservation is made)."""
    return [step for step in FORWARD[2:] if can(status, step)]


def can(status: str, step: str) -> bool:
    if status == "Draft":
        return False
    try:
        check_transition(status, step)
    except IllegalTransition:
        return False
    return True


def _fo_page(
    request: Request,
    fo: dict[str, Any],
    *,
    error: str | None = None,
    done: bool = False,
    status: int = 200,
) -> Response:
    context = {
        "fo": fo,
        "steps": legal_steps(fo["status"]),
        "can_ship": can(fo["status"], "Fulfilled"),
        "can_reject": can(fo["status"], "Rejected"),
        "reasons": REJECT_REASONS,
        "error": error,
        "done": done,
        "when": when,
        "home": HOME,
    }
    return render(request, "store_fo.html", context, status=status)


def _missing(request: Request, fo_id: str) -> Response:
    context = {
        "title": "Not found",
        "message": f"fulfillment order {fo_id!r} not found",
        "back": HOME,
    }
    return render(request, "error.html", context, status=404)


@router.get("/fo/{fo_id}")
def fo_page(request: Request, fo_id: str, done: bool = False) -> Response:
    key = need(request, Scope.store)
    try:
        fo = queries.fulfillment_order(services_of(request), fo_id, visible=visible_locations(key))
    except NotFound:
        return _missing(request, fo_id)
    return _fo_page(request, fo, done=done)


@router.post("/fo/{fo_id}/step")
async def post_step(request: Request, fo_id: str) -> Response:
    key = need(request, Scope.store)
    form = await checked_form(request)
    step = form.get("status", "")
    if step not in FORWARD:
        return await _act(request, key, fo_id, None, f"unknown status {step!r}")
    return await _act(request, key, fo_id, {"status": step})


@router.post("/fo/{fo_id}/ship")
async def post_ship(request: Request, fo_id: str) -> Response:
    key = need(request, Scope.store)
    form = await checked_form(request)
    try:
        lines = quantities(form)
    except InvalidRequest as exc:
        return await _act(request, key, fo_id, None, str(exc))
    if not lines:
        return await _act(request, key, fo_id, None, "give a quantity for at least one line")
    return await _act(request, key, fo_id, {"status": "Fulfilled", "lines": lines})


@router.post("/fo/{fo_id}/reject")
async def post_reject(request: Request, fo_id: str) -> Response:
    key = need(request, Scope.store)
    form = await checked_form(request)
    code = form.get("reason", "")
    text = form.get("note", "").strip()
    if code not in {value for value, _ in REJECT_REASONS}:
        return await _act(request, key, fo_id, None, "choose a reason for the rejection")
    if code == OTHER and not text:
        return await _act(request, key, fo_id, None, "say why the units cannot be fulfilled")
    reason = (text if code == OTHER else code)[:255]
    return await _act(request, key, fo_id, {"status": "Rejected", "reason": reason})


async def _act(
    request: Request,
    key: ApiKey | None,
    fo_id: str,
    change: dict[str, Any] | None,
    problem: str | None = None,
) -> Response:
    """Run the status change (the API's use case) and go back to the FO's page; a refusal
    shows the page again with the reason, nothing changed."""
    services = services_of(request)
    visible = visible_locations(key)
    status = 422
    if change is not None:
        try:
            await run_in_threadpool(queries.check_visible, services, fo_id, visible)
            await run_in_threadpool(
                lambda: change_status(
                    services,
                    fo_id,
                    change["status"],
                    reason=change.get("reason"),
                    lines=change.get("lines"),
                )
            )
            return see_other(f"{HOME}/fo/{quote(fo_id, safe='')}?done=1")
        except NotFound:
            return _missing(request, fo_id)
        except REFUSED as exc:
            status, problem = refusal(exc)
    try:
        fo = await run_in_threadpool(queries.fulfillment_order, services, fo_id, visible=visible)
    except NotFound:
        return _missing(request, fo_id)
    return _fo_page(request, fo, error=problem, status=status)
