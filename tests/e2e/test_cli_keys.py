"""``omniroute keys create|list|revoke`` and ``omniroute audit`` on the database of a running
app (a SQLite file, and PostgreSQL): through the command's entry point in this process, and
once as the installed command (a subprocess).

A key made on the command line works at once against the app, is listed without its secret
and is refused (401) once revoked; the command line's own writes are in the audit trail as
``cli:<user>``. Bad input exits 2 with one line on stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fastapi.testclient import TestClient

from access.keys import key_hash
from access.scopes import Scope
from api import cli
from api.app import create_app
from flows.access import cli_actor
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from tests.e2e.conftest import small_env

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    """An app bootstrapped on a database, and the settings the command line gets for it."""

    env: dict[str, str]
    services: Services
    app: TestClient


def omniroute(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command's entry point (``api.cli.main``) in this process, with ``env`` as its
    only OMNIROUTE_* settings: what the command does and prints, without a Python start and
    the imports (2 s) per call. :func:`real_omniroute` runs the installed command itself."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {**clean, **env}, clear=True),
        mock.patch.object(sys, "argv", ["omniroute", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            cli.main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:
            code = 0
    return subprocess.CompletedProcess(["omniroute", *args], code, out.getvalue(), err.getvalue())


def real_omniroute(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # Every OMNIROUTE_* of the calling shell is dropped, so it cannot leak into the test.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **env},
        check=False,
        timeout=120,
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def run_app(database_url: str) -> Iterator[Running]:
    env = small_env(database_url)
    services = bootstrap(Settings.from_env(env))
    try:
        with TestClient(create_app(services)) as app:
            yield Running(env, services, app)
    finally:
        services.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """The app on a SQLite file (the embedded default)."""
    yield from run_app(f"sqlite:///{tmp_path / 'omniroute.db'}")


@pytest.fixture
def running_on_postgres(postgres_schema_url: str) -> Iterator[Running]:
    yield from run_app(postgres_schema_url)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def create(env: dict[str, str], *args: str) -> str:
    """``keys create``: the key (the last line of stdout)."""
    done = ok(omniroute(env, "keys", "create", *args))
    return done.stdout.splitlines()[-1]


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def refused_soon(running: Running, secret: str) -> int:
    """The status a request with ``secret`` gets once the app's key cache has expired."""
    deadline = time.monotonic() + running.services.settings.key_cache_seconds + 5
    while True:
        status = running.app.get("/v1/rules", headers=bearer(secret)).status_code
        if status != 200 or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_a_key_made_on_the_command_line_works_at_once_is_listed_and_refused_once_revoked(
    running: Running,
) -> None:
    made = ok(real_omniroute(running.env, "keys", "create", "--name", "ops-bot", "--scopes", "ops"))

    secret = made.stdout.splitlines()[-1]
    assert secret.startswith("omr_")
    assert "shown this once" in made.stderr
    assert secret not in made.stderr
    # Works at once against the running app: it has never seen this key before.
    rules = running.app.get("/v1/rules", headers=bearer(secret))
    assert rules.status_code == 200
    put = running.app.put(
        "/v1/rules",
        content=rules.json()["text"],
        headers={**bearer(secret), "Content-Type": "application/yaml"},
    )
    assert put.status_code == 200, put.text
    assert running.app.get("/v1/keys", headers=bearer(secret)).status_code == 403  # ops only

    table = ok(omniroute(running.env, "keys", "list")).stdout
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "SCOPES", "LOCATIONS", "HINT", "CREATED", "LAST", "USED"]
    assert lines[1].split()[:4] == ["ops-bot", "ops", "all", f"{secret[:8]}…"]
    assert secret not in table
    listed = json_lines(ok(omniroute(running.env, "keys", "list", "--json")).stdout)
    assert [(k["name"], k["scopes"], k["locations"], k["hint"]) for k in listed] == [
        ("ops-bot", ["ops"], None, secret[:8])
    ]
    assert listed[0]["last_used_at"] is not None  # the app recorded its use
    assert set(listed[0]) == {"name", "scopes", "locations", "hint", "created_at", "last_used_at"}

    revoked = ok(omniroute(running.env, "keys", "revoke", "ops-bot"))

    assert revoked.stdout == f"revoked API key 'ops-bot' ({secret[:8]}…)\n"
    assert refused_soon(running, secret) == 401
    assert ok(omniroute(running.env, "keys", "list", "--json")).stdout == ""
    # Who did what: the command line's writes as cli:<user>, the key's own by its name.
    entries = json_lines(ok(omniroute(running.env, "audit", "--json")).stdout)
    assert [
        (e["key"], e["action"], e["target"], e["record"], e["status"], e["outcome"])
        for e in entries
    ] == [
        (cli_actor(), "create_key", "keys/ops-bot", "ops-bot", 201, "ok"),
        ("ops-bot", "put_rules", "PUT /v1/rules", put.json()["version"], 200, "ok"),
        (cli_actor(), "revoke_key", "keys/ops-bot", "ops-bot", 200, "ok"),
    ]


@pytest.mark.postgres
def test_keys_on_postgresql_work_at_once_and_revoked_are_refused(
    running_on_postgres: Running,
) -> None:
    running = running_on_postgres
    secret = create(running.env, "--name", "agent-1", "--scopes", "agent,ops")
    assert running.app.get("/v1/rules", headers=bearer(secret)).status_code == 200
    assert running.app.get("/v1/keys", headers=bearer(secret)).status_code == 403  # not admin

    listed = json_lines(ok(omniroute(running.env, "keys", "list", "--json")).stdout)
    assert [(k["name"], k["scopes"]) for k in listed] == [("agent-1", ["agent", "ops"])]
    ok(omniroute(running.env, "keys", "revoke", "agent-1"))

    assert refused_soon(running, secret) == 401
    actions = json_lines(ok(omniroute(running.env, "audit", "--json", "--key", cli_actor())).stdout)
    assert [(e["action"], e["record"]) for e in actions] == [
        ("create_key", "agent-1"),
        ("revoke_key", "agent-1"),
    ]


def test_a_store_key_keeps_its_locations_and_the_secret_is_stored_as_a_hash_only(
    running: Running,
) -> None:
    secret = create(
        running.env, "--name", "store-east", "--scopes", "store", "--locations", "NY1,NJ1"
    )

    listed = json_lines(ok(omniroute(running.env, "keys", "list", "--json")).stdout)
    assert [(k["name"], k["locations"]) for k in listed] == [("store-east", ["NJ1", "NY1"])]
    table = ok(omniroute(running.env, "keys", "list")).stdout
    assert "NJ1,NY1" in table
    key = running.services.keys.authenticate(secret)  # what the app will look up
    assert (key.name, key.locations) == ("store-east", frozenset({"NJ1", "NY1"}))
    path = Path(running.env["OMNIROUTE_DATABASE_URL"].removeprefix("sqlite:///"))
    raw = b"".join(file.read_bytes() for file in path.parent.glob(f"{path.name}*"))  # -wal too
    assert secret.encode() not in raw
    assert key_hash(secret).encode() in raw


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["keys", "create", "--name", "web", "--scopes", "checkout,root"],
            "scopes: unknown scope 'root'",
        ),
        (["keys", "create", "--name", "", "--scopes", "checkout"], "name: must not be empty"),
        (["keys", "create", "--name", "a b", "--scopes", "checkout"], "name: letters, digits"),
        (["keys", "create", "--name", "web", "--scopes", ","], "scopes: give at least one scope"),
        (
            ["keys", "create", "--name", "web", "--scopes", "store", "--locations", ","],
            "locations: give at least one location id",
        ),
        (["keys", "create", "--scopes", "checkout"], "Missing option '--name'"),
        (["keys", "revoke", "nobody"], "no active API key named 'nobody'"),
        (["audit", "--since", "last week"], "--since: expected an ISO 8601 date-time"),
        (["audit", "--limit", "0"], "--limit"),
    ],
    ids=[
        "unknown-scope",
        "empty-name",
        "bad-name",
        "no-scope",
        "empty-locations",
        "no-name",
        "unknown-key",
        "bad-since",
        "zero-limit",
    ],
)
def test_bad_input_exits_2_with_one_line_naming_what_was_wrong(
    running: Running, args: list[str], says: str
) -> None:
    line = one_error_line(omniroute(running.env, *args))
    assert says in line
    assert running.services.key_store.active() == []


def test_a_second_active_key_of_a_name_is_refused_and_the_attempt_recorded(
    running: Running,
) -> None:
    first = create(running.env, "--name", "twice", "--scopes", "ops")

    line = one_error_line(
        omniroute(running.env, "keys", "create", "--name", "twice", "--scopes", "admin")
    )

    assert line == "error: an active API key named 'twice' exists: revoke it or pick another"
    [key] = running.services.key_store.active()
    assert key.scopes == {Scope.ops} and key.hint == first[:8]
    entries = json_lines(ok(omniroute(running.env, "audit", "--json")).stdout)
    assert [(e["action"], e["record"], e["status"], e["outcome"]) for e in entries] == [
        ("create_key", "twice", 201, "ok"),
        ("create_key", "twice", 409, "refused"),
    ]


def test_audit_filters_pages_and_prints_a_table(running: Running) -> None:
    for name in ("a", "b", "c"):
        create(running.env, "--name", name, "--scopes", "ops")
    ok(omniroute(running.env, "keys", "revoke", "b"))
    everything = json_lines(ok(omniroute(running.env, "audit", "--json")).stdout)
    assert [(e["action"], e["record"]) for e in everything] == [
        ("create_key", "a"),
        ("create_key", "b"),
        ("create_key", "c"),
        ("revoke_key", "b"),
    ]

    first = ok(omniroute(running.env, "audit", "--json", "--limit", "2"))
    assert json_lines(first.stdout) == everything[:2]
    assert f"continue with --after {everything[1]['id']}" in first.stderr
    rest = ok(omniroute(running.env, "audit", "--json", "--after", str(everything[1]["id"])))
    assert json_lines(rest.stdout) == everything[2:]
    assert rest.stderr == ""
    revokes = ok(omniroute(running.env, "audit", "--json", "--action", "revoke_key")).stdout
    assert json_lines(revokes) == everything[3:]
    since = datetime.fromisoformat(everything[2]["at"])
    later = ok(omniroute(running.env, "audit", "--json", "--since", since.isoformat())).stdout
    assert json_lines(later) == everything[2:]
    future = (since + timedelta(days=1)).isoformat()
    nothing = ok(omniroute(running.env, "audit", "--since", future, "--key", cli_actor()))
    assert (nothing.stdout, nothing.stderr) == ("", "no audit entries\n")

    table = ok(omniroute(running.env, "audit", "--action", "revoke_key")).stdout.splitlines()
    assert table[0].split() == [
        "ID",
        "AT",
        "KEY",
        "ACTION",
        "TARGET",
        "RECORD",
        "STATUS",
        "OUTCOME",
    ]
    row = table[1].split()
    assert row[0] == str(everything[3]["id"])
    assert row[3:] == [cli_actor(), "revoke_key", "keys/b", "b", "200", "ok"]
