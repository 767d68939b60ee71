"""Return Orders (RMA): fulfilled units a customer announces they will send back, with reasons.

Statuses move forward only: Submitted → Approved → Received → Closed, or Canceled from
Submitted or Approved. Units are received only once the return is approved; a receipt moves
an Approved return to Received when something arrived, and any return to Closed once
nothing is still expected (an Approved one may close straight away when its units are all
canceled).

Each line tracks its units: ``expected`` (announced), ``received`` (arrived: returned +
rejected), ``returned`` (accepted back and refunded), ``rejected`` (arrived but refused: they
go back to the customer), ``canceled`` (will not come). Still expected = expected − received
− canceled. Every operation checks everything first and changes nothing when it refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from summary.errors import IllegalTransition, InvalidRequest

ReturnOrderStatus = Literal["Submitted", "Approved", "Received", "Closed", "Canceled"]
STATUSES: tuple[ReturnOrderStatus, ...] = (
    "Submitted",
    "Approved",
    "Received",
    "Closed",
    "Canceled",
)
NEXT: dict[str, frozenset[str]] = {
    "Submitted": frozenset({"Approved", "Canceled"}),
    "Approved": frozenset({"Received", "Closed", "Canceled"}),
    "Received": frozenset({"Closed"}),
    "Closed": frozenset(),
    "Canceled": frozenset(),
}
RECEIVING: frozenset[str] = frozenset({"Approved", "Received"})


def check_transition(current: str, new: str) -> None:
    """Raise :class:`IllegalTransition` unless ``current`` → ``new`` is allowed."""
    if new not in NEXT:
        raise IllegalTransition("status", f"unknown return order status {new!r}")
    if not NEXT.get(current):
        raise IllegalTransition("status", f"a {current} return order cannot change")
    if new not in NEXT[current]:
        raise IllegalTransition("status", f"a {current} return order cannot become {new}")


@dataclass
class ReturnOrderLine:
    line_id: str
    sku: str
    reason: str
    quantity_expected: int
    quantity_received: int = 0
    quantity_returned: int = 0
    quantity_rejected: int = 0
    quantity_canceled: int = 0
    rejection_reasons: list[str] = field(default_factory=list)

    @property
    def quantity_outstanding(self) -> int:
        """Units still expected: neither received nor canceled yet."""
        return self.quantity_expected - self.quantity_received - self.quantity_canceled


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """What one receipt records for one line (``received`` = ``returned`` + ``rejected``)."""

    line_id: str
    received: int
    returned: int
    rejected: int = 0
    canceled: int = 0
    rejection_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """One receive request as recorded: its idempotency key (if the caller sent one), its
    body's fingerprint, and the change order its returned units made (None: none returned)."""

    key: str | None
    fingerprint: str
    change_order_id: str | None


@dataclass
class ReturnOrder:
    id: str
    order_summary_id: str
    lines: list[ReturnOrderLine]
    location_id: str | None = None  # where the units are expected back
    status: ReturnOrderStatus = "Submitted"
    receipts: list[Receipt] = field(default_factory=list)

    @property
    def change_order_ids(self) -> list[str]:
        return [r.change_order_id for r in self.receipts if r.change_order_id is not None]

    @property
    def quantity_outstanding(self) -> int:
        return sum(line.quantity_outstanding for line in self.lines)

    def line(self, line_id: str, where: str = "line_id") -> ReturnOrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise InvalidRequest(where, f"return order {self.id} has no line {line_id!r}")

    def receipt_by_key(self, key: str) -> Receipt | None:
        return next((r for r in self.receipts if r.key == key), None)

    def move_to(self, status: ReturnOrderStatus) -> None:
        check_transition(self.status, status)
        self.status = status

    def approve(self) -> None:
        self.move_to("Approved")

    def cancel(self) -> list[tuple[str, int]]:
        """Cancel the return (Submitted or Approved only): every unit still expected is
        canceled. Returns ``(line id, units canceled)`` per line that had some."""
        self.move_to("Canceled")
        released = []
        for line in self.lines:
            if line.quantity_outstanding:
                released.append((line.line_id, line.quantity_outstanding))
                line.quantity_canceled += line.quantity_outstanding
        return released

    def check_receipt(self, lines: Sequence[ReceiptLine]) -> None:
        """Raise unless ``lines`` can be received now; changes nothing."""
        if self.status not in RECEIVING:
            why = "approve it first" if self.status == "Submitted" else "it is over"
            raise IllegalTransition(
                "status", f"a {self.status} return order cannot receive units: {why}"
            )
        if not lines:
            raise InvalidRequest("lines", "name at least one line to receive")
        seen: set[str] = set()
        for i, receipt in enumerate(lines):
            line = self.line(receipt.line_id, f"lines[{i}].line_id")
            if receipt.line_id in seen:
                raise InvalidRequest(f"lines[{i}].line_id", f"line {receipt.line_id} named twice")
            seen.add(receipt.line_id)
            _check_receipt_line(f"lines[{i}]", receipt, line)

    def record_receipt(self, lines: Sequence[ReceiptLine], receipt: Receipt) -> None:
        """Record a receipt (checked first): quantities, rejection reasons, then the status:
        Closed once nothing is still expected, else Received once something arrived."""
        self.check_receipt(lines)
        for got in lines:
            line = self.line(got.line_id)
            line.quantity_received += got.received
            line.quantity_returned += got.returned
            line.quantity_rejected += got.rejected
            line.quantity_canceled += got.canceled
            if got.rejected and got.rejection_reason:
                line.rejection_reasons.append(got.rejection_reason)
        self.receipts.append(receipt)
        if self.quantity_outstanding == 0:
            self.move_to("Closed")
        elif self.status == "Approved" and any(got.received for got in lines):
            self.move_to("Received")


def _check_receipt_line(where: str, got: ReceiptLine, line: ReturnOrderLine) -> None:
    for name, value in (
        ("quantity_received", got.received),
        ("quantity_returned", got.returned),
        ("quantity_rejected", got.rejected),
        ("quantity_canceled", got.canceled),
    ):
        if value < 0:
            raise InvalidRequest(f"{where}.{name}", "must not be negative")
    if got.received != got.returned + got.rejected:
        raise InvalidRequest(
            f"{where}.quantity_received",
            f"{got.received} received must be the {got.returned} returned "
            f"+ the {got.rejected} rejected",
        )
    if got.received + got.canceled == 0:
        raise InvalidRequest(f"{where}.quantity_received", "nothing received nor canceled")
    if got.received + got.canceled > line.quantity_outstanding:
        name = "quantity_received" if got.received else "quantity_canceled"
        raise InvalidRequest(
            f"{where}.{name}",
            f"receiving more than expected: {got.received} received + {got.canceled} "
            f"canceled of line {line.line_id}, {line.quantity_outstanding} still expected",
        )
    if got.rejected and not got.rejection_reason:
        raise InvalidRequest(f"{where}.rejection_reason", "say why the units are rejected")
