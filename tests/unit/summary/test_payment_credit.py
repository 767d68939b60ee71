"""An exchange's payment: its credit is captured first, and refunds give back the card's
part first and the credit's part through where the credit came from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from summary.errors import PaymentRefused
from summary.payment import PaymentSummary

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def test_captures_take_the_credit_first_and_the_authorization_for_the_rest() -> None:
    payment = PaymentSummary("A-1", "test", authorized=1000, credit=1500)
    assert payment.split(1200) == (1200, 0)
    payment.check_capture(1200, NOW)  # all from the credit: nothing authorized is needed
    payment.record_capture(1200)
    assert payment.split(800) == (300, 500)
    payment.record_capture(800)
    assert (payment.captured, payment.credit_used, payment.card_captured) == (2000, 1500, 500)
    with pytest.raises(PaymentRefused):
        payment.check_capture(501, NOW)  # 500 + 501 > 1000 authorized


def test_refunds_give_back_the_card_part_first_then_the_credit() -> None:
    payment = PaymentSummary("A-1", "test", authorized=1000, captured=2000, credit=1500)
    payment.credit_used = 1500  # 500 of the 2000 captured came from the card
    assert payment.refund_split(300) == (300, 0)
    assert payment.refund_split(700) == (500, 200)
    payment.refunded, payment.credit_refunded = 700, 200
    assert payment.refund_split(1300) == (0, 1300)
    assert payment.refundable == 1300


def test_a_summary_without_credit_refunds_through_its_authorization_only() -> None:
    payment = PaymentSummary("A-1", "test", authorized=5000, captured=4000, refunded=1000)
    assert payment.refund_split(3000) == (3000, 0)
