"""The per-key rate limit's contract, run against the in-process bucket
(``access.ratelimit.MemoryRateLimiter``) and the shared one in a real Redis
(``flows.ratelimit_redis.RedisRateLimiter``; a fresh key prefix per test, deleted after).

Both run on real time (the Redis one on Redis's own clock), so the numbers below leave room
for a slow machine: rates are chosen so a few milliseconds of scheduling cannot decide a test.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from access.ratelimit import MemoryRateLimiter, RateLimiter
from flows.ratelimit_redis import TAKE, RedisRateLimiter, batch_size
from tests.conftest import delete_redis_prefix

MakeLimiter = Callable[[float, float], RateLimiter]


class RedisLimiters:
    """Limiters on one key prefix, each on its own client (as each worker has its own)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.url = url
        self.prefix = prefix
        self._redis = redis
        self.clients: list[redis.Redis] = []

    def client(self) -> object:
        client = self._redis.Redis.from_url(self.url)
        self.clients.append(client)
        return client

    def __call__(self, rate: float, burst: float, prefix: str | None = None) -> RedisRateLimiter:
        return RedisRateLimiter(self.client(), prefix=prefix or self.prefix, rate=rate, burst=burst)

    def close(self) -> None:
        for client in self.clients:
            client.close()


@pytest.fixture
def redis_limiters(redis_url: str) -> Iterator[RedisLimiters]:
    prefix = f"test-ratelimit-{uuid.uuid4().hex[:10]}"
    limiters = RedisLimiters(redis_url, prefix)
    yield limiters
    limiters.close()
    delete_redis_prefix(redis_url, prefix)
    delete_redis_prefix(redis_url, prefix + "-other")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_limiter(request: pytest.FixtureRequest) -> MakeLimiter:
    if request.param == "memory":
        return lambda rate, burst: MemoryRateLimiter(rate, burst, time.monotonic)
    limiters: RedisLimiters = request.getfixturevalue("redis_limiters")
    return limiters


# --- the contract: both kinds ---------------------------------------------------------------


def test_a_new_key_has_its_whole_burst_then_waits_about_one_token(
    make_limiter: MakeLimiter,
) -> None:
    limiter = make_limiter(1.0, 3.0)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k")
    assert 0.5 < wait <= 1.0  # the next token is a whole second away, less the time spent


def test_different_keys_have_separate_buckets(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(1.0, 2.0)
    assert [limiter.take("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a") > 0.0
    assert [limiter.take("b") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("b") > 0.0
    assert limiter.take("a") > 0.0


def test_a_refused_request_takes_nothing(make_limiter: MakeLimiter) -> None:
    rate = 2.0  # half a second per token: room for a pause on a loaded machine
    limiter = make_limiter(rate, 2.0)
    assert [limiter.take("k") for _ in range(2)] == [0.0, 0.0]
    waits = [limiter.take("k") for _ in range(10)]
    assert all(0.0 < wait <= 1.0 / rate for wait in waits), waits
    # the waits only shrink (time passes); a refusal that took a token would push them out
    assert all(later <= earlier + 1e-6 for earlier, later in itertools.pairwise(waits))
    time.sleep(waits[-1] + 0.005)
    assert limiter.take("k") == 0.0  # ten refusals later, the one token refilled is there
    assert limiter.take("k") > 0.0  # and only that one


def test_a_request_after_the_wait_succeeds(make_limiter: MakeLimiter) -> None:
    rate = 4.0
    limiter = make_limiter(rate, 1.0)
    for _ in range(3):
        assert limiter.take("k") == 0.0
        wait = limiter.take("k")
        assert 0.0 < wait <= 1.0 / rate
        time.sleep(wait)  # the wait is counted from the refusal: no margin needed
        assert limiter.take("k") == 0.0
        wait = limiter.take("k")
        assert 0.0 < wait <= 1.0 / rate
        time.sleep(wait)


def test_allowed_requests_stay_within_burst_plus_rate_times_elapsed(
    make_limiter: MakeLimiter,
) -> None:
    rate, burst = 50.0, 5.0
    limiter = make_limiter(rate, burst)
    allowed = hammer(lambda: limiter.take("k"), threads=4, seconds=0.4)
    elapsed = allowed.elapsed
    assert allowed.count <= burst + rate * elapsed + 1e-6
    assert allowed.count >= burst + rate * (elapsed - 0.3)  # and it does not under-admit


# --- Redis only: one bucket for every worker ------------------------------------------------


@pytest.mark.redis
def test_two_workers_on_one_prefix_share_one_bucket(redis_limiters: RedisLimiters) -> None:
    first, second = redis_limiters(1.0, 3.0), redis_limiters(1.0, 3.0)
    assert [first.take("k"), second.take("k"), first.take("k")] == [0.0, 0.0, 0.0]
    assert second.take("k") > 0.0
    assert first.take("k") > 0.0
    assert second.take("other") == 0.0  # a different key: its own bucket on every worker
    elsewhere = redis_limiters(1.0, 3.0, prefix=redis_limiters.prefix + "-other")
    assert elsewhere.take("k") == 0.0  # another deployment's prefix: its own buckets


@pytest.mark.redis
def test_two_racing_workers_never_spend_more_than_the_bucket_holds(
    redis_limiters: RedisLimiters,
) -> None:
    rate, burst = 20.0, 10.0
    workers = [redis_limiters(rate, burst) for _ in range(2)]
    turn = iter(range(1 << 30))

    def take() -> float:
        return workers[next(turn) % 2].take("k")

    allowed = hammer(take, threads=6, seconds=0.4)
    assert burst + rate * (allowed.elapsed - 0.3) <= allowed.count
    assert allowed.count <= burst + rate * allowed.elapsed + 1e-6


@pytest.mark.redis
def test_two_requests_microseconds_apart_agree_with_the_rule(
    redis_limiters: RedisLimiters,
) -> None:
    """Two requests in one transaction (as close as two workers' requests can come): the
    second is told to wait one token interval less the microseconds between them. Were the
    bucket's time stored to less than Redis's microsecond, it could land after the second
    request and the wait come out longer than a whole token takes."""
    import redis

    rate = 1000.0
    raw = redis.Redis.from_url(redis_limiters.url)
    try:
        script = raw.register_script(TAKE)
        for n in range(200):
            key = f"{redis_limiters.prefix}:ratelimit:k{n}"
            pipe = raw.pipeline(transaction=True)
            pipe.time()
            for _ in range(2):
                script(keys=[key], args=[repr(rate), "1.0", "1"], client=pipe)
            pipe.time()
            (s0, us0), first, second, (s1, us1) = pipe.execute()
            between = (s1 - s0) + (us1 - us0) / 1e6
            wait = float(second[1])  # [tokens granted, wait]
            assert (first[0], float(first[1])) == (1, 0.0)
            assert second[0] == 0
            assert 1.0 / rate - between - 1e-9 <= wait <= 1.0 / rate, (n, wait, between)
    finally:
        raw.close()


@pytest.mark.redis
def test_a_bucket_stamped_ahead_of_redis_clock_does_not_lock_the_key_out(
    redis_limiters: RedisLimiters,
) -> None:
    """Redis's clock can step back (NTP, a failover to a replica behind): a bucket written
    at a later time than now must count as unchanged, not as owing tokens."""
    import redis

    limiter = redis_limiters(1.0, 3.0)
    assert limiter.take("k") == 0.0
    raw = redis.Redis.from_url(redis_limiters.url)
    try:
        key = f"{redis_limiters.prefix}:ratelimit:k"
        seconds, micros = raw.time()
        raw.hset(key, mapping={"tokens": "2", "at": str(seconds + micros / 1e6 + 3600)})
    finally:
        raw.close()
    assert [limiter.take("k"), limiter.take("k")] == [0.0, 0.0]
    assert 0.9 < limiter.take("k") <= 1.0


@pytest.mark.redis
def test_an_idle_bucket_expires_once_it_would_be_full_again(
    redis_limiters: RedisLimiters,
) -> None:
    import redis

    limiter = redis_limiters(10.0, 5.0)  # full again 0.5 s after the last request
    assert limiter.take("k") == 0.0
    raw = redis.Redis.from_url(redis_limiters.url)
    try:
        ttl = raw.pttl(f"{redis_limiters.prefix}:ratelimit:k")
    finally:
        raw.close()
    assert 500 <= ttl <= 1500


@pytest.mark.redis
@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1.0), (-1.0, 2.0), (1.0, 0.5)])
def test_a_bucket_that_could_never_allow_is_refused(
    redis_limiters: RedisLimiters, rate: float, burst: float
) -> None:
    with pytest.raises(ValueError, match="rate"):
        redis_limiters(rate, burst)


class Allowed:
    def __init__(self) -> None:
        self.count = 0
        self.elapsed = 0.0
        self.lock = threading.Lock()


def hammer(take: Callable[[], float], *, threads: int, seconds: float) -> Allowed:
    """``take`` from ``threads`` threads for ``seconds``; the allowed count and the time from
    the first request to the last."""
    allowed = Allowed()
    start = threading.Barrier(threads)
    first: list[float] = []

    def worker() -> None:
        start.wait()
        began = time.monotonic()
        first.append(began)
        while time.monotonic() - began < seconds:
            if take() == 0.0:
                with allowed.lock:
                    allowed.count += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    allowed.elapsed = time.monotonic() - min(first)
    return allowed


def test_while_redis_is_unreachable_requests_go_ahead_and_it_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fails open: the limit is a guard, not a reason to refuse what needs no Redis."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    dead = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), retries=0)
    )
    try:
        limiter = RedisRateLimiter(dead, prefix="gone", rate=1.0, burst=1.0)
        with caplog.at_level(logging.WARNING, logger="omniroute.access"):
            assert [limiter.take("k") for _ in range(5)] == [0.0] * 5
    finally:
        dead.close()
    warnings = [r for r in caplog.records if "rate limit not applied" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.redis
def test_a_worker_claims_tokens_in_batches_and_never_overdraws_the_shared_bucket(
    redis_limiters: RedisLimiters,
) -> None:
    """At 1,000/s a worker claims ten tokens per Redis call (10 ms of the rate); two workers
    spending from one bucket of 100 are let through no more than the bucket gave, and at most
    a batch each fewer."""
    assert (batch_size(1000.0), batch_size(99.0), batch_size(1e6)) == (10, 1, 64)
    first = redis_limiters(rate=1000.0, burst=100.0)
    second = redis_limiters(rate=1000.0, burst=100.0)
    started = time.monotonic()
    allowed = sum((first if turn % 3 else second).take("shared") == 0.0 for turn in range(300))
    refilled = (time.monotonic() - started) * 1000.0
    assert 100 - 2 * 10 <= allowed <= 100 + refilled + 1
