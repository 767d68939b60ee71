"""A seeded race for the last units of a hot SKU, shared by the memory and Redis race tests.

Stock only goes down during the race (nobody releases), so once a one-unit request at a
location fails that location stays sold out; each hot location gets more one-unit requests
than it has usable units, so at least one fails unless stock is oversold. The check then
asserts the final figures: every hot location sold out exactly, reserved equal to the sum of
the successful reservations, and failed reservations holding nothing.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from inventory.errors import InsufficientStock, UnknownReservation
from inventory.model import InventoryRecord, ReservationLine
from inventory.ports import Inventory

HOT = "HOT-SKU"
COLD = "COLD-SKU"
HOT_STOCK = [
    InventoryRecord("L1", HOT, 10, 1),
    InventoryRecord("L2", HOT, 8, 1),
    InventoryRecord("L3", HOT, 7, 2),
]
STOCK = [*HOT_STOCK, InventoryRecord("L1", COLD, 10_000)]


@dataclass(frozen=True)
class Attempt:
    id: str
    lines: tuple[ReservationLine, ...]


def attempts(
    seed: int, extra_singles: int = 6, multis: int = 40, doubles: int = 20
) -> list[Attempt]:
    rng = random.Random(seed)
    hot = [r.location_id for r in HOT_STOCK]
    requests: list[tuple[ReservationLine, ...]] = []
    for record in HOT_STOCK:
        usable = record.on_hand - record.safety_stock
        requests += [(ReservationLine(record.location_id, HOT, 1),)] * (usable + extra_singles)
    for _ in range(multis):
        a, b = rng.sample(hot, 2)
        requests.append(
            (
                ReservationLine(a, HOT, 1),
                ReservationLine(b, HOT, 1),
                ReservationLine("L1", COLD, 1),
            )
        )
    for _ in range(doubles):
        loc = rng.choice(hot)
        requests.append((ReservationLine(loc, HOT, 1), ReservationLine(loc, HOT, 1)))
    rng.shuffle(requests)
    return [Attempt(f"race-{seed}-{i}", lines) for i, lines in enumerate(requests)]


def run(
    inventory: Inventory, mine: Sequence[Attempt], start: threading.Barrier | None
) -> list[str]:
    """Try ``mine`` in order; the ids that were reserved."""
    if start is not None:
        start.wait()
    won = []
    for attempt in mine:
        try:
            inventory.reserve(attempt.id, attempt.lines, 600)
            won.append(attempt.id)
        except InsufficientStock:
            pass
    return won


def race_threads(inventory: Inventory, all_attempts: list[Attempt], threads: int) -> set[str]:
    start = threading.Barrier(threads)
    with ThreadPoolExecutor(threads) as pool:
        shares = [all_attempts[i::threads] for i in range(threads)]
        results = list(pool.map(lambda share: run(inventory, share, start), shares))
    return {rid for won in results for rid in won}


def check_no_oversell(inventory: Inventory, all_attempts: list[Attempt], won: set[str]) -> None:
    held: dict[tuple[str, str], int] = {}
    for attempt in all_attempts:
        if attempt.id not in won:
            try:
                inventory.get_reservation(attempt.id)
            except UnknownReservation:
                continue
            raise AssertionError(f"failed reservation {attempt.id} exists")
        reservation = inventory.get_reservation(attempt.id)
        assert reservation.status == "active"
        assert sum(line.quantity for line in reservation.lines) == sum(
            line.quantity for line in attempt.lines
        )
        for line in attempt.lines:
            key = (line.location_id, line.sku)
            held[key] = held.get(key, 0) + line.quantity
    for record in STOCK:
        figures = inventory.availability(record.location_id, record.sku)
        assert figures.reserved == held.get((record.location_id, record.sku), 0), record
        assert figures.available_to_fulfill >= 0, record
    for record in HOT_STOCK:
        figures = inventory.availability(record.location_id, HOT)
        assert figures.available_to_fulfill == 0, f"{record.location_id} not sold out exactly"
        assert figures.reserved == record.on_hand - record.safety_stock
