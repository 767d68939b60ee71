"""The inventory contract against the in-process MemoryInventory."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inventory.memory import MemoryInventory
from tests.unit.inventory.contract import InventoryContract, MakeInventory


class TestMemoryInventoryContract(InventoryContract):
    @pytest.fixture
    def make_inventory(self) -> MakeInventory:
        def make(clock: Callable[[], float]) -> MemoryInventory:
            return MemoryInventory(clock=clock)

        return make
