"""Alembic environment: runs the revisions on the connection :mod:`flows.migrate` hands over.

No logging set-up here: Alembic's INFO lines ("Context impl ...", "Running upgrade ...") would
otherwise reach stderr on every ``serve`` start and in every test. ``omniroute db upgrade``
prints its own one-line summary instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        # The `alembic` command line would open its own connection, without the lock that
        # keeps workers starting together from migrating at the same time.
        raise RuntimeError(
            "run omniroute's migrations with `omniroute db upgrade` (flows.migrate.upgrade), "
            "not the alembic command line"
        )
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
