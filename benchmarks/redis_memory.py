"""Redis memory for availability of 500 locations x 100,000 SKUs (target <= 1 GB).

Usage: .venv/bin/python benchmarks/redis_memory.py [--density realistic|dense] [--skus N]

It loads a generated catalogue through ``RedisInventory.upsert`` into a separate Redis
database (OMNIROUTE_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, which must be empty),
prints ``used_memory`` before and after, and FLUSHDBs that database at the end.

- ``realistic``: the first 10 locations (warehouses) stock every SKU, each of the other 490
  (stores) about 10% of the SKUs: about 5.9 M stocked (location, sku) pairs.
- ``dense``: every location stocks every SKU: 50 M pairs.

Packed vectors are as long as the highest slot a SKU is stocked at, so with stores among the
last slots the realistic case costs about as much as the dense one.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator

import redis

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from inventory.model import InventoryRecord
from inventory.redis_store import RedisInventory

LOCATIONS = 500
WAREHOUSES = 10
STORE_SHARE = 0.10
SKU_BATCH = 200


def batches(skus: int, density: str, rng: random.Random) -> Iterator[list[InventoryRecord]]:
    locations = [f"L{i:03d}" for i in range(LOCATIONS)]
    for start in range(0, skus, SKU_BATCH):
        batch = []
        for n in range(start, min(start + SKU_BATCH, skus)):
            sku = f"SKU-{n:06d}"
            for i, loc in enumerate(locations):
                if density == "dense" or i < WAREHOUSES or rng.random() < STORE_SHARE:
                    batch.append(InventoryRecord(loc, sku, rng.randint(0, 500), rng.randint(0, 3)))
        yield batch


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--density", choices=["realistic", "dense"], default="realistic")
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("OMNIROUTE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    client = redis.Redis.from_url(url)
    if client.dbsize():
        sys.exit(f"{url} is not empty; refusing to load (and later FLUSHDB) it")
    inventory = RedisInventory.standalone(client, prefix="omniroute-memory")
    try:
        before = used_memory(client)
        started = time.perf_counter()
        pairs = sum(
            inventory.upsert(b) for b in batches(args.skus, args.density, random.Random(args.seed))
        )
        seconds = time.perf_counter() - started
        after = used_memory(client)
        grown = after - before
        print(
            f"density={args.density} locations={LOCATIONS} skus={args.skus} stocked pairs={pairs:,}"
        )
        print(f"load: {seconds:.1f} s ({pairs / seconds:,.0f} records/s)")
        mib = grown / 2**20
        print(f"used_memory before={before:,} after={after:,} grown={grown:,} B ({mib:,.1f} MiB)")
        per_pair = grown / (args.skus * LOCATIONS)
        print(f"per SKU {grown / args.skus:,.0f} B; per (location, sku) {per_pair:.1f} B")
        print(f"target <= 1 GiB: {'met' if after <= 2**30 else 'NOT met'}")
    finally:
        client.flushdb()
        client.close()


if __name__ == "__main__":
    main()
