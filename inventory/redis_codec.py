"""What :mod:`inventory.redis_store` sends to and reads from its Lua scripts and hashes. Pure.

Reservation lines are JSON ``[[location, sku, quantity], ...]``; stock delta rows are flat
script arguments (five per row); the write-stock reply is turned back into the result and the
absolute cells of the :class:`~inventory.model.Change`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inventory.checks import stored_from_text
from inventory.deltas import check_deltas
from inventory.errors import InvalidInventory, InventoryProblem
from inventory.model import (
    OverReserved,
    ReservationStatus,
    StockCell,
    StockDelta,
    StockSet,
    StockWriteResult,
    StoredReservation,
)

RESERVATION_FIELDS = ("st", "exp", "held", "ful", "rel", "req")


def stored_reservation(reservation_id: str, fields: Sequence[Any]) -> StoredReservation:
    """A reservation from the values (bytes) of ``RESERVATION_FIELDS``, in that order."""
    status, expires_at, held, fulfilled, released, request = fields
    state: ReservationStatus = status.decode()
    return stored_from_text(reservation_id, state, expires_at, held, fulfilled, released, request)


def stock_args(deltas: Sequence[StockDelta]) -> list[str | int]:
    """The write-stock script arguments of ``deltas`` (five per row), checked first by the
    shared delta rules: ``InvalidInventory`` names each bad row before anything is sent."""
    args: list[str | int] = []
    for delta in check_deltas(deltas):
        if isinstance(delta, StockSet):
            on_hand, safety = delta.on_hand, delta.safety_stock
            args += ["set", delta.location_id, delta.sku]
            args += ["" if on_hand is None else on_hand, "" if safety is None else safety]
        else:
            args += ["adjust", delta.location_id, delta.sku, delta.adjust, ""]
    return args


def refused_adjust(deltas: Sequence[StockDelta], reply: Sequence[Any]) -> InvalidInventory:
    """The error of a ``{'refused', row, on hand after, on hand before}`` reply."""
    row, after, before = (int(x) for x in reply[1:4])
    delta = deltas[row]
    problem = (
        f"would make on hand {after} at {delta.location_id} for {delta.sku} (on hand {before})"
    )
    return InvalidInventory([InventoryProblem(f"[{row}]", "adjust", problem)])


def stock_result(
    deltas: Sequence[StockDelta], figures: Sequence[Any]
) -> tuple[StockWriteResult, tuple[StockCell, ...]]:
    """The result and absolute cells of an ``{'ok', seq, figures}`` reply: on hand, reserved,
    safety stock of each distinct (location, sku), in the order the rows first name them."""
    cells = dict.fromkeys((d.location_id, d.sku) for d in deltas)
    after = {
        key: (int(figures[3 * i]), int(figures[3 * i + 1]), int(figures[3 * i + 2]))
        for i, key in enumerate(cells)
    }
    over = tuple(
        OverReserved(row, d.location_id, d.sku, on_hand, reserved)
        for row, d in enumerate(deltas)
        for on_hand, reserved, _ in [after[(d.location_id, d.sku)]]
        if reserved > on_hand
    )
    written = tuple(StockCell(loc, sku, oh, ss) for (loc, sku), (oh, _, ss) in after.items())
    return StockWriteResult(len(deltas), over), written
