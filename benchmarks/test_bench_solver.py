"""solve() latency on seeded realistic orders (pytest-benchmark).

Run:  .venv/bin/pytest benchmarks/test_bench_solver.py --benchmark-enable -s
Orders: quantities mostly 1, each SKU stocked at 10-50 % of candidates, at most 3 locations,
line_split on (as the bundled ship policy). ``test_latency_percentiles_*`` prints p50/p99 over
2,000 orders and how often the CP-SAT fallback ran; it never asserts timings.
"""

from __future__ import annotations

from time import perf_counter

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from engine.params import SolveParams
from engine.problem import RoutingProblem
from engine.solve import solve

LIMITS = SolveParams(time_limit_s=2.0)  # bounds the 20-line CP-SAT cases


def realistic_problem(n_lines: int, n_cand: int, seed: int) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    line_sku = tuple(int(s) for s in rng.integers(0, max(1, int(n_lines * 1.1)), n_lines))
    n_skus = max(line_sku) + 1
    share = rng.uniform(0.1, 0.5, (n_skus, 1))  # where each SKU is stocked
    units = rng.integers(1, 6, (n_skus, n_cand))
    stock = np.where(rng.random((n_skus, n_cand)) < share, units, 0).astype(np.int64)
    return RoutingProblem(
        line_sku=line_sku,
        quantity=tuple(int(q) for q in rng.choice([1, 2, 3], n_lines, p=[0.8, 0.15, 0.05])),
        stock=stock,
        fixed_cost=rng.uniform(6.0, 20.0, n_cand),
        unit_cost=rng.uniform(0.4, 1.0, n_cand),
        max_locations=3,
        line_split=True,
        ship_complete=False,
        split_penalty=2.0,
        unfilled_unit_penalty=1000.0,
    )


@pytest.mark.parametrize("n_cand", [50, 500, 5000])
@pytest.mark.parametrize("n_lines", [1, 5, 20])
def test_solve_latency(benchmark: BenchmarkFixture, n_lines: int, n_cand: int) -> None:
    problems = [realistic_problem(n_lines, n_cand, seed) for seed in range(20)]
    cursor = iter(range(10**9))

    def run() -> None:
        solve(problems[next(cursor) % len(problems)], LIMITS)

    rounds = 3 if n_lines == 20 else 200
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(("n_lines", "n_cand"), [(5, 500)])
def test_latency_percentiles_over_2000_orders(n_lines: int, n_cand: int) -> None:
    problems = [realistic_problem(n_lines, n_cand, seed) for seed in range(2000)]
    for problem in problems[:50]:  # warm the shape caches like a running service
        solve(problem, LIMITS)
    times, fallbacks, conflicts = [], 0, 0
    for problem in problems:
        start = perf_counter()
        result = solve(problem, LIMITS)
        times.append((perf_counter() - start) * 1000.0)
        fallbacks += result.solver == "cpsat"
        conflicts += int(result.stats.get("dp_conflict", 0.0))
    p50, p99 = np.percentile(times, [50, 99])
    print(
        f"\n{n_lines} lines x {n_cand} candidates, {len(problems)} orders: "
        f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {max(times):.1f} ms, "
        f"CP-SAT fallback {fallbacks / len(problems):.2%}, "
        f"location-DP conflicts {conflicts / len(problems):.2%}"
    )
