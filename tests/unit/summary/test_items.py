"""Order Item Summaries: the quantity algebra and the derived line status, evaluated in the
reference's order (SOM b.2), first match wins."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summary.items import OrderItemSummary, item_status


def item(
    ordered: int,
    *,
    canceled: int = 0,
    allocated: int = 0,
    fulfilled: int = 0,
    return_initiated: int = 0,
    returned: int = 0,
    reshipped: int = 0,
) -> OrderItemSummary:
    return OrderItemSummary(
        line_id="1",
        sku="SKU-1",
        delivery_group="DG1",
        unit_price=1000,
        tax=160,
        discount=100,
        quantity_ordered=ordered,
        quantity_canceled=canceled,
        quantity_allocated=allocated,
        quantity_fulfilled=fulfilled,
        quantity_return_initiated=return_initiated,
        quantity_returned=returned,
        quantity_reshipped=reshipped,
    )


def test_net_ordered_is_ordered_minus_canceled() -> None:
    assert item(5, canceled=2).quantity_net_ordered == 3


def test_quantity_is_ordered_minus_canceled_minus_returned() -> None:
    line = item(5, canceled=1, allocated=4, fulfilled=4, return_initiated=2, returned=2)
    assert line.quantity == 2


def test_available_to_fulfill_is_ordered_minus_canceled_minus_allocated() -> None:
    assert item(5, canceled=1, allocated=3).quantity_available_to_fulfill == 1
    assert item(5).quantity_available_to_fulfill == 5
    assert item(5, canceled=5).quantity_available_to_fulfill == 0


def test_available_to_cancel_is_available_to_fulfill() -> None:
    line = item(5, canceled=1, allocated=3, fulfilled=2)
    assert line.quantity_available_to_cancel == line.quantity_available_to_fulfill == 1


def test_available_to_return_is_fulfilled_minus_return_initiated() -> None:
    assert item(5, allocated=4, fulfilled=4, return_initiated=1).quantity_available_to_return == 3
    assert item(5, allocated=4).quantity_available_to_return == 0


@st.composite
def consistent_items(draw: st.DrawFn) -> OrderItemSummary:
    ordered = draw(st.integers(1, 20))
    canceled = draw(st.integers(0, ordered))
    allocated = draw(st.integers(0, ordered - canceled))
    fulfilled = draw(st.integers(0, allocated))
    return_initiated = draw(st.integers(0, fulfilled))
    returned = draw(st.integers(0, return_initiated))
    return item(
        ordered,
        canceled=canceled,
        allocated=allocated,
        fulfilled=fulfilled,
        return_initiated=return_initiated,
        returned=returned,
    )


@settings(max_examples=200, deadline=None)
@given(line=consistent_items())
def test_quantity_algebra_holds_for_any_consistent_line(line: OrderItemSummary) -> None:
    assert line.quantity_net_ordered == line.quantity_ordered - line.quantity_canceled
    assert (
        line.quantity_available_to_fulfill
        == line.quantity_available_to_cancel
        == line.quantity_net_ordered - line.quantity_allocated
        >= 0
    )
    assert line.quantity_available_to_return == (
        line.quantity_fulfilled - line.quantity_return_initiated
    )
    assert line.status == item_status(line)


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (item(2), "ordered"),
        (item(2, allocated=1), "partially allocated"),
        (item(2, allocated=2), "allocated"),
        (item(3, canceled=1, allocated=2), "allocated"),
        (item(2, allocated=2, fulfilled=1), "partially fulfilled"),
        (item(3, allocated=1, fulfilled=1), "partially fulfilled"),
        (item(2, allocated=2, fulfilled=2), "fulfilled"),
        (item(3, canceled=1, allocated=2, fulfilled=2), "fulfilled"),
        (item(2, canceled=2), "canceled"),
        (item(2, allocated=2, fulfilled=2, return_initiated=2, returned=2), "returned"),
        (item(2, allocated=2, fulfilled=2, return_initiated=2), "return initiated"),
        (item(2, allocated=2, fulfilled=2, return_initiated=2, returned=1), "return initiated"),
        (item(1, allocated=1, fulfilled=1, reshipped=1), "reshipped"),
    ],
    ids=[
        "ordered",
        "partially allocated",
        "allocated",
        "allocated after a partial cancel",
        "partially fulfilled",
        "partially fulfilled with units unallocated",
        "fulfilled",
        "fulfilled after a partial cancel",
        "canceled",
        "returned",
        "return initiated",
        "return initiated with part returned",
        "reshipped",
    ],
)
def test_item_status_for_each_status_of_the_evaluation_order(
    line: OrderItemSummary, status: str
) -> None:
    assert item_status(line) == status
    assert line.status == status


def test_return_initiated_wins_over_fulfilled() -> None:
    # every fulfilled unit has a return initiated: the first rule matches before "fulfilled"
    assert item(2, allocated=2, fulfilled=2, return_initiated=2).status == "return initiated"


def test_a_return_initiated_for_part_of_the_fulfilled_units_stays_fulfilled() -> None:
    assert item(2, allocated=2, fulfilled=2, return_initiated=1).status == "fulfilled"


def test_a_partial_return_leaves_the_line_fulfilled() -> None:
    line = item(2, allocated=2, fulfilled=2, return_initiated=1, returned=1)
    assert line.status == "fulfilled"


def test_returned_wins_over_canceled_when_nothing_is_left() -> None:
    line = item(2, canceled=1, allocated=1, fulfilled=1, return_initiated=1, returned=1)
    assert line.quantity == 0
    assert line.status == "returned"


def test_reshipped_wins_over_returned() -> None:
    line = item(1, allocated=1, fulfilled=1, return_initiated=1, returned=1, reshipped=1)
    assert line.status == "reshipped"


def test_a_partial_cancel_of_an_unallocated_line_stays_ordered() -> None:
    assert item(3, canceled=1).status == "ordered"
