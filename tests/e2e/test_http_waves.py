"""Wave jobs over HTTP (dry runs), on the embedded stack and on PostgreSQL + Redis: post,
follow, read the plan; idempotency; bad orders; a job left running by a dead worker is
taken over by the next app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine.order import Order
from flows.bootstrap import Services
from flows.order_schema import wave_jobs
from flows.wave_jobs import WaveRequest, submit
from tests.support.auth import api_client

# tests/e2e/data: SKU-1 at DC01, DC02, ST01 and ST03; SKU-2 at DC01, DC02, ST01, ST02.
NEWARK = {"method": "ship", "lat": 40.73, "lon": -74.17, "country": "US"}
ORDERS: list[dict[str, Any]] = [
    {"id": "O1", "lines": [{"id": "1", "sku": "SKU-1", "quantity": 2}], "delivery": NEWARK},
    {
        "id": "O2",
        "lines": [
            {"id": "1", "sku": "SKU-1", "quantity": 1},
            {"id": "2", "sku": "SKU-2", "quantity": 2},
        ],
        "delivery": {"method": "pickup", "location_id": "ST01"},
    },
    {"id": "O3", "lines": [{"id": "1", "sku": "SKU-404", "quantity": 1}], "delivery": NEWARK},
]


@pytest.fixture
def client(order_services: Services) -> Iterator[TestClient]:
    with api_client(order_services) as test_client:
        yield test_client


def finished(client: TestClient, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/waves/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def job_count(services: Services) -> int:
    with services.store.engine.connect() as conn:
        count: int = conn.execute(sa.select(sa.func.count()).select_from(wave_jobs)).scalar_one()
    return count


def test_a_wave_job_runs_to_done_with_kpis_and_one_answer_per_order(client: TestClient) -> None:
    posted = client.post(
        "/v1/waves", json={"orders": ORDERS, "strategy": "optimize", "time_limit": 5}
    )
    assert posted.status_code == 202, posted.text
    job_id = posted.json()["id"]
    assert job_id.startswith("WJ-")
    assert posted.json()["status"] == "queued"
    # Previews answer meanwhile (the wave runs off the request path).
    assert client.post("/v1/routes/preview", json=ORDERS[0]).status_code == 200

    job = finished(client, job_id)
    assert job["status"] == "done", job
    assert job["progress"] == 1.0
    assert job["strategy"] == "optimize"
    assert job["error"] is None
    assert job["created_at"] and job["started_at"] and job["finished_at"]
    kpis = job["kpis"]
    assert kpis["strategy"] == "optimize"
    assert (kpis["orders"], kpis["units_ordered"]) == (3, 6)
    assert kpis["units_filled"] == 5  # SKU-404 stays unfilled

    plan = client.get(f"/v1/waves/{job_id}/plan")
    assert plan.status_code == 200
    results = plan.json()["results"]
    assert [answer["order_id"] for answer in results] == ["O1", "O2", "O3"]
    assert results[0]["routes"] and results[0]["rules_version"] == job["rules_version"]
    assert results[1]["routes"][0]["fulfillment_orders"][0]["location_id"] == "ST01"


def test_the_same_key_and_body_answer_the_same_job_and_another_body_is_refused(
    client: TestClient,
) -> None:
    body = {"orders": ORDERS[:1]}
    first = client.post("/v1/waves", json=body, headers={"Idempotency-Key": "w-1"})
    again = client.post("/v1/waves", json=body, headers={"Idempotency-Key": "w-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    other = client.post(
        "/v1/waves", json={"orders": ORDERS[:2]}, headers={"Idempotency-Key": "w-1"}
    )
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert finished(client, first.json()["id"])["kpis"]["strategy"] == "sequential"


def test_bad_orders_are_refused_naming_the_field_and_create_no_job(
    client: TestClient, order_services: Services
) -> None:
    bad_quantity = [
        *ORDERS[:1],
        {**ORDERS[0], "id": "O9", "lines": [{"id": "1", "sku": "S", "quantity": 0}]},
    ]
    answer = client.post("/v1/waves", json={"orders": bad_quantity})
    assert answer.status_code == 422
    assert [d["field"] for d in answer.json()["detail"]] == ["orders[1].lines[0].quantity"]

    unknown_store = [
        *ORDERS[:2],
        {**ORDERS[1], "id": "O4", "delivery": {"method": "pickup", "location_id": "NOPE"}},
    ]
    answer = client.post("/v1/waves", json={"orders": unknown_store})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "orders[2].delivery.location_id"

    twice = client.post("/v1/waves", json={"orders": [ORDERS[0], ORDERS[0]]})
    assert (twice.status_code, twice.json()["detail"][0]["field"]) == (422, "orders[1].id")
    for body in (
        {"orders": []},
        {"orders": ORDERS, "strategy": "fastest"},
        {"orders": ORDERS, "time_limit": 0},
    ):
        assert client.post("/v1/waves", json=body).status_code == 422
    assert job_count(order_services) == 0


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert client.get("/v1/waves/WJ-nope").status_code == 404
    assert client.get("/v1/waves/WJ-nope/plan").status_code == 404


def test_a_job_held_by_a_live_worker_is_left_alone_and_its_plan_is_not_ready(
    order_services: Services,
) -> None:
    job, _ = submit(order_services, WaveRequest(orders=[order_from(ORDERS[0])]))
    set_running(order_services, job["id"], heartbeat_age=timedelta(seconds=0))
    with api_client(order_services) as client:
        client.app.state.wave_runner.run_once()  # type: ignore[attr-defined]
        assert client.get(f"/v1/waves/{job['id']}").json()["status"] == "running"
        plan = client.get(f"/v1/waves/{job['id']}/plan")
        assert (plan.status_code, plan.json()["error"]) == (409, "wave_not_done")


def test_a_job_left_running_by_a_dead_worker_is_taken_over_by_a_new_app(
    order_services: Services,
) -> None:
    job, _ = submit(order_services, WaveRequest(orders=[order_from(o) for o in ORDERS]))
    set_running(order_services, job["id"], heartbeat_age=timedelta(hours=1))
    with api_client(order_services) as client:  # the restarted service
        done = finished(client, job["id"])
        assert done["status"] == "done", done
        assert len(client.get(f"/v1/waves/{job['id']}/plan").json()["results"]) == 3
    with order_services.store.engine.connect() as conn:
        row = conn.execute(sa.select(wave_jobs).where(wave_jobs.c.id == job["id"])).one()
    assert row.claimed_by != "dead-worker"
    assert row.attempts == 2


# -- helpers -------------------------------------------------------------------------------


def order_from(document: dict[str, Any]) -> Order:
    return Order.model_validate(document)


def set_running(services: Services, job_id: str, *, heartbeat_age: timedelta) -> None:
    """As a worker that claimed the job (and, when the age is large, then died) leaves it."""
    with services.store.engine.begin() as conn:
        conn.execute(
            sa.update(wave_jobs)
            .where(wave_jobs.c.id == job_id)
            .values(
                status="running",
                claimed_by="dead-worker",
                attempts=1,
                started_at=services.now() - heartbeat_age,
                heartbeat_at=services.now() - heartbeat_age,
            )
        )
