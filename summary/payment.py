"""The payment summary of an Order Summary: one authorization, what was captured of it.

Capture happens at shipment, invoice by invoice: customers pay for what shipped. Captured
never exceeds authorized; an expired authorization captures nothing.

An exchange's summary may also hold ``credit``: money the original order's return left with
us, applied to the exchange instead of being refunded. Captures use the credit first (no
gateway call) and the authorization for the rest; ``captured`` counts both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from summary.errors import PaymentRefused


@dataclass
class PaymentSummary:
    authorization_id: str
    gateway: str
    authorized: int
    expires_at: datetime | None = None
    captured: int = 0
    refunded: int = 0
    credit: int = 0  # exchange credit applied to this summary
    credit_used: int = 0
    transferred: int = 0  # captured funds moved to exchange summaries as their credit
    credit_refunded: int = 0  # of ``refunded``: given back through the credit's origin

    @property
    def refundable(self) -> int:
        """Captured funds still held for this summary: what refunds can give back."""
        return self.captured - self.refunded - self.transferred

    def refund_split(self, amount: int) -> tuple[int, int]:
        """``(through the authorization, through the credit's origin)`` of a refund: the card
        gives back what it paid first, the rest goes back where the exchange credit came from."""
        card_left = (self.captured - self.credit_used) - (self.refunded - self.credit_refunded)
        card = max(0, min(amount, card_left - self.transferred))
        return card, amount - card

    def split(self, amount: int) -> tuple[int, int]:
        """``(from credit, from the authorization)`` of a capture of ``amount``."""
        from_credit = min(amount, self.credit - self.credit_used)
        return from_credit, amount - from_credit

    @property
    def card_captured(self) -> int:
        return self.captured - self.credit_used

    def check_capture(self, amount: int, now: datetime) -> None:
        """Raise :class:`PaymentRefused` unless ``amount`` can be captured now (the part the
        credit covers needs no authorization)."""
        if amount <= 0:
            raise PaymentRefused("amount", "nothing to capture")
        amount = self.split(amount)[1]
        if amount == 0:
            return
        if self.expires_at is not None and now >= self.expires_at:
            raise PaymentRefused(
                "payment.expires_at",
                f"authorization {self.authorization_id} expired at {self.expires_at.isoformat()}",
            )
        if self.card_captured + amount > self.authorized:
            raise PaymentRefused(
                "payment.amount",
                f"capturing {amount} would take {self.card_captured + amount} of an "
                f"authorization of {self.authorized}",
            )

    def record_capture(self, amount: int) -> None:
        self.credit_used += self.split(amount)[0]
        self.captured += amount
