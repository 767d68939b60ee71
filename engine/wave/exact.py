"""``optimize``: the joint wave strategy. It starts from the cheaper of ``sequential`` (every
order's own optimum, in order of arrival) and the plan the wave's min-cost flow guides
(:mod:`engine.wave.construct`), and never returns a plan that costs more. A small wave is one
mixed-integer program, solved exactly within the time limit; a larger one is improved by
neighbourhood search (:mod:`engine.wave.search`) until the deadline or until no order pays
more than it would alone. Every plan carries a proven lower bound (the best of the orders'
own optima summed, the unfilled units the stock cannot avoid, a min-cost flow of the units to
the stock that may serve them, and the program's bound), so it reports its own gap.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from engine.problem import Route
from engine.wave.alone import alone_costs
from engine.wave.baselines import sequential
from engine.wave.check import plan_cost
from engine.wave.construct import guided
from engine.wave.flowbound import FlowAnswer, solve_flow
from engine.wave.mip import solve_wave, variable_count
from engine.wave.model import WavePlan, WaveProblem
from engine.wave.search import Executor, SearchParams, improve, shortfall_bound

EPS = 1e-6
Routes = tuple[Route | None, ...]
MIP_SHARE = 0.85  # of the time left: the rest builds the program and reads its answer


@dataclass(frozen=True, slots=True)
class WaveParams:
    """``time_limit``: seconds in all; ``seed``: the search's and the solver's seed (the same
    input and seed give the same plan when the search ends before the time limit);
    ``max_mip_variables``: the largest wave solved as one program; ``neighbourhood`` and
    ``step_seconds``: the search's orders per step and time per step; ``parallel``: steps
    routed at once through the executor. A budget of work instead of time gives the same plan
    run after run, on any machine, as long as the time limit does not cut it first:
    ``max_steps`` caps the search's neighbourhoods, ``max_nodes`` the branch-and-bound nodes of
    the whole-wave program and of each neighbourhood's."""

    time_limit: float = 30.0
    seed: int = 0
    max_mip_variables: int = 50_000
    neighbourhood: int = 20  # orders per step: 20 beat 40 at 1,000 and 10,000 orders
    step_seconds: float = 2.0
    parallel: int = 1
    max_steps: int | None = None
    max_nodes: int | None = None

    def __post_init__(self) -> None:
        if not self.time_limit > 0 or not self.step_seconds > 0:
            raise ValueError("time_limit and step_seconds must be positive")
        if self.neighbourhood < 2 or self.max_mip_variables < 0 or self.parallel < 1:
            raise ValueError(
                "neighbourhood must be at least 2, max_mip_variables at least 0, parallel 1"
            )
        if min(self.max_steps or 0, self.max_nodes or 1) < 0 or self.max_nodes == 0:
            raise ValueError("max_steps must be at least 0 and max_nodes at least 1")


def optimize(
    problem: WaveProblem, params: WaveParams | None = None, executor: Executor | None = None
) -> WavePlan:
    """``executor``: where the per-order work and the search's neighbourhoods are routed
    (default: in turn, here)."""
    params = params or WaveParams()
    deadline = time.monotonic() + params.time_limit
    alone = alone_costs(problem, executor)
    flowed = solve_flow(problem)
    bound = max(sum(alone), shortfall_bound(problem), -math.inf if flowed is None else flowed.bound)
    routes, stats = _start(problem, flowed, deadline, executor)
    if variable_count(problem.orders, problem.stock) <= params.max_mip_variables:
        # the solver's clock starts once the program is built: leave that time out of it
        left = max(MIP_SHARE * (deadline - time.monotonic()), 1.0)
        whole = solve_wave(problem, time_limit=left, seed=params.seed, node_limit=params.max_nodes)
        if whole.bound is not None:
            bound = max(bound, whole.bound)
        if (
            whole.routes is not None
            and _cost(problem, whole.routes) <= _cost(problem, routes) + EPS
        ):
            routes = whole.routes
        stats["mip_optimal"] = float(whole.optimal)
        if whole.optimal:  # nothing left to search for
            return WavePlan(routes, "optimize", min(bound, _cost(problem, routes)), stats)
    search = SearchParams(
        params.neighbourhood,
        params.step_seconds,
        params.parallel,
        params.max_steps,
        params.max_nodes,
    )
    routes = improve(
        problem,
        routes,
        alone,
        deadline=deadline,
        seed=params.seed,
        params=search,
        executor=executor,
    )
    return WavePlan(routes, "optimize", min(bound, _cost(problem, routes)), stats)


def _start(
    problem: WaveProblem, flowed: FlowAnswer | None, deadline: float, executor: Executor | None
) -> tuple[Routes, dict[str, float]]:
    """The cheaper of ``sequential`` and the flow's plan, and both their costs."""
    routes = sequential(problem).routes
    stats = {"baseline_cost": _cost(problem, routes)}
    if flowed is not None:
        start = guided(problem, flowed.shares, deadline, executor)
        stats["guided_cost"] = _cost(problem, start.routes)
        if stats["guided_cost"] < stats["baseline_cost"] - EPS:
            routes = start.routes
    return routes, stats


def _cost(problem: WaveProblem, routes: Routes) -> float:
    return plan_cost(problem, WavePlan(routes, "optimize"))
