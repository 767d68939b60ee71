"""Alembic migrations (:mod:`flows.migrate`) on SQLite and on PostgreSQL.

Every database test runs on a SQLite file and on real PostgreSQL (fresh schemas, dropped
afterwards). "Legacy" databases are made the way ``DocumentStore.create_tables()`` made them
before migrations (:mod:`tests.support.legacy_schema`), to check that migrations adopt them.
"""

from __future__ import annotations

import ast
import itertools
import multiprocessing
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from flows import migrate
from flows.access_schema import access_metadata
from flows.db import DocumentStore, make_engine
from flows.db import metadata as routing_metadata
from flows.errors import StorageError
from flows.inventory_ledger import SqlInventoryLedger
from flows.inventory_schema import LOCK_KEYS, STALE_SQLSTATE, WRITE_BEGIN
from flows.order_schema import order_metadata
from tests.support.legacy_schema import create_legacy_tables, legacy_metadata

BASELINE = "0001_routing_core"
# Every MetaData the code queries: the migrated schema at head must be exactly these tables.
LIVE_METADATA = (routing_metadata, order_metadata, access_metadata)

NETWORK = {"locations": [{"id": "DC01", "type": "warehouse", "lat": 40.1, "lon": -75.2}]}
RULES = "version: 1\npolicies:\n  - name: ship\n    when: {delivery_method: ship}\n"


class Databases:
    """Fresh databases of one kind: SQLite files, or PostgreSQL schemas (by search_path)."""

    def __init__(self, kind: str, tmp_path: Path, admin: Engine | None) -> None:
        self.kind = kind
        self._tmp_path = tmp_path
        self._admin = admin
        self._schemas: list[str] = []
        self._engines: list[Engine] = []

    def new_url(self) -> str:
        if self._admin is None:
            return f"sqlite:///{self._tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        schema = f"test_{uuid.uuid4().hex[:12]}"
        with self._admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        self._schemas.append(schema)
        url = self._admin.url.render_as_string(hide_password=False)
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}options=-csearch_path%3D{schema}"

    def engine(self, url: str | None = None) -> Engine:
        self._engines.append(make_engine(url or self.new_url()))
        return self._engines[-1]

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        if self._admin is not None:
            with self._admin.begin() as conn:
                for schema in self._schemas:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            self._admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    admin = None
    if request.param == "postgresql":
        admin = sa.create_engine(request.getfixturevalue("database_url"))
    dbs = Databases(request.param, tmp_path, admin)
    yield dbs
    dbs.close()


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def live_tables() -> set[str]:
    return {name for m in LIVE_METADATA for name in m.tables}


def seed_documents(engine: Engine) -> DocumentStore:
    """A network, rules and some inventory, written with today's code, no migration run."""
    store = DocumentStore(engine, create_tables=False)
    store.put_network(NETWORK)
    store.activate_rules(RULES, "yaml", "rules.yaml", "v1")
    t = legacy_metadata.tables
    with engine.begin() as conn:
        conn.execute(t["inventory_meta"].insert().values(id=1, record_id="rec", generation=3))
        conn.execute(t["inventory_skus"].insert().values(ref=1, sku="SKU-1"))
        conn.execute(t["inventory_locations"].insert().values(ref=1, location_id="DC01"))
        conn.execute(
            t["inventory_stock"]
            .insert()
            .values(sku_ref=1, location_ref=1, on_hand=7, safety_stock=1, seq=5)
        )
    return store


# -- a new database ----------------------------------------------------------------------


def test_upgrade_brings_a_new_database_to_head_with_every_live_table(engine: Engine) -> None:
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert tables(engine) == live_tables() | {"alembic_version"}


def test_migrated_schema_matches_the_live_table_definitions(engine: Engine) -> None:
    migrate.upgrade(engine)
    combined = sa.MetaData()
    for live in LIVE_METADATA:
        for table in live.tables.values():
            table.to_metadata(combined)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, combined)
            if not (d[0] == "remove_table" and d[1].name == "alembic_version")
        ]
    assert differences == []


def test_the_baseline_creates_what_create_all_created_before_migrations(
    databases: Databases,
) -> None:
    legacy, migrated = databases.engine(), databases.engine()
    create_legacy_tables(legacy)
    migrate.upgrade(migrated, revision=BASELINE)
    assert schema_of(migrated) == schema_of(legacy)


def test_upgrade_twice_changes_nothing_and_keeps_the_rows(engine: Engine) -> None:
    migrate.upgrade(engine)
    store = DocumentStore(engine, create_tables=False)
    sha = store.put_network(NETWORK)
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert store.active_versions() == (sha, None)


# -- taking over a database made before migrations ----------------------------------------


def test_upgrade_adopts_tables_created_before_migrations(engine: Engine) -> None:
    create_legacy_tables(engine)
    store = seed_documents(engine)
    assert migrate.current(engine) is None

    migrate.upgrade(engine)

    assert migrate.current(engine) == migrate.head()
    assert store.get_network() == NETWORK
    assert store.get_active_rules() == (RULES, "yaml", "rules.yaml", "v1")
    ledger = SqlInventoryLedger(engine)
    try:
        assert ledger.marker() == "rec.3"
        stock = ledger.snapshot().stock
        assert (stock.skus, stock.locations, list(stock.on_hand)) == (("SKU-1",), ("DC01",), [7])
    finally:
        ledger.close()
    # And the next start goes on as usual.
    assert DocumentStore(engine).get_network() == NETWORK


def test_a_worker_starting_on_a_legacy_database_adopts_it(engine: Engine) -> None:
    create_legacy_tables(engine)
    seed_documents(engine)
    store = DocumentStore(engine)  # what every worker does at start-up
    assert migrate.current(engine) == migrate.head()
    assert store.get_network() == NETWORK


def test_a_table_of_another_shape_is_not_adopted_and_nothing_is_stamped(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE rules_versions (version VARCHAR(64) PRIMARY KEY)"))
    with pytest.raises(StorageError, match=r"rules_versions.*'body'"):
        migrate.upgrade(engine)
    assert migrate.current(engine) is None
    assert tables(engine) == {"rules_versions"}  # the whole upgrade was rolled back


def test_a_database_upgraded_by_a_newer_omniroute_is_refused(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(StorageError, match=r"9999_from_the_future.*newer version"):
        migrate.upgrade(engine)
    with pytest.raises(StorageError, match="newer version"):
        DocumentStore(engine)


# -- going down ---------------------------------------------------------------------------


def test_every_revision_goes_down_to_an_empty_database_and_up_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as conn:
        command.downgrade(migrate.alembic_config(conn), "base")
        conn.commit()
    assert migrate.current(engine) is None
    assert tables(engine) == {"alembic_version"}
    assert write_function_schema(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert tables(engine) == live_tables() | {"alembic_version"}


# -- several workers at once ----------------------------------------------------------------


def _upgrade_in_another_process(url: str, start: Any, results: Any) -> None:
    engine = make_engine(url)
    try:
        start.wait()  # all at once, so the upgrades really overlap
        migrate.upgrade(engine)
        results.put(("ok", migrate.current(engine)))
    except Exception as error:  # reported to the test, which fails on it
        results.put(("error", repr(error)))
    finally:
        engine.dispose()


def test_processes_upgrading_a_new_database_at_once_all_succeed(databases: Databases) -> None:
    url, workers = databases.new_url(), 4
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(workers, timeout=60), spawn.Queue()
    processes = [
        spawn.Process(target=_upgrade_in_another_process, args=(url, start, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert outcomes == [("ok", migrate.head())] * workers
    engine = databases.engine(url)
    assert migrate.current(engine) == migrate.head()
    assert tables(engine) == live_tables() | {"alembic_version"}


def test_processes_taking_over_a_legacy_database_at_once_all_succeed(
    databases: Databases,
) -> None:
    url = databases.new_url()
    legacy = databases.engine(url)
    create_legacy_tables(legacy)
    seed_documents(legacy)
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(3, timeout=60), spawn.Queue()
    processes = [
        spawn.Process(target=_upgrade_in_another_process, args=(url, start, results))
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert outcomes == [("ok", migrate.head())] * 3
    assert DocumentStore(legacy, create_tables=False).get_network() == NETWORK


# -- the PostgreSQL write function ---------------------------------------------------------


@pytest.mark.postgres
def test_the_write_function_takes_the_rebuild_lock_and_raises_the_stale_code(
    postgres_schema_url: str,
) -> None:
    engine = make_engine(postgres_schema_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            definition = conn.execute(
                sa.text("SELECT pg_get_functiondef(CAST(:name AS regproc))"), {"name": WRITE_BEGIN}
            ).scalar_one()
    finally:
        engine.dispose()
    assert f"pg_advisory_xact_lock_shared({LOCK_KEYS})" in definition
    assert f"ERRCODE = '{STALE_SQLSTATE}'" in definition


# -- the revision files ---------------------------------------------------------------------


def revision_scripts() -> list[Any]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    return list(reversed(list(scripts.walk_revisions())))


def test_revisions_form_one_numbered_line_from_the_baseline_to_head() -> None:
    scripts = revision_scripts()
    assert scripts[0].revision == BASELINE and scripts[0].down_revision is None
    for number, (before, script) in enumerate(itertools.pairwise(scripts), 2):
        assert script.down_revision == before.revision, script.path
        assert re.fullmatch(rf"{number:04d}_[a-z0-9_]+", script.revision), script.revision
    assert scripts[-1].revision == migrate.head()


def test_each_revision_file_is_named_after_its_revision_id() -> None:
    for script in revision_scripts():
        assert Path(script.path).stem == script.revision


def test_no_revision_imports_the_live_table_definitions() -> None:
    allowed = {"flows.errors"}  # stable; live schemas (flows.db, *_schema) change over time
    for script in revision_scripts():
        tree = ast.parse(Path(script.path).read_text())
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        ours = {name for name in imported if name.split(".")[0] in ("flows", "api", "summary")}
        assert ours <= allowed, f"{script.path} imports {sorted(ours - allowed)}"


# -- helpers ----------------------------------------------------------------------------------


def schema_of(engine: Engine) -> dict[str, Any]:
    """Everything about the schema that create_all and the migrations decide."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # SQLite keeps each object's CREATE statement: equal text, equal schema.
            rows = conn.execute(
                sa.text(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE tbl_name != 'alembic_version' ORDER BY type, name"
                )
            )
            return {"objects": [tuple(row) for row in rows]}
        inspector = sa.inspect(conn)
        names = sorted(set(inspector.get_table_names()) - {"alembic_version"})
        described = {
            name: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c["default"])
                    for c in inspector.get_columns(name)
                ],
                "primary_key": inspector.get_pk_constraint(name),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(name)
                ),
                "foreign_keys": inspector.get_foreign_keys(name),
                "checks": sorted(
                    (c["name"], c["sqltext"]) for c in inspector.get_check_constraints(name)
                ),
                "indexes": inspector.get_indexes(name),
            }
            for name in names
        }
        functions = (
            conn.execute(
                sa.text(
                    "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
                    "WHERE p.pronamespace = CAST(current_schema() AS regnamespace) ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        # The definitions name the schema, which differs between the two databases compared.
        return {
            "tables": described,
            "functions": [f.replace(f"{schema}.", "<schema>.") for f in functions],
        }


def write_function_schema(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE p.proname = :name AND n.nspname = current_schema()"
            ),
            {"name": WRITE_BEGIN},
        ).scalar_one_or_none()
