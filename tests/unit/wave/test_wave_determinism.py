"""Issue 9: the same input and seed give the same plan, run after run, with every strategy.

A plan is the same only where nothing ends on a clock: ``optimize`` is deterministic when its
program is solved to optimality, or when its neighbourhood search stops because no order
has regret left and every neighbourhood's program was solved to optimality within its step.
A search cut by its deadline keeps as many steps as the machine managed (and a program cut
by its time limit keeps whatever incumbent HiGHS had then, whatever its seed), so such a
plan may differ from run to run; these tests check that none of that happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

import pytest

from benchmarks.waves.generator import WaveSpec, generate
from engine.wave.check import check_plan
from engine.wave.exact import WaveParams
from engine.wave.mip import MipOutcome
from engine.wave.model import WavePlan, WaveProblem
from engine.wave.search import Task
from engine.wave.strategies import STRATEGIES, plan_wave

SMALL = WaveSpec(orders=60, locations=10, skus=80, seed=3)
BIG_CARTS = WaveSpec(orders=10, locations=10, skus=80, seed=3, big_carts=True)
ROOT = Path(__file__).resolve().parents[3]


T = TypeVar("T")
R = TypeVar("R")


@cache
def wave(spec: WaveSpec) -> WaveProblem:
    return generate(spec).problem()


class RecordingExecutor:
    """Routes the search's neighbourhoods in turn, here, and keeps what each was: its
    orders, and whether its program was solved to optimality within its step's time."""

    def __init__(self) -> None:
        self.steps: list[tuple[tuple[str, ...], bool]] = []

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        outcomes = [fn(task) for task in tasks]
        for task, outcome in zip(tasks, outcomes, strict=True):
            if isinstance(task, Task) and isinstance(outcome, MipOutcome):  # not a batch of orders
                self.steps.append((tuple(o.order_id for o in task.orders), outcome.optimal))
        return outcomes


@pytest.mark.parametrize("spec", [SMALL, BIG_CARTS], ids=["small", "big-carts"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_same_wave_and_seed_give_the_same_plan(strategy: str, spec: WaveSpec) -> None:
    problem = wave(spec)
    params = WaveParams(time_limit=20.0, seed=3)
    first, second = plan_wave(problem, strategy, params), plan_wave(problem, strategy, params)
    assert check_plan(problem, first) == []
    assert first == second  # routes, bound and stats
    if strategy == "optimize":
        assert first.stats["mip_optimal"] == 1.0  # the program ended on its optimum


@pytest.mark.parametrize(("neighbourhood", "parallel"), [(40, 1), (10, 3)])
def test_the_neighbourhood_search_gives_the_same_plan_when_no_order_has_regret_left(
    neighbourhood: int, parallel: int
) -> None:
    problem = wave(SMALL)
    params = WaveParams(
        time_limit=20.0,
        seed=3,
        max_mip_variables=0,  # the search, not the whole program
        neighbourhood=neighbourhood,
        parallel=parallel,
    )
    runs: list[tuple[WavePlan, list[tuple[tuple[str, ...], bool]]]] = []
    for _ in range(2):
        executor = RecordingExecutor()
        start = time.monotonic()
        plan = plan_wave(problem, "optimize", params, executor)
        assert time.monotonic() - start < params.time_limit  # it stopped before its deadline
        assert "mip_optimal" not in plan.stats and executor.steps  # it searched
        assert all(optimal for _, optimal in executor.steps)  # no step ended on its clock
        assert check_plan(problem, plan) == []
        runs.append((plan, executor.steps))
    assert runs[0] == runs[1]  # the same neighbourhoods in the same order, the same plan


def test_a_budget_of_search_steps_gives_the_same_plan_where_the_regret_is_not_exhausted() -> None:
    problem = generate(WaveSpec(orders=300, locations=30, skus=300, seed=5)).problem()
    params = WaveParams(time_limit=120.0, seed=1, max_mip_variables=0, max_steps=12, max_nodes=500)
    runs = []
    for _ in range(2):
        executor = RecordingExecutor()
        plan = plan_wave(problem, "optimize", params, executor)
        assert len(executor.steps) == 12  # stopped by its budget, with orders still in regret
        runs.append((plan.routes, executor.steps))
    assert runs[0] == runs[1]


def test_work_budgets_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="max_nodes"):
        WaveParams(max_nodes=0)
    with pytest.raises(ValueError, match="max_steps"):
        WaveParams(max_steps=-1)


PLAN_EVERY_STRATEGY = """
import hashlib, sys
from benchmarks.waves.generator import WaveSpec, generate
from engine.wave.exact import WaveParams
from engine.wave.strategies import STRATEGIES, plan_wave
problem = generate(WaveSpec(orders=60, locations=10, skus=80, seed=3)).problem()
for params in (WaveParams(time_limit=20.0, seed=3), WaveParams(20.0, 3, max_mip_variables=0)):
    for strategy in STRATEGIES:
        plan = plan_wave(problem, strategy, params)
        print(strategy, hashlib.sha256(repr(plan.routes).encode()).hexdigest())
"""


def test_every_strategy_gives_the_same_plan_in_another_process() -> None:
    """Run after run: two processes with different string hashing plan the wave alike."""
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", PLAN_EVERY_STRATEGY],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=True,
        )
        outputs.append(done.stdout)
    assert len(outputs[0].splitlines()) == 2 * len(STRATEGIES)
    assert outputs[0] == outputs[1]
