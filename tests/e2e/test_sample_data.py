"""Generated sample stock: seeded once into an empty record on the embedded default, kept by
restarts, never seeded over live stock, and never seeded when switched off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.bootstrap import bootstrap
from flows.sample import sample_inventory, sample_network
from flows.settings import Settings
from tests.support.auth import api_client

SAMPLE_SKUS = 50
SKU = "SKU-00001"  # the best seller: stocked at every warehouse of the sample network


@pytest.fixture(scope="module")
def sample_stock() -> dict[tuple[str, str], tuple[int, int]]:
    records = sample_inventory(sample_network(), n_skus=SAMPLE_SKUS)
    return {(r.location_id, r.sku): (r.on_hand, r.safety_stock) for r in records}


def embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The embedded default: a SQLite file, no Redis, the bundled network and rules."""
    return {
        "OMNIROUTE_DATABASE_URL": f"sqlite:///{tmp_path / 'omniroute.db'}",
        "OMNIROUTE_SAMPLE_SKUS": str(SAMPLE_SKUS),
        **extra,
    }


@contextmanager
def started(env: dict[str, str]) -> Iterator[TestClient]:
    """One start of the service over ``env`` (bootstrap, then the app), closed afterwards."""
    services = bootstrap(Settings.from_env(env))
    try:
        with api_client(services) as client:
            yield client
    finally:
        services.close()


def figures(client: TestClient, location_id: str, sku: str) -> tuple[int, int]:
    response = client.get("/v1/availability", params={"sku": sku, "location_id": location_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body["on_hand"], body["safety_stock"]


def test_the_embedded_default_seeds_generated_stock_for_the_sample_network(
    tmp_path: Path, sample_stock: dict[tuple[str, str], tuple[int, int]]
) -> None:
    assert sample_stock[("DC01", SKU)][0] > 0
    with started(embedded_env(tmp_path)) as client:
        for cell in [("DC01", SKU), ("DC02", SKU), ("ST001", SKU), ("DC01", "SKU-00050")]:
            assert figures(client, *cell) == sample_stock.get(cell, (0, 0)), cell


def test_a_restart_keeps_the_records_stock_and_never_reseeds_over_it(
    tmp_path: Path, sample_stock: dict[tuple[str, str], tuple[int, int]]
) -> None:
    env = embedded_env(tmp_path)
    on_hand, safety = sample_stock[("DC02", SKU)]
    with started(env) as client:
        patch = [
            {"location_id": "DC01", "sku": SKU, "on_hand": 3},
            {"location_id": "DC02", "sku": SKU, "adjust": -1},
        ]
        assert client.patch("/v1/inventory", json=patch).status_code == 200
        line = {"location_id": "DC01", "sku": SKU, "quantity": 2}
        reserved = client.post("/v1/reservations", json={"id": "R1", "lines": [line]})
        assert reserved.status_code == 201, reserved.text

    for _ in range(2):  # restarts over the same SQLite file
        with started(env) as client:
            assert figures(client, "DC01", SKU) == (3, sample_stock[("DC01", SKU)][1])
            assert figures(client, "DC02", SKU) == (on_hand - 1, safety)
            assert client.get("/v1/reservations/R1").json()["status"] == "active"
            response = client.get("/v1/availability", params={"sku": SKU, "location_id": "DC01"})
            assert response.json()["reserved"] == 2


def test_a_restart_after_a_full_sync_keeps_only_the_synced_stock(
    tmp_path: Path, sample_stock: dict[tuple[str, str], tuple[int, int]]
) -> None:
    env = embedded_env(tmp_path)
    with started(env) as client:
        body = [{"location_id": "DC01", "sku": "MY-SKU", "on_hand": 5}]
        assert client.put("/v1/inventory", json=body).status_code == 200
    with started(env) as client:
        assert figures(client, "DC01", "MY-SKU") == (5, 0)
        assert figures(client, "DC01", SKU) == (0, 0)  # the generated stock stays gone


@pytest.mark.parametrize("value", ["false", "0", "no"])
def test_sample_data_switched_off_seeds_nothing_on_the_embedded_default(
    tmp_path: Path, value: str
) -> None:
    with started(embedded_env(tmp_path, OMNIROUTE_SAMPLE_DATA=value)) as client:
        assert client.get("/v1/network").json()["locations"] == len(sample_network().locations)
        for location_id in ("DC01", "DC02", "ST001"):
            assert figures(client, location_id, SKU) == (0, 0)


def test_a_record_synced_to_no_stock_is_not_refilled_with_sample_stock_at_a_restart(
    tmp_path: Path,
) -> None:
    env = embedded_env(tmp_path)
    with started(env) as client:
        assert figures(client, "DC01", "SKU-00001")[0] > 0
        assert client.put("/v1/inventory", json=[]).status_code == 200
    with started(env) as client:
        assert figures(client, "DC01", "SKU-00001") == (0, 0)
