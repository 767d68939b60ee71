"""Order Item Summaries: one line of an Order Summary, tracked by quantity.

The quantity algebra and the derived line status follow Salesforce Order Management (the
reference's b.2): Quantity = ordered − canceled − returned; available to fulfill = available
to cancel = ordered − canceled − allocated; available to return = fulfilled − return
initiated. The status is evaluated top-down, first match wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from summary.money import share_of_units

ItemStatus = Literal[
    "ordered",
    "partially allocated",
    "allocated",
    "partially fulfilled",
    "fulfilled",
    "canceled",
    "return initiated",
    "returned",
    "reshipped",
]


@dataclass
class OrderItemSummary:
    """Money is for the whole line (``discount`` includes its share of order discounts)."""

    line_id: str
    sku: str
    delivery_group: str
    unit_price: int
    tax: int
    discount: int
    quantity_ordered: int
    quantity_canceled: int = 0
    quantity_allocated: int = 0
    quantity_fulfilled: int = 0
    quantity_return_initiated: int = 0
    quantity_returned: int = 0
    quantity_reshipped: int = 0
    discount_returned: int = 0  # the shares of discount and tax that returns gave back
    tax_returned: int = 0

    @property
    def quantity(self) -> int:
        return self.quantity_ordered - self.quantity_canceled - self.quantity_returned

    @property
    def quantity_net_ordered(self) -> int:
        return self.quantity_ordered - self.quantity_canceled

    @property
    def quantity_available_to_fulfill(self) -> int:
        return self.quantity_ordered - self.quantity_canceled - self.quantity_allocated

    @property
    def quantity_available_to_cancel(self) -> int:
        return self.quantity_available_to_fulfill

    @property
    def quantity_available_to_return(self) -> int:
        return self.quantity_fulfilled - self.quantity_return_initiated

    @property
    def status(self) -> ItemStatus:
        return item_status(self)

    @property
    def amounts(self) -> tuple[int, int, int]:
        """``(product, discount, tax)`` of the units neither canceled nor returned. Canceled
        units give back their shares from the end of the line's cumulative schedule, shipments
        take theirs from the start, returns give back the shares their shipments took: none
        overlap, so everything sums back exactly."""
        keep, whole = self.quantity_ordered - self.quantity_canceled, self.quantity_ordered
        return (
            self.unit_price * (keep - self.quantity_returned),
            self.discount * keep // whole - self.discount_returned,
            self.tax * keep // whole - self.tax_returned,
        )

    def return_part(self, count: int) -> tuple[int, int, int]:
        """``(price, discount, tax)`` that ``count`` more returned units give back: the shares
        of the last shipped units not yet returned (invoices took theirs from the start)."""
        end, whole = self.quantity_fulfilled - self.quantity_returned, self.quantity_ordered
        return (
            self.unit_price * count,
            share_of_units(self.discount, whole, end - count, count),
            share_of_units(self.tax, whole, end - count, count),
        )

    def invoice_part(self, count: int) -> tuple[int, int, int]:
        """``(price, discount, tax)`` of the next ``count`` units to ship: floors of the
        cumulative share, so every way of shipping the line sums to its amounts exactly."""
        done, whole = self.quantity_fulfilled, self.quantity_ordered
        return (
            self.unit_price * count,
            share_of_units(self.discount, whole, done, count),
            share_of_units(self.tax, whole, done, count),
        )


def item_status(item: OrderItemSummary) -> ItemStatus:
    quantity = item.quantity
    initiated, fulfilled = item.quantity_return_initiated, item.quantity_fulfilled
    if quantity > 0 and initiated > 0 and initiated == fulfilled > item.quantity_returned:
        return "return initiated"
    if item.quantity_reshipped > 0 and item.quantity_reshipped >= fulfilled > 0:
        return "reshipped"
    if quantity == 0 and item.quantity_returned > 0:
        return "returned"
    if quantity == 0:
        return "canceled"
    if item.quantity_net_ordered <= fulfilled:
        return "fulfilled"
    if fulfilled > 0:
        return "partially fulfilled"
    if quantity <= item.quantity_allocated:
        return "allocated"
    if item.quantity_allocated > 0:
        return "partially allocated"
    return "ordered"
