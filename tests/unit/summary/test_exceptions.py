"""Process Exceptions: a short message, the full text kept, and a status that only moves
forward (new → in progress → resolved, or voided)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from summary.errors import IllegalTransition
from summary.exceptions import ProcessException, new_exception

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)


def exception(
    message: str = "location DC06 rejected FO-1", description: str = ""
) -> ProcessException:
    return new_exception(
        id="PE-1",
        order_summary_id="OS-1",
        category="fulfillment",
        message=message,
        attached=("fulfillment_order", "FO-1"),
        now=NOW,
        description=description,
    )


def test_a_new_exception_is_new_active_and_attached_to_its_record() -> None:
    pe = exception(description="details")
    assert (pe.status, pe.active) == ("new", True)
    assert (pe.message, pe.description) == ("location DC06 rejected FO-1", "details")
    assert (pe.attached_kind, pe.attached_id, pe.order_summary_id) == (
        "fulfillment_order",
        "FO-1",
        "OS-1",
    )
    assert (pe.category, pe.severity, pe.priority) == ("fulfillment", "high", "high")
    assert pe.created_at == pe.updated_at == NOW


def test_a_message_of_255_characters_is_kept_whole() -> None:
    message = "m" * 255
    pe = exception(message)
    assert pe.message == message
    assert pe.description == ""


def test_a_long_message_is_cut_to_255_characters_and_kept_whole_in_the_description() -> None:
    message = "".join(str(i % 10) for i in range(600))
    pe = exception(message, description="more context")
    assert len(pe.message) == 255
    assert pe.message.startswith(message[:254])
    assert message in pe.description
    assert "more context" in pe.description


def test_an_exception_moves_from_new_to_in_progress_to_resolved() -> None:
    pe = exception()
    pe.move_to("in_progress", LATER)
    assert (pe.status, pe.active, pe.updated_at) == ("in_progress", True, LATER)
    pe.move_to("resolved", LATER + timedelta(hours=1), note="rerouted to ST03")
    assert (pe.status, pe.active, pe.note) == ("resolved", False, "rerouted to ST03")
    assert pe.created_at == NOW


def test_a_new_exception_can_be_voided() -> None:
    pe = exception()
    pe.move_to("voided", LATER)
    assert (pe.status, pe.active) == ("voided", False)


@pytest.mark.parametrize("end", ["resolved", "voided"])
@pytest.mark.parametrize("status", ["new", "in_progress", "resolved", "voided"])
def test_nothing_leaves_resolved_or_voided(end: str, status: str) -> None:
    pe = exception()
    pe.move_to(end, LATER)  # type: ignore[arg-type]
    with pytest.raises(IllegalTransition):
        pe.move_to(status, LATER + timedelta(hours=1))  # type: ignore[arg-type]
    assert (pe.status, pe.updated_at) == (end, LATER)


def test_an_in_progress_exception_cannot_go_back_to_new() -> None:
    pe = exception()
    pe.move_to("in_progress", LATER)
    with pytest.raises(IllegalTransition):
        pe.move_to("new", LATER)


@pytest.mark.parametrize(
    ("status", "active"),
    [("new", True), ("in_progress", True), ("resolved", False), ("voided", False)],
)
def test_active_means_new_or_in_progress(status: str, active: bool) -> None:
    pe = exception()
    pe.status = status  # type: ignore[assignment]
    assert pe.active is active
