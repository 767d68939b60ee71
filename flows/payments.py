"""The payment gateway port, and the built-in ``test`` gateway.

A capture names the authorization, the amount and an idempotency key (the invoice id): a
gateway must answer a repeated key with the first result and never capture twice, so a
capture retried after a crash is safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Protocol

from flows.errors import FlowError


class GatewayDeclined(FlowError):
    """The gateway refused the capture (declined card, expired authorization)."""


class GatewayUnavailable(FlowError):
    """The gateway could not be reached or failed; the capture may be retried."""


@dataclass(frozen=True, slots=True)
class Capture:
    capture_id: str
    amount: int


class PaymentGateway(Protocol):
    def capture(self, authorization_id: str, amount: int, *, key: str) -> Capture:
        """Capture ``amount`` of the authorization; same ``key`` → same answer, once."""
        ...

    def refund(self, authorization_id: str, amount: int, *, key: str) -> Capture:
        """Refund ``amount`` of what was captured; same ``key`` → same answer, once."""
        ...


Mode = Literal["approve", "decline", "fail"]


class TestGateway:
    """An in-process gateway for the embedded default and the tests: it approves, or can be
    told to decline or to fail (as if unreachable) until told otherwise."""

    __test__ = False  # not a pytest class, despite its name

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[str, Capture] = {}
        self.mode: Mode = "approve"

    def capture(self, authorization_id: str, amount: int, *, key: str) -> Capture:
        with self._lock:
            if key in self._done:
                return self._done[key]
            if self.mode == "decline":
                raise GatewayDeclined(f"authorization {authorization_id} declined")
            if self.mode == "fail":
                raise GatewayUnavailable("the test gateway is set to fail")
            capture = Capture(f"CAP-{len(self._done) + 1}", amount)
            self._done[key] = capture
            return capture

    def refund(self, authorization_id: str, amount: int, *, key: str) -> Capture:
        return self.capture(authorization_id, amount, key=f"refund:{key}")

    @property
    def captured(self) -> int:
        return sum(c.amount for k, c in self._done.items() if not k.startswith("refund:"))

    @property
    def refunded(self) -> int:
        return sum(c.amount for k, c in self._done.items() if k.startswith("refund:"))
