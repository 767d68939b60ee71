"""Fulfillment Orders: the lines of one delivery group that one location fulfils.

The status machine moves forward only: Draft → Allocated → Assigned → Pick Complete →
Pack Complete → Fulfilled. A location may skip steps it does not record (a store that ships
straight from Allocated), but never goes back. Canceled and Rejected end an FO; Draft (the FO
exists, its reservation is being made) can only become Allocated or Canceled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from summary.errors import IllegalTransition, InvalidRequest

FoStatus = Literal[
    "Draft",
    "Allocated",
    "Assigned",
    "Pick Complete",
    "Pack Complete",
    "Fulfilled",
    "Canceled",
    "Rejected",
]
FORWARD: tuple[FoStatus, ...] = (
    "Draft",
    "Allocated",
    "Assigned",
    "Pick Complete",
    "Pack Complete",
    "Fulfilled",
)
TERMINAL: frozenset[str] = frozenset({"Fulfilled", "Canceled", "Rejected"})
ACTIVE: frozenset[str] = frozenset(FORWARD[1:5])  # hold a reservation, can still ship
FulfillmentType = Literal["ship", "pickup"]


@dataclass
class FulfillmentOrderLine:
    line_id: str
    sku: str
    quantity: int
    quantity_fulfilled: int = 0
    quantity_canceled: int = 0

    @property
    def quantity_open(self) -> int:
        return self.quantity - self.quantity_fulfilled - self.quantity_canceled


@dataclass
class FulfillmentOrder:
    id: str
    order_summary_id: str
    delivery_group: str
    location_id: str
    fulfillment_type: FulfillmentType
    lines: list[FulfillmentOrderLine]
    reservation_id: str | None
    status: FoStatus = "Draft"
    invoice_ids: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def invoice_id(self) -> str | None:
        return self.invoice_ids[-1] if self.invoice_ids else None

    @property
    def units_open(self) -> int:
        return sum(line.quantity_open for line in self.lines)

    def line(self, line_id: str, where: str) -> FulfillmentOrderLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise InvalidRequest(where, f"fulfillment order {self.id} has no line {line_id!r}")

    def move_to(self, status: FoStatus) -> None:
        """A plain status step (not Fulfilled, Rejected, Canceled: they move quantities and
        go through the summary)."""
        check_transition(self.status, status)
        self.status = status


def check_transition(current: str, new: str) -> None:
    """Raise :class:`IllegalTransition` unless ``current`` → ``new`` is allowed."""
    if current in TERMINAL:
        raise IllegalTransition("status", f"a {current} fulfillment order cannot change")
    if new == "Canceled":
        return
    if new == "Rejected":
        if current == "Draft":
            raise IllegalTransition("status", "a Draft fulfillment order cannot be rejected")
        return
    if new not in FORWARD:
        raise IllegalTransition("status", f"unknown status {new!r}")
    if current == "Draft" and new != "Allocated":
        raise IllegalTransition("status", "a Draft fulfillment order can only become Allocated")
    if FORWARD.index(new) <= FORWARD.index(current):
        raise IllegalTransition("status", f"cannot go from {current} back or to {new}")
