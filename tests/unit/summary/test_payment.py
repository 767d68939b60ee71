"""The payment summary: capture at shipment, never beyond what is authorized, never after
the authorization expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summary.errors import PaymentRefused
from summary.payment import PaymentSummary

EXPIRES = datetime(2026, 12, 7, 10, tzinfo=UTC)
BEFORE = EXPIRES - timedelta(days=1)


def authorization(authorized: int = 9125, captured: int = 0) -> PaymentSummary:
    return PaymentSummary("AUTH-88", "test", authorized, EXPIRES, captured=captured)


def test_a_capture_within_the_authorization_before_expiry_is_allowed() -> None:
    authorization().check_capture(9125, BEFORE)


@pytest.mark.parametrize("now", [EXPIRES, EXPIRES + timedelta(seconds=1)], ids=["at", "after"])
def test_an_expired_authorization_captures_nothing(now: datetime) -> None:
    with pytest.raises(PaymentRefused) as caught:
        authorization().check_capture(100, now)
    assert caught.value.field == "payment.expires_at"
    assert "AUTH-88" in caught.value.message


def test_an_authorization_without_expiry_never_expires() -> None:
    payment = PaymentSummary("AUTH-1", "test", 100)
    payment.check_capture(100, datetime(2100, 1, 1, tzinfo=UTC))


def test_a_capture_beyond_what_is_left_authorized_is_refused() -> None:
    payment = authorization(captured=9000)
    payment.check_capture(125, BEFORE)
    with pytest.raises(PaymentRefused) as caught:
        payment.check_capture(126, BEFORE)
    assert caught.value.field == "payment.amount"


@pytest.mark.parametrize("amount", [0, -1])
def test_a_capture_of_nothing_is_refused(amount: int) -> None:
    with pytest.raises(PaymentRefused) as caught:
        authorization().check_capture(amount, BEFORE)
    assert caught.value.field == "amount"


def test_record_capture_adds_to_what_was_captured() -> None:
    payment = authorization()
    payment.record_capture(4536)
    payment.record_capture(4589)
    assert (payment.captured, payment.authorized, payment.refunded) == (9125, 9125, 0)


@settings(max_examples=200, deadline=None)
@given(
    authorized=st.integers(0, 10_000),
    attempts=st.lists(st.integers(-5, 5_000), max_size=20),
)
def test_captured_never_exceeds_authorized_when_each_capture_is_checked_first(
    authorized: int, attempts: list[int]
) -> None:
    payment = authorization(authorized)
    for amount in attempts:
        try:
            payment.check_capture(amount, BEFORE)
        except PaymentRefused:
            continue
        payment.record_capture(amount)
        assert 0 < payment.captured <= payment.authorized
    assert payment.captured == sum(_accepted(authorized, attempts))


def _accepted(authorized: int, attempts: list[int]) -> list[int]:
    taken, accepted = 0, []
    for amount in attempts:
        if 0 < amount <= authorized - taken:
            taken += amount
            accepted.append(amount)
    return accepted
