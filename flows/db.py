"""SQLAlchemy persistence of the network document and the active rules.

Every worker and every restart reads the same network and rules from here. The store keeps
text only: the caller parses and validates (``engine.network``, ``rules``) before storing and
after loading, so this adapter imports neither.

Tables (created and changed by the Alembic migrations in ``flows/migrations``, which
:class:`DocumentStore` runs when it is made, see :mod:`flows.migrate`; the definitions here are
what the code queries, and a test checks the migrated schema matches them):

- ``network_documents(id, sha256 unique, body, created_at)``: every network ever stored, as
  canonical JSON text; ``active_network(id = 1, document_id)`` points at the one in use.
- ``rules_versions(version PK, body, fmt, source, created_at)``: every rules file ever
  activated, in its original YAML/JSON text; ``active_rules(id = 1, version)`` points at the
  one in use.
- ``inventory_*``: the durable inventory record, see :mod:`flows.inventory_schema`.

Writes are single transactions of ``INSERT … ON CONFLICT`` statements (SQLite ≥ 3.24 and
PostgreSQL), so concurrent workers storing the same or different documents never fail on a
duplicate key and never read-modify-write: the last activation wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    exc,
    make_url,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from flows import migrate
from flows.errors import ConfigError, StorageError
from flows.inventory_schema import add_inventory_tables

metadata = MetaData()

network_documents = Table(
    "network_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

active_network = Table(
    "active_network",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("document_id", Integer, ForeignKey("network_documents.id"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="active_network_singleton"),
)

rules_versions = Table(
    "rules_versions",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("body", Text, nullable=False),
    Column("fmt", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

active_rules = Table(
    "active_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", String(64), ForeignKey("rules_versions.version"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="active_rules_singleton"),
)

add_inventory_tables(metadata)  # the durable inventory record (flows.inventory_ledger)

_SINGLETON = 1

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

StoredRules = tuple[str, str, str, str]  # text, fmt, source, version


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL. Connects lazily, on first use."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            parsed,
            # API handlers run on several threads; SQLAlchemy's pool already serialises use.
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            # One shared connection, or every checkout would see a new empty in-memory database.
            poolclass=StaticPool if in_memory else None,
        )
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise ConfigError(
            "OMNIROUTE_DATABASE_URL", f"cannot use this database URL: {error}"
        ) from None
    event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
    return engine


def _sqlite_pragmas(*, wal: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if wal:  # readers in other worker processes then never block the writer
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return on_connect


def canonical_json(document: Mapping[str, Any]) -> str:
    """The text stored and hashed: key order and whitespace never change the version."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DocumentStore:
    """The network document and the active rules, shared by every worker through the database."""

    def __init__(
        self,
        engine: Engine,
        *,
        create_tables: bool = True,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        """Wrap ``engine``; with ``create_tables`` (the default) migrate the schema now."""
        self._engine = engine
        self._now = now
        name = engine.dialect.name
        if name not in ("sqlite", "postgresql"):
            raise ConfigError("OMNIROUTE_DATABASE_URL", f"unsupported database {name!r}")
        self._insert = postgresql.insert if name == "postgresql" else sqlite.insert
        if create_tables:
            self.create_tables()

    @property
    def engine(self) -> Engine:
        return self._engine

    def create_tables(self) -> None:
        """Bring the schema up to date (all migrations, see :mod:`flows.migrate`); adopts the
        tables of a database made before migrations. Safe from several workers at once."""
        migrate.upgrade(self._engine)

    def put_network(self, doc: Mapping[str, Any]) -> str:
        """Store ``doc`` (JSON-compatible) and make it the active network; return its sha256."""
        body = canonical_json(doc)
        sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
        now = self._now()
        with self._engine.begin() as conn:
            conn.execute(
                self._insert(network_documents)
                .values(sha256=sha, body=body, created_at=now)
                .on_conflict_do_nothing(index_elements=["sha256"])
            )
            doc_id = conn.execute(
                select(network_documents.c.id).where(network_documents.c.sha256 == sha)
            ).scalar_one()
            upsert = self._insert(active_network).values(
                id=_SINGLETON, document_id=doc_id, activated_at=now
            )
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["id"],
                    set_={"document_id": doc_id, "activated_at": now},
                )
            )
        return sha

    def get_network(self) -> dict[str, Any] | None:
        """The active network document, or None before one is stored."""
        query = select(network_documents.c.body).join(
            active_network, active_network.c.document_id == network_documents.c.id
        )
        with self._engine.connect() as conn:
            body = conn.execute(query).scalar_one_or_none()
        if body is None:
            return None
        document = json.loads(body)
        if not isinstance(document, dict):
            raise StorageError("the active network document is not a JSON object")
        return document

    def activate_rules(self, text: str, fmt: str, source: str, version: str) -> None:
        """Store a rules version if new and make it the active one, in one transaction.

        ``version`` is the caller's hash of the canonical content, so a file that differs only
        in comments keeps its version; its latest text, format and source replace the stored
        ones so that reading the active rules gives back what was last activated.
        """
        now = self._now()
        with self._engine.begin() as conn:
            insert_version = self._insert(rules_versions).values(
                version=version, body=text, fmt=fmt, source=source, created_at=now
            )
            conn.execute(
                insert_version.on_conflict_do_update(
                    index_elements=["version"],
                    set_={"body": text, "fmt": fmt, "source": source},
                )
            )
            point = self._insert(active_rules).values(
                id=_SINGLETON, version=version, activated_at=now
            )
            conn.execute(
                point.on_conflict_do_update(
                    index_elements=["id"], set_={"version": version, "activated_at": now}
                )
            )

    def get_active_rules(self) -> StoredRules | None:
        """``(text, fmt, source, version)`` of the active rules, or None before any."""
        query = select(
            rules_versions.c.body,
            rules_versions.c.fmt,
            rules_versions.c.source,
            rules_versions.c.version,
        ).join(active_rules, active_rules.c.version == rules_versions.c.version)
        with self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else (row.body, row.fmt, row.source, row.version)

    def active_versions(self) -> tuple[str | None, str | None]:
        """``(network sha256, rules version)`` in one round trip: the cheap "anything new?"."""
        network_sha = (
            select(network_documents.c.sha256)
            .join(active_network, active_network.c.document_id == network_documents.c.id)
            .scalar_subquery()
        )
        rules_version = select(active_rules.c.version).scalar_subquery()
        with self._engine.connect() as conn:
            row = conn.execute(select(network_sha, rules_version)).one()
        return row[0], row[1]

    def rules_history(self) -> list[tuple[str, datetime]]:
        """Every rules version ever activated, oldest first, with when it was first stored."""
        query = select(rules_versions.c.version, rules_versions.c.created_at).order_by(
            rules_versions.c.created_at, rules_versions.c.version
        )
        with self._engine.connect() as conn:
            return [(row.version, _as_utc(row.created_at)) for row in conn.execute(query)]


def _as_utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; everything stored here was UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
