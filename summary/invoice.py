"""Invoices: what one shipment of a Fulfillment Order charges, to be captured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InvoiceStatus = Literal["unpaid", "paid"]


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    line_id: str
    sku: str
    quantity: int
    amount: int  # unit price × quantity
    discount: int
    tax: int


@dataclass
class Invoice:
    """``delivery`` and ``delivery_tax`` are the group's charge, on its first shipment only.
    ``tax`` on the answer is the lines' tax plus the delivery tax."""

    id: str
    order_summary_id: str
    fulfillment_order_id: str
    lines: tuple[InvoiceLine, ...]
    delivery: int
    delivery_tax: int
    status: InvoiceStatus = "unpaid"
    captured: int = 0

    @property
    def product(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines) + self.delivery_tax

    @property
    def total(self) -> int:
        return self.product - self.discount + self.tax + self.delivery

    @property
    def balance(self) -> int:
        return self.total - self.captured
