"""Routing core baseline: the network and rules documents and the inventory record.

Creates what ``DocumentStore.create_tables()`` created with ``metadata.create_all`` before
there were migrations: the same tables, constraints and, on PostgreSQL, the plpgsql function
``omniroute_inventory_write_begin``. A database made that way has the tables and no
``alembic_version``: each table that is already there is adopted as it is (its rows stay),
after checking it has every column this revision defines, so that a table of another shape
fails the upgrade loudly instead of being stamped as current.

Everything is spelled out here rather than taken from ``flows.db.metadata``: the live
definitions will change, and a revision must keep creating what it created on the day it was
written.

Revision ID: 0001_routing_core
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from flows.errors import StorageError

revision: str = "0001_routing_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The function body as the inventory record created it (flows.inventory_schema at this
# revision), so an adopted database keeps the very same function: the first lock key is
# LOCK_CLASS (0x696E7600, "inv\0"), the second the schema; 'OR409' is the SQLSTATE the ledger
# reads as "stale build".
_WRITE_BEGIN_DDL = """
CREATE OR REPLACE FUNCTION omniroute_inventory_write_begin(expected text, wait_ms integer)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  previous text := current_setting('lock_timeout');
BEGIN
  PERFORM set_config('lock_timeout', wait_ms || 'ms', true);
  PERFORM pg_advisory_xact_lock_shared(1768846848, hashtext(current_schema()));
  -- only the wait for a rebuild is bounded here, not row locks taken later
  PERFORM set_config('lock_timeout', previous, true);
  IF NOT EXISTS (
    SELECT 1 FROM inventory_meta WHERE id = 1 AND record_id || '.' || generation = expected
  ) THEN
    RAISE EXCEPTION USING ERRCODE = 'OR409',
      MESSAGE = 'inventory change made on build ' || expected || ', not the current one';
  END IF;
END
$fn$
"""


def upgrade() -> None:
    # Network and rules documents (flows.db).
    _create_or_adopt(
        "network_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _create_or_adopt(
        "rules_versions",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("fmt", sa.String(16), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _create_or_adopt(
        "active_network",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("network_documents.id"), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="active_network_singleton"),
    )
    _create_or_adopt(
        "active_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "version", sa.String(64), sa.ForeignKey("rules_versions.version"), nullable=False
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="active_rules_singleton"),
    )
    # The durable inventory record (flows.inventory_schema).
    _create_or_adopt(
        "inventory_meta",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("synced", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("id = 1", name="inventory_meta_singleton"),
    )
    for name, column in (("inventory_skus", "sku"), ("inventory_locations", "location_id")):
        _create_or_adopt(
            name,
            sa.Column("ref", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(column, sa.Text, nullable=False, unique=True),
        )
    _create_or_adopt(
        "inventory_stock",
        sa.Column("sku_ref", sa.Integer, nullable=False),
        sa.Column("location_ref", sa.Integer, nullable=False),
        sa.Column("on_hand", sa.BigInteger, nullable=False),
        sa.Column("safety_stock", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("sku_ref", "location_ref"),
    )
    _create_or_adopt(
        "inventory_reservations",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("held", sa.Text, nullable=False),
        sa.Column("fulfilled", sa.Text, nullable=False),
        sa.Column("released", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # OR REPLACE: an adopted database has it already, and it is replaced by the same text.
        op.execute(_WRITE_BEGIN_DDL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS omniroute_inventory_write_begin(text, integer)")
    for name in (
        "inventory_reservations",
        "inventory_stock",
        "inventory_locations",
        "inventory_skus",
        "inventory_meta",
        "active_rules",
        "active_network",
        "rules_versions",
        "network_documents",
    ):
        op.drop_table(name)


def _create_or_adopt(name: str, *elements: sa.schema.SchemaItem) -> None:
    """``op.create_table``, unless a database made before migrations has the table already."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(name):
        op.create_table(name, *elements)
        return
    present = {column["name"] for column in inspector.get_columns(name)}
    missing = [e.name for e in elements if isinstance(e, sa.Column) and e.name not in present]
    if missing:
        raise StorageError(
            f"cannot adopt the existing table {name!r}: it has no column "
            + ", ".join(repr(column) for column in missing)
        )
