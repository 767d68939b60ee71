"""Wave jobs through the executor the settings name (``OMNIROUTE_WAVE_EXECUTOR``): ``optimize``
plans the same through a pool of processes as in turn in the runner's thread, the pool ends
with the job, and an executor that cannot be made fails the job (not the runner)."""

from __future__ import annotations

import functools
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

import flows.wave_runner
from engine.wave.exact import WaveParams
from flows.wave_executor import ProcessExecutor
from flows.wave_ray import RAY_MISSING
from tests.e2e.conftest import small_env
from tests.e2e.test_http_waves import finished
from tests.e2e.test_sample_data import started

T = TypeVar("T")
R = TypeVar("R")

# tests/e2e/data: SKU-1 at DC01 (10, near Newark and Chicago), DC02 (Los Angeles), ST01 and
# ST03. Routed one by one, the Chicago orders take DC01's stock first and the Newark orders
# go to the far side; routed together, the search hands DC01 to the orders it saves most.
CHICAGO = {"method": "ship", "lat": 41.88, "lon": -87.63, "country": "US"}
NEWARK = {"method": "ship", "lat": 40.73, "lon": -74.17, "country": "US"}
WAVE = [
    {"id": f"O{i}", "lines": [{"id": "1", "sku": sku, "quantity": units}], "delivery": place}
    for i, (sku, units, place) in enumerate(
        [
            ("SKU-1", 4, CHICAGO),
            ("SKU-1", 4, CHICAGO),
            ("SKU-1", 3, NEWARK),
            ("SKU-1", 3, NEWARK),
            ("SKU-2", 1, NEWARK),
            ("SKU-1", 2, NEWARK),
        ],
        start=1,
    )
]


@pytest.fixture(autouse=True)
def searched(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's waves skip the one whole program, so that the search (and the executor)
    does the work even on a wave this small."""
    monkeypatch.setattr(
        flows.wave_runner, "WaveParams", functools.partial(WaveParams, max_mip_variables=0)
    )


def app_with(tmp_path: Path, executor: str) -> AbstractContextManager[TestClient]:
    """The app, its wave jobs through ``executor`` (two workers)."""
    env = small_env(f"sqlite:///{tmp_path / f'{executor}.db'}")
    return started(env | {"OMNIROUTE_WAVE_EXECUTOR": executor, "OMNIROUTE_WAVE_WORKERS": "2"})


def planned(
    client: TestClient, strategy: str = "optimize"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job of :data:`WAVE` once it ended, and its plan (empty unless it is done)."""
    body = {"orders": WAVE, "strategy": strategy, "time_limit": 30}
    posted = client.post("/v1/waves", json=body)
    assert posted.status_code == 202, posted.text
    job = finished(client, posted.json()["id"])
    if job["status"] != "done":
        return job, []
    results: list[dict[str, Any]] = client.get(f"/v1/waves/{job['id']}/plan").json()["results"]
    return job, results


def chosen(results: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Each order's chosen route: its locations and lines (not its dates)."""
    return [
        (
            answer["order_id"],
            [(fo["location_id"], fo["lines"]) for fo in answer["routes"][0]["fulfillment_orders"]],
        )
        for answer in results
    ]


def test_a_process_pool_plans_a_wave_job_as_inline_does_and_ends_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[int] = []
    pooled = ProcessExecutor.map

    def counting(self: ProcessExecutor, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        sent.append(len(tasks))
        return pooled(self, fn, tasks)

    monkeypatch.setattr(ProcessExecutor, "map", counting)
    before = set(multiprocessing.active_children())

    with app_with(tmp_path, "inline") as client:
        inline, inline_plan = planned(client)
    assert inline["status"] == "done", inline
    assert sent == []
    with app_with(tmp_path, "process") as client:
        pooled_job, pooled_plan = planned(client)
    assert pooled_job["status"] == "done", pooled_job
    assert sent and max(sent) <= 2  # neighbourhoods went to the pool, two at a time at most

    assert set(multiprocessing.active_children()) <= before  # the pool closed with the job
    # The search ends before its time limit, so the two plans are the same plan.
    assert pooled_job["kpis"] == inline["kpis"]
    assert chosen(pooled_plan) == chosen(inline_plan)
    kpis = inline["kpis"]
    assert (kpis["units_filled"], kpis["units_ordered"]) == (17, 17)
    assert kpis["total_cost"] < kpis["stats"]["baseline_cost"]  # better than sequential


def test_without_ray_a_wave_job_fails_saying_so_and_the_runner_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    with app_with(tmp_path, "ray") as client:
        failed, _ = planned(client)
        assert failed["status"] == "failed"
        assert RAY_MISSING in failed["error"]
        done, plan = planned(client, strategy="sequential")  # the baselines need none
    assert done["status"] == "done", done
    assert len(plan) == len(WAVE)


def test_the_pool_is_closed_when_the_job_fails_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[ProcessExecutor] = []
    close = ProcessExecutor.close

    def closing(self: ProcessExecutor) -> None:
        closed.append(self)
        close(self)

    def broken(*_: object, executor: object = None, **__: object) -> None:
        assert isinstance(executor, ProcessExecutor)
        raise RuntimeError("the wave broke")

    monkeypatch.setattr(ProcessExecutor, "close", closing)
    monkeypatch.setattr(flows.wave_runner, "run_wave", broken)
    with app_with(tmp_path, "process") as client:
        failed, _ = planned(client)
    assert (failed["status"], failed["error"]) == ("failed", "RuntimeError: the wave broke")
    assert len(closed) == 1
