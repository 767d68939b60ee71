"""The synthetic wave generator: deterministic, scarce where it says, and its files load through
the same readers as the ``omniroute`` CLI into the same wave."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.waves.generator import NOW, SHORT_HEAD, WaveSpec, generate, main
from engine.wave.model import build_wave
from flows.documents import network_from_document, read_document, read_orders_jsonl
from flows.sample import sample_skus
from inventory.memory import MemoryInventory
from inventory.records import read_records_file
from rules.loader import NetworkRefs, load_rules

SPEC = WaveSpec(orders=200, locations=30, skus=300, seed=4)


def test_the_same_spec_gives_the_same_documents_and_another_seed_others() -> None:
    one, again = generate(SPEC), generate(SPEC)
    assert one.network_document == again.network_document
    assert one.inventory_document == again.inventory_document
    assert one.order_documents == again.order_documents
    other = generate(WaveSpec(SPEC.orders, SPEC.locations, SPEC.skus, seed=5))
    assert other.order_documents != one.order_documents


def test_the_wave_has_the_shape_asked_and_scarce_popular_stock() -> None:
    wave = generate(SPEC)
    assert len(wave.orders) == SPEC.orders
    assert len(wave.network.locations) == SPEC.locations
    assert {loc.type for loc in wave.network.locations} == {"warehouse", "store"}
    assert any(loc.daily_capacity_units is not None for loc in wave.network.locations)
    assert all(1 <= len(order.lines) <= 4 for order in wave.orders)
    assert any(len({line.sku for line in o.lines}) < len(o.lines) for o in wave.orders)
    assert {order.channel for order in wave.orders} == {"web", "app", "marketplace"}
    # the popular head of the catalogue is short: fewer usable units than the wave asks
    head = set(sample_skus(SPEC.skus)[: round(SPEC.skus * SHORT_HEAD)])
    asked = sum(line.quantity for o in wave.orders for line in o.lines if line.sku in head)
    rows = [i for i, sku in enumerate(sample_skus(SPEC.skus)) if sku in head]
    usable = wave.stock.atf_matrix(sample_skus(SPEC.skus), wave.network.location_ids)[rows]
    is_store = np.array([loc.type == "store" for loc in wave.network.locations])
    kept_back = np.where(is_store & (usable > 0), 1, 0)  # the ship policy's store buffer
    assert 0 < int((usable - kept_back).clip(min=0).sum()) < asked


def test_the_files_load_as_the_cli_loads_them_into_the_same_wave(tmp_path: Path) -> None:
    assert main(["--orders", "200", "--locations", "30", "--skus", "300", "--seed", "4",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    network = network_from_document(read_document(tmp_path / "network.json"))
    rules = load_rules(tmp_path / "rules.yaml", known=NetworkRefs.from_network(network)).rules
    stock = MemoryInventory()
    stock.upsert(read_records_file(tmp_path / "inventory.json"))
    orders = read_orders_jsonl(tmp_path / "orders.jsonl")
    from_files = build_wave(orders, network=network, rules=rules, stock=stock, now=NOW)

    wave = generate(SPEC)
    assert network == wave.network
    assert rules == wave.rules
    assert orders == wave.orders
    in_memory = wave.problem()
    assert from_files.sku_ids == in_memory.sku_ids
    assert np.array_equal(from_files.stock, in_memory.stock)
    assert np.array_equal(from_files.capacity, in_memory.capacity)
    for a, b in zip(from_files.orders, in_memory.orders, strict=True):
        assert np.array_equal(a.locations, b.locations)
