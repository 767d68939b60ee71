"""The wave job runner: one daemon thread per worker, started and stopped with the app.

It claims one job at a time in the database (see :mod:`flows.wave_jobs`): a ``queued`` job,
or a ``running`` one whose heartbeat is older than ``stale_seconds`` (the worker that ran it
died or was stopped mid-wave). A claim is one ``UPDATE … WHERE id = … AND <the state seen>``
whose row count says who won, so several workers never run one job at once (SQLite and
PostgreSQL alike). While it plans, a second thread beats the job's heartbeat and progress;
every later write of the job is conditioned on still holding the claim, so a worker whose
job was taken over cannot overwrite the new owner's result. A job claimed more than
``MAX_ATTEMPTS`` times is failed instead of crashing worker after worker.

An ``optimize`` job routes its search's neighbourhoods through an executor of the settings'
kind (``OMNIROUTE_WAVE_EXECUTOR``, ``OMNIROUTE_WAVE_WORKERS``, ``OMNIROUTE_RAY_ADDRESS``),
made for the job and closed after it, however it ends; one that cannot be made (Ray not
installed, its cluster out of reach) fails the job, with the reason recorded on it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import SQLAlchemyError

from engine.wave.exact import WaveParams
from flows.bootstrap import Services
from flows.order_schema import wave_jobs
from flows.wave_commit import run_summaries
from flows.wave_executor import executor_for
from flows.wave_jobs import BUILT, DONE, FAILED, ORDERS, PLANNED, QUEUED, RUNNING, run_wave
from inventory.errors import InventoryUnavailable

log = logging.getLogger("omniroute.waves")
MAX_ATTEMPTS = 3
t = wave_jobs.c


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WaveRunner:
    def __init__(
        self,
        services: Services,
        *,
        poll_seconds: float = 2.0,
        beat_seconds: float = 5.0,
        stale_seconds: float = 60.0,
        name: str | None = None,
    ) -> None:
        self.services = services
        self.name = name or worker_name()
        self._poll, self._beat, self._stale = poll_seconds, beat_seconds, stale_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="wave-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming. A wave being planned is not interrupted: it finishes in the
        background, or (the process ending first) another worker takes it over once its
        heartbeat is stale."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout=timeout)

    def wake(self) -> None:
        """Look for work now (a job was just posted to this worker)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except SQLAlchemyError as error:
                log.warning("wave runner could not reach the database, will retry: %s", error)
                ran = False
            if not ran:
                self._wake.wait(self._poll)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim one job and run it to its end; False when there was none to claim."""
        job = self._claim()
        if job is None:
            return False
        if job.attempts > MAX_ATTEMPTS:
            why = f"given up after {MAX_ATTEMPTS} attempts: the workers running it stopped"
            self._finish(job.id, status=FAILED, error=why)
            return True
        return self._run(job)

    # -- claiming ----------------------------------------------------------------------------

    def _claim(self) -> Row[Any] | None:
        now = self.services.now()
        stale = now - timedelta(seconds=self._stale)
        engine = self.services.store.engine
        silent = or_(t.heartbeat_at.is_(None), t.heartbeat_at < stale)
        claimable = or_(t.status == QUEUED, and_(t.status == RUNNING, silent))
        with engine.connect() as conn:
            seen = conn.execute(
                select(t.id, t.status, t.claimed_by)
                .where(claimable)
                .order_by(t.created_at, t.id)
                .limit(10)
            ).all()
        for job_id, status, owner in seen:
            still: ColumnElement[bool] = t.status == QUEUED
            if status == RUNNING:
                held = t.claimed_by.is_(None) if owner is None else t.claimed_by == owner
                still = and_(t.status == RUNNING, held, silent)
            claim = (
                update(wave_jobs)
                .where(t.id == job_id, still)
                .values(
                    status=RUNNING,
                    claimed_by=self.name,
                    heartbeat_at=now,
                    started_at=now,
                    progress=0.0,
                    attempts=t.attempts + 1,
                )
            )
            with engine.begin() as conn:
                won = conn.execute(claim).rowcount == 1
            if won:
                if status == RUNNING:
                    log.warning("wave job %s taken over from %s", job_id, owner)
                with engine.connect() as conn:
                    return conn.execute(select(wave_jobs).where(t.id == job_id)).one()
        return None

    # -- running -----------------------------------------------------------------------------

    def _run(self, job: Row[Any]) -> bool:
        """Plan the job and record its end; False when it was put back to retry later."""
        params = json.loads(job.params)
        settings = self.services.settings
        wave = WaveParams(
            time_limit=float(params["time_limit"]),
            seed=int(params["seed"]),
            parallel=settings.wave_workers,
        )
        expected = wave.time_limit if job.strategy == "optimize" else None
        beat = _Heartbeat(self, job.id, expected)
        beat.start()
        try:
            with executor_for(
                job.strategy, settings.wave_executor, wave.parallel, settings.ray_address
            ) as executor:
                if params.get("order_summaries"):
                    outcome = run_summaries(
                        self.services,
                        params["order_summaries"],
                        job.strategy,
                        wave,
                        commit=bool(params.get("commit")),
                        on_progress=beat.reached,
                        executor=executor,
                    )
                else:
                    orders = ORDERS.validate_json(job.orders)
                    outcome = run_wave(
                        self.services,
                        orders,
                        job.strategy,
                        wave,
                        beat.reached,
                        executor=executor,
                    )
        except (InventoryUnavailable, SQLAlchemyError) as error:
            # Not the job's fault: put it back for the next claim (this or another worker).
            log.warning("wave job %s put back, will retry: %s", job.id, error)
            beat.stop()
            self._write(
                job.id, status=QUEUED, claimed_by=None, heartbeat_at=None, attempts=t.attempts - 1
            )
            return False
        except Exception as error:  # the job's own failure is recorded, never the runner's end
            log.exception("wave job %s failed", job.id)
            beat.stop()
            self._finish(job.id, status=FAILED, error=f"{type(error).__name__}: {error}")
            return True
        beat.stop()
        self._finish(
            job.id,
            status=DONE,
            progress=1.0,
            rules_version=outcome.rules_version,
            kpis=json.dumps(outcome.kpis),
            plan=outcome.plan,
        )
        return True

    def _finish(self, job_id: str, **values: Any) -> None:
        self._write(job_id, finished_at=self.services.now(), **values)

    def _write(self, job_id: str, **values: Any) -> bool:
        """Update the job while this worker still holds it; False when it lost the claim."""
        mine = update(wave_jobs).where(
            t.id == job_id, t.status == RUNNING, t.claimed_by == self.name
        )
        with self.services.store.engine.begin() as conn:
            held = conn.execute(mine.values(**values)).rowcount == 1
        if not held:
            log.warning("wave job %s was taken over by another worker: result dropped", job_id)
        return held


class _Heartbeat:
    """Beats a running job's heartbeat and progress every ``beat_seconds`` on its own thread
    (the planning itself is one long call). ``optimize`` runs for its time limit, so its
    progress is the time spent; the other strategies report their stages only."""

    def __init__(self, runner: WaveRunner, job_id: str, expected_seconds: float | None) -> None:
        self._runner, self._job = runner, job_id
        self._expected = expected_seconds
        self._progress = 0.0
        self._started = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="wave-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=30)

    def reached(self, progress: float) -> None:
        self._progress = progress
        self._beat()

    def _loop(self) -> None:
        while not self._done.wait(self._runner._beat):
            self._beat()

    def _beat(self) -> None:
        progress = self._progress
        if self._expected is not None and BUILT <= progress < PLANNED:
            spent = (time.monotonic() - self._started) / self._expected
            progress = BUILT + (PLANNED - BUILT) * min(spent, 1.0)
        try:
            self._runner._write(
                self._job, heartbeat_at=self._runner.services.now(), progress=round(progress, 3)
            )
        except SQLAlchemyError as error:
            log.warning("wave job %s: heartbeat not written: %s", self._job, error)
