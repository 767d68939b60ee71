"""Ray as a wave's executor (``omniroute wave --executor ray``): the search's neighbourhoods
spread over the cores of a Ray cluster, or of a local Ray instance started for the purpose.

Ray is an optional extra (``pip install 'omniroute[ray]'``), imported only when an executor
is made. On a cluster every node needs omniroute installed (the tasks name the engine's
functions, they do not carry its code)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flows.errors import FlowError
from flows.wave_executor import Closing

T = TypeVar("T")
R = TypeVar("R")

RAY_MISSING = "the ray executor needs the 'ray' extra: pip install 'omniroute[ray]'"


class RayMissingError(FlowError):
    """Ray is not installed."""

    def __init__(self) -> None:
        super().__init__(RAY_MISSING)


class RayExecutor(Closing):
    """``address`` None: a local Ray instance of ``workers`` CPUs, started here; otherwise the
    cluster there is joined (``host:port`` of its head, or ``auto``) and ``workers`` only
    bounds what the caller sends at once. When this process is already connected to Ray, that
    connection is used. ``close`` ends only what this executor started."""

    def __init__(self, workers: int, address: str | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        try:
            import ray
        except ImportError as error:
            raise RayMissingError() from error
        self._ray = ray
        self._remote: dict[Callable[..., Any], Any] = {}
        self._started = not ray.is_initialized()
        if not self._started:
            return
        local = address is None  # "local": a new instance, even where RAY_ADDRESS is set
        try:
            ray.init(
                address="local" if local else address,
                num_cpus=workers if local else None,
                include_dashboard=False,
                log_to_driver=False,
                # a private instance's warnings (its token, its memory) are not the user's
                logging_level=logging.ERROR if local else logging.WARNING,
            )
        except (ConnectionError, ValueError) as error:
            where = "start a local Ray instance" if local else f"join the Ray cluster at {address}"
            raise FlowError(f"cannot {where}: {error}") from error

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
        """``fn`` must be importable where the tasks run (a module's function)."""
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(fn)
        results: list[R] = self._ray.get([remote.remote(task) for task in tasks])
        return results

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False
