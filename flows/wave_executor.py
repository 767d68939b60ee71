"""Where a wave's neighbourhoods are routed: in turn in this process, in a pool of processes
on this machine (each HiGHS solve holds one core; threads would share the interpreter), or
over a Ray cluster (:mod:`flows.wave_ray`). Made on demand, never at import."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Self, TypeVar

from engine.wave.search import Executor, InlineExecutor
from flows.settings import ExecutorKind

T = TypeVar("T")
R = TypeVar("R")


class Closing:
    """An executor that holds workers: ``close`` them on leaving a ``with`` block."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class ProcessExecutor(Closing):
    """``workers`` processes, started by spawning (safe beside the service's threads)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        return list(self._pool.map(fn, tasks))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def make_executor(
    kind: ExecutorKind, workers: int, address: str | None = None
) -> AbstractContextManager[Executor]:
    """An executor of ``kind`` with ``workers`` workers, to use in a ``with`` block.

    ``address`` is for ``ray`` only: the cluster to join (None: a local Ray instance of
    ``workers`` CPUs, started here and stopped on leaving the block)."""
    if kind is ExecutorKind.ray:
        from flows.wave_ray import RayExecutor  # Ray is an optional extra

        return RayExecutor(workers, address)
    if address is not None:
        raise ValueError(f"an address is for the ray executor, not {kind}")
    if kind is ExecutorKind.process:
        return ProcessExecutor(workers)
    return nullcontext(InlineExecutor())


def executor_for(
    strategy: str, kind: ExecutorKind | None, workers: int, address: str | None = None
) -> AbstractContextManager[Executor | None]:
    """What ``plan_wave`` routes ``strategy``'s work through, to use in a ``with`` block:
    an executor of ``kind`` for ``optimize`` (None: a pool of ``workers`` processes when above
    1, else in turn here), nothing for the baselines (they need none). ``address`` is passed
    to the ``ray`` executor only."""
    if kind is None:
        kind = ExecutorKind.process if workers > 1 else ExecutorKind.inline
    if strategy != "optimize" or kind is ExecutorKind.inline:
        return nullcontext()
    return make_executor(kind, workers, address if kind is ExecutorKind.ray else None)
