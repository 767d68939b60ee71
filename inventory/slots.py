"""Location slots: every location id gets a small integer once, so per-SKU figures are vectors.

An availability matrix for (skus × locations) is then one fancy-indexing step over the SKU
vectors. Both adapters use this; it is pure numpy.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

IntMatrix = npt.NDArray[np.int64]
SlotArray = npt.NDArray[np.intp]
MAX_CACHED_INDEXES = 1024


def gather(
    rows: Sequence[npt.NDArray[np.integer] | None], index: SlotArray, width: int
) -> IntMatrix:
    """Matrix of ``rows`` (one vector per SKU, possibly shorter than ``width`` or ``None``)
    at the slots of ``index``. ``index == width`` stands for an unknown location: zero."""
    padded = np.zeros((len(rows), width + 1), dtype=np.int64)
    for i, row in enumerate(rows):
        if row is not None:
            n = min(len(row), width)
            padded[i, :n] = row[:n]
    return padded[:, index]


class SlotIndexCache:
    """Slot arrays per tuple of location ids; previews ask for the same few tuples again and
    again. Slots never move once given, so entries only go stale when new slots appear."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._width = -1
        self._cache: dict[tuple[str, ...], SlotArray] = {}

    def index(self, location_ids: Sequence[str], slots: Mapping[str, int], width: int) -> SlotArray:
        key = location_ids if isinstance(location_ids, tuple) else tuple(location_ids)
        found = self._cache.get(key) if width == self._width else None
        if found is not None:
            return found
        found = np.fromiter((slots.get(loc, width) for loc in key), dtype=np.intp, count=len(key))
        with self._lock:
            if width != self._width or len(self._cache) >= MAX_CACHED_INDEXES:
                self._cache = {}
                self._width = width
            self._cache[key] = found
        return found
