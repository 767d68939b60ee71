"""Where a wave's neighbourhoods are routed: a pool of processes on this machine (each
HiGHS solve holds one core; threads would share the interpreter). Made on demand, never at
import."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType

from engine.wave.mip import MipOutcome
from engine.wave.search import Task


class ProcessExecutor:
    """``workers`` processes, started by spawning (safe beside the service's threads)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def map(self, fn: Callable[[Task], MipOutcome], tasks: Sequence[Task]) -> list[MipOutcome]:
        return list(self._pool.map(fn, tasks))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
