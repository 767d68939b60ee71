"""A revoked key is refused by every worker within the key cache's time; unknown and
malformed keys are refused (401) with a message saying what is wrong."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from access.keys import KEY_PREFIX
from access.scopes import Scope
from api.app import create_app
from flows.access import revoke_key
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import small_env
from tests.support.auth import key_header

KEY_CACHE_SECONDS = 0.5  # the default OMNIROUTE_KEY_CACHE_SECONDS: well under the 1 s waited


@pytest.fixture(params=["production", "embedded"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Services, Services]]:
    """Two workers on one database (PostgreSQL + Redis, or one SQLite file), each bootstrapped
    on its own as ``omniroute serve`` would in two processes."""
    if request.param == "production":
        redis_url: str = request.getfixturevalue("redis_url")
        env = small_env(request.getfixturevalue("postgres_schema_url"), redis_url)
    else:
        env = small_env(f"sqlite:///{tmp_path / 'shared.db'}")
    settings = Settings.from_env(env)
    assert settings.key_cache_seconds == KEY_CACHE_SECONDS
    first, second = bootstrap(settings), bootstrap(settings)
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        if request.param == "production":
            delete_redis_prefix(env["OMNIROUTE_REDIS_URL"], env["OMNIROUTE_REDIS_PREFIX"])


def rules_status(client: TestClient, headers: dict[str, str]) -> int:
    status: int = client.get("/v1/rules", headers=headers).status_code
    return status


def assert_refused(answer: Response, fragment: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == "Bearer"
    body = answer.json()
    assert body["error"] == "unauthenticated"
    assert fragment in body["message"], body["message"]


def test_a_key_revoked_over_http_on_one_worker_is_refused_by_both(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    key = key_header(first, Scope.ops, name="ops-bot")
    admin = key_header(first, Scope.admin, name="admin-1")
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        assert (rules_status(a, key), rules_status(b, key)) == (200, 200)
        revoked = a.delete("/v1/keys/ops-bot", headers=admin)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["name"] == "ops-bot"
        assert revoked.json()["revoked_at"]
        assert_refused(a.get("/v1/rules", headers=key), "unknown or revoked")  # at once
        time.sleep(1.0)
        assert_refused(a.get("/v1/rules", headers=key), "unknown or revoked")
        assert_refused(b.get("/v1/rules", headers=key), "unknown or revoked")
        active = b.get("/v1/keys", headers=admin)  # the other keys are untouched
        assert active.status_code == 200, active.text
        assert [k["name"] for k in active.json()["items"]] == ["admin-1"]
        trail = b.get("/v1/audit", params={"action": "revoke_key"}, headers=admin).json()
        assert [(e["key"], e["record"], e["status"]) for e in trail["items"]] == [
            ("admin-1", "ops-bot", 200)
        ]
        again = a.delete("/v1/keys/ops-bot", headers=admin)
        assert again.status_code == 404, again.text


def test_a_key_revoked_by_the_use_case_is_refused_by_both(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    key = key_header(first, Scope.checkout, name="checkout-web")
    params = {"location_id": "DC01", "sku": "SKU-A"}
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        assert a.get("/v1/availability", params=params, headers=key).status_code == 200
        assert b.get("/v1/availability", params=params, headers=key).status_code == 200
        revoke_key(first, "checkout-web")  # as `omniroute keys revoke` on worker A's host
        time.sleep(1.0)
        for client in (a, b):
            answer = client.get("/v1/availability", params=params, headers=key)
            assert_refused(answer, "unknown or revoked")
        # the name is free again; the new key works and the old one stays refused
        renewed = key_header(second, Scope.checkout, name="checkout-web")
        assert a.get("/v1/availability", params=params, headers=renewed).status_code == 200
        assert_refused(b.get("/v1/availability", params=params, headers=key), "unknown or revoked")


@pytest.fixture
def embedded_client(embedded_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(embedded_services)) as client:
        yield client


def test_a_random_key_is_refused(services: Services) -> None:
    with TestClient(create_app(services)) as client:
        for secret in (KEY_PREFIX + secrets.token_urlsafe(32), secrets.token_hex(20)):
            answer = client.get("/v1/rules", headers={"Authorization": f"Bearer {secret}"})
            assert_refused(answer, "unknown or revoked API key")


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Basic x", "malformed Authorization header: expected 'Bearer <key>', got scheme 'Basic'"),
        ("Basic dXNlcjpwYXNz", "got scheme 'Basic'"),
        ("Token " + "a" * 40, "got scheme 'Token'"),
        ("Bearer", "the key after 'Bearer ' must be 16 to 256"),
        ("Bearer ", "the key after 'Bearer ' must be 16 to 256"),
        ("Bearer a b", "the key after 'Bearer ' must be 16 to 256"),
        ("Bearer short", "the key after 'Bearer ' must be 16 to 256"),
        ("Bearer " + "a" * 257, "the key after 'Bearer ' must be 16 to 256"),
        ("Bearer omr_not*a/valid+key=====", "the key after 'Bearer ' must be 16 to 256"),
        ("", "missing API key: send the header 'Authorization: Bearer <key>'"),
        ("   ", "missing API key"),
    ],
    ids=lambda value: repr(value)[:24],
)
def test_a_malformed_authorization_header_is_refused_saying_why(
    embedded_client: TestClient, header: str, says: str
) -> None:
    answer = embedded_client.get("/v1/rules", headers={"Authorization": header})
    assert_refused(answer, says)


def test_no_authorization_header_is_refused_as_missing(embedded_client: TestClient) -> None:
    assert_refused(embedded_client.get("/v1/network"), "missing API key")
    assert_refused(embedded_client.post("/v1/routes/preview", json={}), "missing API key")


def test_a_valid_key_in_a_lower_case_scheme_is_accepted(
    embedded_services: Services, embedded_client: TestClient
) -> None:
    secret = key_header(embedded_services, Scope.ops)["Authorization"].removeprefix("Bearer ")
    answer = embedded_client.get("/v1/rules", headers={"Authorization": f"bearer  {secret} "})
    assert answer.status_code == 200, answer.text
