"""Builders for the summary tests: DESIGN.md's W-1001 order, its summary, random valid orders."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from summary.fulfillment import FoStatus, FulfillmentOrder
from summary.order import Order, check_order
from summary.summary import OrderSummary, Quantities, summary_from_order

# DESIGN.md, "Order intake": the example order, verbatim.
W1001: dict[str, Any] = {
    "order_number": "W-1001",
    "channel": "web",
    "currency": "USD",
    "lifecycle": "managed",
    "placed_at": "2026-11-30T10:00:00Z",
    "customer": {"id": "C-17", "email": "ana@example.com"},
    "delivery_groups": [
        {
            "id": "DG1",
            "method": "ship",
            "delivery_method_id": "STANDARD",
            "address": {
                "name": "Ana Ruiz",
                "line1": "1 Main St",
                "city": "Newark",
                "region": "NJ",
                "postal_code": "07102",
                "country": "US",
                "lat": 40.73,
                "lon": -74.17,
            },
            "charge": 599,
            "charge_tax": 48,
        },
        {"id": "DG2", "method": "pickup", "location_id": "ST012", "charge": 0, "charge_tax": 0},
    ],
    "lines": [
        {
            "id": "1",
            "sku": "SKU-1",
            "quantity": 2,
            "unit_price": 1999,
            "tax": 320,
            "discount": 200,
            "delivery_group": "DG1",
        },
        {
            "id": "2",
            "sku": "SKU-2",
            "quantity": 1,
            "unit_price": 4500,
            "tax": 360,
            "discount": 0,
            "delivery_group": "DG2",
        },
    ],
    "discounts": [{"code": "WELCOME5", "amount": 500}],
    "payment": {
        "authorization_id": "AUTH-88",
        "gateway": "test",
        "amount": 9125,
        "expires_at": "2026-12-07T10:00:00Z",
    },
}


def w1001_doc() -> dict[str, Any]:
    """A fresh, mutable copy of the W-1001 document."""
    return copy.deepcopy(W1001)


def w1001() -> Order:
    return check_order(Order.model_validate(W1001))


def w1001_summary() -> OrderSummary:
    return summary_from_order(w1001(), "OS-1")


def allocate(
    summary: OrderSummary,
    fo_id: str,
    group_id: str,
    lines: Quantities,
    *,
    location_id: str = "DC06",
    status: FoStatus = "Allocated",
) -> FulfillmentOrder:
    method = summary.group(group_id).method
    return summary.add_fulfillment_order(
        fo_id=fo_id,
        group_id=group_id,
        location_id=location_id,
        fulfillment_type=method,
        lines=lines,
        reservation_id=f"R-{fo_id}",
        status=status,
    )


def design_grand_total(order: Order) -> int:
    """DESIGN.md's formula, written out independently of the code under test."""
    lines = sum(line.unit_price * line.quantity - line.discount + line.tax for line in order.lines)
    groups = sum(g.charge + g.charge_tax for g in order.delivery_groups)
    return lines + groups - sum(d.amount for d in order.discounts)


@st.composite
def orders(draw: st.DrawFn, max_lines: int = 5, max_quantity: int = 6) -> Order:
    """A random order that passes :func:`check_order` (every group used, discounts within
    what they discount)."""
    group_count = draw(st.integers(1, 3))
    groups: list[dict[str, Any]] = []
    for g in range(group_count):
        charge = draw(st.integers(0, 2_000))
        charge_tax = draw(st.integers(0, 300))
        if draw(st.booleans()):
            groups.append(
                {
                    "id": f"DG{g}",
                    "method": "ship",
                    "address": {"country": "US", "postal_code": f"0710{g}"},
                    "charge": charge,
                    "charge_tax": charge_tax,
                }
            )
        else:
            groups.append(
                {
                    "id": f"DG{g}",
                    "method": "pickup",
                    "location_id": f"ST{g}",
                    "charge": charge,
                    "charge_tax": charge_tax,
                }
            )
    line_count = draw(st.integers(group_count, max(group_count, max_lines)))
    lines: list[dict[str, Any]] = []
    for i in range(line_count):
        # the first lines cover every group once; the rest go anywhere
        group = f"DG{i}" if i < group_count else f"DG{draw(st.integers(0, group_count - 1))}"
        quantity = draw(st.integers(1, max_quantity))
        unit_price = draw(st.integers(0, 10**6))
        lines.append(
            {
                "id": f"L{i}",
                "sku": f"SKU-{draw(st.integers(1, 3))}",
                "quantity": quantity,
                "unit_price": unit_price,
                "tax": draw(st.integers(0, 10**5)),
                "discount": draw(st.integers(0, unit_price * quantity)),
                "delivery_group": group,
            }
        )
    net = sum(line["unit_price"] * line["quantity"] - line["discount"] for line in lines)
    total_discount = draw(st.integers(0, net))
    discounts: list[dict[str, Any]] = []
    if total_discount or draw(st.booleans()):
        first = draw(st.integers(0, total_discount))
        discounts = [{"code": "A", "amount": first}, {"amount": total_discount - first}]
    lifecycle = draw(st.sampled_from(["managed", "unmanaged"]))
    doc: dict[str, Any] = {
        "order_number": "R-1",
        "currency": "USD",
        "lifecycle": lifecycle,
        "placed_at": "2026-11-30T10:00:00Z",
        "delivery_groups": groups,
        "lines": lines,
        "discounts": discounts,
    }
    if lifecycle == "managed":
        doc["payment"] = {"authorization_id": "AUTH-1", "amount": 1}
    return check_order(Order.model_validate(doc))
