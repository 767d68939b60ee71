"""Shopify as an order source: webhook signatures and the ``orders/create`` payload.

Pure mapping, no HTTP: the API edge verifies the signature over the raw body, parses the
JSON and hands the payload here; what comes back is an intake order document (DESIGN.md,
"Order intake") plus ``external_id`` and ``source``.

Decisions (the lead may revisit them):

- ``channel`` is always ``"shopify"``. Shopify's ``source_name`` (``web``, ``pos``,
  ``shopify_draft_order``, ``iphone``, or an app's numeric id) is not a closed vocabulary,
  and rules files match ``channel`` by value, so a stable name is the one rules can rely on.
- Discounts go on the lines and the order-level ``discounts`` list stays empty. Shopify's
  ``discount_applications`` say what a discount intends (10% across all lines, free
  shipping); its ``discount_allocations`` on each line item and shipping line are the
  amounts it actually took off there, already split per line and summing exactly to the
  discount. Listing the code again under ``discounts`` would take it off twice, and
  spreading it again by omniroute's largest-remainder rule could put cents on other lines
  than Shopify did, so refunds would disagree with what the customer saw.
- Every line item is kept, also those with ``requires_shipping: false`` (digital goods,
  gift cards): the Order is immutable and its totals must equal what Shopify charged and
  authorized, which dropping a line would break. Such lines sit in the ship group like the
  rest.
- An order without ``shipping_address`` is refused: Shopify's local pickup and
  digital-only orders are out of scope for now (pickup would need a mapping from Shopify
  location ids to omniroute store ids).
- Prices that include tax (``taxes_included: true``) are refused: the intake adds ``tax``
  on top of ``unit_price``, and a per-unit net price cannot be recovered exactly.
- The mapped grand total must equal ``total_price``, else the payload is refused: tips,
  duties and additional fees have no place in the intake document, and an Order whose
  total differs from its authorization would leave a balance nobody can settle.
- Money is Shopify's shop currency (``currency`` and the plain amount strings, not the
  ``presentment_money`` of ``*_set``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flows.errors import InvalidDocument, Issue
from rules.messages import format_path

SOURCE = "shopify"
CHANNEL = "shopify"
SHIP_GROUP_ID = "DG1"

# ISO 4217 minor-unit exponents. Deliberately a short list: a currency missing here is
# refused rather than assumed to have cents (KWD has three decimals, JPY none).
CURRENCY_EXPONENTS: Mapping[str, int] = {
    **dict.fromkeys(
        (
            "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN",
            "CZK", "MXN", "BRL", "SGD", "HKD", "INR", "CNY", "ZAR", "AED",
        ),
        2,
    ),
    **dict.fromkeys(("JPY", "KRW", "CLP", "ISK", "VND"), 0),
    **dict.fromkeys(("KWD", "BHD", "OMR", "JOD", "TND"), 3),
}  # fmt: skip

Loc = tuple[str | int, ...]


class ShopifyPayloadError(InvalidDocument):
    """A Shopify payload omniroute cannot take; ``field`` is the path in Shopify's payload.

    An ``InvalidDocument`` so the API edge answers it like any invalid document: HTTP 422,
    code ``invalid_shopify_order``, ``detail`` naming the field.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__("shopify_order", [Issue(field, message)])


def webhook_signature(raw_body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value Shopify sends for ``raw_body``."""
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_webhook(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    """Whether ``header_value`` is Shopify's signature of exactly these bytes.

    Must see the raw body as received: re-serialized JSON differs in spacing and escapes.
    An empty secret verifies nothing, since anyone can sign with it.
    """
    if not header_value or not secret:
        return False
    try:
        claimed = base64.b64decode(header_value.strip(), validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters in the header
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(claimed, expected)


def order_document_from_shopify(
    payload: Mapping[str, Any], *, gateway: str = "test"
) -> dict[str, Any]:
    """The intake order document for an ``orders/create`` payload as Shopify sends it.

    Fields omniroute does not use are ignored. Raises ``ShopifyPayloadError`` naming the
    first field it cannot take.
    """
    if not isinstance(payload, Mapping):
        raise ShopifyPayloadError("body", "expected a JSON object (a Shopify order)")
    external_id = _identifier(payload, ("id",))
    currency = _text(payload, ("currency",))
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        raise ShopifyPayloadError("currency", f"unsupported currency {currency!r}")
    if payload.get("taxes_included") is True:
        raise ShopifyPayloadError("taxes_included", "prices that include tax are not supported yet")

    lines = [
        _line(item, ("line_items", i), exponent)
        for i, item in enumerate(_list(payload, ("line_items",), required=True))
    ]
    if not lines:
        raise ShopifyPayloadError("line_items", "an order needs at least one line item")
    group = _ship_group(payload, exponent)
    total = _money(payload.get("total_price"), ("total_price",), exponent)
    grand_total = sum(
        line["unit_price"] * line["quantity"] - line["discount"] + line["tax"] for line in lines
    ) + (group["charge"] + group["charge_tax"])
    if grand_total != total:
        raise ShopifyPayloadError(
            "total_price",
            f"{payload['total_price']} is not the sum of the lines, shipping and tax "
            f"({_decimal_text(grand_total, exponent)}); tips, duties and additional fees "
            "are not supported",
        )

    return {
        "order_number": _text(payload, ("name",)),
        "channel": CHANNEL,
        "currency": currency,
        "lifecycle": "managed",
        "placed_at": _timestamp(payload, ("created_at",)),
        "customer": _customer(payload),
        "delivery_groups": [group],
        "lines": lines,
        "discounts": [],
        "payment": {
            "authorization_id": f"shopify:{external_id}",
            "gateway": gateway,
            "amount": total,
        },
        "external_id": external_id,
        "source": SOURCE,
    }


def _line(value: object, path: Loc, exponent: int) -> dict[str, Any]:
    item = _as_mapping(value, path)
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku.strip():
        raise ShopifyPayloadError(
            format_path((*path, "sku")),
            "a line item without a SKU cannot be routed (custom items have none)",
        )
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ShopifyPayloadError(
            format_path((*path, "quantity")), f"expected a positive integer, got {quantity!r}"
        )
    unit_price = _money(item.get("price"), (*path, "price"), exponent)
    tax = _sum_money(item, path, "tax_lines", "price", exponent)
    discount = _sum_money(item, path, "discount_allocations", "amount", exponent)
    if discount > unit_price * quantity:
        raise ShopifyPayloadError(
            format_path((*path, "discount_allocations")),
            "the discounts exceed the line's price times quantity",
        )
    return {
        "id": _identifier(item, (*path, "id")),
        "sku": sku.strip(),
        "quantity": quantity,
        "unit_price": unit_price,
        "tax": tax,
        "discount": discount,
        "delivery_group": SHIP_GROUP_ID,
    }


def _ship_group(payload: Mapping[str, Any], exponent: int) -> dict[str, Any]:
    if payload.get("shipping_address") is None:
        raise ShopifyPayloadError(
            "shipping_address",
            "an order without a shipping address (local pickup, digital only) is not supported yet",
        )
    charge = charge_tax = 0
    for i, shipping in enumerate(_list(payload, ("shipping_lines",))):
        path: Loc = ("shipping_lines", i)
        line = _as_mapping(shipping, path)
        price = _money(line.get("price"), (*path, "price"), exponent)
        discount = _sum_money(line, path, "discount_allocations", "amount", exponent)
        if discount > price:
            raise ShopifyPayloadError(
                format_path((*path, "discount_allocations")),
                "the discounts exceed the shipping price",
            )
        charge += price - discount
        charge_tax += _sum_money(line, path, "tax_lines", "price", exponent)
    return {
        "id": SHIP_GROUP_ID,
        "method": "ship",
        "address": _address(payload["shipping_address"], ("shipping_address",)),
        "charge": charge,
        "charge_tax": charge_tax,
    }


def _address(value: object, path: Loc) -> dict[str, Any]:
    address = _as_mapping(value, path)
    name = _optional_text(address.get("name")) or " ".join(
        part
        for part in (
            _optional_text(address.get("first_name")),
            _optional_text(address.get("last_name")),
        )
        if part
    )
    country = _optional_text(address.get("country_code"))
    if not country:
        raise ShopifyPayloadError(format_path((*path, "country_code")), "field required")
    mapped: dict[str, Any] = {
        "name": name or None,
        "line1": _optional_text(address.get("address1")),
        "line2": _optional_text(address.get("address2")),
        "city": _optional_text(address.get("city")),
        "region": _optional_text(address.get("province_code")),
        "postal_code": _optional_text(address.get("zip")),
        "country": country,
    }
    # Absent pieces are left out rather than sent as null, so the intake applies its own
    # defaults; without coordinates it geocodes from the postal code.
    result = {key: value for key, value in mapped.items() if value}
    lat = _coordinate(address.get("latitude"), (*path, "latitude"), 90.0)
    lon = _coordinate(address.get("longitude"), (*path, "longitude"), 180.0)
    if lat is not None and lon is not None:
        result["lat"] = lat
        result["lon"] = lon
    return result


def _customer(payload: Mapping[str, Any]) -> dict[str, Any]:
    # Draft and POS orders may come without a customer; the order's own email is the
    # address Shopify sent the confirmation to, so it wins over the customer record's.
    raw = payload.get("customer")
    customer = {} if raw is None else _as_mapping(raw, ("customer",))
    result: dict[str, Any] = {}
    if customer.get("id") is not None:
        result["id"] = _identifier(customer, ("customer", "id"))
    for email in (payload.get("email"), payload.get("contact_email"), customer.get("email")):
        if isinstance(email, str) and email.strip():
            result["email"] = email.strip()
            break
    return result


def _sum_money(
    owner: Mapping[str, Any], path: Loc, key: str, amount_key: str, exponent: int
) -> int:
    total = 0
    for i, value in enumerate(_list(owner, (*path, key))):
        entry = _as_mapping(value, (*path, key, i))
        total += _money(entry.get(amount_key), (*path, key, i, amount_key), exponent)
    return total


def _money(value: object, path: Loc, exponent: int) -> int:
    """A Shopify amount in integer minor units, exactly, or ShopifyPayloadError."""
    field = format_path(path)
    if isinstance(value, bool) or value is None:
        raise ShopifyPayloadError(field, f'expected an amount such as "19.99", got {value!r}')
    if isinstance(value, float):
        # Shopify sends strings. A float only arrives through a re-encoded payload; its
        # shortest repr is the decimal text it was parsed from, so nothing is rounded here.
        value = repr(value)
    if not isinstance(value, str | int | Decimal):
        raise ShopifyPayloadError(field, f'expected an amount such as "19.99", got {value!r}')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ShopifyPayloadError(field, f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise ShopifyPayloadError(field, f"not a number: {value!r}")
    if amount < 0:
        raise ShopifyPayloadError(field, f"must not be negative, got {value!r}")
    minor = amount.scaleb(exponent)
    # The value decides, not the spelling: "1500.00" is a valid yen amount.
    if minor != minor.to_integral_value():
        raise ShopifyPayloadError(
            field, f"{value!r} has more decimals than the currency's {exponent}"
        )
    return int(minor)


def _decimal_text(minor: int, exponent: int) -> str:
    return str(Decimal(minor).scaleb(-exponent))


def _coordinate(value: object, path: Loc, limit: float) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ShopifyPayloadError(format_path(path), f"expected a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ShopifyPayloadError(format_path(path), f"not a number: {value!r}") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise ShopifyPayloadError(format_path(path), f"out of range: {value!r}")
    return number


def _timestamp(owner: Mapping[str, Any], path: Loc) -> str:
    text = _text(owner, path)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ShopifyPayloadError(format_path(path), f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ShopifyPayloadError(format_path(path), f"time without a UTC offset: {text!r}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _identifier(owner: Mapping[str, Any], path: Loc) -> str:
    value = owner.get(str(path[-1]))
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise ShopifyPayloadError(format_path(path), f"expected an id, got {value!r}")
    return str(value).strip()


def _text(owner: Mapping[str, Any], path: Loc) -> str:
    value = owner.get(str(path[-1]))
    if not isinstance(value, str) or not value.strip():
        raise ShopifyPayloadError(format_path(path), f"expected a non-empty string, got {value!r}")
    return value.strip()


def _optional_text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _list(owner: Mapping[str, Any], path: Loc, *, required: bool = False) -> Sequence[object]:
    value = owner.get(str(path[-1]))
    if value is None and not required:
        return ()
    if not isinstance(value, list):
        raise ShopifyPayloadError(format_path(path), f"expected a list, got {value!r}")
    return value


def _as_mapping(value: object, path: Loc) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShopifyPayloadError(format_path(path), f"expected an object, got {value!r}")
    return value
