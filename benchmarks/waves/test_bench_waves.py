"""Wave strategies on seeded synthetic waves (issue 9): cost, fill, splits, gap, wall time.

Waves come from ``benchmarks.waves.generator`` (scarce stock, binding capacities, two ship
policies). Under pytest every strategy (``sequential``, ``nearest``, ``fewest_splits``,
``optimize``) runs once per cell; each plan must pass ``check_plan`` and ``optimize`` must not
cost more than ``sequential`` (correctness; no timing is asserted). Each cell records total
cost, fill rate, FOs per order, gap (when the strategy has a bound) and wall time in
``benchmark.extra_info``.

- CI smoke (``make test``): 100 orders × 20 locations × 200 SKUs, seed 1, a few seconds.
- ``OMNIROUTE_BENCH_WAVES=full``: also 1,000 × 100, 10,000 × 100 and 10,000 × 500 (2,000
  SKUs), seeds from ``OMNIROUTE_BENCH_WAVE_SEEDS`` (``1,2,3``), ``optimize`` within the
  issue's time for the shape (30 s, 60 s, 120 s) or ``OMNIROUTE_BENCH_WAVE_TIME_LIMIT``
  seconds.

The README's table comes from the runner, one process per strategy and seed (so peak memory
is that run's, and a run past ``--timeout`` is killed and reported as such):

    .venv/bin/python -m benchmarks.waves.test_bench_waves --orders 1000 --locations 100 \\
        --seeds 1 2 3 4 5 --time-limit 30 --timeout 180 [--workers 2] [--big-carts]

(50,000 and 100,000 orders: ``--time-limit 300 --timeout 1500``; ``--workers``: optimize's
per-order work and search in a pool of that many processes.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from functools import cache

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.waves.generator import WaveSpec, generate
from engine.wave.baselines import sequential
from engine.wave.check import check_plan, plan_cost
from engine.wave.exact import WaveParams
from engine.wave.kpi import kpis
from engine.wave.model import WavePlan, WaveProblem
from engine.wave.strategies import plan_wave
from flows.wave_executor import executor_for

STRATEGIES = ("sequential", "nearest", "fewest_splits", "optimize")
FULL = os.environ.get("OMNIROUTE_BENCH_WAVES", "") == "full"
SEEDS = [int(s) for s in os.environ.get("OMNIROUTE_BENCH_WAVE_SEEDS", "1,2,3").split(",")]
TIME_LIMIT = os.environ.get("OMNIROUTE_BENCH_WAVE_TIME_LIMIT")  # seconds; default per shape
SMOKE = WaveSpec(orders=100, locations=20, skus=200, seed=1)
SMOKE_TIME_LIMIT = 10.0
FULL_SHAPES = ((1_000, 100, 30.0), (10_000, 100, 60.0), (10_000, 500, 120.0))  # issue's times
Figures = dict[str, float | None]


def run_strategy(
    name: str, problem: WaveProblem, time_limit: float, seed: int, workers: int = 1
) -> WavePlan:
    """``workers`` > 1: optimize's search in a pool of that many processes."""
    params = WaveParams(time_limit=time_limit, seed=seed, parallel=workers)
    with executor_for(name, None, workers) as executor:
        return plan_wave(problem, name, params, executor)


def figures(problem: WaveProblem, plan: WavePlan, wall_s: float) -> Figures:
    k = kpis(problem, plan)
    return {
        "wall_s": wall_s,
        "total_cost": k.total_cost,
        "cost_without_unfilled": k.total_cost - unfilled_penalty(problem, plan),
        "fill_rate": k.fill_rate,
        "fos_per_order": k.fos_per_order,
        "average_distance_km": k.average_distance_km,
        "units_ordered": float(k.units_ordered),
        "units_filled": float(k.units_filled),
        "lower_bound": k.lower_bound,
        "gap": k.gap,
    }


def unfilled_penalty(problem: WaveProblem, plan: WavePlan) -> float:
    """The part of the plan's cost that is unfilled units' penalties."""
    total = 0.0
    for order, route in zip(problem.orders, plan.routes, strict=True):
        if order.problem is not None:
            filled = 0 if route is None else sum(q for p in route.plans for _, q in p.lines)
            total += order.problem.unfilled_unit_penalty * (order.units - filled)
    return total


@cache
def wave_problem(spec: WaveSpec) -> WaveProblem:
    return generate(spec).problem()


@cache
def sequential_cost(spec: WaveSpec) -> float:
    problem = wave_problem(spec)
    return plan_cost(problem, sequential(problem))


def cells() -> Iterator[object]:
    yield pytest.param(SMOKE, SMOKE_TIME_LIMIT, id="100x20-seed1")
    big = WaveSpec(orders=100, locations=20, skus=200, seed=1, big_carts=True)
    yield pytest.param(big, SMOKE_TIME_LIMIT, id="100x20-big-carts-seed1")
    skip = pytest.mark.skipif(not FULL, reason="set OMNIROUTE_BENCH_WAVES=full")
    for orders, locations, seconds in FULL_SHAPES:
        limit = float(TIME_LIMIT) if TIME_LIMIT else seconds
        for seed in SEEDS:
            spec = WaveSpec(orders, locations, 2_000, seed)
            yield pytest.param(spec, limit, id=f"{orders}x{locations}-seed{seed}", marks=skip)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(("spec", "time_limit"), list(cells()))
def test_wave_strategy(
    benchmark: BenchmarkFixture, spec: WaveSpec, time_limit: float, strategy: str
) -> None:
    problem = wave_problem(spec)
    wall: list[float] = []

    def run() -> WavePlan:
        start = time.perf_counter()
        plan = run_strategy(strategy, problem, time_limit, spec.seed)
        wall.append(time.perf_counter() - start)
        return plan

    plan: WavePlan = benchmark.pedantic(run, rounds=1, iterations=1)  # type: ignore[no-untyped-call]
    assert check_plan(problem, plan) == []
    got = figures(problem, plan, wall[-1])
    benchmark.extra_info.update(got)
    if strategy == "optimize":
        cost = plan_cost(problem, plan)
        assert plan.lower_bound is not None
        assert plan.lower_bound <= cost + 1e-6 * max(1.0, cost)
        assert cost <= sequential_cost(spec) + 1e-6


# -- the runner: one process per (strategy, seed), a markdown table --------------------------


def one(spec: WaveSpec, strategy: str, time_limit: float, workers: int = 1) -> dict[str, object]:
    """One run in this process: its figures, the wave's build time and the peak RSS."""
    start = time.perf_counter()
    problem = generate(spec).problem()
    built = time.perf_counter() - start
    start = time.perf_counter()
    plan = run_strategy(strategy, problem, time_limit, spec.seed, workers)
    wall = time.perf_counter() - start
    errors = check_plan(problem, plan)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        **figures(problem, plan, wall),
        "strategy": strategy,
        "seed": spec.seed,
        "build_s": built,
        "peak_mb": peak_mb,
        "feasible": not errors,
        "stats": plan.stats,
    }


def _child(args: argparse.Namespace, strategy: str, seed: int) -> dict[str, object]:
    command = [
        sys.executable, "-m", "benchmarks.waves.test_bench_waves", "--one", strategy,
        "--orders", str(args.orders), "--locations", str(args.locations),
        "--skus", str(args.skus), "--seeds", str(seed), "--time-limit", str(args.time_limit),
        "--workers", str(args.workers),
        *(["--big-carts"] if args.big_carts else []),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return {"strategy": strategy, "seed": seed, "timeout": True}
    except subprocess.CalledProcessError as exc:
        return {"strategy": strategy, "seed": seed, "error": exc.stderr.strip()[-500:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _spread(values: Sequence[float], worst: str, fmt: str) -> str:
    """``median (worst)``, or one value."""
    if not values:
        return "—"
    median = statistics.median(values)
    bad = max(values) if worst == "max" else min(values)
    if len(values) == 1:
        return format(median, fmt)
    return f"{format(median, fmt)} ({format(bad, fmt)})"


def table(runs: list[dict[str, object]]) -> str:
    """One row per strategy: median (worst) over the seeds. Routing cost: the total cost less
    the unfilled units' penalties. Gap: to the strategy's own bound for ``optimize``; for the
    baselines, to ``optimize``'s bound on the same seed."""
    bounds = {r["seed"]: r["lower_bound"] for r in runs if r["strategy"] == "optimize"}
    rows = [
        "| strategy | wall time s | peak RSS MB | total cost | routing cost | fill rate "
        "| FOs per order | gap to bound | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in dict.fromkeys(str(r["strategy"]) for r in runs):
        ok = [r for r in runs if r["strategy"] == name and "total_cost" in r]
        failed = [r for r in runs if r["strategy"] == name and "total_cost" not in r]

        def col(key: str, ok: list[dict[str, object]] = ok) -> list[float]:
            return [float(r[key]) for r in ok]  # type: ignore[arg-type]

        gaps = []
        for r in ok:
            bound = bounds.get(r["seed"])
            if isinstance(bound, float):
                cost = float(r["total_cost"])  # type: ignore[arg-type]
                gaps.append(100 * (cost - bound) / cost)
        note = f"{len(ok)} ok" + "".join(
            f", seed {r['seed']} {'timed out' if r.get('timeout') else 'failed'}" for r in failed
        )
        rows.append(
            f"| `{name}` | {_spread(col('wall_s'), 'max', '.1f')} "
            f"| {_spread(col('peak_mb'), 'max', '.0f')} "
            f"| {_spread(col('total_cost'), 'max', ',.0f')} "
            f"| {_spread(col('cost_without_unfilled'), 'max', ',.0f')} "
            f"| {_spread([100 * v for v in col('fill_rate')], 'min', '.2f')} % "
            f"| {_spread(col('fos_per_order'), 'max', '.3f')} "
            f"| {_spread(gaps, 'max', '.2f')} % | {note} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wave strategies on a synthetic wave")
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--time-limit", type=float, default=30.0, help="optimize's, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="per run, seconds")
    parser.add_argument("--json", help="write every run's figures here")
    parser.add_argument("--big-carts", action="store_true", help="10-30 lines an order")
    parser.add_argument("--workers", type=int, default=1, help="optimize's search processes")
    parser.add_argument("--one", choices=STRATEGIES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        spec = WaveSpec(args.orders, args.locations, args.skus, args.seeds[0], args.big_carts)
        print(json.dumps(one(spec, args.one, args.time_limit, args.workers)))
        return 0
    runs = []
    for seed in args.seeds:
        for strategy in args.strategies:
            runs.append(_child(args, strategy, seed))
            print(json.dumps(runs[-1]), file=sys.stderr)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(runs, out, indent=1)
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
