"""Shopify orders/create payloads become intake order documents; webhook signatures verify."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from flows.errors import InvalidDocument
from flows.shopify import (
    ShopifyPayloadError,
    order_document_from_shopify,
    verify_webhook,
    webhook_signature,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "shopify"
SECRET = "hush-its-a-webhook-secret"


def payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / f"orders_create_{name}.json").read_text())
    return loaded


def grand_total(document: dict[str, Any]) -> int:
    """DESIGN.md's formula, written out independently of the mapping."""
    lines: int = sum(
        line["unit_price"] * line["quantity"] - line["discount"] + line["tax"]
        for line in document["lines"]
    )
    groups: int = sum(
        group["charge"] + group["charge_tax"] for group in document["delivery_groups"]
    )
    discounts: int = sum(discount["amount"] for discount in document["discounts"])
    return lines + groups - discounts


def rejected(shopify: dict[str, Any]) -> ShopifyPayloadError:
    with pytest.raises(ShopifyPayloadError) as caught:
        order_document_from_shopify(shopify)
    return caught.value


# --- webhook signature -------------------------------------------------------------------


def test_a_body_signed_with_the_secret_verifies() -> None:
    body = (DATA / "orders_create_geocoded.json").read_bytes()
    assert verify_webhook(body, webhook_signature(body, SECRET), SECRET)


def test_the_signature_is_base64_of_hmac_sha256_over_the_raw_body() -> None:
    # Computed independently: printf '{"id":1}' | openssl dgst -sha256 -hmac hush -binary | base64
    assert webhook_signature(b'{"id":1}', "hush") == "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="


def test_a_tampered_body_does_not_verify() -> None:
    body = b'{"id":1,"total_price":"10.00"}'
    signature = webhook_signature(body, SECRET)
    assert not verify_webhook(body.replace(b"10.00", b"1.00"), signature, SECRET)


def test_a_signature_made_with_another_secret_does_not_verify() -> None:
    body = b'{"id":1}'
    assert not verify_webhook(body, webhook_signature(body, "another"), SECRET)


@pytest.mark.parametrize("header", [None, "", "   ", "not base64!", "Zm9v", "é"])
def test_a_missing_or_garbled_signature_does_not_verify(header: str | None) -> None:
    assert not verify_webhook(b'{"id":1}', header, SECRET)


def test_an_empty_secret_verifies_nothing() -> None:
    body = b'{"id":1}'
    assert not verify_webhook(body, webhook_signature(body, ""), "")


def test_whitespace_around_the_header_value_is_tolerated() -> None:
    body = b'{"id":1}'
    assert verify_webhook(body, f" {webhook_signature(body, SECRET)}\n", SECRET)


# --- mapping a full order ----------------------------------------------------------------


def test_a_geocoded_order_maps_to_the_intake_document() -> None:
    document = order_document_from_shopify(payload("geocoded"))
    assert document == {
        "order_number": "#1071",
        "channel": "shopify",
        "currency": "USD",
        "lifecycle": "managed",
        "placed_at": "2026-11-30T10:00:00Z",
        "customer": {"id": "7310000017", "email": "ana@example.com"},
        "delivery_groups": [
            {
                "id": "DG1",
                "method": "ship",
                "address": {
                    "name": "Ana Ruiz",
                    "line1": "1 Main St",
                    "line2": "Apt 4B",
                    "city": "Newark",
                    "region": "NJ",
                    "postal_code": "07102",
                    "country": "US",
                    "lat": 40.7357,
                    "lon": -74.1724,
                },
                "charge": 799,
                "charge_tax": 53,
            }
        ],
        "lines": [
            {
                "id": "14800112001001",
                "sku": "TEE-BLK-M",
                "quantity": 2,
                "unit_price": 1999,
                "tax": 238,
                "discount": 400,
                "delivery_group": "DG1",
            },
            {
                "id": "14800112001002",
                "sku": "MUG-CER-12",
                "quantity": 1,
                "unit_price": 1250,
                "tax": 75,
                "discount": 125,
                "delivery_group": "DG1",
            },
            {
                "id": "14800112001003",
                "sku": "SOCK-3PK-GRY",
                "quantity": 3,
                "unit_price": 875,
                "tax": 157,
                "discount": 262,
                "delivery_group": "DG1",
            },
        ],
        "discounts": [],
        "payment": {"authorization_id": "shopify:6120450001001", "gateway": "test", "amount": 8408},
        "external_id": "6120450001001",
        "source": "shopify",
    }


@pytest.mark.parametrize("name", ["geocoded", "postal_code_only"])
def test_the_grand_total_equals_shopifys_total_price(name: str) -> None:
    shopify = payload(name)
    document = order_document_from_shopify(shopify)
    total_cents = round(float(shopify["total_price"]) * 100)
    assert grand_total(document) == document["payment"]["amount"] == total_cents


@pytest.mark.parametrize("name", ["geocoded", "postal_code_only"])
def test_line_discounts_add_up_to_shopifys_total_discounts(name: str) -> None:
    shopify = payload(name)
    document = order_document_from_shopify(shopify)
    shipping_discount = sum(
        round(float(a["amount"]) * 100)
        for line in shopify["shipping_lines"]
        for a in line["discount_allocations"]
    )
    line_discount = sum(line["discount"] for line in document["lines"])
    assert line_discount + shipping_discount == round(float(shopify["total_discounts"]) * 100)


def test_an_address_without_coordinates_keeps_its_postal_code_for_geocoding() -> None:
    document = order_document_from_shopify(payload("postal_code_only"))
    assert document["delivery_groups"][0]["address"] == {
        "name": "Ben Okafor",
        "line1": "233 S Wacker Dr",
        "city": "Chicago",
        "region": "IL",
        "postal_code": "60606-6306",
        "country": "US",
    }


def test_a_shipping_discount_lowers_the_delivery_charge() -> None:
    group = order_document_from_shopify(payload("postal_code_only"))["delivery_groups"][0]
    assert (group["charge"], group["charge_tax"]) == (0, 0)


def test_several_tax_lines_on_a_line_add_up_in_cents() -> None:
    lines = order_document_from_shopify(payload("postal_code_only"))["lines"]
    assert [line["tax"] for line in lines] == [410, 164, 0]


def test_a_line_that_needs_no_shipping_is_kept_in_the_ship_group() -> None:
    shopify = payload("postal_code_only")
    assert shopify["line_items"][2]["requires_shipping"] is False
    lines = order_document_from_shopify(shopify)["lines"]
    assert lines[2]["sku"] == "EBOOK-BREW"
    assert lines[2]["delivery_group"] == "DG1"


def test_the_payment_gateway_is_the_callers() -> None:
    document = order_document_from_shopify(payload("geocoded"), gateway="shopify_payments")
    assert document["payment"]["gateway"] == "shopify_payments"
    assert "expires_at" not in document["payment"]


def test_the_channel_is_shopify_whatever_the_source_name() -> None:
    shopify = payload("geocoded")
    shopify["source_name"] = "pos"
    assert order_document_from_shopify(shopify)["channel"] == "shopify"


def test_fields_omniroute_does_not_know_are_ignored() -> None:
    shopify = payload("geocoded")
    shopify["a_field_from_a_future_api_version"] = {"nested": [1, 2, 3]}
    shopify["line_items"][0]["another_new_field"] = None
    assert order_document_from_shopify(shopify) == order_document_from_shopify(payload("geocoded"))


def test_the_mapping_does_not_change_the_payload() -> None:
    shopify = payload("geocoded")
    before = copy.deepcopy(shopify)
    order_document_from_shopify(shopify)
    assert shopify == before


def test_placed_at_is_created_at_in_utc() -> None:
    shopify = payload("postal_code_only")
    assert shopify["created_at"] == "2026-12-01T18:42:11-06:00"
    assert order_document_from_shopify(shopify)["placed_at"] == "2026-12-02T00:42:11Z"


def test_an_order_without_a_customer_keeps_the_orders_email() -> None:
    shopify = payload("geocoded")
    shopify["customer"] = None
    assert order_document_from_shopify(shopify)["customer"] == {"email": "ana@example.com"}


def test_coordinates_sent_as_strings_are_read_as_numbers() -> None:
    shopify = payload("geocoded")
    shopify["shipping_address"]["latitude"] = "40.7357"
    shopify["shipping_address"]["longitude"] = "-74.1724"
    address = order_document_from_shopify(shopify)["delivery_groups"][0]["address"]
    assert (address["lat"], address["lon"]) == (40.7357, -74.1724)


def test_one_coordinate_alone_is_dropped() -> None:
    shopify = payload("geocoded")
    shopify["shipping_address"]["longitude"] = None
    address = order_document_from_shopify(shopify)["delivery_groups"][0]["address"]
    assert "lat" not in address and "lon" not in address


# --- money -------------------------------------------------------------------------------


def one_line_order(currency: str, price: str, taxes: list[str], total: str) -> dict[str, Any]:
    shopify = payload("geocoded")
    shopify["currency"] = currency
    shopify["line_items"] = shopify["line_items"][:1]
    item = shopify["line_items"][0]
    item.update(price=price, quantity=1, discount_allocations=[])
    item["tax_lines"] = [{"price": tax, "rate": 0.1, "title": "Tax"} for tax in taxes]
    shopify["shipping_lines"] = []
    shopify["total_price"] = total
    return shopify


def test_amounts_convert_to_minor_units_without_float_error() -> None:
    # 0.1 + 0.2 == 0.30000000000000004 in binary floating point; in cents it is 30.
    document = order_document_from_shopify(one_line_order("USD", "0.10", ["0.10", "0.20"], "0.40"))
    assert document["lines"][0]["unit_price"] == 10
    assert document["lines"][0]["tax"] == 30
    assert document["payment"]["amount"] == 40


def test_many_small_amounts_sum_exactly() -> None:
    document = order_document_from_shopify(one_line_order("USD", "0.01", ["0.01"] * 100, "1.01"))
    assert document["lines"][0]["tax"] == 100


@pytest.mark.parametrize(
    ("currency", "price", "total", "minor"),
    [
        ("USD", "19.99", "19.99", 1999),
        ("EUR", "19.99", "19.99", 1999),
        ("JPY", "1500", "1500", 1500),
        ("JPY", "1500.00", "1500.00", 1500),  # the value counts, not the spelling
        ("KWD", "2.125", "2.125", 2125),
        ("BHD", "0.005", "0.005", 5),
    ],
)
def test_the_currency_decides_the_minor_unit(
    currency: str, price: str, total: str, minor: int
) -> None:
    document = order_document_from_shopify(one_line_order(currency, price, [], total))
    assert document["currency"] == currency
    assert document["lines"][0]["unit_price"] == minor
    assert document["payment"]["amount"] == minor


def test_a_price_re_encoded_as_a_json_number_keeps_its_decimal_value() -> None:
    shopify = one_line_order("USD", "0.00", [], "19.99")
    shopify["line_items"][0]["price"] = 19.99
    assert order_document_from_shopify(shopify)["lines"][0]["unit_price"] == 1999


def test_an_unknown_currency_is_refused() -> None:
    error = rejected(one_line_order("XYZ", "1.00", [], "1.00"))
    assert error.field == "currency"


@pytest.mark.parametrize(
    ("currency", "price"),
    [("USD", "19.999"), ("JPY", "1500.5"), ("KWD", "2.1255")],
)
def test_more_decimals_than_the_currency_has_are_refused(currency: str, price: str) -> None:
    error = rejected(one_line_order(currency, price, [], price))
    assert error.field == "line_items[0].price"
    assert "decimals" in error.message


@pytest.mark.parametrize("price", ["abc", "19,99", "", "NaN", "Infinity", None, True, [1]])
def test_a_price_that_is_not_a_number_is_refused(price: object) -> None:
    shopify = one_line_order("USD", "1.00", [], "1.00")
    shopify["line_items"][0]["price"] = price
    assert rejected(shopify).field == "line_items[0].price"


def test_a_negative_price_is_refused() -> None:
    error = rejected(one_line_order("USD", "-1.00", [], "1.00"))
    assert error.field == "line_items[0].price"
    assert "negative" in error.message


def test_a_bad_tax_amount_is_named_by_its_path() -> None:
    error = rejected(one_line_order("USD", "1.00", ["0.10", "ten cents"], "1.10"))
    assert error.field == "line_items[0].tax_lines[1].price"


def test_a_total_price_that_the_parts_do_not_add_up_to_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["total_price"] = "89.08"  # as with a 5.00 tip, which the intake cannot carry
    error = rejected(shopify)
    assert error.field == "total_price"
    assert "84.08" in error.message


def test_tax_included_prices_are_refused() -> None:
    shopify = payload("geocoded")
    shopify["taxes_included"] = True
    assert rejected(shopify).field == "taxes_included"


# --- refused payloads name the field ---------------------------------------------------


def test_a_line_without_a_sku_is_refused_naming_the_line() -> None:
    error = rejected(payload("line_without_sku"))
    assert error.field == "line_items[1].sku"
    assert str(error) == (
        "invalid shopify_order: line_items[1].sku: "
        "a line item without a SKU cannot be routed (custom items have none)"
    )


@pytest.mark.parametrize("sku", ["", "   "])
def test_a_blank_sku_is_refused_like_a_missing_one(sku: str) -> None:
    shopify = payload("geocoded")
    shopify["line_items"][2]["sku"] = sku
    assert rejected(shopify).field == "line_items[2].sku"


def test_an_order_without_a_shipping_address_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["shipping_address"] = None
    error = rejected(shopify)
    assert error.field == "shipping_address"
    assert "pickup" in error.message


def test_a_shipping_address_without_a_country_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["shipping_address"]["country_code"] = None
    assert rejected(shopify).field == "shipping_address.country_code"


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", None, True])
def test_a_quantity_that_is_not_a_positive_integer_is_refused(quantity: object) -> None:
    shopify = payload("geocoded")
    shopify["line_items"][0]["quantity"] = quantity
    assert rejected(shopify).field == "line_items[0].quantity"


@pytest.mark.parametrize("field", ["id", "name", "currency", "created_at", "line_items"])
def test_a_missing_required_field_is_named(field: str) -> None:
    shopify = payload("geocoded")
    del shopify[field]
    assert rejected(shopify).field == field


def test_an_order_without_line_items_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["line_items"] = []
    assert rejected(shopify).field == "line_items"


def test_a_created_at_that_is_not_a_time_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["created_at"] = "yesterday"
    assert rejected(shopify).field == "created_at"


def test_a_coordinate_out_of_range_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["shipping_address"]["latitude"] = 140.0
    assert rejected(shopify).field == "shipping_address.latitude"


def test_a_discount_larger_than_the_line_is_refused() -> None:
    shopify = payload("geocoded")
    shopify["line_items"][1]["discount_allocations"][0]["amount"] = "12.51"
    assert rejected(shopify).field == "line_items[1].discount_allocations"


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ShopifyPayloadError) as caught:
        order_document_from_shopify([])  # type: ignore[arg-type]
    assert caught.value.field == "body"


def test_the_error_is_an_invalid_document_for_the_api_edge() -> None:
    error = rejected(payload("line_without_sku"))
    assert isinstance(error, InvalidDocument)
    assert error.what == "shopify_order"
    assert [(issue.field, issue.message) for issue in error.issues] == [
        (error.field, error.message)
    ]
