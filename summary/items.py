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

    # Positions: the line's units in schedule order. Shipments take the open positions
    # [fulfilled, net ordered) from the front, cancels from the back; returns take the
    # shipped positions [returned, fulfilled) from the front. A position's base share of the
    # discount and tax is the floor of the cumulative share (``share_of_units``).

    def _room(self, start: int, end: int) -> tuple[int, int]:
        """``(price less base discount, base tax)`` of positions ``start..end``: the most
        that adjustments can take off them."""
        whole, count = self.quantity_ordered, end - start
        return (
            self.unit_price * count - share_of_units(self.discount, whole, start, count),
            share_of_units(self.tax, whole, start, count),
        )

    def _take(
        self, pools: tuple[int, int], leaving: tuple[int, int], staying: tuple[int, int]
    ) -> tuple[int, int]:
        """The part of ``pools`` the ``leaving`` positions carry: their share by count, but
        never more than they have room for, and never so little that the ``staying``
        positions are left more than they have room for (so no invoice is ever negative
        and none charges more than the line will end up costing)."""
        count = leaving[1] - leaving[0]
        units = count + staying[1] - staying[0]
        room_out, room_in = self._room(*leaving), self._room(*staying)
        return (
            min(room_out[0], max(pools[0] * count // units, pools[0] - room_in[0])),
            min(room_out[1], max(pools[1] * count // units, pools[1] - room_in[1])),
        )

    @property
    def _open(self) -> tuple[int, int]:
        return self.adjust_open_discount, self.adjust_open_tax

    @property
    def _shipped(self) -> tuple[int, int]:
        return self.adjust_shipped_discount, self.adjust_shipped_tax

    def open_room(self) -> tuple[int, int]:
        """What adjustments can still take off the open units, and off the kept units."""
        room = self._room(self.quantity_fulfilled, self.quantity_net_ordered)
        return room[0] - self.adjust_open_discount, room[1] - self.adjust_open_tax

    def kept_room(self) -> tuple[int, int]:
        room = self._room(self.quantity_returned, self.quantity_fulfilled)
        return room[0] - self.adjust_shipped_discount, room[1] - self.adjust_shipped_tax

    def _parts(
        self, pools: tuple[int, int], leaving: tuple[int, int], staying: tuple[int, int]
    ) -> tuple[tuple[int, int, int], tuple[int, int]]:
        """``(price, discount, tax)`` of the leaving positions with their pool part, and the
        pool part itself."""
        whole, count = self.quantity_ordered, leaving[1] - leaving[0]
        part = self._take(pools, leaving, staying)
        return (
            self.unit_price * count,
            share_of_units(self.discount, whole, leaving[0], count) + part[0],
            share_of_units(self.tax, whole, leaving[0], count) - part[1],
        ), part

    def _ship_parts(self, count: int) -> tuple[tuple[int, int, int], tuple[int, int]]:
        done, keep = self.quantity_fulfilled, self.quantity_net_ordered
        return self._parts(self._open, (done, done + count), (done + count, keep))

    def _cancel_parts(self, count: int) -> tuple[tuple[int, int, int], tuple[int, int]]:
        done, keep = self.quantity_fulfilled, self.quantity_net_ordered
        return self._parts(self._open, (keep - count, keep), (done, keep - count))

    def _return_parts(self, count: int) -> tuple[tuple[int, int, int], tuple[int, int]]:
        back, done = self.quantity_returned, self.quantity_fulfilled
        return self._parts(self._shipped, (back, back + count), (back + count, done))

    def invoice_part(self, count: int) -> tuple[int, int, int]:
        """``(price, discount, tax)`` of the next ``count`` units to ship: floors of the
        cumulative share, so every way of shipping the line sums to its amounts exactly,
        plus their part of the adjustments on open units."""
        return self._ship_parts(count)[0]

    def take_shipment(self, count: int) -> tuple[int, int, int]:
        """Record ``count`` units shipped; their adjustments move to the shipped pool."""
        amounts, part = self._ship_parts(count)
        self.adjust_open_discount -= part[0]
        self.adjust_open_tax -= part[1]
        self.adjust_shipped_discount += part[0]
        self.adjust_shipped_tax += part[1]
        self.quantity_fulfilled += count
        return amounts

    def cancel_part(self, count: int) -> tuple[int, int, int]:
        """What canceling ``count`` open units gives back: their shares from the back of the
        line's schedule, and their part of the adjustments on open units."""
        return self._cancel_parts(count)[0]

    def take_cancel(self, count: int) -> tuple[int, int, int]:
        amounts, part = self._cancel_parts(count)
        self.adjust_open_discount -= part[0]
        self.adjust_open_tax -= part[1]
        self.quantity_canceled += count
        return amounts

    def return_part(self, count: int) -> tuple[int, int, int]:
        """What ``count`` more returned units give back: the shares of the first shipped
        units not yet returned (invoices took theirs from the front, in order, so returns
        give back exactly what was charged), and their part of the adjustments on shipped
        units."""
        return self._return_parts(count)[0]

    def take_return(self, count: int) -> tuple[int, int, int]:
        """Record ``count`` units returned (their RMA, if any, already counted them as
        return initiated)."""
        amounts, part = self._return_parts(count)
        self.adjust_shipped_discount -= part[0]
        self.adjust_shipped_tax -= part[1]
        self.discount_returned += amounts[1] - part[0]
        self.tax_returned += amounts[2] + part[1]
        self.quantity_returned += count
        return amounts


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
