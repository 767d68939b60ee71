"""What only the Redis adapter has: key layout, shared state between clients, errors."""

from __future__ import annotations

import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

import inventory.redis_store as redis_store
from inventory.errors import InventoryUnavailable
from inventory.model import InventoryRecord, ReservationLine
from inventory.redis_store import RedisInventory
from tests.conftest import delete_redis_prefix
from tests.integration.inventory.conftest import MakeRedisInventory
from tests.unit.inventory.contract import FakeClock

pytestmark = pytest.mark.redis


def test_one_skus_keys_share_a_cluster_slot(
    make_redis_inventory: MakeRedisInventory, redis_client: redis.Redis
) -> None:
    inventory = make_redis_inventory()
    inventory.upsert([InventoryRecord("DC01", "SKU-1", 5), InventoryRecord("ST01", "SKU-1", 2)])
    keys = list(redis_client.scan_iter(match=f"{inventory.namespace}:{{SKU-1}}:*"))
    assert len(keys) == 2
    assert len({key_slot(key) for key in keys}) == 1


def test_another_client_sees_new_locations_in_its_cached_reads(
    make_redis_inventory: MakeRedisInventory,
) -> None:
    writer = make_redis_inventory()
    reader = make_redis_inventory(prefix=writer.prefix)
    writer.upsert([InventoryRecord("DC01", "SKU-1", 5)])
    assert reader.atf_matrix(["SKU-1"], ["DC01", "ST01"]).tolist() == [[5, 0]]
    writer.upsert([InventoryRecord("ST01", "SKU-1", 3)])
    assert reader.atf_matrix(["SKU-1"], ["DC01", "ST01"]).tolist() == [[5, 3]]
    assert reader.availability("ST01", "SKU-1").on_hand == 3
    assert reader.group_availability(["DC01", "ST01"], "SKU-1").on_hand == 5 + 3


def test_bulk_upsert_and_reads_span_several_chunks(
    make_redis_inventory: MakeRedisInventory,
) -> None:
    inventory = make_redis_inventory()
    count = redis_store.UPSERT_CHUNK * 2 + 7
    records = [InventoryRecord(f"L{i % 50}", f"SKU-{i // 50}", i, i % 3) for i in range(count)]
    assert inventory.upsert(records) == count
    figures = inventory.availability_many([(r.location_id, r.sku) for r in records])
    assert [(f.on_hand, f.safety_stock) for f in figures] == [
        (r.on_hand, r.safety_stock) for r in records
    ]


def test_expire_due_expires_more_than_one_sweep_holds(
    make_redis_inventory: MakeRedisInventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_store, "SWEEP_LIMIT", 3)
    clock = FakeClock()
    inventory = make_redis_inventory(clock)
    inventory.upsert([InventoryRecord("DC01", "SKU-1", 100)])
    for i in range(7):
        inventory.reserve(f"R{i}", [ReservationLine("DC01", "SKU-1", 1)], 60)
    clock.advance(60)
    assert inventory.expire_due() == 7
    assert inventory.availability("DC01", "SKU-1").reserved == 0


def test_closed_reservations_are_kept_for_the_retention_period_only(
    make_redis_inventory: MakeRedisInventory, redis_client: redis.Redis
) -> None:
    inventory = make_redis_inventory()
    inventory.upsert([InventoryRecord("DC01", "SKU-1", 5)])
    inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 1)], 60)
    key = f"{inventory.namespace}:res:R1"
    assert redis_client.ttl(key) == -1  # active: kept until released, fulfilled or expired
    inventory.release("R1")
    assert 0 < redis_client.ttl(key) <= redis_store.DEFAULT_RETENTION_SECONDS


def test_unreachable_redis_raises_inventory_unavailable() -> None:
    no_retry = Retry(NoBackoff(), retries=0)
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=no_retry)
    inventory = RedisInventory(client, prefix="omniroute-test:unreachable")
    with pytest.raises(InventoryUnavailable):
        inventory.atf_matrix(["SKU-1"], ["DC01"])
    with pytest.raises(InventoryUnavailable):
        inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 1)], 60)


@pytest.mark.parametrize("prefix", ["", "bad{prefix}"])
def test_prefix_with_braces_or_empty_is_refused(redis_client: redis.Redis, prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        RedisInventory(redis_client, prefix=prefix)


def test_client_decoding_replies_is_refused(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(ValueError, match="decode_responses"):
        RedisInventory(client, prefix="omniroute-test:x")


def test_a_script_flushed_from_redis_is_loaded_again_on_its_next_call(
    make_redis_inventory: MakeRedisInventory, redis_client: redis.Redis
) -> None:
    inventory = make_redis_inventory()
    inventory.upsert([InventoryRecord("DC01", "SKU-1", 5)])
    inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 1)], 60)
    redis_client.script_flush()
    inventory.reserve("R2", [ReservationLine("DC01", "SKU-1", 2)], 60)
    assert inventory.availability("DC01", "SKU-1").reserved == 3


def test_connections_redis_closed_are_replaced_before_the_next_read_and_script(
    make_redis_inventory: MakeRedisInventory, redis_url: str
) -> None:
    name = f"lean-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url, client_name=name)
    inventory = RedisInventory.standalone(client, prefix=f"omniroute-test:{name}")
    try:
        inventory.upsert([InventoryRecord("DC01", "SKU-1", 5)])
        assert inventory.atf_matrix(["SKU-1"], ["DC01"]).tolist() == [[5]]
        admin = redis.Redis.from_url(redis_url)
        killed = [c["id"] for c in admin.client_list() if c.get("name") == name]
        for client_id in killed:
            admin.client_kill_filter(_id=client_id)
        admin.close()
        assert killed  # the pooled connections were open, and are now closed by Redis
        assert inventory.atf_matrix(["SKU-1"], ["DC01"]).tolist() == [[5]]
        assert inventory.reserve("R1", [ReservationLine("DC01", "SKU-1", 1)], 60).status == "active"
    finally:
        client.close()
        delete_redis_prefix(redis_url, f"omniroute-test:{name}")
