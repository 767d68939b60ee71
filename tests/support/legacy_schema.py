"""The schema as ``DocumentStore.create_tables()`` made it before migrations, frozen.

A verbatim copy of the table definitions of ``flows/db.py`` and ``flows/inventory_schema.py``
and of the old ``create_tables()`` (``metadata.create_all`` under the PostgreSQL advisory lock,
then the plpgsql write function), as they were when Alembic took over. The tests build
databases with it to check that migrations adopt them. Never update it: it stands for the
databases already deployed, which do not change when the live definitions do.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
    text,
)

legacy_metadata = MetaData()

Table(
    "network_documents",
    legacy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Table(
    "active_network",
    legacy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("document_id", Integer, ForeignKey("network_documents.id"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="active_network_singleton"),
)
Table(
    "rules_versions",
    legacy_metadata,
    Column("version", String(64), primary_key=True),
    Column("body", Text, nullable=False),
    Column("fmt", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Table(
    "active_rules",
    legacy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", String(64), ForeignKey("rules_versions.version"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="active_rules_singleton"),
)
Table(
    "inventory_meta",
    legacy_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("record_id", Text, nullable=False),
    Column("generation", BigInteger, nullable=False),
    Column("synced", Boolean, nullable=False, server_default=false()),
    CheckConstraint("id = 1", name="inventory_meta_singleton"),
)
for _name, _column in (("inventory_skus", "sku"), ("inventory_locations", "location_id")):
    Table(
        _name,
        legacy_metadata,
        Column("ref", Integer, primary_key=True, autoincrement=True),
        Column(_column, Text, nullable=False, unique=True),
    )
Table(
    "inventory_stock",
    legacy_metadata,
    Column("sku_ref", Integer, nullable=False),
    Column("location_ref", Integer, nullable=False),
    Column("on_hand", BigInteger, nullable=False),
    Column("safety_stock", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    PrimaryKeyConstraint("sku_ref", "location_ref"),
)
Table(
    "inventory_reservations",
    legacy_metadata,
    Column("id", Text, primary_key=True),
    Column("request", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("held", Text, nullable=False),
    Column("fulfilled", Text, nullable=False),
    Column("released", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("updated_at", Float, nullable=False),
)

LEGACY_TABLES = frozenset(legacy_metadata.tables)

LEGACY_WRITE_BEGIN_DDL = (
    "\nCREATE OR REPLACE FUNCTION omniroute_inventory_write_begin(expected text, wait_ms integer)"
    " RETURNS void"
    + """
LANGUAGE plpgsql AS $fn$
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
)  # byte for byte what the old code sent

_LEGACY_DDL_LOCK_KEY = 0x6F6D6E69


def create_legacy_tables(engine: Engine) -> None:
    """What ``DocumentStore.create_tables()`` did before migrations."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEGACY_DDL_LOCK_KEY})
        legacy_metadata.create_all(conn)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(LEGACY_WRITE_BEGIN_DDL)
