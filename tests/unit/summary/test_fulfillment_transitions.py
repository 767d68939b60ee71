"""The Fulfillment Order status machine: forward only, steps may be skipped after Draft,
Canceled / Rejected / Fulfilled end it."""

from __future__ import annotations

import itertools

import pytest

from summary.errors import IllegalTransition
from summary.fulfillment import FORWARD, FulfillmentOrder, FulfillmentOrderLine, check_transition

ALL = (*FORWARD, "Canceled", "Rejected")
ACTIVE = ("Allocated", "Assigned", "Pick Complete", "Pack Complete")


@pytest.mark.parametrize(("current", "new"), list(itertools.pairwise(FORWARD)))
def test_each_step_of_the_forward_chain_is_allowed(current: str, new: str) -> None:
    check_transition(current, new)


@pytest.mark.parametrize("new", FORWARD[2:])
def test_skipping_forward_from_allocated_is_allowed(new: str) -> None:
    check_transition("Allocated", new)


@pytest.mark.parametrize(
    ("current", "new"),
    [(c, n) for c, n in itertools.product(ACTIVE, FORWARD) if FORWARD.index(n) <= FORWARD.index(c)],
)
def test_going_back_or_staying_is_an_illegal_transition(current: str, new: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, new)
    assert caught.value.field == "status"


@pytest.mark.parametrize("new", ["Allocated", "Canceled"])
def test_draft_may_become_allocated_or_canceled(new: str) -> None:
    check_transition("Draft", new)


@pytest.mark.parametrize("new", [s for s in ALL if s not in ("Allocated", "Canceled")])
def test_draft_can_become_nothing_else(new: str) -> None:
    with pytest.raises(IllegalTransition):
        check_transition("Draft", new)


@pytest.mark.parametrize(
    ("current", "new"), list(itertools.product(("Fulfilled", "Canceled", "Rejected"), ALL))
)
def test_nothing_leaves_fulfilled_canceled_or_rejected(current: str, new: str) -> None:
    with pytest.raises(IllegalTransition, match=current):
        check_transition(current, new)


@pytest.mark.parametrize("current", ACTIVE)
def test_an_active_fulfillment_order_may_be_rejected_or_canceled(current: str) -> None:
    check_transition(current, "Rejected")
    check_transition(current, "Canceled")


def test_rejected_is_not_allowed_from_draft() -> None:
    with pytest.raises(IllegalTransition, match="Draft"):
        check_transition("Draft", "Rejected")


def test_an_unknown_status_is_an_illegal_transition() -> None:
    with pytest.raises(IllegalTransition, match="unknown"):
        check_transition("Allocated", "Shipped")


def fulfillment_order(status: str = "Allocated") -> FulfillmentOrder:
    return FulfillmentOrder(
        id="FO-1",
        order_summary_id="OS-1",
        delivery_group="DG1",
        location_id="DC06",
        fulfillment_type="ship",
        lines=[FulfillmentOrderLine("1", "SKU-1", 3)],
        reservation_id="R-1",
        status=status,  # type: ignore[arg-type]
    )


def test_move_to_applies_an_allowed_step() -> None:
    fo = fulfillment_order()
    fo.move_to("Assigned")
    fo.move_to("Pack Complete")
    assert fo.status == "Pack Complete"


def test_move_to_refuses_an_illegal_step_and_keeps_the_status() -> None:
    fo = fulfillment_order("Pick Complete")
    with pytest.raises(IllegalTransition):
        fo.move_to("Assigned")
    assert fo.status == "Pick Complete"


def test_a_fulfillment_order_line_is_open_for_what_is_neither_fulfilled_nor_canceled() -> None:
    line = FulfillmentOrderLine("1", "SKU-1", 5, quantity_fulfilled=2, quantity_canceled=1)
    assert line.quantity_open == 2
