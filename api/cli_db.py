"""``omniroute db``: bring the database schema up to date, or say where it is.

Both use the configured database (``OMNIROUTE_DATABASE_URL``, as ``serve`` does). ``serve``
upgrades at start-up anyway; ``db upgrade`` is for doing it ahead of a deploy, with the
service's own credentials, and seeing what happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from api.cli_errors import fail, user_errors
from flows import migrate
from flows.db import make_engine
from flows.settings import Settings

db_app = typer.Typer(
    name="db",
    help="The database schema: upgrade it to this version's migrations, show its revision.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def _database() -> Iterator[Engine]:
    """The configured database; bad settings and database failures become one line, exit 2."""
    with user_errors():
        engine = make_engine(Settings.from_env().database_url)
        try:
            yield engine
        except SQLAlchemyError as error:
            # The driver's own message names the cause (refused, unknown host, no such
            # database); SQLAlchemy's wrapper adds the statement and a link.
            reason = error.orig if isinstance(error, DBAPIError) else error
            fail(f"database: {reason}")
        finally:
            engine.dispose()


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every migration the database has not had yet (adopting tables made before
    migrations existed). Safe while other processes start or run."""
    with _database() as engine:
        before = migrate.current(engine)
        migrate.upgrade(engine)
        after = migrate.current(engine)
    if before == after:
        typer.echo(f"database schema at {after}: already up to date")
    else:
        typer.echo(f"database schema upgraded from {before or 'none'} to {after}")


@db_app.command("current")
def current() -> None:
    """Print the revision the database schema is at ("none" before any migration)."""
    with _database() as engine:
        # Looking must not create: SQLite makes a missing file on connect.
        revision = None if _missing_sqlite_file(engine) else migrate.current(engine)
    typer.echo(revision or "none")


def _missing_sqlite_file(engine: Engine) -> bool:
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        return False
    return not path.startswith("file:") and not Path(path).exists()
