"""The Order Summary's operations: Fulfillment Orders allocate units, shipments invoice them
exactly, rejections put units back; every refusal changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summary.errors import IllegalTransition, InvalidRequest
from summary.fulfillment import FulfillmentOrderLine
from summary.invoice import Invoice
from summary.order import Order
from summary.summary import OrderSummary, Quantities, summary_from_order

from .builders import allocate, design_grand_total, orders, w1001_summary

# W-1001 line 1: 2 × 1999, discount 200 + 229 of WELCOME5, tax 320; DG1 charge 599 + tax 48.
# W-1001 line 2: 1 × 4500, discount 271 of WELCOME5, tax 360; DG2 (pickup) charge 0.


# --- add_fulfillment_order -------------------------------------------------------------


def test_a_fulfillment_order_moves_its_units_to_allocated() -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 2)])
    line = summary.item("1")
    assert (line.quantity_allocated, line.quantity_available_to_fulfill) == (2, 0)
    assert line.status == "allocated"
    assert summary.item("2").quantity_allocated == 0
    assert summary.fulfillment_orders == [fo]
    assert (fo.order_summary_id, fo.delivery_group, fo.location_id, fo.status) == (
        "OS-1",
        "DG1",
        "DC06",
        "Allocated",
    )
    assert fo.reservation_id == "R-FO-1"
    assert fo.lines == [FulfillmentOrderLine("1", "SKU-1", 2)]
    assert fo.invoice_id is None


def test_a_fulfillment_order_starts_as_draft_unless_told_otherwise() -> None:
    summary = w1001_summary()
    fo = summary.add_fulfillment_order(
        fo_id="FO-1",
        group_id="DG2",
        location_id="ST012",
        fulfillment_type="pickup",
        lines=[("2", 1)],
        reservation_id="R-1",
    )
    assert fo.status == "Draft"
    assert summary.item("2").quantity_allocated == 1


def test_a_line_may_be_allocated_in_parts_up_to_what_is_available() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 1)], location_id="DC06")
    allocate(summary, "FO-2", "DG1", [("1", 1)], location_id="ST03")
    assert summary.item("1").quantity_allocated == 2
    with pytest.raises(InvalidRequest) as caught:
        allocate(summary, "FO-3", "DG1", [("1", 1)])
    assert caught.value.field == "lines[0].quantity"


def refused(
    summary: OrderSummary, call: Callable[[], object]
) -> InvalidRequest | IllegalTransition:
    """Run ``call``; it must refuse and leave ``summary`` exactly as it was."""
    before = copy.deepcopy(summary)
    with pytest.raises((InvalidRequest, IllegalTransition)) as caught:
        call()
    assert summary == before, "a refused operation changed the summary"
    error = caught.value
    assert isinstance(error, InvalidRequest | IllegalTransition)
    return error


def test_a_fulfillment_order_for_more_than_available_is_refused_and_changes_nothing() -> None:
    summary = w1001_summary()
    error = refused(summary, lambda: allocate(summary, "FO-1", "DG1", [("1", 3)]))
    assert error.field == "lines[0].quantity"
    assert "2 available to fulfill" in error.message


def test_the_same_line_twice_beyond_available_is_refused_at_the_second_mention() -> None:
    summary = w1001_summary()
    error = refused(summary, lambda: allocate(summary, "FO-1", "DG1", [("1", 1), ("1", 2)]))
    assert error.field == "lines[1].quantity"


def test_a_line_of_another_delivery_group_is_refused_and_changes_nothing() -> None:
    summary = w1001_summary()
    error = refused(summary, lambda: allocate(summary, "FO-1", "DG1", [("1", 1), ("2", 1)]))
    assert error.field == "lines[1].line_id"
    assert "DG1" in error.message


def test_an_unknown_line_is_refused_at_its_line_id() -> None:
    summary = w1001_summary()
    error = refused(summary, lambda: allocate(summary, "FO-1", "DG1", [("1", 2), ("9", 1)]))
    assert error.field == "lines[1].line_id"


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_non_positive_quantity_is_refused(quantity: int) -> None:
    summary = w1001_summary()
    error = refused(summary, lambda: allocate(summary, "FO-1", "DG1", [("1", quantity)]))
    assert error.field == "lines[0].quantity"


def test_a_fulfillment_order_without_lines_is_refused() -> None:
    summary = w1001_summary()
    assert refused(summary, lambda: allocate(summary, "FO-1", "DG1", [])).field == "lines"


def test_a_fulfillment_order_for_an_unknown_group_is_refused() -> None:
    summary = w1001_summary()
    error = refused(
        summary,
        lambda: summary.add_fulfillment_order(
            fo_id="FO-1",
            group_id="DG9",
            location_id="DC06",
            fulfillment_type="ship",
            lines=[("1", 1)],
            reservation_id="R-1",
        ),
    )
    assert error.field == "delivery_group"


def test_naming_a_line_twice_gives_one_fulfillment_order_line_of_the_summed_quantity() -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 1), ("1", 1)])
    assert fo.lines == [FulfillmentOrderLine("1", "SKU-1", 2)]
    invoice = summary.ship("FO-1", [("1", 2)], "INV-1")
    assert [(line.line_id, line.quantity) for line in invoice.lines] == [("1", 2)]
    assert all(line.quantity_open == 0 for line in fo.lines)
    assert all(line.quantity_fulfilled <= line.quantity for line in fo.lines)


# --- ship ------------------------------------------------------------------------------


def test_shipping_everything_fulfills_the_fulfillment_order_and_invoices_it() -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 2)])
    invoice = summary.ship("FO-1", None, "INV-1")
    assert fo.status == "Fulfilled"
    assert fo.invoice_id == "INV-1"
    assert (invoice.id, invoice.order_summary_id, invoice.fulfillment_order_id) == (
        "INV-1",
        "OS-1",
        "FO-1",
    )
    [line] = invoice.lines
    assert (line.line_id, line.sku, line.quantity) == ("1", "SKU-1", 2)
    assert (line.amount, line.discount, line.tax) == (2 * 1999, 200 + 229, 320)
    assert (invoice.delivery, invoice.delivery_tax) == (599, 48)
    assert invoice.tax == 320 + 48
    assert invoice.total == line.amount - line.discount + line.tax + 599 + 48 == 4536
    assert (invoice.status, invoice.captured, invoice.balance) == ("unpaid", 0, 4536)
    item = summary.item("1")
    assert (item.quantity_fulfilled, item.status) == (2, "fulfilled")
    assert item.quantity_available_to_return == 2


def test_shipping_a_pickup_group_without_charge_invoices_no_delivery() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-2", "DG2", [("2", 1)], location_id="ST012")
    invoice = summary.ship("FO-2", None, "INV-2")
    assert (invoice.delivery, invoice.delivery_tax) == (0, 0)
    assert invoice.total == 4500 - 271 + 360


def test_the_delivery_charge_is_invoiced_on_the_groups_first_shipment_only() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 1)], location_id="DC06")
    allocate(summary, "FO-2", "DG1", [("1", 1)], location_id="ST03")
    first = summary.ship("FO-2", None, "INV-1")
    second = summary.ship("FO-1", None, "INV-2")
    assert (first.delivery, first.delivery_tax) == (599, 48)
    assert (second.delivery, second.delivery_tax) == (0, 0)
    assert summary.group("DG1").charge_invoiced
    assert first.total + second.total == 2 * 1999 - 429 + 320 + 599 + 48


def test_a_partial_shipment_invoices_its_units_and_keeps_the_fulfillment_order_open() -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 2)], status="Pack Complete")
    first = summary.ship("FO-1", [("1", 1)], "INV-1")
    assert summary.fulfillment_order("FO-1").status == "Pack Complete"
    assert fo.units_open == 1
    assert summary.item("1").status == "partially fulfilled"
    # floors of the cumulative share: 429 → 214 then 215, 320 → 160 then 160
    assert [(x.quantity, x.amount, x.discount, x.tax) for x in first.lines] == [(1, 1999, 214, 160)]
    second = summary.ship("FO-1", [("1", 1)], "INV-2")
    assert [(x.quantity, x.amount, x.discount, x.tax) for x in second.lines] == [
        (1, 1999, 215, 160)
    ]
    assert fo.status == "Fulfilled"
    assert fo.invoice_ids == ["INV-1", "INV-2"]
    assert fo.invoice_id == "INV-2"


@pytest.mark.parametrize("step", ["Assigned", "Pick Complete", "Pack Complete"])
def test_a_fulfillment_order_ships_from_any_active_status(step: str) -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 2)])
    summary.set_status("FO-1", step)  # type: ignore[arg-type]
    summary.ship("FO-1", None, "INV-1")
    assert fo.status == "Fulfilled"


def test_shipping_more_than_is_open_is_refused_and_changes_nothing() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    summary.ship("FO-1", [("1", 1)], "INV-1")
    error = refused(summary, lambda: summary.ship("FO-1", [("1", 2)], "INV-2"))
    assert error.field == "lines[0].quantity"
    assert "1 open" in error.message


def test_shipping_a_line_twice_beyond_what_is_open_is_refused() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    error = refused(summary, lambda: summary.ship("FO-1", [("1", 1), ("1", 2)], "INV-1"))
    assert error.field == "lines[1].quantity"


def test_shipping_a_line_the_fulfillment_order_does_not_hold_is_refused() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    error = refused(summary, lambda: summary.ship("FO-1", [("1", 1), ("2", 1)], "INV-1"))
    assert error.field == "lines[1].line_id"


@pytest.mark.parametrize(
    ("lines", "field"), [([], "lines"), ([("1", 0)], "lines[0].quantity")], ids=["none", "zero"]
)
def test_shipping_nothing_is_refused(lines: list[tuple[str, int]], field: str) -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    assert refused(summary, lambda: summary.ship("FO-1", lines, "INV-1")).field == field


def test_shipping_a_draft_fulfillment_order_is_an_illegal_transition() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)], status="Draft")
    error = refused(summary, lambda: summary.ship("FO-1", None, "INV-1"))
    assert isinstance(error, IllegalTransition)


def test_shipping_a_rejected_fulfillment_order_is_an_illegal_transition() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    summary.release_open("FO-1", "Rejected", "not_in_stock")
    error = refused(summary, lambda: summary.ship("FO-1", None, "INV-1"))
    assert isinstance(error, IllegalTransition)


def test_shipping_a_fulfilled_fulfillment_order_again_is_an_illegal_transition() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    summary.ship("FO-1", None, "INV-1")
    assert isinstance(
        refused(summary, lambda: summary.ship("FO-1", None, "INV-2")), IllegalTransition
    )


def test_shipping_an_unknown_fulfillment_order_is_refused() -> None:
    summary = w1001_summary()
    error = refused(summary, lambda: summary.ship("FO-9", None, "INV-1"))
    assert error.field == "fulfillment_order_id"


@pytest.mark.parametrize("status", ["Fulfilled", "Rejected", "Canceled"])
def test_set_status_leaves_fulfilled_rejected_and_canceled_to_their_operations(status: str) -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    error = refused(summary, lambda: summary.set_status("FO-1", status))  # type: ignore[arg-type]
    assert error.field == "status"


def test_set_status_refuses_going_back() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)], status="Pick Complete")
    assert isinstance(
        refused(summary, lambda: summary.set_status("FO-1", "Assigned")), IllegalTransition
    )


def ship_everything(summary: OrderSummary, data: st.DataObject) -> list[Invoice]:
    """Allocate every unit of every group over 1–3 Fulfillment Orders, then ship them in
    random partial shipments, in random order, until nothing is open."""
    for group in summary.groups:
        fo_count = data.draw(st.integers(1, 3), label=f"{group.id} FOs")
        chunks: list[list[tuple[str, int]]] = [[] for _ in range(fo_count)]
        for item in summary.items_of(group.id):
            left = item.quantity_ordered
            for k in range(fo_count):
                take = left if k == fo_count - 1 else data.draw(st.integers(0, left))
                if take:
                    chunks[k].append((item.line_id, take))
                    left -= take
        for k, lines in enumerate(chunks):
            if lines:
                allocate(summary, f"FO-{group.id}-{k}", group.id, lines, location_id=f"L{k}")
    invoices: list[Invoice] = []
    while open_fos := [fo for fo in summary.fulfillment_orders if fo.units_open]:
        fo = data.draw(st.sampled_from(open_fos))
        shipped: Quantities | None = None
        if data.draw(st.integers(0, 3)):
            open_lines = [line for line in fo.lines if line.quantity_open]
            chosen = data.draw(
                st.lists(st.sampled_from(open_lines), min_size=1, unique_by=lambda x: x.line_id)
            )
            shipped = [(x.line_id, data.draw(st.integers(1, x.quantity_open))) for x in chosen]
        invoices.append(summary.ship(fo.id, shipped, f"INV-{len(invoices)}"))
    return invoices


@settings(max_examples=200, deadline=None)
@given(order=orders(max_lines=3, max_quantity=12), data=st.data())
def test_partial_shipments_of_a_line_invoice_exactly_its_amount_discount_and_tax(
    order: Order, data: st.DataObject
) -> None:
    summary = summary_from_order(order, "OS")
    invoices = ship_everything(summary, data)
    for item in summary.items:
        parts = [x for invoice in invoices for x in invoice.lines if x.line_id == item.line_id]
        assert sum(x.quantity for x in parts) == item.quantity_ordered
        assert sum(x.amount for x in parts) == item.unit_price * item.quantity_ordered
        assert sum(x.discount for x in parts) == item.discount
        assert sum(x.tax for x in parts) == item.tax
        assert all(x.discount >= 0 and x.tax >= 0 for x in parts)


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_when_every_unit_has_shipped_the_invoices_sum_to_the_grand_total(
    order: Order, data: st.DataObject
) -> None:
    summary = summary_from_order(order, "OS")
    invoices = ship_everything(summary, data)
    assert sum(invoice.total for invoice in invoices) == summary.totals.grand_total
    assert summary.totals.grand_total == design_grand_total(order)
    for group in summary.groups:
        fo_ids = {fo.id for fo in summary.fulfillment_orders if fo.delivery_group == group.id}
        shipments = [i for i in invoices if i.fulfillment_order_id in fo_ids]
        rest = [0] * (len(shipments) - 1)
        assert [i.delivery for i in shipments] == [group.charge, *rest]
        assert [i.delivery_tax for i in shipments] == [group.charge_tax, *rest]
    assert all(fo.status == "Fulfilled" for fo in summary.fulfillment_orders)
    assert all(item.status == "fulfilled" for item in summary.items)
    assert summary.status == "fulfilled"


# --- release_open ----------------------------------------------------------------------


def test_a_rejection_puts_open_units_back_keeps_what_shipped_and_excludes_the_location() -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 2)], location_id="DC06")
    summary.ship("FO-1", [("1", 1)], "INV-1")
    released = summary.release_open("FO-1", "Rejected", "not_in_stock")
    assert released == [("1", 1)]
    item = summary.item("1")
    assert (item.quantity_fulfilled, item.quantity_allocated) == (1, 1)
    assert item.quantity_available_to_fulfill == 1
    assert item.status == "partially fulfilled"
    assert (fo.status, fo.reason) == ("Rejected", "not_in_stock")
    assert fo.lines == [FulfillmentOrderLine("1", "SKU-1", 2, 1, 1)]
    assert fo.invoice_ids == ["INV-1"]
    assert summary.group("DG1").excluded_locations == ["DC06"]


def test_units_released_by_a_rejection_can_be_allocated_elsewhere() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)], location_id="DC06")
    summary.release_open("FO-1", "Rejected", "not_in_stock")
    assert summary.item("1").quantity_available_to_fulfill == 2
    assert summary.status == "ordered"
    allocate(summary, "FO-2", "DG1", [("1", 2)], location_id="ST03")
    assert summary.item("1").status == "allocated"


def test_a_location_rejecting_twice_is_excluded_once() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 1)], location_id="DC06")
    allocate(summary, "FO-2", "DG1", [("1", 1)], location_id="DC06")
    summary.release_open("FO-1", "Rejected", None)
    summary.release_open("FO-2", "Rejected", None)
    assert summary.group("DG1").excluded_locations == ["DC06"]
    assert summary.group("DG2").excluded_locations == []


@pytest.mark.parametrize("status", ["Draft", "Allocated", "Pack Complete"])
def test_a_cancellation_puts_open_units_back_without_excluding_the_location(status: str) -> None:
    summary = w1001_summary()
    fo = allocate(summary, "FO-1", "DG1", [("1", 2)], status=status)  # type: ignore[arg-type]
    assert summary.release_open("FO-1", "Canceled", "customer_request") == [("1", 2)]
    assert summary.item("1").quantity_available_to_fulfill == 2
    assert fo.status == "Canceled"
    assert summary.group("DG1").excluded_locations == []


def test_a_draft_fulfillment_order_cannot_be_rejected() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)], status="Draft")
    error = refused(summary, lambda: summary.release_open("FO-1", "Rejected", "not_in_stock"))
    assert isinstance(error, IllegalTransition)


def test_a_fulfilled_fulfillment_order_cannot_be_rejected_or_canceled() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    summary.ship("FO-1", None, "INV-1")
    rejected = refused(summary, lambda: summary.release_open("FO-1", "Rejected", None))
    canceled = refused(summary, lambda: summary.release_open("FO-1", "Canceled", None))
    assert isinstance(rejected, IllegalTransition)
    assert isinstance(canceled, IllegalTransition)


# --- summary status --------------------------------------------------------------------


def test_the_summary_status_moves_from_ordered_to_fulfilled() -> None:
    summary = w1001_summary()
    seen = [summary.status]
    allocate(summary, "FO-1", "DG1", [("1", 1)])
    seen.append(summary.status)
    allocate(summary, "FO-2", "DG1", [("1", 1)], location_id="ST03")
    allocate(summary, "FO-3", "DG2", [("2", 1)], location_id="ST012")
    seen.append(summary.status)
    summary.ship("FO-1", None, "INV-1")
    seen.append(summary.status)
    summary.ship("FO-2", None, "INV-2")
    assert summary.status == "partially fulfilled"
    summary.ship("FO-3", None, "INV-3")
    seen.append(summary.status)
    assert seen == [
        "ordered",
        "partially allocated",
        "allocated",
        "partially fulfilled",
        "fulfilled",
    ]


def test_a_summary_with_one_line_allocated_and_one_not_is_partially_allocated() -> None:
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG2", [("2", 1)], location_id="ST012")
    assert [item.status for item in summary.items] == ["ordered", "allocated"]
    assert summary.status == "partially allocated"


def test_unknown_lines_and_fulfillment_orders_are_invalid_requests() -> None:
    summary = w1001_summary()
    with pytest.raises(InvalidRequest) as caught:
        summary.item("9", "lines[3].line_id")
    assert caught.value.field == "lines[3].line_id"
    with pytest.raises(InvalidRequest) as caught:
        summary.fulfillment_order("FO-9")
    assert caught.value.field == "fulfillment_order_id"
