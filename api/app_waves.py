"""Wave jobs over HTTP (see flows/wave_jobs.py): post a dry-run wave, follow it, read its plan.

Posting records the job and answers at once (202); a worker's runner thread plans it off the
request path, so previews keep answering while a wave runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from access.scopes import Scope
from api.app_inventory import services_of
from api.app_service import IdempotencyKey
from api.auth import requires
from api.errors import error_response
from engine.order import Order
from flows import wave_jobs
from flows.wave_jobs import Strategy, WaveNotDone, WaveRequest

router = APIRouter(dependencies=[requires(Scope.ops)])
MAX_WAVE_ORDERS = 10_000
MAX_TIME_LIMIT = 3_600.0


class WaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    orders: list[Order] = Field(
        default_factory=list, max_length=MAX_WAVE_ORDERS, description="preview orders (DESIGN.md)"
    )
    order_summaries: list[str] = Field(
        default_factory=list,
        max_length=MAX_WAVE_ORDERS,
        description="instead of orders: recorded managed summaries, their units still to fulfil",
    )
    commit: bool = Field(
        default=False,
        description="order summaries only: reserve and create Fulfillment Orders for the plan",
    )
    strategy: Strategy = Field(
        default="sequential", description="optimize (joint), or an order-by-order baseline"
    )
    time_limit: float = Field(
        default=30.0, gt=0, le=MAX_TIME_LIMIT, description="seconds optimize may take"
    )
    seed: StrictInt = Field(default=0, ge=0, le=2**31 - 1, description="optimize's seed")


class WaveJobOut(BaseModel):
    id: str
    status: str
    strategy: str
    progress: float
    kpis: dict[str, Any] | None
    error: str | None
    rules_version: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None


@router.post("/v1/waves", status_code=202, response_model=WaveJobOut)
def post_wave(
    request: Request, body: WaveIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Start a dry-run wave job over the active network, rules and stock: 202 with its id
    (``queued``); the same ``Idempotency-Key`` and body answer the same job again (200)."""
    job, created = wave_jobs.submit(
        services_of(request),
        WaveRequest(
            body.orders,
            body.strategy,
            body.time_limit,
            body.seed,
            body.order_summaries,
            body.commit,
        ),
        idempotency_key=idempotency_key,
    )
    runner = getattr(request.app.state, "wave_runner", None)
    if created and runner is not None:
        runner.wake()
    return JSONResponse(job, status_code=202 if created else 200)


@router.get("/v1/waves/{job_id}", response_model=WaveJobOut)
def get_wave(request: Request, job_id: str) -> dict[str, Any]:
    """The job's status (queued | running | done | failed), progress (0..1), KPIs once done."""
    return wave_jobs.job_status(services_of(request), job_id)


@router.get("/v1/waves/{job_id}/plan")
def get_wave_plan(request: Request, job_id: str) -> Response:
    """``{"id", "strategy", "results": [one preview answer per order, in posted order]}``;
    409 until the job is done."""
    try:
        strategy, plan = wave_jobs.job_plan(services_of(request), job_id)
    except WaveNotDone as error:
        return error_response(409, "wave_not_done", str(error))
    head = f'{{"id":"{job_id}","strategy":"{strategy}","results":['.encode()
    body = head + b",".join(plan.encode().splitlines()) + b"]}"
    return Response(body, media_type="application/json")
