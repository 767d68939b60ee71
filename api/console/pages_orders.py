"""Order Summary pages (agent scope): a search by order number, summary id or external id, a
page of recent summaries, and one summary with every quantity, its delivery groups, FOs and
their history, payments, invoices, credit memos, change orders and routing attempts, with the
forms of the service actions it allows (see orders_actions.py for preview and confirm)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from access.scopes import Scope
from api.app_inventory import services_of
from api.console.order_tools import QTY, money, new_key, when
from api.console.web import PREFIX, need, render, see_other
from flows import order_pages
from flows.order_store import NotFound
from summary.return_order import NEXT, RECEIVING

router = APIRouter(prefix=f"{PREFIX}/orders", include_in_schema=False)
HOME = f"{PREFIX}/orders"
PAGE = 50
CANCEL_REASONS = ("customer_request", "out_of_stock", "fraud_suspected", "duplicate_order")
RESHIP_REASONS = ("lost_in_transit", "damaged_in_transit", "wrong_item_shipped")
# The FOs whose units an agent may take off (to cancel them), as the summary's
# cancel_fulfillment_lines allows: only to show the form, the use case checks again.
TAKE_OFF = ("Allocated", "Assigned")


@router.get("")
def orders(request: Request, q: str | None = None, cursor: str | None = None) -> Response:
    need(request, Scope.agent)
    services = services_of(request)
    error = None
    wanted = (q or "").strip()
    if wanted:
        try:
            found = order_pages.summary_id_of(services, wanted)
        except NotFound:
            error = f"No order summary has the number, id or external id {wanted!r}."
        else:
            return see_other(f"{HOME}/{quote(found, safe='')}")
    page = order_pages.recent_summaries(services, cursor=cursor or None, limit=PAGE)
    next_cursor = page["next_cursor"]
    context = {
        "summaries": page["items"],
        "q": wanted,
        "error": error,
        "when": when,
        "next_url": f"{HOME}?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        "first_url": HOME if cursor else None,
    }
    return render(request, "orders.html", context, status=404 if error else 200)


@router.get("/{key}")
async def summary(
    request: Request,
    key: str,
    change: str | None = None,
    taken: str | None = None,
    ro: str | None = None,
) -> Response:
    need(request, Scope.agent)
    return await summary_view(request, key, change=change, taken=taken, ro=ro)


async def summary_view(
    request: Request,
    key: str,
    *,
    error: str | None = None,
    status: int = 200,
    open_action: str | None = None,
    change: str | None = None,
    taken: str | None = None,
    ro: str | None = None,
) -> Response:
    """The summary's page; ``error``: a refused action, shown next to its ``open_action``."""
    services = services_of(request)
    try:
        page = await run_in_threadpool(order_pages.summary_page, services, key)
    except NotFound:
        missing = {"title": "Not found", "message": f"order summary {key!r} not found"}
        return render(request, "error.html", {**missing, "back": HOME}, status=404)
    document = page["summary"]
    config = services.config()
    returns = config.rules.rules.returns
    context: dict[str, Any] = {
        **page,
        "s": document,
        "currency": document["currency"],
        "money": money,
        "when": when,
        "qty": QTY,
        "error": error,
        "open_action": open_action,
        "done": _change_done(page["change_orders"], change),
        "taken": taken if any(fo["id"] == taken for fo in page["fulfillment_orders"]) else None,
        "ro_done": next((r for r in page["return_orders"] if r["id"] == ro), None),
        "ro_moves": return_order_moves,
        "take_off": TAKE_OFF,
        "new_key": new_key,
        "allowed": allowed_actions(document),
        "return_reasons": sorted(returns.reasons) if returns is not None else [],
        "cancel_reasons": CANCEL_REASONS,
        "reship_reasons": RESHIP_REASONS,
        "locations": [location.id for location in config.network.locations],
        "fences": [_fences(attempt) for attempt in page["routing_attempts"]],
        "base": f"{HOME}/{quote(document['id'], safe='')}",
    }
    return render(request, "order.html", context, status=status)


def allowed_actions(document: dict[str, Any]) -> dict[str, bool]:
    """Which action forms the page shows, from the quantities the summary reports (the use
    case checks every request again; unmanaged summaries take none here)."""
    items = document["items"]
    managed = document["lifecycle"] == "managed"
    # an exchange's returned units, and a Return Order's, are units available to return
    returnable = managed and any(i["quantity_available_to_return"] > 0 for i in items)
    return {
        "cancel": managed and any(i["quantity_available_to_cancel"] > 0 for i in items),
        "return": returnable,
        "adjust": managed and any(i["quantity_ordered"] > i["quantity_canceled"] for i in items),
        "reship": managed and any(i["quantity_fulfilled"] > 0 for i in items),
        "exchange": returnable,
        "return_order": returnable,
    }


def return_order_moves(status: str) -> dict[str, bool]:
    """The buttons a Return Order in ``status`` shows, from its state machine's moves
    (summary/return_order.py; the use case checks each again)."""
    moves = NEXT.get(status, frozenset())
    return {
        "approve": "Approved" in moves,
        "cancel": "Canceled" in moves,
        "receive": status in RECEIVING,
    }


def _change_done(changes: list[dict[str, Any]], change_id: str | None) -> dict[str, Any] | None:
    if change_id is None:
        return None
    return next((c for c in changes if c["id"] == change_id), None)


def _fences(attempt: dict[str, Any]) -> dict[str, Any]:
    """One routing attempt as the page shows it: the chosen locations, each excluded
    location with the fence that excluded it, and the count per fence."""
    answer = attempt.get("answer") or {}
    routes = answer.get("routes") or []
    explanation = answer.get("explanation") or {}
    first = routes[0] if routes else {}
    chosen = [fo.get("location_id") for fo in first.get("fulfillment_orders", [])]
    return {
        "policy": answer.get("policy"),
        "reason": answer.get("reason"),
        "chosen": chosen,
        "unfilled": first.get("unfilled", []),
        "excluded": explanation.get("candidates", []),
        "counts": sorted((explanation.get("excluded_counts") or {}).items()),
        "eligible": explanation.get("eligible"),
        "stocked": explanation.get("stocked"),
    }
