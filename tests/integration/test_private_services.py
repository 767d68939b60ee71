"""Self-test of tests/support: a private Redis of our own, and ``omniroute serve`` as a process."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.processes import SHARED_REDIS_PORT, PrivateRedis, ServeProcess

E2E_DATA = Path(__file__).resolve().parents[1] / "e2e" / "data"


def test_private_redis_answers_on_its_own_port(private_redis: PrivateRedis) -> None:
    assert private_redis.port is not None
    assert private_redis.port != SHARED_REDIS_PORT
    assert private_redis.url == f"redis://127.0.0.1:{private_redis.port}/0"
    client = private_redis.client()
    try:
        assert client.ping()
        assert client.dbsize() == 0
        client.set("k", "v")
        assert client.get("k") == b"v"
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


def test_flush_and_restart_empty_leave_the_shared_redis_alone(
    private_redis: PrivateRedis, redis_url: str
) -> None:
    shared = redis.Redis.from_url(redis_url)
    key = f"omniroute-test:private-services:{uuid.uuid4().hex}:canary"
    shared.set(key, "still here", ex=300)
    try:
        port = private_redis.port
        client = private_redis.client()
        client.set("a", 1)
        client.select(3)  # FLUSHALL empties every database, not just db 0
        client.set("b", 2)
        private_redis.flush()
        assert client.dbsize() == 0
        client.select(0)
        assert client.dbsize() == 0
        client.set("c", 3)
        client.close()

        private_redis.restart_empty()
        assert private_redis.port == port
        client = private_redis.client()
        try:
            assert client.ping()
            assert client.dbsize() == 0
        finally:
            client.close()

        private_redis.stop()
        assert not private_redis.running
        with pytest.raises(redis.ConnectionError):
            private_redis.client().ping()
        private_redis.start()
        assert private_redis.port == port

        assert shared.get(key) == b"still here"
    finally:
        shared.delete(key)
        shared.close()


def test_serve_process_on_the_embedded_default(tmp_path: Path) -> None:
    env = {  # as tests.e2e.conftest.small_env, without importing the app in-process
        "OMNIROUTE_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}",
        "OMNIROUTE_NETWORK": str(E2E_DATA / "network.json"),
        "OMNIROUTE_RULES": str(E2E_DATA / "rules.yaml"),
        "OMNIROUTE_INVENTORY": str(E2E_DATA / "inventory.csv"),
    }  # no OMNIROUTE_REDIS_URL: in-process inventory
    server = ServeProcess(env, directory=tmp_path / "serve")
    try:
        server.start(timeout=60)
        assert server.port is not None
        answer = httpx.get(f"{server.url}/healthz", timeout=5)
        assert answer.status_code == 200
        assert answer.json()["status"] == "ok"
        assert "serving on http://127.0.0.1:" in server.log_text()
        assert (tmp_path / "o.db").is_file()
    finally:
        code = server.stop()
    assert code in (0, -signal.SIGTERM), server.log_text()
    assert not server.running
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/healthz", timeout=2)
