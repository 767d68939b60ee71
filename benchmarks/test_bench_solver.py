"""solve() latency on seeded realistic orders (pytest-benchmark).

Run:  .venv/bin/pytest benchmarks/test_bench_solver.py --benchmark-enable -s
Orders: quantities mostly 1, each SKU stocked at 10-50 % of candidates, at most 3 locations,
line_split on (as the bundled ship policy). ``test_latency_percentiles_*`` prints p50/p99 over
2,000 orders and which solver paths ran; ``test_big_orders_*`` prints p50/p99 and the share of
20-line orders whose route 1 was proven optimal within the default time limit. Nothing here
asserts timings.
"""

from __future__ import annotations

import dataclasses
from time import perf_counter

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from engine.params import SolveParams
from engine.problem import RoutingProblem
from engine.solve import solve, warm

LIMITS = SolveParams()  # the preview defaults (0.5 s budget for the solver paths)


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

    rounds = 20 if n_lines == 20 else 200
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(("n_lines", "n_cand"), [(5, 500)])
def test_latency_percentiles_over_2000_orders(n_lines: int, n_cand: int) -> None:
    problems = [realistic_problem(n_lines, n_cand, seed) for seed in range(2000)]
    warm()  # the DP tables of common shapes, as a running service has them
    for problem in problems[:50]:  # and the other caches
        solve(problem, LIMITS)
    times: list[float] = []
    solvers: dict[str, int] = {}
    conflicts = 0
    for problem in problems:
        start = perf_counter()
        result = solve(problem, LIMITS)
        times.append((perf_counter() - start) * 1000.0)
        solvers[result.solver] = solvers.get(result.solver, 0) + 1
        conflicts += int(result.stats.get("dp_conflict", 0.0))
    p50, p99 = np.percentile(times, [50, 99])
    print(
        f"\n{n_lines} lines x {n_cand} candidates, {len(problems)} orders: "
        f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {max(times):.1f} ms, solvers {solvers}, "
        f"location-DP conflicts {conflicts / len(problems):.2%}"
    )


@pytest.mark.parametrize("line_split", [True, False])
@pytest.mark.parametrize("n_cand", [50, 500, 5000])
def test_big_orders_latency_and_proven_optimal_share(n_cand: int, line_split: bool) -> None:
    orders = 20
    times: list[float] = []
    solvers: dict[str, int] = {}
    kept: list[float] = []
    proven = 0
    for seed in range(orders):
        problem = dataclasses.replace(realistic_problem(20, n_cand, seed), line_split=line_split)
        start = perf_counter()
        result = solve(problem, LIMITS)
        times.append((perf_counter() - start) * 1000.0)
        proven += result.stats["optimal"] == 1.0
        solvers[result.solver] = solvers.get(result.solver, 0) + 1
        kept.append(result.stats.get("candidates", float(problem.n_candidates)))
    p50, p99 = np.percentile(times, [50, 99])
    print(
        f"\n20 lines x {n_cand} candidates, line_split={line_split}, {orders} orders: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, proven optimal {proven}/{orders}, "
        f"candidates after pruning (mean) {np.mean(kept):.0f}, solvers {solvers}"
    )
