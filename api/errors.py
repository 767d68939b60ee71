"""Translate each package's error tree into one HTTP answer, once, at the edge.

Every error body has the same shape: ``{"error": code, "message": text, "detail":
[{"field": path, "message": text}]}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from access import errors as access
from engine.errors import PreviewInputError
from flows.config import ConfigNotSwitched
from flows.documents import field_path
from flows.errors import InvalidDocument, UnknownLocationOrGroup
from flows.order_intake import OrderConflict
from flows.order_routing import NotManaged
from flows.order_sources import BadSignature
from flows.order_store import ConcurrentUpdate, NotFound
from flows.service_flows import KeyReused
from inventory import errors as inv
from rules.errors import DocumentError, InvalidRules, RulesError
from summary import errors as summary_errors

Detail = tuple[str, str]


class BodyTooLarge(HTTPException):
    """A request body over its limit (413), refused before it is parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")
        self.limit = limit

    def __str__(self) -> str:
        return (
            f"request body larger than {self.limit} bytes (the limit: OMNIROUTE_MAX_BODY_BYTES, "
            "or OMNIROUTE_MAX_BULK_BODY_BYTES for bulk loads)"
        )


def error_response(
    status: int, code: str, message: str, detail: Iterable[Detail] = ()
) -> JSONResponse:
    body = {
        "error": code,
        "message": message,
        "detail": [{"field": f, "message": m} for f, m in detail],
    }
    return JSONResponse(body, status_code=status)


def _request_validation(exc: RequestValidationError) -> JSONResponse:
    detail = []
    items = list(exc.errors())
    inner = [tuple(item.get("loc", ())) for item in items]
    for item in items:
        loc_here = tuple(item.get("loc", ()))
        # pydantic also reports a sequence as too short when one of its elements failed (the
        # element is dropped before the length check): that is noise next to the real error.
        if item.get("type") == "too_short" and any(
            len(other) > len(loc_here) and other[: len(loc_here)] == loc_here for other in inner
        ):
            continue
        loc = [p for p in item.get("loc", ()) if p not in ("ship", "pickup")]
        if loc and loc[0] == "body":
            loc = loc[1:]
        message = "field required" if item.get("type") == "missing" else str(item.get("msg"))
        detail.append((field_path(loc) or "body", message))
    summary = "; ".join(f"{f}: {m}" for f, m in detail[:5])
    return error_response(422, "invalid_request", summary, detail)


def _handlers() -> dict[type[Exception], Callable[[Exception], JSONResponse]]:
    def invalid_document(exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidDocument)
        return error_response(
            422,
            "invalid_" + exc.what.split(":")[0],
            str(exc),
            [(i.field, i.message) for i in exc.issues],
        )

    def invalid_rules(exc: Exception) -> JSONResponse:
        issues = exc.issues if isinstance(exc, InvalidRules) else ()
        if isinstance(exc, DocumentError):
            issues = (exc.issue,)
        detail = [(issue.path or "body", issue.message) for issue in issues]
        return error_response(422, "invalid_rules", str(exc).replace("\n", "; "), detail)

    def invalid_inventory(exc: Exception) -> JSONResponse:
        assert isinstance(exc, inv.InvalidInventory)
        detail = [(f"{p.where}.{p.field}" if p.field else p.where, p.problem) for p in exc.problems]
        return error_response(422, "invalid_inventory", str(exc), detail)

    def insufficient(exc: Exception) -> JSONResponse:
        assert isinstance(exc, inv.InsufficientStock)
        detail = [
            (f"{s.location_id}/{s.sku}", f"requested {s.requested}, usable {s.usable}")
            for s in exc.shortages
        ]
        return error_response(409, "insufficient_stock", str(exc), detail)

    def preview_input(exc: Exception) -> JSONResponse:
        assert isinstance(exc, PreviewInputError)
        return error_response(422, "invalid_order", str(exc), [(exc.field, exc.message)])

    def unknown_place(exc: Exception) -> JSONResponse:
        assert isinstance(exc, UnknownLocationOrGroup)
        return error_response(404, "not_found", str(exc), [(exc.field, str(exc))])

    def retry_soon(exc: Exception) -> JSONResponse:
        # Never zero stock, never a guess: the cache is being rebuilt from the record.
        response = error_response(503, "inventory_rebuilding", str(exc))
        response.headers["Retry-After"] = "1"
        return response

    def unauthenticated(exc: Exception) -> JSONResponse:
        response = error_response(401, "unauthenticated", str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    def forbidden(exc: Exception) -> JSONResponse:
        assert isinstance(exc, access.Forbidden)
        detail = [("scope", f"needs the {scope!r} scope") for scope in exc.scopes]
        return error_response(403, "forbidden", str(exc), detail)

    def invalid_key(exc: Exception) -> JSONResponse:
        assert isinstance(exc, access.InvalidKeyRequest)
        return error_response(422, "invalid_request", str(exc), [(exc.field, exc.message)])

    def simple(status: int, code: str) -> Callable[[Exception], JSONResponse]:
        return lambda exc: error_response(status, code, str(exc))

    def summary_error(status: int, code: str) -> Callable[[Exception], JSONResponse]:
        def handle(exc: Exception) -> JSONResponse:
            assert isinstance(exc, summary_errors.SummaryError)
            return error_response(status, code, str(exc), [(exc.field, exc.message)])

        return handle

    return {
        InvalidDocument: invalid_document,
        RulesError: invalid_rules,
        PreviewInputError: preview_input,
        UnknownLocationOrGroup: unknown_place,
        inv.InvalidInventory: invalid_inventory,
        inv.InvalidReservation: simple(422, "invalid_reservation"),
        inv.InsufficientStock: insufficient,
        inv.ReservationConflict: simple(409, "reservation_conflict"),
        inv.UnknownReservation: simple(404, "not_found"),
        inv.CacheNotReady: retry_soon,
        inv.InventoryUnavailable: simple(503, "inventory_unavailable"),
        # Validation passed but the database refused the switch; the message says whether
        # the inventory was synced already (then sending the same config again finishes it).
        ConfigNotSwitched: simple(503, "config_not_switched"),
        NotFound: simple(404, "not_found"),
        OrderConflict: simple(409, "order_conflict"),
        NotManaged: simple(409, "not_managed"),
        ConcurrentUpdate: simple(409, "concurrent_update"),
        BadSignature: simple(401, "bad_signature"),
        KeyReused: simple(409, "idempotency_key_reused"),
        summary_errors.InvalidRequest: summary_error(422, "invalid_request"),
        access.Unauthenticated: unauthenticated,
        access.Forbidden: forbidden,
        access.InvalidKeyRequest: invalid_key,
        access.KeyNotFound: simple(404, "not_found"),
        access.KeyExists: simple(409, "key_exists"),
        BodyTooLarge: simple(413, "body_too_large"),
        summary_errors.IllegalTransition: summary_error(409, "illegal_transition"),
        summary_errors.PaymentRefused: summary_error(409, "payment_refused"),
    }


_ITEM_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (inv.InsufficientStock, 409, "insufficient_stock"),
    (inv.ReservationConflict, 409, "reservation_conflict"),
    (inv.InvalidReservation, 422, "invalid_reservation"),
)


def status_of(exc: Exception) -> tuple[int, str]:
    """Status and code of one refused item of a batch (the same as it would get alone)."""
    for error_type, status, code in _ITEM_STATUS:
        if isinstance(exc, error_type):
            return status, code
    return 422, "invalid_request"


_HANDLERS = _handlers()


def response_for(exc: Exception) -> JSONResponse:
    """The answer the app gives for ``exc``, for code that answers before the app runs (the
    access middleware)."""
    for kind in type(exc).__mro__:
        handler = _HANDLERS.get(kind)
        if handler is not None:
            return handler(exc)
    raise TypeError(f"no error answer for {type(exc).__name__}")


def install(app: FastAPI) -> None:
    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _request_validation(exc)

    app.add_exception_handler(RequestValidationError, on_validation)
    for error_type, handler in _HANDLERS.items():
        app.add_exception_handler(error_type, _async(handler))


def _async(
    handler: Callable[[Exception], JSONResponse],
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return handler(exc)

    return handle
