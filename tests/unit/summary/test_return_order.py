"""Return Orders (RMA): the status machine, the line quantity rules of a receipt, and what
opening, receiving and canceling one does to the Order Summary's quantities and money."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.return_orders import cancel_return_order, open_return_order, receive
from summary.errors import IllegalTransition, InvalidRequest
from summary.return_order import (
    NEXT,
    STATUSES,
    Receipt,
    ReceiptLine,
    ReturnOrder,
    ReturnOrderLine,
    check_transition,
)
from summary.summary import OrderSummary
from tests.unit.summary.builders import allocate, w1001_summary

ALLOWED = [
    ("Submitted", "Approved"),
    ("Submitted", "Canceled"),
    ("Approved", "Received"),
    ("Approved", "Closed"),
    ("Approved", "Canceled"),
    ("Received", "Closed"),
]


def rma(expected: int = 3, status: str = "Approved") -> ReturnOrder:
    ro = ReturnOrder("RO-1", "OS-1", [ReturnOrderLine("1", "SKU-1", "damaged", expected)])
    ro.status = status  # type: ignore[assignment]
    return ro


def receipt(key: str = "k") -> Receipt:
    return Receipt(key, "fingerprint", None)


# -- the status machine -------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_each_allowed_step_is_allowed(current: str, new: str) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [pair for pair in itertools.product(STATUSES, STATUSES) if pair not in ALLOWED],
)
def test_every_other_step_is_an_illegal_transition(current: str, new: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, new)
    assert caught.value.field == "status"


def test_the_machine_only_moves_forward() -> None:
    order: dict[str, int] = {status: n for n, status in enumerate(STATUSES)}
    for current, targets in NEXT.items():
        assert all(order[new] > order[current] for new in targets)


def test_closed_and_canceled_end_a_return_order() -> None:
    assert NEXT["Closed"] == NEXT["Canceled"] == frozenset()


def test_an_unknown_status_is_an_illegal_transition() -> None:
    with pytest.raises(IllegalTransition):
        check_transition("Submitted", "Lost")


def test_canceling_cancels_every_unit_still_expected() -> None:
    ro = rma(3, "Submitted")
    assert ro.cancel() == [("1", 3)]
    assert (ro.status, ro.lines[0].quantity_canceled, ro.quantity_outstanding) == (
        "Canceled",
        3,
        0,
    )


@pytest.mark.parametrize("status", ["Received", "Closed", "Canceled"])
def test_only_a_submitted_or_approved_return_order_can_be_canceled(status: str) -> None:
    ro = rma(3, status)
    with pytest.raises(IllegalTransition):
        ro.cancel()
    assert (ro.status, ro.lines[0].quantity_canceled) == (status, 0)


# -- receipts -----------------------------------------------------------------------------


def test_units_are_received_only_once_the_return_order_is_approved() -> None:
    ro = rma(3, "Submitted")
    with pytest.raises(IllegalTransition) as caught:
        ro.record_receipt([ReceiptLine("1", 1, 1)], receipt())
    assert "approve it first" in caught.value.message
    assert ro.lines[0].quantity_received == 0


def test_a_partial_receipt_makes_it_received_and_the_rest_closes_it() -> None:
    ro = rma(3)
    ro.record_receipt([ReceiptLine("1", 2, 1, rejected=1, rejection_reason="worn")], receipt("a"))
    line = ro.lines[0]
    assert (ro.status, line.quantity_received, line.quantity_returned) == ("Received", 2, 1)
    assert (line.quantity_rejected, line.rejection_reasons, line.quantity_outstanding) == (
        1,
        ["worn"],
        1,
    )
    ro.record_receipt([ReceiptLine("1", 1, 1)], receipt("b"))
    assert (ro.status, ro.quantity_outstanding) == ("Closed", 0)
    assert ro.receipt_by_key("b") == receipt("b")


def test_canceling_the_rest_on_receipt_closes_it_and_canceling_part_keeps_it_approved() -> None:
    ro = rma(3)
    ro.record_receipt([ReceiptLine("1", 0, 0, canceled=1)], receipt("a"))
    assert (ro.status, ro.quantity_outstanding) == ("Approved", 2)
    ro.record_receipt([ReceiptLine("1", 0, 0, canceled=2)], receipt("b"))
    assert ro.status == "Closed"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (ReceiptLine("1", 4, 4), "lines[0].quantity_received"),  # more than expected
        (ReceiptLine("1", 2, 2, canceled=2), "lines[0].quantity_received"),
        (ReceiptLine("1", 0, 0, canceled=4), "lines[0].quantity_canceled"),
        (ReceiptLine("1", 2, 1), "lines[0].quantity_received"),  # ≠ returned + rejected
        (ReceiptLine("1", 0, 0), "lines[0].quantity_received"),  # nothing at all
        (ReceiptLine("1", 1, 0, rejected=1), "lines[0].rejection_reason"),
        (ReceiptLine("1", 1, 2, rejected=-1), "lines[0].quantity_rejected"),
        (ReceiptLine("9", 1, 1), "lines[0].line_id"),
    ],
)
def test_a_receipt_that_breaks_a_line_rule_names_the_field_and_changes_nothing(
    line: ReceiptLine, field: str
) -> None:
    ro = rma(3)
    before = copy.deepcopy(ro)
    with pytest.raises(InvalidRequest) as caught:
        ro.record_receipt([line], receipt())
    assert caught.value.field == field
    assert ro == before


def test_a_line_named_twice_in_one_receipt_is_refused() -> None:
    ro = rma(3)
    with pytest.raises(InvalidRequest) as caught:
        ro.record_receipt([ReceiptLine("1", 1, 1), ReceiptLine("1", 1, 1)], receipt())
    assert caught.value.field == "lines[1].line_id"
    assert ro.lines[0].quantity_received == 0


def test_an_over_receipt_after_a_partial_one_counts_what_is_still_expected() -> None:
    ro = rma(3)
    ro.record_receipt([ReceiptLine("1", 2, 2)], receipt("a"))
    with pytest.raises(InvalidRequest, match="receiving more than expected"):
        ro.record_receipt([ReceiptLine("1", 2, 2)], receipt("b"))
    assert ro.change_order_ids == [] and len(ro.receipts) == 1


# -- on the Order Summary -----------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    restock: bool
    fee_per_unit: int


class Policy:
    def for_reason(self, reason: str) -> Rule:
        return Rule(
            restock=reason != "damaged", fee_per_unit=300 if reason == "changed_mind" else 0
        )


def shipped() -> OrderSummary:
    """W-1001 with its two shirts (line 1) shipped."""
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 2)])
    summary.ship("FO-1", None, "INV-1")
    return summary


def test_opening_an_rma_makes_its_units_return_initiated() -> None:
    summary = shipped()
    ro = open_return_order(summary, "RO-1", [("1", 2, "changed_mind")], "DC01")
    item = summary.item("1")
    assert (item.quantity_return_initiated, item.quantity_available_to_return) == (2, 0)
    assert (item.status, ro.status, ro.lines[0].sku) == ("return initiated", "Submitted", "SKU-1")


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([("1", 3, "damaged")], "lines[0].quantity"),  # only 2 shipped
        ([("2", 1, "damaged")], "lines[0].quantity"),  # not shipped at all
        ([("7", 1, "damaged")], "lines[0].line_id"),
        ([("1", 1, "damaged"), ("1", 1, "worn")], "lines[1].line_id"),
        ([], "lines"),
    ],
)
def test_an_rma_expects_at_most_what_is_available_to_return(
    lines: list[tuple[str, int, str]], field: str
) -> None:
    summary = shipped()
    before = copy.deepcopy(summary)
    with pytest.raises(InvalidRequest) as caught:
        open_return_order(summary, "RO-1", lines, None)
    assert caught.value.field == field
    assert summary == before


def test_a_second_rma_sees_the_units_the_first_one_expects() -> None:
    summary = shipped()
    open_return_order(summary, "RO-1", [("1", 1, "damaged")], None)
    with pytest.raises(InvalidRequest):
        open_return_order(summary, "RO-2", [("1", 2, "damaged")], None)
    open_return_order(summary, "RO-2", [("1", 1, "damaged")], None)
    assert summary.item("1").quantity_return_initiated == 2


def test_canceling_an_rma_gives_its_units_back_to_available_to_return() -> None:
    summary = shipped()
    ro = open_return_order(summary, "RO-1", [("1", 2, "damaged")], None)
    cancel_return_order(summary, ro)
    item = summary.item("1")
    assert (item.quantity_return_initiated, item.quantity_available_to_return) == (0, 2)
    assert item.status == "fulfilled"


def test_receiving_refunds_the_returned_units_less_the_fee_and_releases_the_rejected() -> None:
    summary = shipped()
    ro = open_return_order(summary, "RO-1", [("1", 2, "changed_mind")], "DC01")
    ro.approve()
    gives_back = copy.deepcopy(summary.item("1")).return_part(1)
    grand_total = summary.totals.grand_total
    plan = receive(
        summary,
        ro,
        [ReceiptLine("1", 2, 1, rejected=1, rejection_reason="worn")],
        change_id="CO-1",
        policy=Policy(),
        key="k",
        fingerprint="f",
    )
    change = plan.change
    assert change is not None
    product, discount, tax = gives_back
    assert (change.kind, change.linked_id, change.fee) == ("return", "RO-1", 300)
    assert change.refund == product - discount + tax - 300
    assert [(x.line_id, x.quantity, x.post_fulfilment) for x in change.lines] == [("1", 1, True)]
    assert plan.restock == (("SKU-1", 1),)
    item = summary.item("1")
    assert (item.quantity_returned, item.quantity_return_initiated) == (1, 1)
    assert item.quantity_available_to_return == 1  # the rejected shirt may come back later
    assert summary.return_fees == 300
    assert summary.totals.grand_total == grand_total - change.refund
    assert ro.change_order_ids == ["CO-1"] and ro.status == "Closed"


def test_a_receipt_without_returned_units_makes_no_change_order() -> None:
    summary = shipped()
    ro = open_return_order(summary, "RO-1", [("1", 2, "damaged")], None)
    ro.approve()
    plan = receive(
        summary,
        ro,
        [ReceiptLine("1", 1, 0, rejected=1, canceled=1, rejection_reason="not ours")],
        change_id="CO-1",
        policy=None,
        key=None,
        fingerprint="f",
    )
    assert (plan.change, plan.restock, ro.change_order_ids) == (None, (), [])
    item = summary.item("1")
    assert (item.quantity_return_initiated, item.quantity_returned) == (0, 0)


def test_a_refused_receipt_changes_neither_the_summary_nor_the_rma() -> None:
    summary = shipped()
    ro = open_return_order(summary, "RO-1", [("1", 2, "damaged")], None)
    ro.approve()
    before = copy.deepcopy((summary, ro))
    with pytest.raises(InvalidRequest):
        receive(
            summary,
            ro,
            [ReceiptLine("1", 3, 3)],
            change_id="CO-1",
            policy=None,
            key=None,
            fingerprint="f",
        )
    assert (summary, ro) == before


receipts = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(receipts)
def test_any_sequence_of_receipts_keeps_the_rma_and_the_summary_in_step(
    steps: list[tuple[int, int, int]],
) -> None:
    """expected = received + canceled + still expected, received = returned + rejected, and
    the summary's units being returned are exactly what the RMA still expects."""
    summary = shipped()
    ro = open_return_order(summary, "RO-1", [("1", 2, "changed_mind")], None)
    ro.approve()
    for n, (returned, rejected, canceled) in enumerate(steps):
        got = ReceiptLine("1", returned + rejected, returned, rejected, canceled, "worn")
        before = copy.deepcopy((summary, ro))
        try:
            receive(
                summary, ro, [got], change_id=f"CO-{n}", policy=Policy(), key=None, fingerprint="f"
            )
        except (InvalidRequest, IllegalTransition):
            assert (summary, ro) == before  # a refused receipt changes nothing
        line, item = ro.lines[0], summary.item("1")
        assert line.quantity_expected == (
            line.quantity_received + line.quantity_canceled + line.quantity_outstanding
        )
        assert line.quantity_received == line.quantity_returned + line.quantity_rejected
        assert item.quantity_returned == line.quantity_returned
        assert item.quantity_return_initiated - item.quantity_returned == line.quantity_outstanding
        assert (ro.status == "Closed") == (line.quantity_outstanding == 0)
