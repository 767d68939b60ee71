"""Keeps a worker's inventory cache built from the record, and checks the two agree.

One daemon thread per process: it rebuilds the cache at once when a request found it not
ready (Redis lost its data, another worker's full sync switched builds), looks every
``watch_seconds`` whether the record moved to a generation the cache does not hold, and
every ``check_seconds`` compares cache and record and logs what differs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flows.errors import FlowError
from inventory.errors import InventoryError
from inventory.recorded import RecordedInventory

log = logging.getLogger("omniroute.inventory")


class InventoryUpkeep:
    def __init__(
        self,
        inventory: Callable[[], RecordedInventory],
        *,
        watch_seconds: float = 1.0,
        check_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inventory = inventory
        self._watch = watch_seconds
        self._check = check_seconds
        self._monotonic = monotonic
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="inventory-upkeep", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout=30)

    def wake(self) -> None:
        """A request found the cache not ready: rebuild now rather than at the next look."""
        self._wake.set()

    def _run(self) -> None:
        next_check = self._monotonic() + self._check if self._check > 0 else float("inf")
        while not self._stop.is_set():
            self._wake.wait(self._watch)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.rebuild_if_needed()
            if self._monotonic() >= next_check:
                self.check()
                next_check = self._monotonic() + self._check

    def rebuild_if_needed(self) -> bool:
        inventory = self._inventory()
        try:
            if not inventory.needs_rebuild():
                return False
            started = time.perf_counter()
            snapshot = inventory.rebuild(force=False)
        except (InventoryError, FlowError) as exc:
            log.warning("inventory cache rebuild failed, will retry: %s", exc)
            return False
        if snapshot is not None:
            log.warning(
                "inventory cache rebuilt from the record (build %s, %d cells, %d reservations) "
                "in %.2f s",
                snapshot.marker,
                len(snapshot.stock),
                len(snapshot.reservations),
                time.perf_counter() - started,
            )
        return snapshot is not None

    def check(self) -> None:
        try:
            differences = self._inventory().check()
        except (InventoryError, FlowError) as exc:
            log.warning("inventory check could not run: %s", exc)
            return
        for difference in differences[:100]:
            log.warning("inventory check: %s", difference)
        if differences:
            log.warning(
                "inventory check: %d differences between cache and record; "
                "run `omniroute inventory check --fix` to rebuild the cache",
                len(differences),
            )
        else:
            log.info("inventory check: cache and record agree")
