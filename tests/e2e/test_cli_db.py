"""``omniroute db upgrade|current`` on a SQLite file and on PostgreSQL, and the upgrade that
``omniroute serve`` runs at start-up (quietly: no Alembic logging on stderr)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from api.cli import app
from flows import migrate
from flows.db import DocumentStore, make_engine
from flows.documents import read_document
from rules.loader import load_rules
from tests.e2e.conftest import DATA
from tests.support.legacy_schema import create_legacy_tables
from tests.support.processes import ServeProcess

ROOT = Path(__file__).resolve().parents[2]


def invoke(database_url: str, *args: str) -> Result:
    # Only the database is configured: the calling shell's OMNIROUTE_* cannot leak in.
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OMNIROUTE_")}
    env["OMNIROUTE_DATABASE_URL"] = database_url
    return CliRunner().invoke(app, ["db", *args], env=env)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url_of_kind(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'omniroute.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def engine_of(database_url_of_kind: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url_of_kind)
    yield engine
    engine.dispose()


def test_db_current_on_a_sqlite_file_that_does_not_exist_says_none_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nowhere.db"
    result = invoke(f"sqlite:///{path}", "current")
    assert (result.exit_code, result.stdout) == (0, "none\n"), result.output
    assert not path.exists()


def test_db_upgrade_brings_a_new_database_to_head_and_db_current_says_so(
    database_url_of_kind: str,
) -> None:
    before = invoke(database_url_of_kind, "current")
    assert (before.exit_code, before.stdout) == (0, "none\n"), before.output

    done = invoke(database_url_of_kind, "upgrade")
    assert done.exit_code == 0, done.output
    assert done.stdout == f"database schema upgraded from none to {migrate.head()}\n"

    again = invoke(database_url_of_kind, "upgrade")
    assert again.stdout == f"database schema at {migrate.head()}: already up to date\n"
    now = invoke(database_url_of_kind, "current")
    assert (now.exit_code, now.stdout) == (0, f"{migrate.head()}\n")


def test_db_upgrade_adopts_a_database_created_before_migrations(
    database_url_of_kind: str, engine_of: sa.Engine
) -> None:
    create_legacy_tables(engine_of)
    sha = DocumentStore(engine_of, create_tables=False).put_network(
        read_document(DATA / "network.json")
    )
    done = invoke(database_url_of_kind, "upgrade")
    assert done.exit_code == 0, done.output
    assert migrate.current(engine_of) == migrate.head()
    assert DocumentStore(engine_of, create_tables=False).active_versions() == (sha, None)


def test_db_upgrade_refuses_a_database_from_a_newer_version_in_one_line(
    database_url_of_kind: str, engine_of: sa.Engine
) -> None:
    migrate.upgrade(engine_of)
    with engine_of.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_later'"))
    done = invoke(database_url_of_kind, "upgrade")
    assert done.exit_code == 2
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "9999_later" in line and "newer version" in line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg2://nobody@127.0.0.1:1/none", "error: database: "),
        ("mysql://somewhere/db", "error: OMNIROUTE_DATABASE_URL: "),
    ],
    ids=["unreachable", "unsupported"],
)
@pytest.mark.parametrize("command", ["upgrade", "current"])
def test_db_commands_report_a_database_they_cannot_use_in_one_line(
    command: str, url: str, expected: str
) -> None:
    done = invoke(url, command)
    assert done.exit_code == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(expected), line
    assert "Traceback" not in done.stderr


def test_the_installed_db_upgrade_writes_nothing_on_stderr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIROUTE_")}
    env["OMNIROUTE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'omniroute.db'}"
    command = [sys.executable, "-m", "api.cli", "db", "upgrade"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no Alembic "Context impl ..." / "Running upgrade ..." lines
    assert done.stdout == f"database schema upgraded from none to {migrate.head()}\n"


def test_serve_takes_over_a_legacy_sqlite_database_at_start_quietly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'omniroute.db'}"
    engine = make_engine(url)
    try:
        create_legacy_tables(engine)
        store = DocumentStore(engine, create_tables=False)
        sha = store.put_network(read_document(DATA / "network.json"))
        rules = load_rules(DATA / "rules.yaml")
        store.activate_rules(rules.text, "yaml", rules.source, rules.version)
    finally:
        engine.dispose()

    with ServeProcess({"OMNIROUTE_DATABASE_URL": url}) as server:
        server.start()
        with server.client() as http:
            network = http.get("/v1/network").json()
        log = server.log_text()

    assert network["version"] == sha
    # Quietly: no Alembic output, only where the first start's key is and where it serves.
    first_start, serving = log.strip().splitlines()
    assert first_start.startswith("omniroute: first start: an API key with every scope is in ")
    assert serving == f"omniroute: serving on {server.url} (docs at /docs, console at /console)"
    assert invoke(url, "current").stdout == f"{migrate.head()}\n"
