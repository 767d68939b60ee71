"""The per-key token bucket in Redis, shared by every worker (the same rule as
:func:`access.ratelimit.refill_and_take`, in one Lua script so two workers never both spend
the last token). The clock is Redis's own (``TIME``): workers' clocks may disagree."""

from __future__ import annotations

from typing import Any

TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    def __init__(self, client: Any, *, prefix: str, rate: float, burst: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._prefix = f"{prefix}:ratelimit:"
        self._args = (repr(rate), repr(burst))
        self._take = client.register_script(TAKE)

    def take(self, name: str) -> float:
        return float(self._take(keys=[self._prefix + name], args=self._args))
