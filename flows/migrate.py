"""The database schema, under Alembic migrations: :func:`upgrade`, :func:`current`, :func:`head`.

Every start (``DocumentStore.create_tables()``, so ``omniroute serve`` and the ``inventory``
commands) and ``omniroute db upgrade`` bring the schema to :func:`head`. The first revision,
``0001_routing_core``, also adopts the tables that ``metadata.create_all`` made before there
were migrations (a database with those tables and no ``alembic_version``).

Adding a revision (the convention the tests check):

- one file per revision in ``flows/migrations/versions/``, named after its revision id, which
  is a four-digit sequence number and a slug: ``0002_order_tables.py`` holds
  ``revision = "0002_order_tables"`` and ``down_revision = "0001_routing_core"`` (the head
  before it: history stays one straight line, so there is never a merge revision);
- spell the tables out with ``op.create_table`` / ``op.add_column`` etc.; never import
  ``flows.db.metadata`` or other live definitions, which change after the revision is written;
  change the live definitions (``flows.db`` and friends) in the same commit, so that
  ``tests/integration/flows/test_migrations.py`` finds the migrated schema equal to them (a
  new ``MetaData`` goes into its ``LIVE_METADATA``);
- it must run on SQLite and PostgreSQL: on SQLite, alter tables inside
  ``op.batch_alter_table`` (SQLite's ALTER TABLE cannot change columns or constraints), and
  keep PostgreSQL-only objects behind ``op.get_bind().dialect.name == "postgresql"``;
- write ``downgrade()`` too (the tests go down to base and up again);
- ``python -c 'from alembic import command; from flows.migrate import alembic_config;
  command.revision(alembic_config(), "order tables", rev_id="0002_order_tables")'`` writes a
  new file from ``flows/migrations/script.py.mako``.

Concurrency: several workers may start at once. On PostgreSQL the upgrade holds a
session-level advisory lock (the key the pre-migration ``create_tables()`` used, so an older
worker creating tables waits too) on the connection Alembic runs on; Alembic then runs all
pending revisions in one transaction under it. On SQLite the upgrade runs inside
``BEGIN IMMEDIATE``: the database's write lock, taken before Alembic reads the version, so the
second worker waits (the busy timeout) and then finds the schema at head. Within a process a
lock serialises upgrades as well: Alembic's ``op`` and ``context`` are process globals.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, TextClause, exc, text

from flows.errors import ConfigError, StorageError

MIGRATIONS = Path(__file__).with_name("migrations")
DDL_LOCK_KEY = 0x6F6D6E69  # "omni": the key create_tables() took before migrations existed

# Alembic installs ``op`` and ``context`` as module globals while it runs, so two threads
# migrating at once would step on each other even on different databases.
_in_process = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, in code (there is no alembic.ini): the packaged migrations
    and, for running them, the connection ``env.py`` uses."""
    config = Config()
    # set_main_option goes through ConfigParser interpolation: a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    # `alembic revision` names the file after the revision id alone (the convention above).
    config.set_main_option("file_template", "%%(rev)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision: where :func:`upgrade` brings every database."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:  # two revisions with the same down_revision
        raise StorageError(f"the migrations have {len(heads)} heads, not one: {sorted(heads)}")
    return heads[0]


def current(engine: Engine) -> str | None:
    """The revision the database is at; None before any (empty, or made before migrations)."""
    _check_dialect(engine)
    with _connection(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Bring the schema to :func:`head` (or to ``revision``, for tests of one revision).
    Safe when several processes and threads start at once."""
    _check_dialect(engine)
    with _in_process, _connection(engine) as connection:
        _refuse_unknown_revision(connection)
        with _exclusive(connection):
            try:
                command.upgrade(alembic_config(connection), revision)
            except CommandError as error:
                raise StorageError(f"cannot upgrade the database schema: {error}") from error


def _check_dialect(engine: Engine) -> None:
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise ConfigError("OMNIROUTE_DATABASE_URL", f"unsupported database {engine.dialect.name!r}")


def _refuse_unknown_revision(connection: Connection) -> None:
    """A newer omniroute migrated this database: say so, instead of Alembic's bare
    "Can't locate revision"."""
    revision = MigrationContext.configure(connection).get_current_revision()
    connection.rollback()  # end the read's transaction: Alembic must begin its own
    if revision is None:
        return
    known = {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
    if revision not in known:
        raise StorageError(
            f"the database schema is at revision {revision!r}, which this omniroute does not "
            "know: a newer version upgraded it; run that version or restore a backup"
        )


@contextmanager
def _connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose raw SQL and inspection see the schema its tables are in.

    An engine may place the tables with ``schema_translate_map={None: schema}``, which only
    rewrites SQLAlchemy's own statements: the version-table lookup, the baseline's inspection
    and raw DDL would still look at the default schema. On PostgreSQL that schema becomes the
    session's search_path for the migration, and the previous one comes back afterwards.
    """
    with engine.connect() as connection:
        translate = connection.get_execution_options().get("schema_translate_map") or {}
        schema = translate.get(None)
        if schema is None or connection.dialect.name != "postgresql":
            yield connection
            return
        quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
        connection.execute(text("SELECT set_config('search_path', :path, false)"), {"path": quoted})
        connection.commit()
        try:
            yield connection
        finally:
            _restore(connection, text("RESET search_path"))


@contextmanager
def _exclusive(connection: Connection) -> Iterator[None]:
    """Only one upgrade of this database at a time, across processes (see the module doc)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": DDL_LOCK_KEY})
        # Session-level, so it outlives this commit: Alembic begins and commits its own
        # transaction (a revision may need an autocommit block, e.g. CREATE INDEX
        # CONCURRENTLY), all under the lock.
        connection.commit()
        try:
            yield
        finally:
            _restore(connection, text("SELECT pg_advisory_unlock(:key)"), key=DDL_LOCK_KEY)
        return
    # SQLite: take the write lock now, before Alembic reads the version table. Alembic sees a
    # transaction already open and leaves it to us: every revision commits or none does.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


def _restore(connection: Connection, statement: TextClause, **params: Any) -> None:
    """Undo session state before the connection goes back to the pool. A connection that
    cannot (the server went away) is discarded instead: its session, and with it the lock
    or the search_path, ends when it closes."""
    try:
        connection.rollback()  # whatever a failed migration left open
        connection.execute(statement, params)
        connection.commit()
    except exc.DBAPIError:
        connection.invalidate()
