"""What the store and order pages share: money as people read it, the refusals of the use
cases as a status and a message for the page, and quantities read from a form."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from api.cli_views import money as money_text
from flows.errors import FlowError
from flows.order_store import NotFound
from inventory import errors as inv
from summary.errors import IllegalTransition, InvalidRequest, PaymentRefused, SummaryError

QTY = "qty:"  # a quantity field is named "qty:<line id>"
# what a use case refuses on purpose: shown on the page, nothing changed
REFUSED: tuple[type[Exception], ...] = (
    FlowError,
    SummaryError,
    ValidationError,
    inv.InventoryError,
)


def money(minor: int | None, currency: str) -> str:
    """Minor units with their currency, exact (integer arithmetic): 9125 USD -> 91.25 USD."""
    return "" if minor is None else money_text(minor, currency)


def when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def refusal(exc: Exception) -> tuple[int, str]:
    """The HTTP status the API answers this refusal with, and its message."""
    if isinstance(exc, NotFound):
        return 404, str(exc)
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
        )
        return 422, problems
    if isinstance(exc, inv.InventoryUnavailable):
        return 503, f"{exc} (retry in a moment)"
    if isinstance(exc, InvalidRequest | inv.InvalidInventory | inv.InvalidReservation):
        return 422, str(exc)
    if isinstance(exc, IllegalTransition | PaymentRefused | FlowError | inv.InventoryError):
        return 409, str(exc)
    return 422, str(exc)


class BadQuantity(InvalidRequest):
    """A quantity field that is not a whole number."""


def quantities(form: Mapping[str, str]) -> list[tuple[str, int]]:
    """``(line id, quantity)`` of the form's ``qty:<line id>`` fields above zero, in order."""
    found: list[tuple[str, int]] = []
    for name, value in form.items():
        if not name.startswith(QTY) or not value.strip():
            continue
        line_id = name.removeprefix(QTY)
        try:
            count = int(value.strip())
        except ValueError:
            raise BadQuantity(f"lines.{line_id}", f"{value!r} is not a whole number") from None
        if count < 0:
            raise BadQuantity(f"lines.{line_id}", "a quantity cannot be negative")
        if count > 0:
            found.append((line_id, count))
    return found


def new_key() -> str:
    """An idempotency key for a console action, made when its preview is shown."""
    return f"console-{uuid.uuid4().hex}"
