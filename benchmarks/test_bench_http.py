"""Route preview through the HTTP stack in process (FastAPI TestClient), on the sample network.

This measures the app's own per-request cost (routing, validation, JSON) without a socket;
`benchmarks/http_load.py` measures sustained requests/s through uvicorn with wrk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pytest_benchmark.fixture import BenchmarkFixture

from flows.bootstrap import bootstrap
from flows.sample import sample_network, sample_orders
from flows.settings import Settings
from tests.support.auth import api_client


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = Path(tmp_path_factory.mktemp("bench")) / "bench.db"
    # The limiter runs, as for users, with a rate out of reach of a benchmark loop.
    env = {"OMNIROUTE_DATABASE_URL": f"sqlite:///{db}", "OMNIROUTE_RATE_LIMIT": "1e6"}
    services = bootstrap(Settings.from_env(env))
    with api_client(services) as test_client:
        yield test_client
    services.close()


def test_preview_over_http(client: TestClient, benchmark: BenchmarkFixture) -> None:
    bodies = [o.model_dump_json() for o in sample_orders(sample_network(), n=500, seed=3)]
    cycle = itertools.cycle(bodies)
    headers = {"content-type": "application/json"}

    def call() -> int:
        return client.post("/v1/routes/preview", content=next(cycle), headers=headers).status_code

    assert benchmark(call) == 200
