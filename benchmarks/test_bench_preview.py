"""Engine-only route preview latency: candidates + solve + answer, stock in memory, no I/O.

Seeded synthetic networks where exactly ``n`` locations pass the fences (plus 10 % pickup-only
stores that the ship capability fence drops), a 2,000-SKU catalogue stocked at random, and
orders of 1, 5 or 20 lines shipped to random points of the network's area.

    make bench                                   # pytest-benchmark table
    .venv/bin/python -m benchmarks.test_bench_preview [orders]   # p50/p99, 5 lines x 500
    .venv/bin/python -m benchmarks.test_bench_preview all        # p50/p99, every size
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import cycle

import numpy as np
import numpy.typing as npt
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from engine.answer import PreviewAnswer
from engine.network import Location, Network
from engine.order import Order
from engine.preview import preview
from rules.schema import Rules

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)
CATALOGUE = 2_000
RULES = Rules.model_validate(
    {
        "policies": [
            {
                "name": "ship",
                "when": {"delivery_method": "ship"},
                "inventory": {"buffer_units": {"store": 1}},
                "split": {"max_locations": 3, "line_split": True},
                "cost": {"per_km": 0.01, "split_penalty": 2.0, "unfilled_unit_penalty": 1000.0},
            }
        ]
    }
)


class MatrixStock:
    """A preloaded (catalogue x locations) available-to-fulfill matrix."""

    def __init__(
        self, skus: Sequence[str], location_ids: tuple[str, ...], atf: npt.NDArray[np.int64]
    ):
        self.rows = {sku: i for i, sku in enumerate(skus)}
        self.location_ids = location_ids
        self.atf = atf

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        assert location_ids is self.location_ids  # the preview passes the network's tuple
        return self.atf[[self.rows[s] for s in skus]]


def synthetic(
    n_candidates: int, n_orders: int, n_lines: int, seed: int = 7
) -> tuple[Network, MatrixStock, list[Order]]:
    rng = np.random.default_rng(seed)
    n_total = n_candidates + n_candidates // 10
    lat = rng.uniform(30, 47, n_total)
    lon = rng.uniform(-120, -75, n_total)
    is_store = rng.random(n_total) < 0.8
    locations = [
        Location(
            id=f"L{i:05d}",
            type="store" if is_store[i] else "warehouse",
            lat=float(lat[i]),
            lon=float(lon[i]),
            capabilities=("ship", "pickup") if i < n_candidates else ("pickup",),
            shipment_cost=float(rng.choice([4.0, 6.0, 8.0])),
            handling_cost_per_unit=float(rng.choice([0.2, 0.4, 0.8])),
            priority=int(rng.integers(0, 3)),
        )
        for i in range(n_total)
    ]
    network = Network(locations=tuple(locations))
    skus = [f"SKU-{k:05d}" for k in range(CATALOGUE)]
    held = rng.random((CATALOGUE, n_total)) < 0.3
    atf = np.where(held, rng.integers(1, 8, (CATALOGUE, n_total)), 0).astype(np.int64)
    stock = MatrixStock(skus, network.location_ids, atf)
    orders = []
    for k in range(n_orders):
        picks = rng.integers(0, CATALOGUE, n_lines)
        orders.append(
            Order.model_validate(
                {
                    "id": f"O{k}",
                    "lines": [
                        {"id": str(j + 1), "sku": skus[int(s)], "quantity": int(rng.integers(1, 3))}
                        for j, s in enumerate(picks)
                    ],
                    "delivery": {
                        "method": "ship",
                        "lat": float(rng.uniform(30, 47)),
                        "lon": float(rng.uniform(-120, -75)),
                    },
                }
            )
        )
    return network, stock, orders


def previewer(
    network: Network, stock: MatrixStock, orders: list[Order]
) -> Callable[[], PreviewAnswer]:
    feed = cycle(orders)

    def one() -> PreviewAnswer:
        return preview(
            next(feed), network=network, rules=RULES, rules_version="bench", stock=stock, now=NOW
        )

    return one


@pytest.mark.parametrize("n_locations", [50, 500, 5_000])
@pytest.mark.parametrize("n_lines", [1, 5, 20])
def test_engine_preview_latency(
    benchmark: BenchmarkFixture, n_lines: int, n_locations: int
) -> None:
    # 20-line orders take the slower exact search: fewer of them keep the run bounded
    n_orders, rounds = (200, 2_000) if n_lines <= 5 else (20, 40)
    network, stock, orders = synthetic(n_locations, n_orders, n_lines)
    one = previewer(network, stock, orders)
    for _ in range(n_orders):  # warm the caches and the DP tables
        one()
    answer = benchmark.pedantic(one, rounds=rounds, iterations=1)  # type: ignore[no-untyped-call]
    assert answer.explanation.eligible == n_locations


def percentiles(
    n_lines: int = 5, n_locations: int = 500, n_orders: int = 2_000
) -> dict[str, float]:
    """p50/p99/max latency (ms) of one preview per order over ``n_orders`` distinct orders."""
    network, stock, orders = synthetic(n_locations, n_orders, n_lines, seed=11)
    one = previewer(network, stock, orders)
    for _ in range(min(200, n_orders)):
        one()
    samples = []
    solvers: dict[str, int] = {}
    for _ in range(n_orders):
        start = time.perf_counter()
        answer = one()
        samples.append(time.perf_counter() - start)
        solvers[answer.explanation.solver] = solvers.get(answer.explanation.solver, 0) + 1
    ms = np.array(samples) * 1e3
    print(
        f"{n_lines} lines x {n_locations} locations, {n_orders} orders: "
        f"p50 {np.percentile(ms, 50):.3f} ms, p99 {np.percentile(ms, 99):.3f} ms, "
        f"max {ms.max():.3f} ms, solvers {solvers}"
    )
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99))}


def test_print_latency_percentiles_5_lines_500_locations(benchmark: BenchmarkFixture) -> None:
    benchmark.pedantic(percentiles, rounds=1, iterations=1)  # type: ignore[no-untyped-call]


def every_size() -> None:
    """p50/p99 for 1, 5 and 20 lines x 50, 500 and 5,000 locations (20-line orders take the
    exact search, so fewer of them)."""
    for n_lines in (1, 5, 20):
        for n_locations in (50, 500, 5_000):
            n_orders = 2_000 if n_lines <= 5 else (200 if n_locations <= 500 else 40)
            percentiles(n_lines, n_locations, n_orders)


if __name__ == "__main__":
    if sys.argv[1:] == ["all"]:
        every_size()
    else:
        percentiles(n_orders=int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)
