"""Per-key rate limits: a token bucket. ``take`` answers 0.0 when the request may go ahead,
else the seconds until a token is there (the ``Retry-After``).

The arithmetic lives in :func:`refill_and_take` so the in-process bucket here and the Redis one
(``flows.ratelimit_redis``, a Lua script with the same rule) answer alike.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class RateLimiter(Protocol):
    def take(self, name: str) -> float: ...


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: float  # when ``tokens`` was counted


def refill_and_take(
    bucket: Bucket | None, now: float, rate: float, burst: float
) -> tuple[Bucket, float]:
    """The bucket after one request at ``now`` and the wait (0.0: allowed). A new bucket is
    full; a refused request takes nothing."""
    if bucket is None:
        tokens = burst
    else:  # a clock that steps back refills nothing (and takes nothing either)
        tokens = min(burst, bucket.tokens + max(0.0, now - bucket.at) * rate)
    if tokens >= 1.0:
        return Bucket(tokens - 1.0, now), 0.0
    wait = (1.0 - tokens) / rate
    # Rounded up to where the float sums agree: a request at ``now + wait`` finds the token
    # (else it would be refused again, told to wait 1e-17 s). A few ulps at most.
    while tokens + ((now + wait) - now) * rate < 1.0:
        wait += max(math.ulp(now), math.ulp(wait))
    return Bucket(tokens, now), wait


class Unlimited:
    def take(self, name: str) -> float:
        del name  # no key is ever held back
        return 0.0


class MemoryRateLimiter:
    """One process's buckets (the embedded default: one worker)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def take(self, name: str) -> float:
        with self._lock:
            bucket, wait = refill_and_take(
                self._buckets.get(name), self._clock(), self._rate, self._burst
            )
            self._buckets[name] = bucket
        return wait
