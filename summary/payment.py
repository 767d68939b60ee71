"""The payment summary of an Order Summary: one authorization, what was captured of it.

Capture happens at shipment, invoice by invoice: customers pay for what shipped. Captured
never exceeds authorized; an expired authorization captures nothing.
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

    def check_capture(self, amount: int, now: datetime) -> None:
        """Raise :class:`PaymentRefused` unless ``amount`` can be captured now."""
        if amount <= 0:
            raise PaymentRefused("amount", "nothing to capture")
        if self.expires_at is not None and now >= self.expires_at:
            raise PaymentRefused(
                "payment.expires_at",
                f"authorization {self.authorization_id} expired at {self.expires_at.isoformat()}",
            )
        if self.captured + amount > self.authorized:
            raise PaymentRefused(
                "payment.amount",
                f"capturing {amount} would take {self.captured + amount} of an authorization "
                f"of {self.authorized}",
            )

    def record_capture(self, amount: int) -> None:
        self.captured += amount
