"""The hot path's Redis calls (every preview's read, every reservation's script), sent on a
pooled connection without redis-py's command machinery: its retries, metrics and reply
callbacks cost 10–20 µs a call, a sixth of a loopback round trip. What stays: the pool (its
fork check, and its check that an idle connection is still usable before it is handed out),
and a connection that fails mid-command is dropped rather than reused. No retry: a script
whose reply was lost may have run (a retry could apply a release twice), so the caller gets
the error, as from any other lost connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha1
from typing import Any

import redis
from redis.exceptions import NoScriptError


def command(client: redis.Redis, *args: Any) -> Any:
    """One command's raw reply (bytes, lists); an error reply is raised."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_command(*args)  # type: ignore[no-untyped-call]
        return connection.read_response()
    except redis.ResponseError:
        raise  # the connection is fine: an error reply was read whole
    except BaseException:
        connection.disconnect()  # type: ignore[no-untyped-call]  # half a reply may be on the wire
        raise
    finally:
        pool.release(connection)


class LeanScript:
    """A Lua script called by its SHA1, loaded on first use and again after a SCRIPT FLUSH
    or a restart of Redis (NOSCRIPT); the loading is idempotent."""

    def __init__(self, client: redis.Redis, source: str) -> None:
        self._client = client
        self._source = source
        self.sha = sha1(source.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return command(self._client, "EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            command(self._client, "SCRIPT", "LOAD", self._source)
            return command(self._client, "EVALSHA", self.sha, len(keys), *keys, *args)
