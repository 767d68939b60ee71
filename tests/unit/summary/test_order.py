"""The Order as placed: field rules in the model, cross-field rules in check_order, each
problem named by its field path; the Order never changes once recorded."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from summary.errors import InvalidOrder, SummaryError
from summary.order import Order, check_order

from .builders import w1001, w1001_doc


def issues_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidOrder) as caught:
        check_order(Order.model_validate(doc))
    return list(caught.value.issues)


def fields_of(doc: dict[str, Any]) -> list[str]:
    return [field for field, _ in issues_of(doc)]


def test_the_design_example_order_validates_and_is_returned_as_is() -> None:
    order = Order.model_validate(w1001_doc())
    assert check_order(order) is order
    assert order.order_number == "W-1001"
    assert [line.id for line in order.lines] == ["1", "2"]
    assert order.delivery_groups[1].method == "pickup"


def test_a_line_naming_a_missing_delivery_group_is_reported_at_its_path() -> None:
    doc = w1001_doc()
    doc["lines"][1]["delivery_group"] = "DG9"
    issues = issues_of(doc)
    assert "lines[1].delivery_group" in [field for field, _ in issues]
    assert any("DG9" in message for _, message in issues)


def test_check_order_reports_every_problem_at_once_first_one_as_the_errors_field() -> None:
    doc = w1001_doc()
    doc["lines"][1]["delivery_group"] = "DG9"  # and now DG2 is used by no line
    doc["payment"]["currency"] = "EUR"
    with pytest.raises(InvalidOrder) as caught:
        check_order(Order.model_validate(doc))
    error = caught.value
    assert [f for f, _ in error.issues] == [
        "lines[1].delivery_group",
        "delivery_groups[1]",
        "payment.currency",
    ]
    assert (error.field, error.message) == error.issues[0]
    assert isinstance(error, SummaryError)
    assert isinstance(error, ValueError)
    assert "payment.currency" in str(error)


def test_duplicate_line_ids_are_reported_at_the_second_line() -> None:
    doc = w1001_doc()
    doc["lines"][1]["id"] = "1"
    assert fields_of(doc) == ["lines[1].id"]


def test_duplicate_delivery_group_ids_are_reported_at_the_second_group() -> None:
    doc = w1001_doc()
    doc["delivery_groups"][1]["id"] = "DG1"
    assert "delivery_groups[1].id" in fields_of(doc)


def test_a_delivery_group_no_line_uses_is_reported() -> None:
    doc = w1001_doc()
    doc["delivery_groups"].append({"id": "DG3", "method": "pickup", "location_id": "ST1"})
    assert fields_of(doc) == ["delivery_groups[2]"]


def test_a_line_discount_above_the_line_amount_is_reported() -> None:
    doc = w1001_doc()
    doc["lines"][0]["discount"] = 2 * 1999 + 1
    assert fields_of(doc) == ["lines[0].discount"]


def test_a_line_discount_equal_to_the_line_amount_is_allowed() -> None:
    doc = w1001_doc()
    doc["lines"][0]["discount"] = 2 * 1999
    check_order(Order.model_validate(doc))


def test_order_discounts_above_the_lines_net_amount_are_reported() -> None:
    doc = w1001_doc()
    net = 2 * 1999 - 200 + 4500
    doc["discounts"] = [{"code": "A", "amount": net - 100}, {"code": "B", "amount": 101}]
    assert fields_of(doc) == ["discounts"]


def test_order_discounts_equal_to_the_lines_net_amount_are_allowed() -> None:
    doc = w1001_doc()
    doc["discounts"] = [{"amount": 2 * 1999 - 200 + 4500}]
    check_order(Order.model_validate(doc))


def test_a_payment_in_another_currency_is_reported_at_payment_currency() -> None:
    doc = w1001_doc()
    doc["payment"]["currency"] = "EUR"
    issues = issues_of(doc)
    assert [f for f, _ in issues] == ["payment.currency"]
    assert "EUR" in issues[0][1]
    assert "USD" in issues[0][1]


def test_a_payment_in_the_orders_currency_is_allowed() -> None:
    doc = w1001_doc()
    doc["payment"]["currency"] = "USD"
    check_order(Order.model_validate(doc))


def test_a_managed_order_without_payment_is_reported() -> None:
    doc = w1001_doc()
    del doc["payment"]
    assert fields_of(doc) == ["payment"]


def test_an_unmanaged_order_without_payment_is_allowed() -> None:
    doc = w1001_doc()
    del doc["payment"]
    doc["lifecycle"] = "unmanaged"
    check_order(Order.model_validate(doc))


@pytest.mark.parametrize(
    ("path", "value", "loc"),
    [
        (("lines", 0, "unit_price"), -1, ("lines", 0, "unit_price")),
        (("lines", 1, "quantity"), 0, ("lines", 1, "quantity")),
        (("lines", 1, "quantity"), -2, ("lines", 1, "quantity")),
        (("lines", 0, "tax"), -5, ("lines", 0, "tax")),
        (("lines", 0, "discount"), -5, ("lines", 0, "discount")),
        (("lines", 0, "unit_price"), 19.99, ("lines", 0, "unit_price")),
        (("lines", 0, "quantity"), "2", ("lines", 0, "quantity")),
        (("discounts", 0, "amount"), -500, ("discounts", 0, "amount")),
        (("payment", "amount"), -1, ("payment", "amount")),
        (("currency",), "usd", ("currency",)),
        (("placed_at",), "2026-11-30T10:00:00", ("placed_at",)),
    ],
    ids=[
        "negative unit price",
        "zero quantity",
        "negative quantity",
        "negative tax",
        "negative discount",
        "fractional money",
        "quantity as text",
        "negative order discount",
        "negative payment",
        "lower-case currency",
        "naive placed_at",
    ],
)
def test_field_rules_are_enforced_by_the_model_with_the_fields_location(
    path: tuple[str | int, ...], value: object, loc: tuple[str | int, ...]
) -> None:
    doc = w1001_doc()
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as caught:
        Order.model_validate(doc)
    assert [error["loc"] for error in caught.value.errors()] == [loc]


def test_unknown_fields_are_rejected() -> None:
    doc = w1001_doc()
    doc["lines"][0]["colour"] = "red"
    with pytest.raises(ValidationError) as caught:
        Order.model_validate(doc)
    assert caught.value.errors()[0]["loc"] == ("lines", 0, "colour")


def test_an_order_without_lines_is_rejected() -> None:
    doc = w1001_doc()
    doc["lines"] = []
    with pytest.raises(ValidationError) as caught:
        Order.model_validate(doc)
    assert caught.value.errors()[0]["loc"] == ("lines",)


def test_the_order_is_frozen() -> None:
    order = w1001()
    with pytest.raises(ValidationError):
        order.order_number = "W-2"
    with pytest.raises(ValidationError):
        order.lines[0].quantity = 5
    with pytest.raises(ValidationError):
        order.delivery_groups[0].charge = 0
    assert isinstance(order.lines, tuple)
    assert isinstance(order.discounts, tuple)
    assert order.lines[0].quantity == 2


def test_the_order_round_trips_through_json() -> None:
    order = w1001()
    assert Order.model_validate_json(order.model_dump_json()) == order
