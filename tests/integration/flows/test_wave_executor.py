"""optimize's search routing its neighbourhoods in a pool of processes: the plans are those
of the inline executor's rules (feasible, never worse than sequential)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.wave.baselines import sequential
from engine.wave.check import check_plan, plan_cost
from engine.wave.exact import WaveParams, optimize
from flows.settings import ExecutorKind
from flows.wave_executor import ProcessExecutor, executor_for
from tests.unit.wave.test_wave_strategies import random_wave


@pytest.fixture(scope="module")
def pool() -> ProcessExecutor:
    with ProcessExecutor(2) as executor:
        yield executor  # type: ignore[misc]


@pytest.mark.parametrize("seed", range(6))
def test_a_process_pool_routes_the_searchs_neighbourhoods(pool: ProcessExecutor, seed: int) -> None:
    wave = random_wave(seed)
    params = WaveParams(time_limit=20.0, seed=seed, max_mip_variables=0, parallel=2)
    searched = optimize(wave, params, pool)
    assert check_plan(wave, searched) == []
    assert plan_cost(wave, searched) <= plan_cost(wave, sequential(wave)) + 1e-6


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="workers"):
        ProcessExecutor(0)


def test_the_search_of_a_contested_wave_sends_its_neighbourhoods_to_the_pool(
    pool: ProcessExecutor,
) -> None:
    sent: list[int] = []

    class Counting:
        def map(self, fn: Any, tasks: Any) -> Any:
            sent.append(len(tasks))
            return pool.map(fn, tasks)

    wave = random_wave(1)  # a wave where orders compete (regret is left after sequential)
    searched = optimize(wave, WaveParams(max_mip_variables=0, parallel=2, seed=1), Counting())
    assert sum(sent) > 0
    assert check_plan(wave, searched) == []


def test_only_optimize_gets_an_executor_and_the_default_kind_follows_the_workers() -> None:
    for strategy in ("sequential", "fewest_splits", "nearest"):
        with executor_for(strategy, ExecutorKind.process, 2) as none:
            assert none is None
    with executor_for("optimize", ExecutorKind.inline, 2) as inline:
        assert inline is None  # the search's own: in turn, here
    with executor_for("optimize", None, 1) as alone:
        assert alone is None
    with executor_for("optimize", None, 2) as pooled:
        assert isinstance(pooled, ProcessExecutor)
    with executor_for("optimize", ExecutorKind.process, 1, "ray-head:6379") as pooled:
        assert isinstance(pooled, ProcessExecutor)  # an address is for Ray only
