"""Exchange from the Order Summary page (agent scope): delivered units come back (a direct
return) and pay for a replacement on a new Order Summary. The form posts to
``…/exchange/preview``, which shows the money (the return's credit, what the replacement costs,
the refund or the charge) and the quantities from the API's own preview
(api/app_exchange.py → flows/service_exchange.py); Confirm posts the same fields with an
idempotency key made at preview time, plus the new authorization when there is a difference
to charge."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import app_exchange as api
from api.app_inventory import services_of
from api.console.order_steps import Steps, changed, preview_context, step, summary_url
from api.console.order_tools import quantities
from api.console.orders_actions import minor_units
from api.console.web import PREFIX, render
from flows import order_queries as queries
from flows.shopify import CURRENCY_EXPONENTS
from service.exchange import Replacement
from summary.errors import InvalidRequest

router = APIRouter(prefix=f"{PREFIX}/orders", include_in_schema=False)
ACTION = "exchange"
# The new authorization, asked on the preview page when the replacement costs more.
PAYMENT_FIELDS = ("authorization_id", "gateway", "payment_amount")


def exchange_body(form: Mapping[str, str], currency: str) -> api.ExchangeIn:
    reason = form.get("reason", "").strip()
    returns = [
        {"line_id": line_id, "quantity": count, "reason": reason}
        for line_id, count in quantities(form)
    ]
    if not returns:
        raise InvalidRequest("returns", "give a quantity to exchange for at least one line")
    replacement = {
        "sku": form.get("sku", "").strip(),
        "quantity": _whole(form.get("quantity", ""), "replacements[0].quantity"),
        "unit_price": _amount(form.get("unit_price", ""), currency, "replacements[0].unit_price"),
        "tax": _amount(form.get("tax", "") or "0", currency, "replacements[0].tax"),
    }
    payment = None
    authorization = form.get("authorization_id", "").strip()
    if authorization:
        payment = {
            "authorization_id": authorization,
            "gateway": form.get("gateway", "").strip() or "test",
            "amount": _amount(form.get("payment_amount", ""), currency, "payment.amount"),
        }
    return api.ExchangeIn.model_validate(
        {
            "returns": returns,
            "replacements": [replacement],
            "location_id": form.get("location_id") or None,
            "payment": payment,
            "reason": form.get("exchange_reason", "").strip() or None,
        }
    )


def _whole(text: str, where: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidRequest(where, f"{text!r} is not a whole number") from None


def _amount(text: str, currency: str, where: str) -> int:
    """An amount typed in ``currency``, in minor units (exactly, as the adjust form's)."""
    try:
        return minor_units(text, currency, "")
    except InvalidRequest as exc:
        raise InvalidRequest(where, exc.message) from None


def decimal_text(minor: int, currency: str) -> str:
    """Minor units as an amount to type back: 540 USD → ``5.40``."""
    exponent = CURRENCY_EXPONENTS.get(currency, 0)
    return f"{Decimal(minor).scaleb(-exponent):f}"


def _parse(request: Request, key: str, form: Mapping[str, str]) -> api.ExchangeIn:
    currency = queries.summary_currency(services_of(request), key)
    return exchange_body(form, currency)


STEPS = Steps(_parse, api._exchange)


def _preview_page(
    request: Request, form: Mapping[str, str], body: api.ExchangeIn, answer: dict[str, Any]
) -> Response:
    charge = answer["charge"]
    context = preview_context(answer, form, PAYMENT_FIELDS if charge > 0 else ())
    change, currency = context["change"], context["currency"]
    base = summary_url(answer["summary"]["id"])
    replacements = [
        {**x.model_dump(), "amount": Replacement(x.sku, x.quantity, x.unit_price, x.tax).amount}
        for x in body.replacements
    ]
    context |= {
        "replacements": replacements,
        "credit": change["applied"] + change["refund"],  # what the return gives, after its fee
        "charge": charge,
        "asks_payment": charge > 0,
        "payment": {
            "authorization_id": form.get("authorization_id", ""),
            "gateway": form.get("gateway") or "test",
            "amount": form.get("payment_amount") or decimal_text(charge, currency),
        },
        "back": f"{base}#action-{ACTION}",
        "confirm": f"{base}/{ACTION}",
    }
    return render(request, "order_exchange_preview.html", context)


@router.post("/{key}/exchange/preview")
async def preview(request: Request, key: str) -> Response:
    return await step(request, key, STEPS, _preview_page, preview=True, open_action=ACTION)


@router.post("/{key}/exchange")
async def submit(request: Request, key: str) -> Response:
    return await step(request, key, STEPS, changed, preview=False, open_action=ACTION)
