"""Waves and replay (ops): the wave jobs, newest first, with their live progress, KPIs and gap
to the bound; a form that posts a wave job (what ``POST /v1/waves`` takes, the orders pasted
as JSON Lines); the replay of the active rules against other rules over a finished job's
orders or pasted ones, drawn by the CLI's own report builder.

Every action is a use case of :mod:`flows.wave_jobs` or :mod:`flows.wave_replay`; the pages
only read forms and show answers."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup

from access.scopes import Scope
from api.app_inventory import services_of
from api.app_waves import get_wave_plan
from api.console.waves_forms import (
    MAX_REPLAY_ORDERS,
    MAX_REPLAY_SECONDS,
    FormProblems,
    ReplayForm,
    replay_input,
    wave_request,
)
from api.console.waves_views import job_view
from api.console.web import PREFIX, checked_form, need, render, see_other
from api.replay_report import report_body
from engine.errors import PreviewInputError
from engine.wave.strategies import STRATEGIES
from flows import wave_jobs, wave_replay
from flows.bootstrap import Services
from flows.order_records import NotFound
from flows.service_flows import KeyReused
from summary.errors import InvalidRequest

HERE = f"{PREFIX}/waves"
PAGE_SIZE = 20
REPLAYABLE_JOBS = 50  # the newest finished jobs the replay form offers
router = APIRouter(prefix=HERE, include_in_schema=False)


@router.get("")
def waves_page(request: Request, page: int = 1) -> Response:
    need(request, Scope.ops)
    return _waves(request, max(page, 1), {}, [], status=200)


@router.post("")
async def start_wave(request: Request) -> Response:
    need(request, Scope.ops)
    form = await checked_form(request)
    services = services_of(request)
    try:
        job = await run_in_threadpool(_submit, services, form)
    except FormProblems as error:
        return _waves(request, 1, form, error.problems, status=422)
    runner = getattr(request.app.state, "wave_runner", None)
    if runner is not None:
        runner.wake()
    return see_other(f"{HERE}/{job['id']}")


@router.get("/replay")
def replay_page(request: Request, job: str = "") -> Response:
    need(request, Scope.ops)
    services = services_of(request)
    form = ReplayForm(job=job, rules_text=services.config().rules.text)
    return _replay(request, form, None, status=200)


@router.post("/replay")
async def run_replay(request: Request) -> Response:
    need(request, Scope.ops)
    form = ReplayForm.of(await checked_form(request))
    try:
        result = await run_in_threadpool(_replay_result, services_of(request), form)
    except FormProblems as error:
        form.problems = error.problems
        return _replay(request, form, None, status=422)
    return _replay(request, form, result, status=200)


@router.get("/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    need(request, Scope.ops)
    job = _job(request, job_id)
    if job is None:
        return _no_job(request, job_id)
    return render(request, "waves_job.html", {"job": job_view(job)})


@router.get("/{job_id}/progress")
def job_progress(request: Request, job_id: str, compact: bool = False) -> Response:
    """The fragment console.js swaps in until it carries ``data-final``."""
    need(request, Scope.ops)
    job = _job(request, job_id)
    if job is None:
        return _no_job(request, job_id)
    return render(request, "waves_progress.html", {"job": job_view(job), "compact": compact})


@router.get("/{job_id}/plan")
def job_plan(request: Request, job_id: str) -> Response:
    """The API's plan document (the console's cookie is not sent to ``/v1``)."""
    need(request, Scope.ops)
    return get_wave_plan(request, job_id)


# -- helpers -----------------------------------------------------------------------------------


def _submit(services: Services, form: dict[str, str]) -> dict[str, Any]:
    wave = wave_request(form, services.config().network)
    once = form.get("once") or None
    try:
        try:
            job, _ = wave_jobs.submit(services, wave, idempotency_key=once)
        except KeyReused:  # the form came back (Back button) and changed: a new job
            job, _ = wave_jobs.submit(services, wave)
    except (PreviewInputError, InvalidRequest) as error:
        raise FormProblems([str(error)]) from None
    return job


def _replay_result(services: Services, form: ReplayForm) -> dict[str, Any]:
    given = replay_input(services, form)
    document = wave_replay.replay(
        services,
        given.orders,
        given.rules_b,
        strategy=given.strategy,
        params=given.params,
        names=("active rules", given.name_b),
    )
    # report_body escapes every text it draws (api.replay_report, api.replay_charts).
    return {"document": document, "report": Markup(report_body(document)), "source": given.source}


def _waves(
    request: Request, page: int, form: dict[str, str], problems: list[str], status: int
) -> Response:
    services = services_of(request)
    rows = wave_jobs.list_jobs(services, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    context = {
        "jobs": [job_view(row) for row in rows[:PAGE_SIZE]],
        "page": page,
        "more": len(rows) > PAGE_SIZE,
        "form": {"strategy": "sequential", "time_limit": "30", "seed": "0", **form},
        "once": secrets.token_urlsafe(12),
        "problems": problems,
        "strategies": STRATEGIES,
    }
    return render(request, "waves.html", context, status=status)


def _replay(
    request: Request, form: ReplayForm, result: dict[str, Any] | None, status: int
) -> Response:
    services = services_of(request)
    finished = wave_jobs.list_jobs(services, REPLAYABLE_JOBS, status=wave_jobs.DONE)
    context = {
        "form": form,
        "result": result,
        "jobs": [job_view(job) for job in finished],
        "versions": wave_replay.rules_history(services),
        "active": services.config().rules.version,
        "strategies": STRATEGIES,
        "max_orders": MAX_REPLAY_ORDERS,
        "max_seconds": MAX_REPLAY_SECONDS,
    }
    return render(request, "waves_replay.html", context, status=status)


def _job(request: Request, job_id: str) -> dict[str, Any] | None:
    try:
        return wave_jobs.job_status(services_of(request), job_id)
    except NotFound:
        return None


def _no_job(request: Request, job_id: str) -> Response:
    context = {"title": "No such wave job", "message": f"No wave job {job_id!r}.", "back": HERE}
    return render(request, "error.html", context, status=404)
