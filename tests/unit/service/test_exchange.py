"""The exchange's pure rules: the money split, the plan on a shipped summary, the new Order.

The worked order: 2 shirts at 19.99 with 2.00 off the line and 3.20 tax, both shipped. One
shirt returned gives back 19.99 − 1.00 (its discount share) + 1.60 (its tax share) = 20.59;
the changed-mind reason keeps a 3.00 fee, so the exchange's credit is 17.59.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.schema import Returns
from service.exchange import (
    CREDIT_GATEWAY,
    ExchangeMoney,
    Replacement,
    check_payment,
    exchange_cost,
    exchange_number,
    exchange_order,
    exchange_summary,
    plan_exchange,
)
from summary.errors import InvalidRequest
from summary.order import Order, Payment, check_order
from summary.summary import OrderSummary, summary_from_order

POLICY = Returns.model_validate(
    {"reasons": {"changed_mind": {"fee_per_unit": 300}, "damaged": {"restock": False}}}
)
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
SHIRT_BACK = [("1", 1, "changed_mind")]
JACKET = Replacement("JACKET-M", 1, 4999, 400)  # 49.99 + 4.00 tax = 53.99


def shipped_shirts(group: dict[str, Any] | None = None) -> OrderSummary:
    group = group or {
        "id": "DG1",
        "method": "ship",
        "delivery_method_id": "STANDARD",
        "address": {"country": "US", "postal_code": "07102", "lat": 40.73, "lon": -74.17},
        "charge": 599,
        "charge_tax": 48,
    }
    order = Order.model_validate(
        {
            "order_number": "T-1",
            "channel": "web",
            "currency": "USD",
            "placed_at": "2026-11-30T10:00:00Z",
            "delivery_groups": [group],
            "lines": [
                {
                    "id": "1",
                    "sku": "SKU-A",
                    "quantity": 2,
                    "unit_price": 1999,
                    "tax": 320,
                    "discount": 200,
                    "delivery_group": group["id"],
                }
            ],
            "payment": {"authorization_id": "A-T1", "amount": 4765},
        }
    )
    summary = summary_from_order(check_order(order), "OS-T1")
    summary.add_fulfillment_order(
        fo_id="FO-1",
        group_id=group["id"],
        location_id="DC01",
        fulfillment_type=group["method"],
        lines=[("1", 2)],
        reservation_id="FO-1",
        status="Allocated",
    )
    summary.ship("FO-1", None, "INV-1")
    return summary


def plan(summary: OrderSummary, *replacements: Replacement, **options: Any) -> Any:
    options = {"linked_id": "OS-NEW", **options}
    return plan_exchange(summary, "CO-1", SHIRT_BACK, list(replacements), POLICY, **options)


def test_the_credit_pays_up_to_the_cost_the_rest_is_refunded_or_charged() -> None:
    # a pricier jacket: the 17.59 credit all goes to it, 53.99 − 17.59 = 36.40 is charged
    pricier = ExchangeMoney(credit=1759, cost=5399)
    assert (pricier.applied, pricier.refund, pricier.charge) == (1759, 0, 3640)
    # an even exchange: 20.59 for 20.59, nothing moves
    even = ExchangeMoney(credit=2059, cost=2059)
    assert (even.applied, even.refund, even.charge) == (2059, 0, 0)
    # a cheaper one: 10.00 of the 20.59 credit is spent, 10.59 refunded
    cheaper = ExchangeMoney(credit=2059, cost=1000)
    assert (cheaper.applied, cheaper.refund, cheaper.charge) == (1000, 1059, 0)


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_the_split_always_adds_up_and_never_both_refunds_and_charges(
    credit: int, cost: int
) -> None:
    money = ExchangeMoney(credit, cost)
    assert money.applied + money.refund == credit
    assert money.applied + money.charge == cost
    assert min(money.applied, money.refund, money.charge) >= 0
    assert money.refund == 0 or money.charge == 0


def test_an_exchange_for_a_pricier_item_charges_the_difference_and_refunds_nothing() -> None:
    summary = shipped_shirts()
    before = copy.deepcopy(summary)
    planned = plan(summary, JACKET, payment_amount=3640)
    change = planned.change
    assert (change.kind, change.linked_id, change.order_summary_id) == (
        "exchange",
        "OS-NEW",
        "OS-T1",
    )
    assert [(x.line_id, x.quantity, x.product, x.discount, x.tax) for x in change.lines] == [
        ("1", 1, 1999, 100, 160)
    ]
    # 20.59 returned: 3.00 fee kept, 17.59 applied to the jacket, nothing refunded
    assert (change.fee, change.applied, change.refund, change.capture_reduced) == (300, 1759, 0, 0)
    assert change.refund + change.capture_reduced + change.fee + change.applied == change.total
    assert planned.money.charge == 3640
    assert planned.restock == (("SKU-A", 1),)
    assert summary == before  # planning changes nothing


def test_an_even_exchange_applies_the_whole_credit_and_a_cheaper_one_refunds_the_rest() -> None:
    summary = shipped_shirts()
    damaged = [("1", 1, "damaged")]  # no fee: the credit is the full 20.59
    even = plan_exchange(
        summary, "CO-1", damaged, [Replacement("SKU-A", 1, 1899, 160)], POLICY, linked_id="OS-2"
    )
    assert (even.change.applied, even.change.refund, even.money.charge) == (2059, 0, 0)
    assert even.restock == ()  # damaged units do not go back into stock
    cheaper = plan_exchange(
        summary, "CO-1", damaged, [Replacement("SKU-C", 2, 450, 100)], POLICY, linked_id="OS-2"
    )
    # 2 × 4.50 + 1.00 tax = 10.00 applied; 20.59 − 10.00 = 10.59 refunded
    assert (cheaper.change.applied, cheaper.change.refund, cheaper.money.charge) == (1000, 1059, 0)


def test_a_difference_needs_a_new_authorization_covering_it_except_in_a_preview() -> None:
    summary = shipped_shirts()
    with pytest.raises(InvalidRequest) as missing:
        plan(summary, JACKET)
    assert missing.value.field == "payment"
    with pytest.raises(InvalidRequest) as short:
        plan(summary, JACKET, payment_amount=3639)
    assert short.value.field == "payment.amount"
    assert plan(summary, JACKET, payment_required=False, linked_id=None).money.charge == 3640
    with pytest.raises(InvalidRequest) as needless:  # the credit covers it: no authorization
        check_payment(ExchangeMoney(2059, 2059), 100, required=True)
    assert needless.value.field == "payment"


@pytest.mark.parametrize(
    ("returns", "replacements", "field"),
    [
        ([], [JACKET], "returns"),
        ([("1", 3, "damaged")], [JACKET], "returns[0].quantity"),
        ([("9", 1, "damaged")], [JACKET], "returns[0].line_id"),
        (SHIRT_BACK, [], "replacements"),
        (SHIRT_BACK, [Replacement("SKU-A", 0, 100)], "replacements[0].quantity"),
        (SHIRT_BACK, [JACKET, Replacement("SKU-A", 1, -1)], "replacements[1].unit_price"),
        (SHIRT_BACK, [Replacement("SKU-A", 1, 100, -5)], "replacements[0].tax"),
    ],
)
def test_bad_returns_or_replacements_are_refused_naming_the_field(
    returns: list[tuple[str, int, str]], replacements: list[Replacement], field: str
) -> None:
    summary = shipped_shirts()
    before = copy.deepcopy(summary)
    with pytest.raises(InvalidRequest) as refused:
        plan_exchange(summary, "CO-1", returns, replacements, POLICY, linked_id="OS-2")
    assert refused.value.field == field
    assert summary == before


def test_returning_what_was_not_shipped_is_refused() -> None:
    summary = shipped_shirts()
    summary.items[0].quantity_fulfilled = 0  # as if nothing had shipped
    with pytest.raises(InvalidRequest) as refused:
        plan(summary, JACKET, payment_amount=3640)
    assert refused.value.field == "returns[0].quantity"


def test_the_new_order_ships_like_the_returned_line_at_no_charge_paid_by_the_credit() -> None:
    original = shipped_shirts()
    damaged, same_shirt = [("1", 1, "damaged")], [Replacement("SKU-A", 1, 1899, 160)]
    planned = plan_exchange(original, "CO-1", damaged, same_shirt, POLICY, linked_id="OS-2")
    order = exchange_order(
        original,
        planned,
        order_number=exchange_number("T-1", 1),
        placed_at=NOW,
        payment=None,
        credit_memo_id="CM-1",
    )
    assert (order.order_number, order.source, order.currency, order.channel) == (
        "T-1-EX1",
        "exchange",
        "USD",
        "web",
    )
    (group,) = order.delivery_groups
    assert group.method == "ship"
    assert (group.address.lat, group.address.lon, group.address.postal_code) == (
        40.73,
        -74.17,
        "07102",
    )
    assert (group.delivery_method_id, group.charge, group.charge_tax) == ("STANDARD", 0, 0)
    assert [(x.sku, x.quantity, x.unit_price, x.tax) for x in order.lines] == [
        ("SKU-A", 1, 1899, 160)
    ]
    assert order.payment is not None
    assert (order.payment.authorization_id, order.payment.gateway, order.payment.amount) == (
        "credit:CM-1",
        CREDIT_GATEWAY,
        0,
    )
    new = exchange_summary(order, "OS-2", original, planned)
    assert new.exchange_of == "OS-T1"
    assert new.payment is not None
    assert (new.payment.credit, new.payment.authorized) == (2059, 0)
    assert new.totals.grand_total == exchange_cost(new) == 2059


def test_a_charged_exchange_is_paid_by_the_credit_and_the_new_authorization() -> None:
    original = shipped_shirts()
    planned = plan(original, JACKET, payment_amount=4000)
    payment = Payment(authorization_id="A-EX", amount=4000)
    order = exchange_order(
        original,
        planned,
        order_number="T-1-EX2",
        placed_at=NOW,
        payment=payment,
        credit_memo_id="CM-1",
    )
    new = exchange_summary(order, "OS-2", original, planned)
    assert new.payment is not None
    assert (new.payment.authorization_id, new.payment.gateway) == ("A-EX", "test")
    assert (new.payment.authorized, new.payment.credit) == (4000, 1759)
    # shipping the jacket (53.99) takes the 17.59 credit first, 36.40 from the card
    assert new.payment.split(5399) == (1759, 3640)


def test_a_pickup_exchange_is_picked_up_at_the_same_store() -> None:
    original = shipped_shirts({"id": "P1", "method": "pickup", "location_id": "ST02"})
    planned = plan(original, Replacement("SKU-A", 1, 1000))
    order = exchange_order(
        original,
        planned,
        order_number="T-1-EX1",
        placed_at=NOW,
        payment=None,
        credit_memo_id="CM-1",
    )
    (group,) = order.delivery_groups
    assert (group.id, group.method, group.location_id) == ("P1", "pickup", "ST02")


def test_an_exchange_number_too_long_for_an_order_number_is_refused() -> None:
    assert exchange_number("W-1", 12) == "W-1-EX12"
    with pytest.raises(InvalidRequest):
        exchange_number("W" * 62, 1)
