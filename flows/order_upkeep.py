"""The periodic reconciliation of the order life in ``serve`` (see :mod:`flows.order_reconcile`).

One daemon thread per worker; several workers reconciling at once is safe (every repair is
idempotent and takes the summary's lock), so no leader election is needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from flows.errors import FlowError
from flows.order_reconcile import ReconcileReport
from inventory.errors import InventoryError

log = logging.getLogger("omniroute.orders")


class OrderUpkeep:
    def __init__(self, run: Callable[[], ReconcileReport], *, every_seconds: float) -> None:
        self._run_once = run
        self._every = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._every <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="order-upkeep", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            self.run_once()

    def run_once(self) -> None:
        try:
            report = self._run_once()
        except (InventoryError, FlowError, SQLAlchemyError) as error:
            log.warning("order reconciliation could not finish, will retry: %s", error)
            return
        repaired = {k: v for k, v in report.as_dict().items() if v}
        if repaired:
            log.warning("order reconciliation repaired: %s", repaired)
