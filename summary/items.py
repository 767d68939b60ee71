"""Order Item Summaries: one line of an Order Summary, tracked by quantity.

The quantity algebra and the derived line status follow Salesforce Order Management (the
reference's b.2): Quantity = ordered − canceled − returned; available to fulfill = available
to cancel = ordered − canceled − allocated; available to return = fulfilled − return
initiated. The status is evaluated top-down, first match wins.

Adjustments (discounts given after the order was placed) live in two pools per line: one
over the units not yet shipped (net ordered − fulfilled), one over the shipped units not
returned (fulfilled − returned). Units leaving a pool (shipped, canceled, returned) take
``pool × count // units`` of it, so the last unit takes the rest and the pools always sum
back exactly; the pools never disturb the line's original schedule of discount and tax.
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
    adjust_open_discount: int = 0  # adjustments over the units not yet shipped
    adjust_open_tax: int = 0  # (tax the adjustments took off, as a positive amount)
    adjust_shipped_discount: int = 0  # adjustments over the shipped units not returned
    adjust_shipped_tax: int = 0
    reship_of: str | None = None  # a reshipment line: the line whose units it replaces

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
    def units_open(self) -> int:
        """Units not yet shipped nor canceled (the open adjustment pool spreads over them)."""
        return self.quantity_net_ordered - self.quantity_fulfilled

    @property
    def units_kept(self) -> int:
        """Shipped units not returned (the shipped adjustment pool spreads over them)."""
        return self.quantity_fulfilled - self.quantity_returned

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
            self.discount * keep // whole
            - self.discount_returned
            + self.adjust_open_discount
            + self.adjust_shipped_discount,
            self.tax * keep // whole
            - self.tax_returned
            - self.adjust_open_tax
            - self.adjust_shipped_tax,
        )

    def open_pool_part(self, count: int) -> tuple[int, int]:
        """``(discount, tax taken off)`` of the open adjustment pool that ``count`` of the
        units not yet shipped carry."""
        return (
            _pool(self.adjust_open_discount, count, self.units_open),
            _pool(self.adjust_open_tax, count, self.units_open),
        )

    def shipped_pool_part(self, count: int) -> tuple[int, int]:
        return (
            _pool(self.adjust_shipped_discount, count, self.units_kept),
            _pool(self.adjust_shipped_tax, count, self.units_kept),
        )

    def return_part(self, count: int) -> tuple[int, int, int]:
        """``(price, discount, tax)`` that ``count`` more returned units give back: the shares
        of the last shipped units not yet returned (invoices took theirs from the start), and
        their part of the adjustments given on shipped units."""
        end, whole = self.quantity_fulfilled - self.quantity_returned, self.quantity_ordered
        discount, tax_off = self.shipped_pool_part(count)
        return (
            self.unit_price * count,
            share_of_units(self.discount, whole, end - count, count) + discount,
            share_of_units(self.tax, whole, end - count, count) - tax_off,
        )

    def take_return(self, count: int) -> tuple[int, int, int]:
        """Record ``count`` units returned (their RMA, if any, already counted them as
        return initiated); returns what they gave back, as :meth:`return_part`."""
        part = self.return_part(count)
        end, whole = self.quantity_fulfilled - self.quantity_returned, self.quantity_ordered
        discount, tax_off = self.shipped_pool_part(count)
        self.adjust_shipped_discount -= discount
        self.adjust_shipped_tax -= tax_off
        self.discount_returned += share_of_units(self.discount, whole, end - count, count)
        self.tax_returned += share_of_units(self.tax, whole, end - count, count)
        self.quantity_returned += count
        return part

    def invoice_part(self, count: int) -> tuple[int, int, int]:
        """``(price, discount, tax)`` of the next ``count`` units to ship: floors of the
        cumulative share, so every way of shipping the line sums to its amounts exactly,
        plus their part of the open adjustments."""
        done, whole = self.quantity_fulfilled, self.quantity_ordered
        discount, tax_off = self.open_pool_part(count)
        return (
            self.unit_price * count,
            share_of_units(self.discount, whole, done, count) + discount,
            share_of_units(self.tax, whole, done, count) - tax_off,
        )

    def take_shipment(self, count: int) -> tuple[int, int, int]:
        """Record ``count`` units shipped; returns their invoice part. Their share of the open
        adjustments moves to the shipped pool with them."""
        part = self.invoice_part(count)
        discount, tax_off = self.open_pool_part(count)
        self.adjust_open_discount -= discount
        self.adjust_open_tax -= tax_off
        self.adjust_shipped_discount += discount
        self.adjust_shipped_tax += tax_off
        self.quantity_fulfilled += count
        return part

    def cancel_part(self, count: int) -> tuple[int, int, int]:
        """``(price, discount, tax)`` that canceling ``count`` open units gives back: their
        shares from the end of the line's schedule, and their part of the open adjustments."""
        keep, whole = self.quantity_ordered - self.quantity_canceled, self.quantity_ordered
        discount, tax_off = self.open_pool_part(count)
        return (
            self.unit_price * count,
            self.discount * keep // whole - self.discount * (keep - count) // whole + discount,
            self.tax * keep // whole - self.tax * (keep - count) // whole - tax_off,
        )

    def take_cancel(self, count: int) -> tuple[int, int, int]:
        part = self.cancel_part(count)
        discount, tax_off = self.open_pool_part(count)
        self.adjust_open_discount -= discount
        self.adjust_open_tax -= tax_off
        self.quantity_canceled += count
        return part


def _pool(pool: int, count: int, units: int) -> int:
    return pool * count // units if units else 0


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
