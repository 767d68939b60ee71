"""Re-optimizing a wave that was first routed order by order: how many of its extra
shipments (Fulfillment Orders beyond the first of each routed order) the joint plan removes.

Issue 9's target counts only *avoidable* extra shipments (at least 40 % of them removed, what
Xu, Allgor and Graves report). Their floor is taken here as what each order's own optimum
with the whole stock to itself ships; on scarce waves that floor is not one: the orders alone
fill units the stock cannot give them all, with more splits than the joint plan needs, so
the share is printed only when the floor is below the joint plan. Run:

    python -m benchmarks.waves.reoptimize --orders 1000 --locations 100 --seeds 1 2 3
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks.waves.generator import WaveSpec, generate
from engine.solve import solve
from engine.wave.baselines import sequential
from engine.wave.exact import WaveParams, optimize
from engine.wave.model import WavePlan, WaveProblem


def extra_shipments(plan: WavePlan) -> int:
    return sum(len(route.plans) - 1 for route in plan.routes if route is not None)


def alone_extra_shipments(problem: WaveProblem) -> int:
    extra = 0
    for order in problem.orders:
        if order.problem is not None:
            result = solve(order.with_stock(problem.stock))
            if result.routes:
                extra += len(result.routes[0].plans) - 1
    return extra


def removed(problem: WaveProblem, time_limit: float, seed: int) -> tuple[int, int, int]:
    """``(sequential's extra shipments, optimize's, the orders' own optima's)``."""
    first = extra_shipments(sequential(problem))
    again = extra_shipments(optimize(problem, WaveParams(time_limit=time_limit, seed=seed)))
    return first, again, alone_extra_shipments(problem)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args(argv)
    print("| seed | sequential | optimize | removed | orders alone | share of avoidable |")
    print("|---:|---:|---:|---:|---:|---:|")
    for seed in args.seeds:
        spec = WaveSpec(orders=args.orders, locations=args.locations, skus=args.skus, seed=seed)
        first, again, floor = removed(generate(spec).problem(), args.time_limit, seed)
        share = f"{(first - again) / (first - floor):.1%}" if floor < again else "n/a"
        print(f"| {seed} | {first} | {again} | {(first - again) / first:.1%} | {floor} | {share} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
