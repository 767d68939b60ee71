"""optimize's search routing its neighbourhoods over Ray, on a local Ray instance (the code
that joins a cluster is the same): results in input order, plans feasible and never costlier
than sequential. Without Ray the Ray tests are skipped loudly, or fail under CI=true."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import pytest

from benchmarks.waves.generator import WaveSpec, generate
from engine.wave.baselines import sequential
from engine.wave.check import check_plan, plan_cost
from engine.wave.exact import WaveParams, optimize
from engine.wave.search import InlineExecutor
from flows.settings import ExecutorKind
from flows.wave_executor import ProcessExecutor, make_executor
from flows.wave_ray import RAY_MISSING, RayExecutor, RayMissingError
from tests.support.fixtures import _missing

T = TypeVar("T")
R = TypeVar("R")


def test_without_ray_the_executor_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    with pytest.raises(RayMissingError) as raised:
        RayExecutor(2)
    assert str(raised.value) == RAY_MISSING
    with pytest.raises(ValueError, match="workers"):
        RayExecutor(0)


def test_each_kind_of_executor_is_made_and_an_address_is_for_ray_only() -> None:
    with make_executor(ExecutorKind.inline, 1) as inline:
        assert isinstance(inline, InlineExecutor)
    with make_executor(ExecutorKind.process, 1) as pool:
        assert isinstance(pool, ProcessExecutor)
    with pytest.raises(ValueError, match="ray"):
        make_executor(ExecutorKind.process, 2, "auto")


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayExecutor]:
    """One local Ray instance of 2 CPUs for the module (starting one takes seconds)."""
    if importlib.util.find_spec("ray") is None:
        _missing("ray", "install the extra: pip install -e '.[ray]' (or '.[dev]')")
    with RayExecutor(2) as executor:
        yield executor


def slow_square(x: int) -> int:
    time.sleep(0.1 * (3 - x))  # the first task ends last
    return x * x


def test_results_come_back_in_input_order(cluster: RayExecutor) -> None:
    assert cluster.map(slow_square, [0, 1, 2, 3]) == [0, 1, 4, 9]
    assert cluster.map(slow_square, []) == []


@pytest.mark.parametrize("seed", [1, 2])
def test_the_search_over_ray_gives_a_feasible_plan_never_costlier_than_sequential(
    cluster: RayExecutor, seed: int
) -> None:
    sent: list[int] = []

    class Counting:
        def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
            sent.append(len(tasks))
            return cluster.map(fn, tasks)

    wave = generate(WaveSpec(orders=80, locations=10, skus=60, seed=seed)).problem()
    params = WaveParams(time_limit=20.0, seed=seed, max_mip_variables=0, parallel=2)
    searched = optimize(wave, params, Counting())
    assert sum(sent) > 0  # the neighbourhoods went to Ray
    assert check_plan(wave, searched) == []
    assert plan_cost(wave, searched) <= plan_cost(wave, sequential(wave)) + 1e-6


def test_an_executor_made_inside_a_running_ray_leaves_it_running(cluster: RayExecutor) -> None:
    import ray

    with RayExecutor(2) as joined:
        assert joined.map(slow_square, [3]) == [9]
    assert ray.is_initialized()  # not the joined executor's to stop
    assert cluster.map(slow_square, [2]) == [4]
