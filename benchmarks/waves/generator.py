"""Seeded synthetic waves (issue 9): a network, a rules file, scarce stock and a wave of orders.

Pure and deterministic: the same ``WaveSpec`` gives the same documents, byte for byte.

- Network: ``locations`` sites, a tenth of them warehouses, at the bundled sample network's US
  cities (lower 48; beyond its 10 warehouses and ~290 stores, more sites 50 km around them).
  Warehouses ship cheaper than stores and carry more SKUs, deeper. Half the warehouses and
  30 % of the stores have a ``daily_capacity_units`` of 60–140 % of their fair share of the
  wave's units (warehouses are expected to take 60 % of them), so capacity binds. One
  location group, ``ONLINE``.
- Rules: ``ship`` (the whole network, 3 Fulfillment Orders, line splits, a store keeps 1 unit
  back) and, for the ``marketplace`` channel (10 % of orders), ``ship-marketplace``
  (warehouses only, 2 Fulfillment Orders, no line split): each order under its own policy.
- Orders: 1–4 lines, SKUs by a Zipf-like popularity (as the sample data; a popular SKU is
  sometimes on two lines), 1–3 units, shipped to addresses around the sample network's cities.
- Stock of ``skus`` SKUs, sized to what the wave asks: the most popular tenth of the catalogue
  is short (usable units 50–90 % of the wave's demand), the rest has 100–200 % (at least one
  unit; a SKU nobody asks for gets a few). Usable means after safety stock (a quarter of the
  records hold 1–2 units) and the stores' buffer.

    .venv/bin/python -m benchmarks.waves.generator --orders 1000 --locations 100 \\
        --skus 2000 --seed 1 --out /tmp/wave
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from engine.network import Network
from engine.order import Order
from engine.wave.model import WaveProblem, build_wave
from flows.sample import sample_network, sample_skus, sku_popularity
from inventory.memory import MemoryInventory
from inventory.model import InventoryRecord
from rules.schema import Rules

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # the wave's routing time
WAREHOUSE_SHARE = 0.1
# Per location type: id prefix, cost ranges, priority range, share of the wave's units it
# takes (for its capacity: 60-140 % of that fair share, at ``capped`` of the locations), the
# chance an average SKU is carried there and the relative depth of a SKU's units there.
PROFILE: dict[str, Any] = {
    "warehouse": {
        "prefix": "DC", "shipment": (5.0, 7.0), "handling": (0.3, 0.5), "priority": (0, 1),
        "load": 0.6, "capped": 0.5, "carried": 0.6, "depth": 6.0,
    },
    "store": {
        "prefix": "ST", "shipment": (7.0, 10.0), "handling": (0.8, 1.3), "priority": (1, 4),
        "load": 0.4, "capped": 0.3, "carried": 0.15, "depth": 1.0,
    },
}  # fmt: skip
SHORT_HEAD = 0.1  # the most popular tenth of the catalogue is short
LINE_COUNT_P = (0.5, 0.28, 0.14, 0.08)  # 1..4 lines
BIG_CART_LINES = (10, 30)  # a big cart's lines, uniform (a B2B reorder, a holiday basket)
QUANTITY_P = (0.8, 0.15, 0.05)  # 1..3 units
REPEAT_SKU = 0.05  # a line repeats the previous line's SKU
MARKETPLACE = 0.1
STORE_BUFFER = 1
SITE_JITTER_KM, ADDRESS_JITTER_KM, KM_PER_DEGREE = 50.0, 30.0, 111.2
LOWER_48 = ((24.0, 50.0), (-125.0, -66.0))

IntArray = npt.NDArray[np.int64]
Document = dict[str, object]
Site = tuple[float, float]  # latitude, longitude

RULES: Document = {
    "version": 1,
    "policies": [
        {
            "name": "ship-marketplace",
            "when": {"delivery_method": "ship", "channel": "marketplace"},
            "sources": {"location_group": "ONLINE", "location_types": ["warehouse"]},
            "split": {"max_locations": 2, "line_split": False, "ship_complete": False},
            "cost": {"per_km": 0.01, "split_penalty": 5.0, "unfilled_unit_penalty": 1000.0},
        },
        {
            "name": "ship",
            "when": {"delivery_method": "ship"},
            "sources": {"location_group": "ONLINE", "location_types": ["warehouse", "store"]},
            "inventory": {"buffer_units": {"store": STORE_BUFFER, "warehouse": 0}},
            "split": {"max_locations": 3, "line_split": True, "ship_complete": False},
            "cost": {
                "per_km": 0.01,
                "split_penalty": 5.0,
                "unfilled_unit_penalty": 1000.0,
                "priority_weight": 0.1,
            },
        },
    ],
}


@dataclass(frozen=True, slots=True)
class WaveSpec:
    orders: int = 1_000
    locations: int = 100
    skus: int = 2_000
    seed: int = 1
    big_carts: bool = False  # every order 10-30 lines instead of 1-4

    def __post_init__(self) -> None:
        if min(self.orders, self.locations, self.skus) < 1:
            raise ValueError("orders, locations and skus must be positive")


class ArrayStock:
    """Available to fulfill per (SKU, location) in a matrix: the engine's ``StockReader``."""

    def __init__(self, skus: Sequence[str], location_ids: Sequence[str], atf: IntArray) -> None:
        self._row = {sku: i for i, sku in enumerate(skus)}
        self._column = {loc: j for j, loc in enumerate(location_ids)}
        self._atf = np.vstack([atf, np.zeros((1, atf.shape[1]), dtype=np.int64)])

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntArray:
        rows = [self._row.get(sku, -1) for sku in skus]  # an unknown SKU: the zero row
        columns = [self._column[loc] for loc in location_ids]
        return self._atf[np.ix_(rows, columns)]


@dataclass(frozen=True, eq=False)
class SyntheticWave:
    """One generated wave: the documents of its files and the engine objects they make."""

    spec: WaveSpec
    network_document: Document
    inventory_document: list[dict[str, object]]
    order_documents: list[Document]

    @cached_property
    def network(self) -> Network:
        return Network.model_validate(self.network_document)

    @cached_property
    def rules(self) -> Rules:
        return Rules.model_validate(RULES)

    @cached_property
    def orders(self) -> list[Order]:
        return [Order.model_validate(doc) for doc in self.order_documents]

    @cached_property
    def records(self) -> list[InventoryRecord]:
        return [InventoryRecord(**doc) for doc in self.inventory_document]  # type: ignore[arg-type]

    @cached_property
    def stock(self) -> ArrayStock:
        skus = sample_skus(self.spec.skus)
        row = {sku: i for i, sku in enumerate(skus)}
        column = {loc: j for j, loc in enumerate(self.network.location_ids)}
        atf = np.zeros((len(skus), len(column)), dtype=np.int64)
        for r in self.records:
            atf[row[r.sku], column[r.location_id]] = r.on_hand - r.safety_stock
        return ArrayStock(skus, self.network.location_ids, atf)

    def memory_inventory(self) -> MemoryInventory:
        """The same stock in the in-process inventory the CLI loads the file into."""
        inventory = MemoryInventory()
        inventory.upsert(self.records)
        return inventory

    def problem(self) -> WaveProblem:
        return build_wave(
            self.orders, network=self.network, rules=self.rules, stock=self.stock, now=NOW
        )

    def write(self, out: Path) -> dict[str, Path]:
        """network.json, inventory.json, rules.yaml and orders.jsonl in ``out``."""
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            name: out / name
            for name in ("network.json", "inventory.json", "rules.yaml", "orders.jsonl")
        }
        paths["network.json"].write_text(json.dumps(self.network_document, indent=1) + "\n")
        paths["inventory.json"].write_text(
            "[\n" + ",\n".join(json.dumps(r) for r in self.inventory_document) + "\n]\n"
        )
        header = f"# rules of a synthetic wave, {self.spec}\n"
        paths["rules.yaml"].write_text(header + yaml.safe_dump(RULES, sort_keys=False))
        orders = "".join(json.dumps(order) + "\n" for order in self.order_documents)
        paths["orders.jsonl"].write_text(orders)
        return paths


def generate(spec: WaveSpec) -> SyntheticWave:
    rng = np.random.default_rng([spec.seed, spec.orders, spec.locations, spec.skus])
    network, cities = _network(spec, rng)
    orders, demand = _orders(spec, cities, rng)
    inventory = _inventory(spec, network, demand, rng)
    return SyntheticWave(spec, network, inventory, orders)


def _sites() -> dict[str, list[Site]]:
    (lat0, lat1), (lon0, lon1) = LOWER_48
    sites: dict[str, list[Site]] = {"warehouse": [], "store": []}
    for loc in sample_network().locations:
        if lat0 <= loc.lat <= lat1 and lon0 <= loc.lon <= lon1:
            sites[loc.type].append((loc.lat, loc.lon))
    return sites


def _pick(pool: list[Site], n: int, rng: np.random.Generator) -> list[Site]:
    """``n`` of the sites in ``pool`` (each once), then more around them."""
    chosen = [pool[i] for i in rng.permutation(len(pool))[:n]]
    for k in rng.integers(0, len(pool), max(0, n - len(pool))):
        chosen.append(_jitter(pool[int(k)], SITE_JITTER_KM, rng))
    return chosen


def _jitter(at: Site, km: float, rng: np.random.Generator) -> Site:
    dlat, dlon = rng.normal(0.0, km / KM_PER_DEGREE, 2)
    lat = at[0] + dlat
    lon = at[1] + dlon / max(0.1, math.cos(math.radians(at[0])))
    return round(float(np.clip(lat, -90, 90)), 4), round(float(np.clip(lon, -180, 180)), 4)


def _network(spec: WaveSpec, rng: np.random.Generator) -> tuple[Document, list[Site]]:
    sites = _sites()
    n_warehouses = max(1, round(spec.locations * WAREHOUSE_SHARE))
    counts = {"warehouse": n_warehouses, "store": spec.locations - n_warehouses}
    units = spec.orders * 2.2  # units a wave asks for, about
    locations: list[Document] = []
    for kind, p in PROFILE.items():
        fair = p["load"] * units / max(1, counts[kind])
        for i, (lat, lon) in enumerate(_pick(sites[kind], counts[kind], rng), start=1):
            capacity = max(2, round(fair * float(rng.uniform(0.6, 1.4))))
            locations.append(
                {
                    "id": f"{p['prefix']}{i:04d}",
                    "type": kind,
                    "lat": lat,
                    "lon": lon,
                    "capabilities": ["ship", "pickup"] if kind == "store" else ["ship"],
                    "shipment_cost": round(float(rng.uniform(*p["shipment"])), 2),
                    "handling_cost_per_unit": round(float(rng.uniform(*p["handling"])), 2),
                    "priority": int(rng.integers(*p["priority"])),
                    "daily_capacity_units": capacity if rng.random() < p["capped"] else None,
                }
            )
    group = {"id": "ONLINE", "location_ids": [loc["id"] for loc in locations]}
    return {"locations": locations, "location_groups": [group]}, sites["store"]


def _orders(
    spec: WaveSpec, cities: list[Site], rng: np.random.Generator
) -> tuple[list[Document], IntArray]:
    """The orders, and the units they ask per SKU (popularity order)."""
    skus = sample_skus(spec.skus)
    if spec.big_carts:
        counts = rng.integers(BIG_CART_LINES[0], BIG_CART_LINES[1] + 1, spec.orders)
    else:
        counts = rng.choice(np.arange(1, len(LINE_COUNT_P) + 1), spec.orders, p=LINE_COUNT_P)
    n_lines = int(counts.sum())
    picks = rng.choice(spec.skus, n_lines, p=sku_popularity(spec.skus))
    repeat = rng.random(n_lines) < REPEAT_SKU
    quantities = rng.choice(np.arange(1, len(QUANTITY_P) + 1), n_lines, p=QUANTITY_P)
    near = rng.integers(0, len(cities), spec.orders)
    channel = rng.choice(["web", "app", "marketplace"], spec.orders, p=[0.63, 0.27, MARKETPLACE])
    demand = np.zeros(spec.skus, dtype=np.int64)
    orders: list[Document] = []
    start = 0
    for i, count in enumerate(counts.tolist()):
        lines: list[Document] = []
        for k in range(start, start + count):
            if k > start and repeat[k]:
                picks[k] = picks[k - 1]
            demand[picks[k]] += quantities[k]
            lines.append(
                {"id": str(k - start + 1), "sku": skus[picks[k]], "quantity": int(quantities[k])}
            )
        start += count
        lat, lon = _jitter(cities[int(near[i])], ADDRESS_JITTER_KM, rng)
        orders.append(
            {
                "id": f"W{spec.seed}-{i + 1:06d}",
                "channel": str(channel[i]),
                "lines": lines,
                "delivery": {"method": "ship", "lat": lat, "lon": lon, "country": "US"},
            }
        )
    return orders, demand


def _inventory(
    spec: WaveSpec, network: Document, demand: IntArray, rng: np.random.Generator
) -> list[dict[str, object]]:
    """Records whose usable units (after safety stock and the stores' buffer) are scarce."""
    locations: list[Document] = network["locations"]  # type: ignore[assignment]
    is_store = np.array([loc["type"] == "store" for loc in locations])
    n_loc = len(locations)
    head = np.arange(spec.skus) < max(1, round(spec.skus * SHORT_HEAD))
    ratio = np.where(head, rng.uniform(0.5, 0.9, spec.skus), rng.uniform(1.0, 2.0, spec.skus))
    spare = rng.poisson(1.0, spec.skus)  # what no order of the wave asks for
    supply = np.where(demand > 0, np.maximum(1, np.round(demand * ratio)), spare).astype(np.int64)

    breadth = np.sqrt(sku_popularity(spec.skus) * spec.skus)
    reach = np.clip(breadth / breadth.mean(), 0.5, 1.5)
    kind = ["store" if store else "warehouse" for store in is_store]
    carried_p = np.array([PROFILE[k]["carried"] for k in kind])[:, None] * reach
    carried = rng.random((n_loc, spec.skus)) < np.minimum(1.0, carried_p)
    nowhere = np.flatnonzero(~carried.any(axis=0))
    carried[rng.integers(0, n_loc, nowhere.size), nowhere] = True
    depth = np.array([PROFILE[k]["depth"] for k in kind])[:, None]
    weight = carried * depth * rng.gamma(2.0, 1.0, (n_loc, spec.skus))
    usable = np.zeros((n_loc, spec.skus), dtype=np.int64)
    for k in range(spec.skus):
        usable[:, k] = rng.multinomial(int(supply[k]), weight[:, k] / weight[:, k].sum())
    held_back = np.where(is_store[:, None], STORE_BUFFER, 0)  # a store keeps units back
    safety = np.where(rng.random((n_loc, spec.skus)) < 0.25, rng.integers(1, 3, usable.shape), 0)
    on_hand = usable + held_back + safety
    skus = sample_skus(spec.skus)
    rows, cols = np.nonzero(carried)
    return [
        {
            "location_id": str(locations[r]["id"]),
            "sku": skus[c],
            "on_hand": int(on_hand[r, c]),
            "safety_stock": int(safety[r, c]),
        }
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    wave = generate(WaveSpec(args.orders, args.locations, args.skus, args.seed))
    paths = wave.write(args.out)
    for path in paths.values():
        print(path)
    p = {name.split(".")[0]: str(path) for name, path in paths.items()}
    print(
        f"omniroute wave --network {p['network']} --inventory {p['inventory']} "
        f"--rules {p['rules']} --orders {p['orders']} --out {args.out / 'plan.jsonl'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
