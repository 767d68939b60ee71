"""Tables of access control (migration ``0008_access``): API keys (hashes only) and the
audit trail."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

access_metadata = MetaData()

api_keys = Table(
    "api_keys",
    access_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("scopes", String(128), nullable=False),  # comma-separated, sorted
    Column("locations", Text, nullable=True),  # JSON list; NULL: every location
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
# A name belongs to one active key at a time; a revoked key keeps its row (and its name).
Index(
    "uq_api_keys_active_name",
    api_keys.c.name,
    unique=True,
    sqlite_where=api_keys.c.revoked_at.is_(None),
    postgresql_where=api_keys.c.revoked_at.is_(None),
)

audit_log = Table(
    "audit_log",
    access_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("key_name", String(80), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("record", String(255), nullable=True),
    Column("status", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
)
