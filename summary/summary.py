"""The Order Summary: the living record of an order, and the one place its quantities move.

Every operation checks everything first and changes nothing when it refuses, so a caller's
unit of work never has half an operation to roll back. Fulfillment Orders live inside the
aggregate: creating, shipping, rejecting and canceling them moves the items' quantities in
the same step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from summary.errors import IllegalTransition, InvalidRequest
from summary.fulfillment import (
    ACTIVE,
    TERMINAL,
    FoStatus,
    FulfillmentOrder,
    FulfillmentOrderLine,
    FulfillmentType,
    check_transition,
)
from summary.invoice import Invoice, InvoiceLine
from summary.items import OrderItemSummary
from summary.order import Lifecycle, Order
from summary.payment import PaymentSummary

Quantities = Sequence[tuple[str, int]]  # (line id, quantity)


@dataclass
class DeliveryGroupSummary:
    """``excluded_locations``: locations that rejected this group's units; routing skips them."""

    id: str
    method: Literal["ship", "pickup"]
    charge: int
    charge_tax: int
    location_id: str | None = None
    delivery_method_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    country: str | None = None
    postal_code: str | None = None
    charge_invoiced: bool = False
    excluded_locations: list[str] = field(default_factory=list)
    charge_canceled: int = 0  # delivery charge and its tax given back by change orders
    charge_tax_canceled: int = 0

    @property
    def charge_net(self) -> int:
        return self.charge - self.charge_canceled

    @property
    def charge_tax_net(self) -> int:
        return self.charge_tax - self.charge_tax_canceled


@dataclass(frozen=True, slots=True)
class Totals:
    product: int
    discount: int
    delivery: int
    tax: int
    fees: int = 0  # return fees kept from refunds

    @property
    def grand_total(self) -> int:
        return self.product - self.discount + self.delivery + self.tax + self.fees


@dataclass
class OrderSummary:
    id: str
    order_number: str
    lifecycle: Lifecycle
    currency: str
    channel: str
    placed_at: datetime
    items: list[OrderItemSummary]
    groups: list[DeliveryGroupSummary]
    payment: PaymentSummary | None
    source: str = "api"
    external_id: str | None = None
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    version: int = 0
    return_fees: int = 0
    exchange_of: str | None = None  # an exchange's summary: the summary it replaces items of

    @property
    def managed(self) -> bool:
        return self.lifecycle == "managed"

    @property
    def totals(self) -> Totals:
        amounts = [i.amounts for i in self.items]
        return Totals(
            product=sum(a[0] for a in amounts),
            discount=sum(a[1] for a in amounts),
            delivery=sum(g.charge_net for g in self.groups),
            tax=sum(a[2] for a in amounts) + sum(g.charge_tax_net for g in self.groups),
            fees=self.return_fees,
        )

    @property
    def status(self) -> str:
        """Derived from the items (Salesforce leaves the summary status to the implementer)."""
        live = [i for i in self.items if i.quantity > 0]
        if not live:
            return "canceled"
        if all(i.status in ("fulfilled", "return initiated", "returned") for i in live):
            return "fulfilled"
        if any(i.quantity_fulfilled > 0 for i in live):
            return "partially fulfilled"
        if all(i.quantity_allocated >= i.quantity for i in live):
            return "allocated"
        if any(i.quantity_allocated > 0 for i in live):
            return "partially allocated"
        return "ordered"

    def item(self, line_id: str, where: str = "line_id") -> OrderItemSummary:
        for item in self.items:
            if item.line_id == line_id:
                return item
        raise InvalidRequest(where, f"order {self.order_number} has no line {line_id!r}")

    def group(self, group_id: str) -> DeliveryGroupSummary:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise InvalidRequest("delivery_group", f"no delivery group {group_id!r}")

    def fulfillment_order(self, fo_id: str) -> FulfillmentOrder:
        for fo in self.fulfillment_orders:
            if fo.id == fo_id:
                return fo
        raise InvalidRequest("fulfillment_order_id", f"no fulfillment order {fo_id!r}")

    def items_of(self, group_id: str) -> list[OrderItemSummary]:
        return [i for i in self.items if i.delivery_group == group_id]

    def add_fulfillment_order(
        self,
        *,
        fo_id: str,
        group_id: str,
        location_id: str,
        fulfillment_type: FulfillmentType,
        lines: Quantities,
        reservation_id: str | None,
        status: FoStatus = "Draft",
    ) -> FulfillmentOrder:
        """A new FO for ``lines`` of group ``group_id``; their units move to allocated."""
        self.group(group_id)
        if status in TERMINAL:
            raise InvalidRequest("status", f"a new fulfillment order cannot start {status}")
        if any(fo.id == fo_id for fo in self.fulfillment_orders):
            raise InvalidRequest("fulfillment_order_id", f"{fo_id} exists already")
        asked: dict[str, int] = {}
        for i, (line_id, quantity) in enumerate(lines):
            item = self.item(line_id, f"lines[{i}].line_id")
            if item.delivery_group != group_id:
                raise InvalidRequest(f"lines[{i}].line_id", f"line {line_id} is not in {group_id}")
            asked[line_id] = asked.get(line_id, 0) + quantity
            if quantity <= 0 or asked[line_id] > item.quantity_available_to_fulfill:
                raise InvalidRequest(
                    f"lines[{i}].quantity",
                    f"{quantity} of line {line_id}: "
                    f"{item.quantity_available_to_fulfill} available to fulfill",
                )
        if not asked:
            raise InvalidRequest("lines", "a fulfillment order needs at least one line")
        fo = FulfillmentOrder(
            id=fo_id,
            order_summary_id=self.id,
            delivery_group=group_id,
            location_id=location_id,
            fulfillment_type=fulfillment_type,
            lines=[
                FulfillmentOrderLine(line_id, self.item(line_id).sku, q)
                for line_id, q in asked.items()
            ],
            reservation_id=reservation_id,
            status=status,
        )
        for line_id, quantity in asked.items():
            self.item(line_id).quantity_allocated += quantity
        self.fulfillment_orders.append(fo)
        return fo

    def set_status(self, fo_id: str, status: FoStatus) -> FulfillmentOrder:
        """A plain forward step (Allocated, Assigned, Pick Complete, Pack Complete)."""
        if status in ("Fulfilled", "Rejected", "Canceled"):
            raise InvalidRequest("status", f"{status} goes through ship, reject or cancel")
        fo = self.fulfillment_order(fo_id)
        fo.move_to(status)
        return fo

    def ship(self, fo_id: str, lines: Quantities | None, invoice_id: str) -> Invoice:
        """Record a shipment of ``lines`` (None: everything still open) and make its invoice:
        the lines' price and their share of discount and tax, plus the group's delivery
        charge on its first shipment. The FO is Fulfilled once nothing is left open."""
        fo = self.fulfillment_order(fo_id)
        if fo.status not in ACTIVE:
            raise IllegalTransition("status", f"a {fo.status} fulfillment order cannot ship")
        shipped = self._shipped_lines(fo, lines)
        invoice_lines = []
        for line_id, count in shipped:
            item = self.item(line_id)
            amount, discount, tax = item.take_shipment(count)
            invoice_lines.append(InvoiceLine(line_id, item.sku, count, amount, discount, tax))
            fo.line(line_id, "lines").quantity_fulfilled += count
        group = self.group(fo.delivery_group)
        first = not group.charge_invoiced
        group.charge_invoiced = True
        invoice = Invoice(
            id=invoice_id,
            order_summary_id=self.id,
            fulfillment_order_id=fo.id,
            lines=tuple(invoice_lines),
            delivery=group.charge_net if first else 0,
            delivery_tax=group.charge_tax_net if first else 0,
        )
        fo.invoice_ids.append(invoice_id)
        if fo.units_open == 0:
            fo.status = "Fulfilled"
        return invoice

    def _shipped_lines(
        self, fo: FulfillmentOrder, lines: Quantities | None
    ) -> list[tuple[str, int]]:
        if lines is None:
            return [(line.line_id, line.quantity_open) for line in fo.lines if line.quantity_open]
        return list(_open_units(fo, lines, "ship").items())

    def release_open(
        self, fo_id: str, status: Literal["Rejected", "Canceled"], reason: str | None
    ) -> list[tuple[str, int]]:
        """End an FO's open units (rejected by its location, or canceled): they go back to
        available to fulfill. Returns what was released, per line."""
        fo = self.fulfillment_order(fo_id)
        check_transition(fo.status, status)
        released = [(line.line_id, line.quantity_open) for line in fo.lines if line.quantity_open]
        for line_id, quantity in released:
            self.item(line_id).quantity_allocated -= quantity
            fo.line(line_id, "lines").quantity_canceled += quantity
        fo.status = status
        fo.reason = reason
        if status == "Rejected":
            group = self.group(fo.delivery_group)
            if fo.location_id not in group.excluded_locations:
                group.excluded_locations.append(fo.location_id)
        return released

    def cancel_fulfillment_lines(self, fo_id: str, lines: Quantities) -> list[tuple[str, int]]:
        """Take units off an Allocated or Assigned FO (before picking starts): they go back
        to available to fulfill (and can then be canceled on the summary). Once nothing is
        left open the FO ends: Canceled, or Fulfilled when part of it had shipped."""
        fo = self.fulfillment_order(fo_id)
        if fo.status not in ("Allocated", "Assigned"):
            raise IllegalTransition(
                "status", f"units of a {fo.status} fulfillment order cannot be canceled"
            )
        asked = _open_units(fo, lines, "cancel")
        for line_id, quantity in asked.items():
            fo.line(line_id, "lines").quantity_canceled += quantity
            self.item(line_id).quantity_allocated -= quantity
        if fo.units_open == 0:  # what shipped stays shipped: the FO ends Fulfilled then
            shipped = any(line.quantity_fulfilled for line in fo.lines)
            fo.status = "Fulfilled" if shipped else "Canceled"
        return list(asked.items())


def _open_units(fo: FulfillmentOrder, lines: Quantities, verb: str) -> dict[str, int]:
    """``lines`` summed per line, each within what is open on ``fo``."""
    asked: dict[str, int] = {}
    for i, (line_id, quantity) in enumerate(lines):
        line = fo.line(line_id, f"lines[{i}].line_id")
        asked[line_id] = asked.get(line_id, 0) + quantity
        if quantity <= 0 or asked[line_id] > line.quantity_open:
            raise InvalidRequest(
                f"lines[{i}].quantity",
                f"{quantity} of line {line_id}: {line.quantity_open} open on {fo.id}",
            )
    if not asked:
        raise InvalidRequest("lines", f"name at least one line to {verb}")
    return asked


def summary_from_order(order: Order, summary_id: str) -> OrderSummary:
    """A new summary of ``order``: order discounts spread over the lines (largest remainder
    on their net amounts), every quantity at its start."""
    from summary.money import spread  # local: keeps this module's import list short

    net = [line.unit_price * line.quantity - line.discount for line in order.lines]
    shares = spread(sum(d.amount for d in order.discounts), net)
    items = [
        OrderItemSummary(
            line_id=line.id,
            sku=line.sku,
            delivery_group=line.delivery_group,
            unit_price=line.unit_price,
            tax=line.tax,
            discount=line.discount + share,
            quantity_ordered=line.quantity,
        )
        for line, share in zip(order.lines, shares, strict=True)
    ]
    groups = []
    for g in order.delivery_groups:
        group = DeliveryGroupSummary(
            id=g.id,
            method=g.method,
            charge=g.charge,
            charge_tax=g.charge_tax,
            delivery_method_id=g.delivery_method_id,
        )
        if g.method == "pickup":
            group.location_id = g.location_id
        else:
            address = g.address
            group.lat, group.lon = address.lat, address.lon
            group.country, group.postal_code = address.country, address.postal_code
        groups.append(group)
    payment = None
    if order.payment is not None:
        p = order.payment
        payment = PaymentSummary(p.authorization_id, p.gateway, p.amount, p.expires_at)
    return OrderSummary(
        id=summary_id,
        order_number=order.order_number,
        lifecycle=order.lifecycle,
        currency=order.currency,
        channel=order.channel,
        placed_at=order.placed_at,
        items=items,
        groups=groups,
        payment=payment,
        source=order.source,
        external_id=order.external_id,
    )
