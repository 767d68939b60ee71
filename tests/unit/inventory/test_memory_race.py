"""Threads racing for the last units of a hot SKU in MemoryInventory never oversell."""

from __future__ import annotations

import pytest

from inventory.memory import MemoryInventory
from tests.unit.inventory import race


@pytest.mark.parametrize("seed", [1, 2])
def test_threads_racing_for_the_last_units_reserve_exactly_the_usable_stock(seed: int) -> None:
    inventory = MemoryInventory()
    inventory.upsert(race.STOCK)
    attempts = race.attempts(seed)
    won = race.race_threads(inventory, attempts, threads=8)
    race.check_no_oversell(inventory, attempts, won)
