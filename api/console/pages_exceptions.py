"""Process exceptions: the queue (active ones by default, sorted by priority, severity or age
by the database, filtered by status and category, a page at a time) and one exception's
record with the form that moves it. The API's use cases and validation throughout:
:func:`flows.order_queries.process_exceptions` / ``move_exception`` and ``ExceptionPatch``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from access.scopes import Scope
from api.app_inventory import services_of
from api.app_orders import ExceptionPatch
from api.console.web import PREFIX, checked_form, need, render, see_other
from flows import order_queries as queries
from flows.order_records import ExceptionSort
from flows.order_store import NotFound
from summary.errors import IllegalTransition
from summary.exceptions import ACTIVE_STATUSES, Category, PeStatus

QUEUE = f"{PREFIX}/exceptions"
router = APIRouter(prefix=QUEUE, include_in_schema=False)
WHO = (Scope.ops, Scope.agent)
PAGE_SIZE = 50
MAX_PAGE = 200

STATUS_LABELS: dict[str, str] = {
    "new": "New",
    "in_progress": "In Progress",
    "resolved": "Resolved",
    "voided": "Voided",
}
# The status filter: its value, its label, the statuses it shows (None: all).
STATUS_FILTERS: dict[str, tuple[str, frozenset[str] | None]] = {
    "active": ("New and in progress", ACTIVE_STATUSES),
    **{s: (STATUS_LABELS[s], frozenset({s})) for s in get_args(PeStatus)},
    "all": ("All", None),
}
CATEGORIES: tuple[str, ...] = get_args(Category)
# The columns a person sorts by (their header links), and the default: oldest first.
SORT_COLUMNS: tuple[tuple[ExceptionSort, str], ...] = (
    ("priority", "Priority"),
    ("severity", "Severity"),
    ("age", "Age"),
)
DEFAULT_SORT = "age"
MOVES: tuple[PeStatus, ...] = ("in_progress", "resolved", "voided")


class BadQuery(ValueError):
    """A filter, sort or page size this page does not know."""


@router.get("")
def queue(
    request: Request,
    status: str = "active",
    category: str = "",
    sort: str = DEFAULT_SORT,
    cursor: str = "",
    limit: int = PAGE_SIZE,
) -> Response:
    need(request, *WHO)
    try:
        shown, key, descending = _checked(status, category, sort, limit)
        page = queries.process_exceptions(
            services_of(request),
            status=None,
            statuses=shown,
            category=category or None,
            summary_key=None,
            cursor=cursor or None,
            limit=limit,
            sort=key,
            descending=descending,
        )
    except (BadQuery, NotFound) as exc:
        failed = {"title": "Process exceptions", "message": str(exc), "back": QUEUE}
        return render(request, "error.html", failed, status=400)
    now = services_of(request).now()
    here: dict[str, Any] = {"status": status, "category": category, "sort": sort, "limit": limit}
    items = [{**pe, "age": age(now - pe["created_at"])} for pe in page["items"]]
    context: dict[str, Any] = {
        "items": items,
        "status": status,
        "category": category,
        "limit": limit,
        "page_size": PAGE_SIZE,
        "sort": sort,
        "status_filters": [(value, label) for value, (label, _) in STATUS_FILTERS.items()],
        "categories": CATEGORIES,
        "labels": STATUS_LABELS,
        "columns": [_column(here, key, descending, name, title) for name, title in SORT_COLUMNS],
        "next_url": _url({**here, "cursor": page["next_cursor"]}) if page["next_cursor"] else None,
        "first_url": _url(here) if cursor else None,
    }
    return render(request, "exceptions.html", context)


@router.get("/{exception_id}")
def record(request: Request, exception_id: str, moved: str = "") -> Response:
    need(request, *WHO)
    return _record(request, exception_id, moved=bool(moved))


@router.post("/{exception_id}")
async def move(request: Request, exception_id: str) -> Response:
    """Move the exception (``status``, ``note``), as ``PATCH /v1/process-exceptions/{id}``."""
    need(request, *WHO)
    form = await checked_form(request)
    note = form.get("note", "").strip() or None
    try:
        patch = ExceptionPatch.model_validate({"status": form.get("status"), "note": note})
    except ValidationError as exc:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return await run_in_threadpool(_record, request, exception_id, error=message, note=note)
    try:
        await run_in_threadpool(
            queries.move_exception, services_of(request), exception_id, patch.status, patch.note
        )
    except IllegalTransition as exc:
        return await run_in_threadpool(
            _record, request, exception_id, error=exc.message, note=note, status=409
        )
    except NotFound:
        return _missing(request, exception_id)
    return see_other(f"{QUEUE}/{exception_id}?moved=1")


def _record(
    request: Request,
    exception_id: str,
    *,
    moved: bool = False,
    error: str | None = None,
    note: str | None = None,
    status: int | None = None,
) -> Response:
    services = services_of(request)
    try:
        pe = queries.process_exception(services, exception_id)
    except NotFound:
        return _missing(request, exception_id)
    try:
        summary: dict[str, Any] | None = queries.order_summary(services, pe["order_summary_id"])
    except NotFound:
        summary = None
    context: dict[str, Any] = {
        "pe": pe,
        "age": age(services.now() - pe["created_at"]),
        "summary": summary,
        "labels": STATUS_LABELS,
        "moves": [(s, STATUS_LABELS[s]) for s in MOVES],
        "open": pe["status"] in ACTIVE_STATUSES,
        "moved": moved and error is None,
        "error": error,
        "note": note or "",
    }
    code = status if status is not None else (422 if error else 200)
    return render(request, "exceptions_record.html", context, status=code)


def _missing(request: Request, exception_id: str) -> Response:
    message = f"There is no process exception {exception_id!r}."
    context = {"title": "Process exception", "message": message, "back": QUEUE}
    return render(request, "error.html", context, status=404)


def _checked(
    status: str, category: str, sort: str, limit: int
) -> tuple[frozenset[str] | None, ExceptionSort, bool]:
    """The statuses shown, the sort key and its direction; BadQuery for unknown values."""
    if status not in STATUS_FILTERS:
        raise BadQuery(f"unknown status filter {status!r}: one of {', '.join(STATUS_FILTERS)}")
    if category and category not in CATEGORIES:
        raise BadQuery(f"unknown category {category!r}: one of {', '.join(CATEGORIES)}")
    name = sort.removeprefix("-")
    key = next((column for column, _ in SORT_COLUMNS if column == name), None)
    if key is None:
        names = ", ".join(column for column, _ in SORT_COLUMNS)
        raise BadQuery(f"unknown sort {sort!r}: one of {names} (a leading - reverses it)")
    if not 1 <= limit <= MAX_PAGE:
        raise BadQuery(f"page size {limit} out of range: 1 to {MAX_PAGE}")
    return STATUS_FILTERS[status][1], key, sort.startswith("-")


def _column(
    here: dict[str, Any], key: str, descending: bool, name: str, title: str
) -> dict[str, Any]:
    """A sortable header: its link (the other direction when it is the current sort)."""
    current = key == name
    target = f"-{name}" if current and not descending else name
    aria = ("descending" if descending else "ascending") if current else None
    return {"title": title, "url": _url({**here, "sort": target}), "aria": aria}


def _url(params: dict[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v not in ("", None)}
    if kept.get("limit") == PAGE_SIZE:
        del kept["limit"]
    return f"{QUEUE}?{urlencode(kept)}"


def age(delta: timedelta) -> str:
    """How long ago, to a person: ``45 s``, ``12 min``, ``3 h``, ``4 d``."""
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
