"""The wave strategies by name, for the CLI, the jobs and the replay."""

from __future__ import annotations

from typing import Literal, get_args

from engine.wave.baselines import fewest_splits, nearest, sequential
from engine.wave.exact import WaveParams, optimize
from engine.wave.model import WavePlan, WaveProblem
from engine.wave.search import Executor

Strategy = Literal["optimize", "sequential", "fewest_splits", "nearest"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


def plan_wave(
    problem: WaveProblem, strategy: str, params: WaveParams, executor: Executor | None = None
) -> WavePlan:
    """The wave planned with ``strategy`` (``optimize`` within ``params``' time limit, its
    search's neighbourhoods routed through ``executor``)."""
    if strategy == "optimize":
        return optimize(problem, params, executor)
    if strategy == "sequential":
        return sequential(problem)
    if strategy == "fewest_splits":
        return fewest_splits(problem)
    if strategy == "nearest":
        return nearest(problem)
    raise ValueError(f"unknown strategy {strategy!r}")
