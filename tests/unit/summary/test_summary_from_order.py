"""A new Order Summary from an Order: DESIGN.md's totals, order discounts spread over lines."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from hypothesis import given, settings

from summary.order import Order, check_order
from summary.summary import summary_from_order

from .builders import design_grand_total, orders, w1001, w1001_doc, w1001_summary


def test_the_design_example_has_the_design_totals() -> None:
    totals = w1001_summary().totals
    assert (totals.product, totals.discount, totals.delivery, totals.tax) == (8498, 700, 599, 728)
    assert totals.grand_total == 9125


def test_the_design_example_grand_total_is_the_design_formula_and_the_authorized_amount() -> None:
    summary = w1001_summary()
    assert summary.totals.grand_total == design_grand_total(w1001())
    assert summary.payment is not None
    assert summary.payment.authorized == summary.totals.grand_total


def test_order_discounts_are_spread_over_lines_by_net_amount() -> None:
    # WELCOME5 (500) over nets 2*1999-200 = 3798 and 4500: 229 and 271
    items = w1001_summary().items
    assert [item.discount for item in items] == [200 + 229, 0 + 271]


def test_the_summary_starts_with_every_quantity_at_its_start() -> None:
    summary = w1001_summary()
    assert summary.status == "ordered"
    assert summary.fulfillment_orders == []
    for item, ordered in zip(summary.items, [2, 1], strict=True):
        assert item.status == "ordered"
        assert item.quantity_ordered == ordered
        assert item.quantity_available_to_fulfill == ordered
        assert item.quantity_available_to_return == 0
        assert (
            item.quantity_canceled,
            item.quantity_allocated,
            item.quantity_fulfilled,
            item.quantity_return_initiated,
            item.quantity_returned,
            item.quantity_reshipped,
        ) == (0, 0, 0, 0, 0, 0)


def test_the_summary_copies_identity_groups_and_payment_from_the_order() -> None:
    summary = w1001_summary()
    assert (summary.id, summary.order_number, summary.lifecycle, summary.currency) == (
        "OS-1",
        "W-1001",
        "managed",
        "USD",
    )
    assert summary.managed
    assert summary.placed_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert [(i.line_id, i.sku, i.delivery_group) for i in summary.items] == [
        ("1", "SKU-1", "DG1"),
        ("2", "SKU-2", "DG2"),
    ]
    ship, pickup = summary.groups
    assert (ship.method, ship.charge, ship.charge_tax, ship.postal_code, ship.country) == (
        "ship",
        599,
        48,
        "07102",
        "US",
    )
    assert (ship.lat, ship.lon, ship.delivery_method_id) == (40.73, -74.17, "STANDARD")
    assert (pickup.method, pickup.location_id, pickup.charge) == ("pickup", "ST012", 0)
    assert not ship.charge_invoiced
    assert ship.excluded_locations == []
    payment = summary.payment
    assert payment is not None
    assert (payment.authorization_id, payment.authorized, payment.captured) == ("AUTH-88", 9125, 0)
    assert payment.expires_at == datetime(2026, 12, 7, 10, tzinfo=UTC)


def test_an_unmanaged_order_without_payment_gives_a_summary_without_payment() -> None:
    doc = w1001_doc()
    doc["lifecycle"] = "unmanaged"
    del doc["payment"]
    summary = summary_from_order(check_order(Order.model_validate(doc)), "OS-2")
    assert summary.payment is None
    assert not summary.managed


@settings(max_examples=200, deadline=None)
@given(order=orders())
def test_grand_total_is_the_design_formula_for_any_order(order: Order) -> None:
    assert summary_from_order(order, "OS").totals.grand_total == design_grand_total(order)


@settings(max_examples=200, deadline=None)
@given(order=orders())
def test_item_discounts_sum_to_line_discounts_plus_order_discounts(order: Order) -> None:
    items = summary_from_order(order, "OS").items
    expected = sum(line.discount for line in order.lines) + sum(d.amount for d in order.discounts)
    assert sum(item.discount for item in items) == expected


@settings(max_examples=200, deadline=None)
@given(order=orders())
def test_each_lines_share_of_order_discounts_follows_its_net_amount(order: Order) -> None:
    items = summary_from_order(order, "OS").items
    nets = [line.unit_price * line.quantity - line.discount for line in order.lines]
    order_discount = sum(d.amount for d in order.discounts)
    for item, line, net in zip(items, order.lines, nets, strict=True):
        share = item.discount - line.discount
        if order_discount:
            assert abs(share - Fraction(order_discount * net, sum(nets))) < 1
        else:
            assert share == 0
        # a line is never discounted beyond its amount
        assert 0 <= item.discount <= line.unit_price * line.quantity
