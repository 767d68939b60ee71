"""Wave jobs: dry-run waves posted over HTTP, planned off the request path.

A job is a row of ``wave_jobs`` (see :mod:`flows.order_schema`): the preview orders as posted,
the strategy and its parameters. :func:`submit` records it (``queued``, idempotent on the
caller's key); a :class:`~flows.wave_runner.WaveRunner` thread in some worker claims it,
plans it over the service's network, rules and stock as they are when it runs (as a preview
would) and records the KPIs and the plan, one preview answer per order (JSON Lines), or the
error. Nothing is reserved and no Fulfillment Order is created: a dry run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from engine.answer import PreviewAnswer
from engine.delivery import resolve_method
from engine.errors import PreviewInputError, UnknownLocation
from engine.network import Network
from engine.order import Order
from engine.wave.answer import answers, kpi_document
from engine.wave.exact import WaveParams
from engine.wave.model import build_wave
from engine.wave.search import Executor
from engine.wave.strategies import Strategy as Strategy
from engine.wave.strategies import plan_wave
from flows.bootstrap import Services
from flows.errors import FlowError
from flows.order_records import NotFound, as_utc
from flows.order_schema import wave_jobs
from flows.service_flows import KeyReused, fingerprint_of
from summary.errors import InvalidRequest

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ORDERS = TypeAdapter(list[Order])
STATUS_COLUMNS = (
    "id",
    "status",
    "strategy",
    "progress",
    "kpis",
    "error",
    "rules_version",
    "created_at",
    "started_at",
    "finished_at",
)


class WaveNotDone(FlowError):
    """The plan of a job that has not finished, or failed (HTTP 409)."""


class DuplicateOrder(PreviewInputError):
    """Two orders of one wave with the same id: an answer would not say which it is."""


@dataclass(frozen=True, slots=True)
class WaveRequest:
    orders: Sequence[Order]
    strategy: Strategy = "sequential"
    time_limit: float = 30.0
    seed: int = 0
    order_summaries: Sequence[str] = ()  # instead of orders: recorded summaries' open units
    commit: bool = False  # make the routes real (order summaries only)

    def document(self) -> dict[str, Any]:
        return {
            "orders": ORDERS.dump_python(list(self.orders), mode="json"),
            "strategy": self.strategy,
            "time_limit": self.time_limit,
            "seed": self.seed,
            "order_summaries": list(self.order_summaries),
            "commit": self.commit,
        }

    def params(self) -> dict[str, Any]:
        """What the job row keeps of the request besides its orders."""
        kept: dict[str, Any] = {"time_limit": self.time_limit, "seed": self.seed}
        if self.order_summaries:
            kept |= {"order_summaries": list(self.order_summaries), "commit": self.commit}
        return kept


# -- use cases ---------------------------------------------------------------------------------


def submit(
    services: Services, request: WaveRequest, *, idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """Record a job (``queued``); ``(its status, True)``. The same key with the same request
    gives the job it made before, ``(status, False)``; with another request, :class:`KeyReused`.
    Every order is checked against the active network first: an unknown pickup store or
    delivery method, or an id used twice, is the caller's to fix (``orders[i].field``)."""
    _check_source(services, request)
    print_ = fingerprint_of(request.document())
    if idempotency_key is not None:
        earlier = _by_key(services, idempotency_key, print_)
        if earlier is not None:
            return earlier, False
    job_id = f"WJ-{uuid.uuid4().hex[:20]}"
    row = {
        "id": job_id,
        "status": QUEUED,
        "strategy": request.strategy,
        "params": json.dumps(request.params()),
        "orders": ORDERS.dump_json(list(request.orders)).decode(),
        "progress": 0.0,
        "idempotency_key": idempotency_key,
        "fingerprint": print_,
        "attempts": 0,
        "created_at": services.now(),
    }
    try:
        with services.store.engine.begin() as conn:
            conn.execute(wave_jobs.insert().values(**row))
    except IntegrityError:
        # Another request with the same key committed first.
        earlier = None if idempotency_key is None else _by_key(services, idempotency_key, print_)
        if earlier is None:
            raise
        return earlier, False
    return job_status(services, job_id), True


def job_status(services: Services, job_id: str) -> dict[str, Any]:
    """``{id, status, strategy, progress, kpis, error, rules_version, created_at, started_at,
    finished_at}``; :class:`NotFound` for an unknown id. Polled every second by the console:
    the orders and the plan (up to megabytes) are not read."""
    columns = [wave_jobs.c[name] for name in STATUS_COLUMNS]
    with services.store.engine.connect() as conn:
        row = conn.execute(select(*columns).where(wave_jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound("wave job", job_id)
    return _status(row)


def job_plan(services: Services, job_id: str) -> tuple[str, str]:
    """``(strategy, plan)``: one preview answer per order, JSON Lines, in the posted order.
    :class:`WaveNotDone` while the job is queued or running, or when it failed."""
    row = _row(services, job_id)
    if row.status != DONE or row.plan is None:
        why = f": {row.error}" if row.status == FAILED else ""
        raise WaveNotDone(f"wave job {job_id} is {row.status}{why}; its plan is not available")
    return row.strategy, row.plan


def list_jobs(
    services: Services, limit: int, offset: int = 0, *, status: str | None = None
) -> list[dict[str, Any]]:
    """Up to ``limit`` jobs' statuses (as :func:`job_status`), newest first, after skipping
    ``offset``, only those in ``status`` if given; their orders and plans are not read."""
    columns = [wave_jobs.c[name] for name in STATUS_COLUMNS]
    query = (
        select(*columns)
        .order_by(wave_jobs.c.created_at.desc(), wave_jobs.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        query = query.where(wave_jobs.c.status == status)
    with services.store.engine.connect() as conn:
        return [_status(row) for row in conn.execute(query)]


def job_orders(services: Services, job_id: str) -> list[Order]:
    """The preview orders the job was posted with, in posted order (none for a wave of
    recorded order summaries); :class:`NotFound` for an unknown id."""
    with services.store.engine.connect() as conn:
        text = conn.execute(
            select(wave_jobs.c.orders).where(wave_jobs.c.id == job_id)
        ).scalar_one_or_none()
    if text is None:
        raise NotFound("wave job", job_id)
    return ORDERS.validate_json(text)


def _check_source(services: Services, request: WaveRequest) -> None:
    """Orders inline, or recorded summaries (the only ones a wave may commit)."""
    if bool(request.orders) == bool(request.order_summaries):
        raise InvalidRequest("orders", "give either orders or order_summaries")
    if request.commit and not request.order_summaries:
        raise InvalidRequest("commit", "only a wave of order_summaries can commit")
    if request.orders:
        check_orders(request.orders, services.config().network)
    else:
        check_summaries(services, request.order_summaries)


def check_summaries(services: Services, keys: Sequence[str]) -> None:
    """Every key names a managed summary (``order_summaries[i]`` otherwise)."""
    with services.uow() as uow:
        for i, key in enumerate(keys):
            try:
                summary = uow.summary(key, lock=False)
            except NotFound:
                raise InvalidRequest(f"order_summaries[{i}]", f"no order summary {key!r}") from None
            if not summary.managed:
                raise InvalidRequest(f"order_summaries[{i}]", f"order summary {key!r} is unmanaged")


def check_orders(orders: Sequence[Order], network: Network) -> None:
    """What a preview checks before routing (pickup store, delivery method), and unique ids."""
    seen: dict[str, int] = {}
    for i, order in enumerate(orders):
        first = seen.setdefault(order.id, i)
        if first != i:
            raise DuplicateOrder(f"orders[{i}].id", f"order {order.id!r} is also orders[{first}]")
        delivery = order.delivery
        try:
            if delivery.method == "pickup" and delivery.location_id not in network.index:
                raise UnknownLocation(
                    "delivery.location_id", f"unknown pickup location {delivery.location_id!r}"
                )
            resolve_method(order, network)
        except PreviewInputError as exc:
            raise type(exc)(f"orders[{i}].{exc.field}", exc.message) from exc


# -- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaveOutcome:
    rules_version: str
    kpis: dict[str, Any]
    plan: str  # JSON Lines


BUILT, PLANNED = 0.1, 0.9  # progress once the wave is built, once it is planned


def run_wave(
    services: Services,
    orders: Sequence[Order],
    strategy: str,
    params: WaveParams,
    on_progress: Callable[[float], object] = lambda _: None,
    then: Callable[[list[PreviewAnswer], dict[str, Any]], object] = lambda *_: None,
    *,
    executor: Executor | None = None,
) -> WaveOutcome:
    """Plan ``orders`` over the active network and rules and the current stock. Read-only,
    but for ``then``: what to do with the answers before they are written (it may add to the
    KPIs). ``executor``: where ``optimize``'s search routes its neighbourhoods (None: in turn,
    here)."""
    config = services.config()
    network, rules = config.network, config.rules
    problem = build_wave(
        orders, network=network, rules=rules.rules, stock=services.inventory, now=services.now()
    )
    on_progress(BUILT)
    plan = plan_wave(problem, strategy, params, executor)
    on_progress(PLANNED)
    planned = answers(
        problem, plan, network=network, rules=rules.rules, rules_version=rules.version
    )
    kpis = kpi_document(problem, plan)
    then(planned, kpis)
    text = "".join(answer.model_dump_json() + "\n" for answer in planned)
    return WaveOutcome(rules.version, kpis, text)


# -- rows --------------------------------------------------------------------------------------


def _row(services: Services, job_id: str) -> Row[Any]:
    with services.store.engine.connect() as conn:
        row = conn.execute(select(wave_jobs).where(wave_jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound("wave job", job_id)
    return row


def _by_key(services: Services, key: str, print_: str) -> dict[str, Any] | None:
    with services.store.engine.connect() as conn:
        row = conn.execute(select(wave_jobs).where(wave_jobs.c.idempotency_key == key)).first()
    if row is None:
        return None
    if row.fingerprint != print_:
        raise KeyReused(f"Idempotency-Key {key!r} was used with another body")
    return _status(row)


def _status(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "strategy": row.strategy,
        "progress": row.progress,
        "kpis": None if row.kpis is None else json.loads(row.kpis),
        "error": row.error,
        "rules_version": row.rules_version,
        "created_at": _iso(row.created_at),
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat()
