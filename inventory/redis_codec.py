"""What :mod:`inventory.redis_store` sends to and reads from its Lua scripts and hashes. Pure.

Reservation lines are JSON ``[[location, sku, quantity], ...]``; stock delta rows are flat
script arguments (five per row); the write-stock reply is turned back into the result and the
absolute cells of the :class:`~inventory.model.Change`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from inventory.errors import InvalidInventory, InventoryProblem
from inventory.model import (
    MAX_COUNT,
    OverReserved,
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockAdjust,
    StockCell,
    StockDelta,
    StockSet,
    StockWriteResult,
    StoredReservation,
)

RESERVATION_FIELDS = ("st", "exp", "held", "ful", "rel", "req")
MAX_PROBLEMS = 20  # as for inventory files: enough to fix a batch without flooding a log


def encode_lines(lines: Sequence[ReservationLine]) -> str:
    """The JSON kept in a reservation hash. The reserve script compares ``req`` as a string,
    so the build and ``reserve`` must both encode canonical (sorted) lines with this."""
    return json.dumps([[line.location_id, line.sku, line.quantity] for line in lines])


def decode_lines(raw: bytes | None) -> tuple[ReservationLine, ...]:
    items = json.loads(raw) if raw else []
    lines = (ReservationLine(loc, sku, int(q)) for loc, sku, q in items)
    return tuple(sorted(lines, key=lambda line: (line.location_id, line.sku)))


def stored_reservation(reservation_id: str, fields: Sequence[Any]) -> StoredReservation:
    """A reservation from the values (bytes) of ``RESERVATION_FIELDS``, in that order."""
    status, expires_at, held, fulfilled, released, request = fields
    state: ReservationStatus = status.decode()
    reservation = Reservation(
        id=reservation_id,
        lines=decode_lines(held),
        status=state,
        expires_at=float(expires_at),
        fulfilled=decode_lines(fulfilled),
        released=decode_lines(released),
    )
    return StoredReservation(reservation, decode_lines(request))


def _is_count(value: object, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_COUNT


def stock_args(deltas: Sequence[StockDelta]) -> list[str | int]:
    """The write-stock script arguments of ``deltas``; raises ``InvalidInventory`` naming
    each bad row (``[index]``) before anything is sent."""
    problems: list[InventoryProblem] = []
    args: list[str | int] = []
    for row, delta in enumerate(deltas):
        where = f"[{row}]"
        if not isinstance(delta, StockSet | StockAdjust):
            problems.append(
                InventoryProblem(where, "<row>", f"expected StockSet or StockAdjust: {delta!r}")
            )
            continue
        for field in ("location_id", "sku"):
            if not isinstance(getattr(delta, field), str) or not getattr(delta, field):
                problems.append(InventoryProblem(where, field, "expected a non-empty string"))
        if isinstance(delta, StockSet):
            for field in ("on_hand", "safety_stock"):
                value = getattr(delta, field)
                if value is not None and not _is_count(value, 0):
                    problem = f"expected None or an integer in 0..{MAX_COUNT}, got {value!r}"
                    problems.append(InventoryProblem(where, field, problem))
            on_hand, safety = delta.on_hand, delta.safety_stock
            args += ["set", delta.location_id, delta.sku]
            args += ["" if on_hand is None else on_hand, "" if safety is None else safety]
        else:
            if not _is_count(delta.adjust, -MAX_COUNT):
                problem = f"expected an integer in -{MAX_COUNT}..{MAX_COUNT}, got {delta.adjust!r}"
                problems.append(InventoryProblem(where, "adjust", problem))
            args += ["adjust", delta.location_id, delta.sku, delta.adjust, ""]
    if problems:
        raise InvalidInventory(problems[:MAX_PROBLEMS])
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
