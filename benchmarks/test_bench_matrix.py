"""Engine-only route preview over a matrix of order and network shapes (issue 7).

Each cell of the matrix is one combination of

- catalogue: 50 or 2,000 SKUs (orders pick SKUs by a Zipf-like popularity, so a 50-SKU
  catalogue gives carts with the same SKU on several lines);
- stock: each SKU is held (1–7 on hand) at 10 %, 30 % or 60 % of the locations, at random;
- quantities: 1–2 or 1–5 units per line (uniform);
- lines: 1, 5, 10 or 20 per order;
- locations: 50, 500 or 2,000 (a fifth of them warehouses, the rest stores; every one ships),
  at random points of the lower 48's bounding box, costs as in ``test_bench_preview``;
- fence: none, or ``max_distance_km: 800``;

with the rules ``max_locations: 3``, ``line_split: true``, ``per_km: 0.01``,
``split_penalty: 2``, ``unfilled_unit_penalty: 1000`` and one unit held back at stores.
Everything is seeded from the cell's own parameters: a cell gives the same network, stock and
orders whatever else runs, and the fenced and unfenced cells of a shape share them.

Per cell, ``N`` distinct orders (300; 150 or 60 where a preview takes milliseconds: see
``Cell.default_orders``) go through ``engine.preview.preview`` (stock is an in-memory matrix,
no I/O) after a short warm-up on other orders of the same shape (20, or 5 from 10 lines; an
order shape the DP has not seen yet still builds its tables inside the timed call, as on a
server); each order's latency (``perf_counter_ns``) and solver path
(``answer.explanation.solver``) are recorded. The "on CPU" column is this thread's CPU time
over the wall time of the timed calls: well under 100 % means other processes took the core
(a shared machine), and such a cell is run again (``--retries``).

    .venv/bin/python -m benchmarks.test_bench_matrix                # all 288 cells (5-6 min)
    .venv/bin/python -m benchmarks.test_bench_matrix --quick        # 1 / 5 / 20 lines, no 30 %
    .venv/bin/python -m benchmarks.test_bench_matrix --cells 'lines=20,locations=2000'
    .venv/bin/python -m benchmarks.test_bench_matrix dense          # the issue's dense case
    .venv/bin/python -m benchmarks.test_bench_matrix --orders 1000 --json out.json

It prints a markdown table, one row per cell, for the README. Targets (issue 7, engine only):
cells with ≤ 5 lines and ≤ 500 locations p50 ≤ 0.1 ms and p99 ≤ 1 ms; 20 lines × 2,000
locations p99 ≤ 20 ms; the other cells have none (—). Under pytest a handful of cells run
once as smoke tests that check every answer against the objective (no timing is asserted).
The HTTP side of the dense case is ``benchmarks/http_dense.py``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.test_bench_preview import NOW, MatrixStock
from engine.answer import PreviewAnswer
from engine.network import Location, Network
from engine.order import Order
from engine.preview import preview
from rules.schema import Rules

CATALOGUES = (50, 2_000)
STOCK_SHARES = (0.1, 0.3, 0.6)
QUANTITIES = (2, 5)  # the most units of a line; the least is 1
LINES = (1, 5, 10, 20)
LOCATIONS = (50, 500, 2_000)
FENCES = (False, True)
FENCE_KM = 800.0

ZIPF_EXPONENT = 0.9  # SKU popularity, as in the sample data (flows/sample.py)
WAREHOUSE_SHARE = 0.2
MAX_ON_HAND = 7
LAT, LON = (30.0, 47.0), (-120.0, -75.0)
EARTH_RADIUS_KM = 6371.0088
SEED = 2026
# The solver path's default wall-time budget (engine.params.SolveParams.time_limit_s): a
# preview that takes this long ran out of it, and its route 1 may not be proven optimal.
BUDGET_NS = 500_000_000


@dataclass(frozen=True, slots=True)
class Cell:
    catalogue: int
    stock_share: float
    max_quantity: int
    lines: int
    locations: int
    fence: bool

    @property
    def target(self) -> tuple[float | None, float] | None:
        """(p50, p99) bounds in ms, or None for a cell without a target."""
        if self.lines <= 5 and self.locations <= 500:
            return (0.1, 1.0)
        if self.lines == 20 and self.locations == 2_000:
            return (None, 20.0)
        return None

    @property
    def default_orders(self) -> int:
        """Orders per cell in a full run: 300, fewer where one preview takes milliseconds."""
        if self.lines == 20:
            return {50: 300, 500: 150, 2_000: 60}[self.locations]
        if self.lines == 10 and self.locations == 2_000:
            return 150
        return 300

    def label(self) -> str:
        return (
            f"catalogue={self.catalogue},stock={round(self.stock_share * 100)},"
            f"qty=1-{self.max_quantity},lines={self.lines},locations={self.locations},"
            f"fence={'on' if self.fence else 'off'}"
        )


# The dense case: 500 locations, a 50-SKU assortment held at about half of them,
# 5 lines of 1-3 units, no distance fence.
DENSE = Cell(50, 0.5, 3, 5, 500, False)


def all_cells() -> list[Cell]:
    return [
        Cell(*values)
        for values in itertools.product(
            CATALOGUES, STOCK_SHARES, QUANTITIES, LINES, LOCATIONS, FENCES
        )
    ]


def quick_cells() -> list[Cell]:
    """A 72-cell subset: 1, 5 and 20 lines, stock at 10 % and 60 %."""
    return [c for c in all_cells() if c.lines != 10 and c.stock_share != 0.3]


def rules_document(fence: bool) -> dict[str, object]:
    """The rules file of a cell (one ship policy)."""
    policy: dict[str, object] = {
        "name": "ship",
        "when": {"delivery_method": "ship"},
        "inventory": {"buffer_units": {"store": 1}},
        "split": {"max_locations": 3, "line_split": True},
        "cost": {"per_km": 0.01, "split_penalty": 2.0, "unfilled_unit_penalty": 1000.0},
    }
    if fence:
        policy["sources"] = {"max_distance_km": FENCE_KM}
    return {"version": 1, "policies": [policy]}


@cache
def rules_for(fence: bool) -> Rules:
    return Rules.model_validate(rules_document(fence))


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([SEED, *key]))


@cache
def network_of(n_locations: int) -> Network:
    rng = _rng(1, n_locations)
    lat = rng.uniform(*LAT, n_locations)
    lon = rng.uniform(*LON, n_locations)
    is_warehouse = rng.random(n_locations) < WAREHOUSE_SHARE
    shipment = rng.choice([4.0, 6.0, 8.0], n_locations)
    handling = rng.choice([0.2, 0.4, 0.8], n_locations)
    priority = rng.integers(0, 3, n_locations)
    return Network(
        locations=tuple(
            Location(
                id=f"L{i:05d}",
                type="warehouse" if is_warehouse[i] else "store",
                lat=float(lat[i]),
                lon=float(lon[i]),
                capabilities=("ship", "pickup"),
                shipment_cost=float(shipment[i]),
                handling_cost_per_unit=float(handling[i]),
                priority=int(priority[i]),
            )
            for i in range(n_locations)
        )
    )


def skus_of(catalogue: int) -> list[str]:
    """``SKU-00001`` … in popularity order."""
    return [f"SKU-{k:05d}" for k in range(1, catalogue + 1)]


@cache
def stock_of(catalogue: int, stock_share: float, n_locations: int) -> MatrixStock:
    rng = _rng(2, catalogue, round(stock_share * 1000), n_locations)
    held = rng.random((catalogue, n_locations)) < stock_share
    on_hand = rng.integers(1, MAX_ON_HAND + 1, (catalogue, n_locations))
    atf = np.where(held, on_hand, 0).astype(np.int64)
    return MatrixStock(skus_of(catalogue), network_of(n_locations).location_ids, atf)


def orders_of(cell: Cell, n_orders: int, stream: int = 0) -> list[Order]:
    """``n_orders`` ship orders of ``cell``'s shape to random points of the network's area.
    ``stream`` 0 is measured; another stream gives other orders (the warm-up's)."""
    rng = _rng(3, stream, cell.catalogue, cell.max_quantity, cell.lines, cell.locations)
    weights = 1.0 / np.arange(1, cell.catalogue + 1) ** ZIPF_EXPONENT
    skus = skus_of(cell.catalogue)
    picks = rng.choice(cell.catalogue, (n_orders, cell.lines), p=weights / weights.sum())
    quantities = rng.integers(1, cell.max_quantity + 1, (n_orders, cell.lines))
    lat = rng.uniform(*LAT, n_orders)
    lon = rng.uniform(*LON, n_orders)
    return [
        Order.model_validate(
            {
                "id": f"O{stream}-{k:05d}",
                "lines": [
                    {"id": str(j + 1), "sku": skus[int(s)], "quantity": int(q)}
                    for j, (s, q) in enumerate(zip(picks[k], quantities[k], strict=True))
                ],
                "delivery": {"method": "ship", "lat": float(lat[k]), "lon": float(lon[k])},
            }
        )
        for k in range(n_orders)
    ]


@dataclass
class CellResult:
    cell: Cell
    latencies_ns: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # each order's solver path
    solvers: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    repeated_sku_orders: int = 0
    cpu_ns: int = 0  # this thread's CPU time over the timed previews
    seconds: float = 0.0

    @property
    def n(self) -> int:
        return len(self.latencies_ns)

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(np.asarray(self.latencies_ns), q)) / 1e6

    @property
    def on_cpu(self) -> float:
        """CPU time / wall time of the timed previews: well under 1 when other processes
        took the core (a shared machine), so that cell's figures are inflated."""
        return self.cpu_ns / max(1, sum(self.latencies_ns))

    def by_path(self) -> dict[str, dict[str, float]]:
        """Per solver path: share of the orders, p50 and p99 (ms) of its orders."""
        times = np.asarray(self.latencies_ns) / 1e6
        paths = np.asarray(self.paths)
        return {
            name: {
                "share": count / self.n,
                "p50_ms": float(np.percentile(times[paths == name], 50)),
                "p99_ms": float(np.percentile(times[paths == name], 99)),
            }
            for name, count in self.solvers.most_common()
        }

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ns) / 1e6

    def verdict(self) -> str:
        """✓ / ✗ (naming the missed percentile) / — for a cell without a target."""
        target = self.cell.target
        if target is None:
            return "—"
        p50_max, p99_max = target
        missed = []
        if p50_max is not None and self.percentile_ms(50) > p50_max:
            missed.append("p50")
        if self.percentile_ms(99) > p99_max:
            missed.append("p99")
        return "✗ " + ", ".join(missed) if missed else "✓"

    @property
    def at_budget(self) -> int:
        """Orders whose preview ran into the solver's time budget."""
        return sum(1 for ns in self.latencies_ns if ns >= BUDGET_NS)

    def shares(self) -> str:
        text = " · ".join(
            f"{name} {100 * count / self.n:.0f}%" for name, count in self.solvers.most_common()
        )
        if self.at_budget:
            text += f" ({100 * self.at_budget / self.n:.0f}% at the 0.5 s budget)"
        return text

    def summary(self) -> dict[str, object]:
        return {
            **asdict(self.cell),
            "orders": self.n,
            "mean_ms": float(np.mean(self.latencies_ns)) / 1e6,
            "p50_ms": self.percentile_ms(50),
            "p90_ms": self.percentile_ms(90),
            "p99_ms": self.percentile_ms(99),
            "max_ms": self.max_ms,
            "solvers": self.by_path(),
            "statuses": dict(self.statuses),
            "repeated_sku_orders": self.repeated_sku_orders,
            "at_budget": self.at_budget,
            "on_cpu": self.on_cpu,
            "target": self.cell.target,
            "verdict": self.verdict(),
            "seconds": self.seconds,
        }


def run_cell(
    cell: Cell, n_orders: int | None = None, warmup: int | None = None, check: bool = False
) -> CellResult:
    """Preview ``n_orders`` orders of ``cell`` (default: ``cell.default_orders``) one by one,
    timing each, after ``warmup`` other orders (default 20, 5 from 10 lines: those take the
    set search, whose orders cost milliseconds); with ``check``, verify every answer against
    the objective too."""
    if warmup is None:
        warmup = 20 if cell.lines <= 5 else 5
    started = time.perf_counter()
    network = network_of(cell.locations)
    stock = stock_of(cell.catalogue, cell.stock_share, cell.locations)
    rules = rules_for(cell.fence)
    orders = orders_of(cell, n_orders or cell.default_orders)

    def one(order: Order) -> PreviewAnswer:
        return preview(
            order, network=network, rules=rules, rules_version="bench", stock=stock, now=NOW
        )

    for order in orders_of(cell, warmup, stream=1):
        one(order)
    result = CellResult(cell)
    gc.collect()
    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    for order in orders:
        cpu_start = cpu()
        start = clock()
        answer = one(order)
        result.latencies_ns.append(clock() - start)
        result.cpu_ns += cpu() - cpu_start
        result.paths.append(answer.explanation.solver)
        result.solvers[answer.explanation.solver] += 1
        result.statuses[answer.status] += 1
        if len({line.sku for line in order.lines}) < len(order.lines):
            result.repeated_sku_orders += 1
        if check:
            check_answer(answer, order, network, stock, rules)
    result.seconds = time.perf_counter() - started
    return result


# --- correctness: an answer is a feasible route set whose costs follow the objective ---


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def check_answer(
    answer: PreviewAnswer, order: Order, network: Network, stock: MatrixStock, rules: Rules
) -> None:
    """Assert that ``answer`` is DESIGN.md's preview answer for ``order``: it validates, its
    status matches its best route, and every route is feasible and costed by the objective."""
    PreviewAnswer.model_validate(answer.model_dump(mode="json"))
    policy = rules.policies[0]
    assert answer.order_id == order.id and answer.policy == policy.name
    solver = answer.explanation.solver
    if answer.status == "unroutable":
        assert not answer.routes and answer.reason, answer
        # a candidate with usable stock could always ship a unit
        assert answer.explanation.stocked == 0, answer
        return
    assert solver in ("dp", "search", "mip", "cpsat") and answer.explanation.stocked > 0, answer
    assert answer.routes and answer.reason is None, answer
    best_unfilled = sum(u["quantity"] for u in answer.routes[0].unfilled)
    assert (answer.status == "partial") == (best_unfilled > 0), answer
    costs = [route.cost for route in answer.routes]
    assert costs == sorted(costs), costs
    assert [route.rank for route in answer.routes] == list(range(1, len(answer.routes) + 1))
    wanted = {line.id: (line.sku, line.quantity) for line in order.lines}
    dest = order.delivery
    assert dest.method == "ship"
    for route in answer.routes:
        assert 1 <= len(route.fulfillment_orders) <= policy.split.max_locations
        got: Counter[str] = Counter()
        taken: Counter[tuple[str, str]] = Counter()
        sources: dict[str, set[str]] = {}
        cost = 0.0
        for fo in route.fulfillment_orders:
            loc = network.locations[network.index[fo.location_id]]
            km = haversine_km(loc.lat, loc.lon, dest.lat, dest.lon)
            assert abs(fo.distance_km - km) < 0.01, (fo.distance_km, km)
            fence = policy.sources.max_distance_km
            assert fence is None or km <= fence + 1e-6, (km, fence)
            units = 0
            for line in fo.lines:
                assert wanted[line["line_id"]][0] == line["sku"] and line["quantity"] > 0
                got[line["line_id"]] += line["quantity"]
                taken[(fo.location_id, line["sku"])] += line["quantity"]
                sources.setdefault(line["line_id"], set()).add(fo.location_id)
                units += line["quantity"]
            assert units > 0
            per_unit = loc.handling_cost_per_unit + policy.cost.priority_weight * loc.priority
            cost += loc.shipment_cost + policy.cost.per_km * km + units * per_unit
        unfilled = 0
        for line in route.unfilled:
            got[line["line_id"]] += line["quantity"]
            unfilled += line["quantity"]
        assert got == Counter({lid: q for lid, (_, q) in wanted.items()}), (got, wanted)
        for (loc_id, sku), quantity in taken.items():
            i = network.index[loc_id]
            buffer = policy.inventory.buffer_for(network.locations[i].type)
            usable = max(0, int(stock.atf[stock.rows[sku], i]) - buffer)
            assert quantity <= usable, (loc_id, sku, quantity, usable)
        if not policy.split.line_split:
            assert all(len(s) == 1 for s in sources.values())
        cost += policy.cost.split_penalty * (len(route.fulfillment_orders) - 1)
        cost += policy.cost.unfilled_unit_penalty * unfilled
        assert abs(route.cost - cost) <= 1e-6 * max(1.0, abs(cost)) + 0.01, (route.cost, cost)


# --- pytest: a few representative cells, once each, correctness only ---

SMOKE_CELLS = [
    Cell(50, 0.1, 5, 5, 50, True),
    Cell(50, 0.6, 2, 20, 50, False),
    Cell(2_000, 0.3, 2, 5, 500, False),
    Cell(2_000, 0.1, 5, 10, 500, True),
    Cell(50, 0.3, 5, 1, 2_000, True),
    DENSE,
]


@pytest.mark.parametrize("cell", SMOKE_CELLS, ids=Cell.label)
def test_matrix_cell(benchmark: BenchmarkFixture, cell: Cell) -> None:
    result = benchmark.pedantic(  # type: ignore[no-untyped-call]
        run_cell, args=(cell, 30), kwargs={"warmup": 5, "check": True}, rounds=1, iterations=1
    )
    assert result.n == 30 and sum(result.statuses.values()) == 30
    benchmark.extra_info.update(
        {k: v for k, v in result.summary().items() if k not in asdict(cell)}
    )


def test_repeated_skus_occur_in_small_catalogue() -> None:
    """The 50-SKU catalogue's carts repeat SKUs (the case the issue's traffic has)."""
    orders = orders_of(Cell(50, 0.3, 2, 5, 50, False), 200)
    repeated = [o for o in orders if len({line.sku for line in o.lines}) < len(o.lines)]
    assert len(repeated) > 40


# --- script mode ---

HEADER = (
    "| catalogue | stock | qty | lines | locations | fence | orders | p50 µs | p99 µs "
    "| max µs | paths | partial / unroutable | on CPU | target |\n"
    "|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|:---:|"
)


def row(result: CellResult) -> str:
    c = result.cell
    partial = 100 * result.statuses["partial"] / result.n
    unroutable = 100 * result.statuses["unroutable"] / result.n
    return (
        f"| {c.catalogue:,} | {round(c.stock_share * 100)} % | 1–{c.max_quantity} | {c.lines} "
        f"| {c.locations:,} | {f'{FENCE_KM:.0f} km' if c.fence else '—'} | {result.n} "
        f"| {result.percentile_ms(50) * 1e3:,.0f} | {result.percentile_ms(99) * 1e3:,.0f} "
        f"| {result.max_ms * 1e3:,.0f} | {result.shares()} "
        f"| {partial:.0f} % / {unroutable:.0f} % | {100 * result.on_cpu:.0f} % "
        f"| {result.verdict()} |"
    )


def matches(cell: Cell, spec: str) -> bool:
    """``spec`` like ``lines=20,locations=2000,fence=on`` (each key may list values with |)."""
    have = {
        "catalogue": str(cell.catalogue),
        "stock": str(round(cell.stock_share * 100)),
        "qty": f"1-{cell.max_quantity}",
        "lines": str(cell.lines),
        "locations": str(cell.locations),
        "fence": "on" if cell.fence else "off",
    }
    for term in filter(None, spec.split(",")):
        key, _, values = term.partition("=")
        if key.strip() not in have:
            raise SystemExit(f"--cells: unknown key {key!r} (one of {', '.join(have)})")
        if have[key.strip()] not in {v.strip() for v in values.split("|")}:
            return False
    return True


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.test_bench_matrix")
    parser.add_argument("mode", nargs="?", choices=["matrix", "dense"], default="matrix")
    parser.add_argument("--quick", action="store_true", help="72 cells: no 10 lines, no 30 %%")
    parser.add_argument("--cells", default="", help="filter, e.g. 'lines=5|20,fence=on'")
    parser.add_argument("--orders", type=int, help="orders per cell (default: 300, fewer big)")
    parser.add_argument("--check", action="store_true", help="also verify every answer")
    parser.add_argument("--json", help="write every cell's figures to this file")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="run a cell again (at most this often) while it was under 90 %% on CPU; the "
        "run most on CPU is kept (for a shared machine)",
    )
    args = parser.parse_args(argv)
    if args.mode == "dense":
        cells = [DENSE]
    else:
        cells = [
            c for c in (quick_cells() if args.quick else all_cells()) if matches(c, args.cells)
        ]
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    results = []
    print(HEADER, flush=True)
    for cell in cells:
        n_orders = args.orders or (2_000 if args.mode == "dense" else None)
        result = run_cell(cell, n_orders, check=args.check)
        for _ in range(args.retries):
            if result.on_cpu >= 0.9:
                break
            again = run_cell(cell, n_orders, check=args.check)
            result = again if again.on_cpu > result.on_cpu else result
        results.append(result)
        print(row(result), flush=True)
    elapsed = time.perf_counter() - started
    if args.mode == "dense":
        r = results[0]
        print(
            f"\ndense: mean {float(np.mean(r.latencies_ns)) / 1e6:.3f} ms, "
            f"p50 {r.percentile_ms(50):.3f} ms, p90 {r.percentile_ms(90):.3f} ms, "
            f"p99 {r.percentile_ms(99):.3f} ms, max {r.max_ms:.3f} ms; "
            f"orders with a repeated SKU {100 * r.repeated_sku_orders / r.n:.0f} %"
        )
        for name, figures in r.by_path().items():
            print(
                f"  {name}: {100 * figures['share']:.1f} % of orders, "
                f"p50 {figures['p50_ms']:.3f} ms, p99 {figures['p99_ms']:.3f} ms"
            )
    with_target = [r for r in results if r.cell.target is not None]
    missed = [r for r in with_target if r.verdict() != "✓"]
    crowded = [r for r in results if r.on_cpu < 0.9]
    print(
        f"\n{len(results)} cells in {elapsed:.0f} s; {len(with_target)} with a target, "
        f"{len(missed)} of them missed; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after; {len(crowded)} cells under 90 % on CPU"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([r.summary() for r in results], out, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
