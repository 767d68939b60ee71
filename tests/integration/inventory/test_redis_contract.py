"""The inventory contract against RedisInventory on a real Redis server."""

from __future__ import annotations

import pytest

from tests.integration.inventory.conftest import MakeRedisInventory
from tests.unit.inventory.contract import InventoryContract, MakeInventory

pytestmark = pytest.mark.redis


class TestRedisInventoryContract(InventoryContract):
    @pytest.fixture
    def make_inventory(self, make_redis_inventory: MakeRedisInventory) -> MakeInventory:
        return make_redis_inventory
