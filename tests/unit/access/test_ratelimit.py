"""The per-key token bucket (``access.ratelimit``) against a reference model in exact
arithmetic, on random request times.

The model: a key's bucket starts full (``burst`` tokens), refills at ``rate`` tokens a second
up to ``burst``; a request takes one whole token when there is one, else it is refused, takes
nothing, and is told the seconds until the next token is there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from access.ratelimit import Bucket, MemoryRateLimiter, Unlimited, refill_and_take

# How far the float implementation may be from the exact model, in tokens: a decision this
# close to the boundary may go either way.
TOLERANCE = Fraction(1, 10**6)
KEYS = ("alpha", "beta", "gamma")


class ManualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Model:
    """One key's bucket in exact arithmetic (``Fraction``): the straightforward reading."""

    rate: Fraction
    burst: Fraction
    tokens: Fraction | None = None  # None: never used, full
    at: Fraction = Fraction(0)

    def available(self, now: Fraction) -> Fraction:
        if self.tokens is None:
            return self.burst
        return min(self.burst, self.tokens + (now - self.at) * self.rate)

    def record(self, now: Fraction, allowed: bool) -> None:
        self.tokens = self.available(now) - (1 if allowed else 0)
        self.at = now


@dataclass(frozen=True)
class Scenario:
    rate: float
    burst: float
    start: float
    steps: list[tuple[float, str]]  # (gap before the request in units of 1/rate, key)

    def times(self) -> list[tuple[float, str]]:
        now, out = self.start, []
        for gap, key in self.steps:
            now += gap / self.rate
            out.append((now, key))
        return out


@dataclass
class Run:
    """The implementation's answers on a scenario: (time, key, wait) per request."""

    answers: list[tuple[float, str, float]] = field(default_factory=list)


rates = st.one_of(
    st.sampled_from([0.5, 1.0, 3.0, 10.0, 1000.0]),
    st.floats(min_value=0.01, max_value=10_000.0, allow_nan=False, allow_infinity=False),
)
bursts = st.one_of(
    st.sampled_from([1.0, 2.0, 3.0, 10.0]),
    st.floats(min_value=1.0, max_value=50.0, allow_nan=False, allow_infinity=False),
)
# Mostly quick requests (bursts), sometimes a pause of a few token intervals.
gaps = st.one_of(
    st.just(0.0),
    st.floats(min_value=0.0, max_value=0.2),
    st.floats(min_value=0.0, max_value=5.0),
    st.sampled_from([0.5, 1.0, 2.0]),
)
scenarios = st.builds(
    Scenario,
    rate=rates,
    burst=bursts,
    # time.monotonic() values: from boot (small) to months of uptime.
    start=st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=1e7)),
    steps=st.lists(st.tuples(gaps, st.sampled_from(KEYS)), min_size=1, max_size=60),
)


def run(scenario: Scenario) -> Run:
    clock = ManualClock(scenario.start)
    limiter = MemoryRateLimiter(scenario.rate, scenario.burst, clock)
    result = Run()
    for now, key in scenario.times():
        clock.now = now
        result.answers.append((now, key, limiter.take(key)))
    return result


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios)
@example(Scenario(rate=1.0, burst=3.0, start=0.0, steps=[(0.0, "alpha")] * 5 + [(1.0, "alpha")]))
def test_the_bucket_agrees_with_the_exact_model(scenario: Scenario) -> None:
    rate, burst = Fraction(scenario.rate), Fraction(scenario.burst)
    models = {key: Model(rate, burst) for key in KEYS}
    for now, key, wait in run(scenario).answers:
        model = models[key]
        exact_now = Fraction(now)
        available = model.available(exact_now)
        if available >= 1 + TOLERANCE:
            assert wait == 0.0, (now, key, float(available))
        elif available <= 1 - TOLERANCE:
            assert wait > 0.0, (now, key, float(available))
            # the wait is exactly the time until the missing part of a token has refilled
            # (give or take the clock's float step at ``now``: it is rounded up to one)
            expected = (1 - available) / rate
            slack = TOLERANCE / rate + 2 * Fraction(math.ulp(now))
            assert abs(Fraction(wait) - expected) <= slack, (now, wait, float(expected))
        model.record(exact_now, allowed=wait == 0.0)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios)
def test_allowed_requests_never_exceed_burst_plus_rate_times_elapsed(scenario: Scenario) -> None:
    answers = run(scenario).answers
    for key in KEYS:
        allowed = [Fraction(now) for now, name, wait in answers if name == key and wait == 0.0]
        # every window [allowed[i], allowed[j]] holds j - i + 1 allowed requests
        for i in range(len(allowed)):
            for j in range(i, len(allowed)):
                elapsed = allowed[j] - allowed[i]
                bound = Fraction(scenario.burst) + Fraction(scenario.rate) * elapsed
                assert j - i + 1 <= bound + TOLERANCE * (j - i + 1), (key, i, j)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios)
def test_a_refused_request_takes_nothing(scenario: Scenario) -> None:
    """Dropping the refused requests from the sequence changes no other answer."""
    answers = run(scenario).answers
    kept = [(now, key) for now, key, wait in answers if wait == 0.0]
    clock = ManualClock(scenario.start)
    limiter = MemoryRateLimiter(scenario.rate, scenario.burst, clock)
    for now, key in kept:
        clock.now = now
        assert limiter.take(key) == 0.0, (now, key)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios)
def test_a_request_after_the_wait_succeeds_and_one_well_before_it_does_not(
    scenario: Scenario,
) -> None:
    buckets: dict[str, Bucket | None] = dict.fromkeys(KEYS)
    for now, key in scenario.times():
        before = buckets[key]
        after, wait = refill_and_take(before, now, scenario.rate, scenario.burst)
        if wait > 0.0:
            assert after.tokens == pytest.approx(
                before.tokens if before else scenario.burst, abs=1.0
            )
            # a refusal leaves the bucket as a pure refill would: nothing taken
            refilled = min(
                scenario.burst,
                (before.tokens + (now - before.at) * scenario.rate) if before else scenario.burst,
            )
            assert after.tokens == pytest.approx(refilled, rel=1e-12, abs=1e-9)
            assert after.tokens < 1.0
            # at now + wait the token is there ...
            assert refill_and_take(after, now + wait, scenario.rate, scenario.burst)[1] == 0.0
            # ... and clearly before it, it is not (the wait is not an over-estimate)
            early = now + wait * 0.99
            if wait * 0.01 * scenario.rate > 1e-6:
                assert refill_and_take(after, early, scenario.rate, scenario.burst)[1] > 0.0
            # a second refusal right away asks for (about) the same wait, not a longer one
            again = refill_and_take(after, now, scenario.rate, scenario.burst)[1]
            assert again == pytest.approx(wait, rel=1e-9, abs=1e-12)
        buckets[key] = after


def test_a_new_bucket_is_full_and_the_burst_goes_at_once() -> None:
    clock = ManualClock(100.0)
    limiter = MemoryRateLimiter(1.0, 3.0, clock)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == pytest.approx(1.0)
    clock.now += 0.25
    assert limiter.take("k") == pytest.approx(0.75)  # the refusal before took nothing
    assert limiter.take("other") == 0.0  # another key has its own bucket
    clock.now += 0.75
    assert limiter.take("k") == 0.0
    assert limiter.take("k") == pytest.approx(1.0)


def test_an_idle_bucket_refills_only_up_to_the_burst() -> None:
    clock = ManualClock(0.0)
    limiter = MemoryRateLimiter(10.0, 2.0, clock)
    assert limiter.take("k") == 0.0
    clock.now += 3600.0
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]


def test_a_clock_stepping_back_neither_refills_nor_takes() -> None:
    clock = ManualClock(1000.0)
    limiter = MemoryRateLimiter(1.0, 3.0, clock)
    assert limiter.take("k") == 0.0
    clock.now -= 3600.0  # had it counted as -3600 s of refill, the key would be locked out
    assert [limiter.take("k"), limiter.take("k")] == [0.0, 0.0]
    assert limiter.take("k") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take("k") == 0.0


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1.0), (-1.0, 5.0), (1.0, 0.5), (1.0, 0.0)])
def test_a_bucket_that_could_never_allow_is_refused(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        MemoryRateLimiter(rate, burst, ManualClock(0.0))


def test_unlimited_never_holds_back() -> None:
    assert all(Unlimited().take("k") == 0.0 for _ in range(10_000))
