"""API keys and the audit trail over HTTP (``/v1/keys``, ``/v1/audit``, the ``admin`` scope),
on SQLite + memory and on PostgreSQL + Redis.

A key made over HTTP works at once and is refused (401) once revoked; its secret is answered
once and is never in a list, the database or the logs. Every write (a key made, the rules
replaced) is in the audit trail with who, what, on which record and the outcome, a refused
attempt included.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from access.keys import key_hash
from access.scopes import Scope
from flows.bootstrap import Services
from tests.support.auth import api_client, key_header

ADMIN = "auditor"  # the name of the admin key each client here sends


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(services: Services) -> Iterator[TestClient]:
    """The app, its client sending an admin-only key named ``auditor``."""
    with api_client(services, Scope.admin, name=ADMIN) as client:
        yield client


@pytest.fixture
def embedded_admin(embedded_services: Services) -> Iterator[TestClient]:
    with api_client(embedded_services, Scope.admin, name=ADMIN) as client:
        yield client


def create(client: TestClient, name: str, *scopes: str, **more: Any) -> dict[str, Any]:
    made = client.post("/v1/keys", json={"name": name, "scopes": list(scopes), **more})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def audit(client: TestClient, **params: Any) -> dict[str, Any]:
    answer = client.get("/v1/audit", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def rules_text(client: TestClient, secret: str) -> str:
    answer = client.get("/v1/rules", headers=bearer(secret))
    assert answer.status_code == 200, answer.text
    text: str = answer.json()["text"]
    return text


def put_rules(client: TestClient, secret: str, text: str) -> Any:
    return client.put(
        "/v1/rules",
        content=text,
        headers={**bearer(secret), "Content-Type": "application/yaml"},
    )


# -- create, use, list, revoke ---------------------------------------------------------------


def test_a_key_made_over_http_works_at_once_is_listed_without_its_secret_and_revoked_is_refused(
    admin: TestClient,
) -> None:
    made = admin.post(
        "/v1/keys", json={"name": "ops-bot", "scopes": ["ops", "checkout"], "locations": None}
    )

    assert made.status_code == 201, made.text
    body = made.json()
    secret = body["key"]
    assert secret.startswith("omr_")
    assert body == {
        "name": "ops-bot",
        "scopes": ["checkout", "ops"],
        "locations": None,
        "hint": secret[:8],
        "created_at": body["created_at"],
        "key": secret,
    }
    # It works at once, with its scopes only.
    assert admin.get("/v1/rules", headers=bearer(secret)).status_code == 200
    assert admin.get("/v1/keys", headers=bearer(secret)).status_code == 403

    listed = admin.get("/v1/keys")
    assert listed.status_code == 200
    assert secret not in listed.text
    assert key_hash(secret) not in listed.text
    items = {item["name"]: item for item in listed.json()["items"]}
    assert sorted(items) == [ADMIN, "ops-bot"]
    assert items["ops-bot"] == {
        "name": "ops-bot",
        "scopes": ["checkout", "ops"],
        "locations": None,
        "hint": secret[:8],
        "created_at": body["created_at"],
        "last_used_at": items["ops-bot"]["last_used_at"],
    }
    assert items["ops-bot"]["last_used_at"] is not None  # it was just used

    revoked = admin.delete("/v1/keys/ops-bot")

    assert revoked.status_code == 200, revoked.text
    gone = revoked.json()
    assert (gone["name"], gone["hint"], gone["scopes"]) == (
        "ops-bot",
        secret[:8],
        ["checkout", "ops"],
    )
    assert gone["revoked_at"] is not None
    assert "key" not in gone
    refused = admin.get("/v1/rules", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthenticated"
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert [item["name"] for item in admin.get("/v1/keys").json()["items"]] == [ADMIN]


def test_a_revoked_name_may_be_used_again_and_the_old_secret_stays_refused(
    admin: TestClient,
) -> None:
    old = create(admin, "rotated", "ops")["key"]
    assert admin.delete("/v1/keys/rotated").status_code == 200

    new = create(admin, "rotated", "ops")["key"]

    assert new != old
    assert admin.get("/v1/rules", headers=bearer(new)).status_code == 200
    assert admin.get("/v1/rules", headers=bearer(old)).status_code == 401


def test_a_store_key_keeps_its_locations_sorted(admin: TestClient) -> None:
    body = create(admin, "store-east", "store", locations=["NY1", "NJ1", "NY1"])
    assert body["locations"] == ["NJ1", "NY1"]
    listed = {item["name"]: item for item in admin.get("/v1/keys").json()["items"]}
    assert listed["store-east"]["locations"] == ["NJ1", "NY1"]


def test_a_second_active_key_of_a_name_is_refused_with_409(embedded_admin: TestClient) -> None:
    create(embedded_admin, "twice", "ops")
    again = embedded_admin.post("/v1/keys", json={"name": "twice", "scopes": ["agent"]})
    assert again.status_code == 409
    assert again.json()["error"] == "key_exists"
    assert "'twice'" in again.json()["message"]


def test_revoking_an_unknown_or_already_revoked_key_answers_404(
    embedded_admin: TestClient,
) -> None:
    unknown = embedded_admin.delete("/v1/keys/nobody")
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "no active API key named 'nobody'"
    create(embedded_admin, "once", "ops")
    assert embedded_admin.delete("/v1/keys/once").status_code == 200
    assert embedded_admin.delete("/v1/keys/once").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "web", "scopes": ["checkout", "root"]}, "scopes"),
        ({"name": "web", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["checkout"]}, "name"),
        ({"name": "two words", "scopes": ["checkout"]}, "name"),
        ({"name": "web", "scopes": ["store"], "locations": []}, "locations"),
        ({"name": "web", "scopes": ["checkout"], "admin": True}, "admin"),
        ({"scopes": ["checkout"]}, "name"),
        ({"name": "web", "scopes": "checkout"}, "scopes"),
    ],
    ids=[
        "unknown-scope",
        "no-scope",
        "empty-name",
        "bad-name",
        "empty-locations",
        "unknown-field",
        "no-name",
        "scopes-not-a-list",
    ],
)
def test_a_bad_key_request_answers_422_naming_the_field_and_makes_nothing(
    embedded_admin: TestClient, body: dict[str, Any], field: str
) -> None:
    answer = embedded_admin.post("/v1/keys", json=body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert [d["field"] for d in answer.json()["detail"]] == [field]
    assert [item["name"] for item in embedded_admin.get("/v1/keys").json()["items"]] == [ADMIN]


def test_an_unknown_scope_is_named_with_the_known_ones(embedded_admin: TestClient) -> None:
    answer = embedded_admin.post("/v1/keys", json={"name": "web", "scopes": ["root"]})
    assert answer.json()["detail"] == [
        {
            "field": "scopes",
            "message": "unknown scope 'root': expected one of checkout, orders, store, agent, "
            "ops, admin",
        }
    ]


# -- who may ---------------------------------------------------------------------------------


def test_only_an_admin_key_manages_keys_and_reads_the_audit_trail(
    services: Services, admin: TestClient
) -> None:
    # Every scope but admin: admin is not implied by any other.
    others = [scope for scope in Scope if scope is not Scope.admin]
    header = key_header(services, *others, name="everything-else")
    create(admin, "victim", "ops")

    calls = [
        admin.get("/v1/keys", headers=header),
        admin.post("/v1/keys", json={"name": "mine", "scopes": ["admin"]}, headers=header),
        admin.delete("/v1/keys/victim", headers=header),
        admin.get("/v1/audit", headers=header),
    ]

    for answer in calls:
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "forbidden"
        assert answer.json()["detail"] == [{"field": "scope", "message": "needs the 'admin' scope"}]
    assert sorted(item["name"] for item in admin.get("/v1/keys").json()["items"]) == [
        ADMIN,
        "everything-else",
        "victim",
    ]
    # Without a key at all: 401, before any scope is looked at.
    no_key = admin.get("/v1/keys", headers={"Authorization": ""})
    assert no_key.status_code == 401


# -- the secret is shown once ------------------------------------------------------------------


def test_the_secret_is_never_in_the_database_nor_the_logs(
    embedded_services: Services, embedded_admin: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = create(embedded_admin, "hidden", "ops", "checkout")["key"]
    assert embedded_admin.get("/v1/rules", headers=bearer(secret)).status_code == 200
    assert put_rules(embedded_admin, secret, rules_text(embedded_admin, secret)).status_code == 200
    assert secret not in embedded_admin.get("/v1/keys").text
    assert secret not in embedded_admin.get("/v1/audit").text
    assert embedded_admin.delete("/v1/keys/hidden").status_code == 200
    assert embedded_admin.get("/v1/rules", headers=bearer(secret)).status_code == 401

    dump = dump_sqlite(embedded_services)
    assert "hidden" in dump  # the dump does see the key's row ...
    assert key_hash(secret) in dump  # ... and its hash
    assert secret not in dump
    assert secret[len("omr_") :] not in dump  # not even without its prefix
    assert caplog.records  # the logs were captured (the rules change is logged)
    assert secret not in caplog.text
    assert all(secret not in str(record.args) for record in caplog.records)


def dump_sqlite(services: Services) -> str:
    """Every row of every table of the embedded database, as text."""
    path = make_url(services.settings.database_url).database
    assert path is not None
    connection = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        assert {"api_keys", "audit_log"} <= set(tables)
        lines = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                lines.append(f"{table}: {row!r}")
        return "\n".join(lines)
    finally:
        connection.close()


# -- the audit trail -------------------------------------------------------------------------


def test_writes_are_in_the_audit_trail_with_who_what_record_and_outcome(
    services: Services, admin: TestClient
) -> None:
    rules_bot = create(admin, "rules-bot", "ops")["key"]
    checkout = create(admin, "checkout-web", "checkout")["key"]
    text = rules_text(admin, rules_bot)

    done = put_rules(admin, rules_bot, text)
    refused = put_rules(admin, checkout, text)

    assert done.status_code == 200, done.text
    assert refused.status_code == 403
    by_bot = audit(admin, key="rules-bot")["items"]
    assert [strip(item) for item in by_bot] == [
        {
            "key": "rules-bot",
            "action": "put_rules",
            "target": "PUT /v1/rules",
            "record": done.json()["version"],
            "status": 200,
            "outcome": "ok",
        }
    ]
    assert [strip(item) for item in audit(admin, key="checkout-web")["items"]] == [
        {
            "key": "checkout-web",
            "action": "put_rules",
            "target": "PUT /v1/rules",
            "record": None,
            "status": 403,
            "outcome": "refused",
        }
    ]
    made = audit(admin, action="create_key")["items"]
    assert [strip(item) for item in made] == [
        {
            "key": ADMIN,
            "action": "create_key",
            "target": "POST /v1/keys",
            "record": name,
            "status": 201,
            "outcome": "ok",
        }
        for name in ("rules-bot", "checkout-web")
    ]
    # Reads are not recorded: the GETs above (rules, audit) left nothing.
    assert {item["action"] for item in audit(admin)["items"]} == {"create_key", "put_rules"}


def test_refused_key_writes_are_recorded_too(services: Services, admin: TestClient) -> None:
    ops = key_header(services, Scope.ops, name="ops-only")
    assert (
        admin.post("/v1/keys", json={"name": "x", "scopes": ["admin"]}, headers=ops).status_code
        == 403
    )
    assert admin.post("/v1/keys", json={"name": "x", "scopes": ["nope"]}).status_code == 422
    assert admin.delete("/v1/keys/nobody").status_code == 404
    create(admin, "dup", "ops")
    assert admin.post("/v1/keys", json={"name": "dup", "scopes": ["ops"]}).status_code == 409

    entries = [strip(item) for item in audit(admin)["items"]]

    assert [(e["key"], e["action"], e["record"], e["status"], e["outcome"]) for e in entries] == [
        ("ops-only", "create_key", None, 403, "refused"),
        (ADMIN, "create_key", None, 422, "refused"),
        (ADMIN, "revoke_key", "nobody", 404, "refused"),
        (ADMIN, "create_key", "dup", 201, "ok"),
        (ADMIN, "create_key", None, 409, "refused"),
    ]


def test_the_audit_trail_pages_with_after_and_limit_oldest_first(admin: TestClient) -> None:
    for i in range(5):
        create(admin, f"k{i}", "ops")
    everything = audit(admin)
    ids = [item["id"] for item in everything["items"]]
    assert len(ids) == 5 and ids == sorted(ids)
    assert everything["next"] is None  # fewer than the default limit of 100

    pages, after = [], None
    while True:
        page = audit(admin, limit=2, **({} if after is None else {"after": after}))
        pages.append([item["id"] for item in page["items"]])
        if page["next"] is None:
            break
        assert page["next"] == page["items"][-1]["id"]
        after = page["next"]

    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    # A full last page still says where to continue; the next one is empty and says stop.
    full = audit(admin, limit=5)
    assert full["next"] == ids[-1]
    assert audit(admin, limit=5, after=full["next"]) == {"items": [], "next": None}


def test_the_audit_trail_filters_by_time_key_and_action(
    services: Services, admin: TestClient
) -> None:
    for i in range(4):
        create(admin, f"k{i}", "ops")
    assert admin.delete("/v1/keys/k0").status_code == 200
    everything = audit(admin)["items"]
    pivot = datetime.fromisoformat(everything[2]["at"])

    since = audit(admin, since=pivot.isoformat())["items"]
    # The same moment given in another zone, and as naive UTC, selects the same entries.
    elsewhere = pivot.astimezone(timezone(timedelta(hours=5, minutes=30)))
    naive = pivot.replace(tzinfo=None)

    expected = [item for item in everything if datetime.fromisoformat(item["at"]) >= pivot]
    assert since == expected
    assert [item["record"] for item in since] == ["k2", "k3", "k0"]
    assert audit(admin, since=elsewhere.isoformat())["items"] == expected
    assert audit(admin, since=naive.isoformat())["items"] == expected
    assert audit(admin, since=(pivot + timedelta(days=1)).isoformat())["items"] == []
    revokes = audit(admin, action="revoke_key")["items"]
    assert [(item["action"], item["record"], item["target"]) for item in revokes] == [
        ("revoke_key", "k0", "DELETE /v1/keys/k0")
    ]
    assert audit(admin, key=ADMIN, action="revoke_key")["items"] == revokes
    assert audit(admin, key="somebody-else")["items"] == []


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"after": -1}, {"since": "yesterday"}, {"limit": "many"}],
    ids=repr,
)
def test_bad_audit_queries_answer_422_naming_the_parameter(
    embedded_admin: TestClient, params: dict[str, Any]
) -> None:
    answer = embedded_admin.get("/v1/audit", params=params)
    assert answer.status_code == 422, answer.text
    assert [d["field"] for d in answer.json()["detail"]] == [f"query.{next(iter(params))}"]


def test_the_openapi_document_describes_keys_and_audit_under_the_admin_scope(
    embedded_admin: TestClient,
) -> None:
    document = embedded_admin.get("/openapi.json").json()
    paths = document["paths"]
    for path, method in [
        ("/v1/keys", "post"),
        ("/v1/keys", "get"),
        ("/v1/keys/{name}", "delete"),
        ("/v1/audit", "get"),
    ]:
        assert paths[path][method]["security"] == [{"apiKey": ["admin"]}], (path, method)
    schemas = document["components"]["schemas"]
    assert schemas["KeyIn"]["additionalProperties"] is False
    assert "key" in schemas["NewKeyOut"]["properties"]
    assert "key" not in schemas["KeyOut"]["properties"]
    created = paths["/v1/keys"]["post"]["responses"]
    assert created["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewKeyOut"
    }
    assert set(schemas["AuditEntryOut"]["properties"]) == {
        "id",
        "at",
        "key",
        "action",
        "target",
        "record",
        "status",
        "outcome",
    }


def strip(item: dict[str, Any]) -> dict[str, Any]:
    """An audit entry without its id and time."""
    return {k: v for k, v in item.items() if k not in ("id", "at")}
