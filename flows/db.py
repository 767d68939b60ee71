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
- ``config_history(id, version, network_sha, rules_version, change, applied_at,
  activated_by)``: every network + rules pair that became active through
  :meth:`DocumentStore.switch_config`, oldest first by ``id``; ``version`` is
  :func:`config_version` of the pair, ``activated_by`` who switched to it (an API key's name,
  ``cli:<user>``) or NULL (seeded at a start).
- ``inventory_*``: the durable inventory record, see :mod:`flows.inventory_schema`.

Writes are single transactions of ``INSERT … ON CONFLICT`` statements (SQLite ≥ 3.24 and
PostgreSQL), so concurrent workers storing the same or different documents never fail on a
duplicate key and never read-modify-write: the last activation wins. The one exception is
:meth:`DocumentStore.switch_config`, which reads the config it replaces (for the history) and
therefore serialises switches (SQLite's write lock at ``BEGIN IMMEDIATE``, a PostgreSQL
transaction-level advisory lock), so the history's order is the order the switches committed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    exc,
    literal,
    make_url,
    select,
    text,
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

config_history = Table(
    "config_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False),
    Column("network_sha", String(64), ForeignKey("network_documents.sha256"), nullable=False),
    Column("rules_version", String(64), ForeignKey("rules_versions.version"), nullable=False),
    Column("change", String(16), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("activated_by", String(80), nullable=True),
)

add_inventory_tables(metadata)  # the durable inventory record (flows.inventory_ledger)

_SINGLETON = 1
# First key of the advisory lock that serialises config switches on PostgreSQL ("conf"); the
# second is the schema, so databases in different schemas never wait for each other.
CONFIG_LOCK_CLASS = 0x636F6E66
INITIAL_CHANGE = "initial"  # the history row of a config that became active without a switch

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

StoredRules = tuple[str, str, str, str]  # text, fmt, source, version


def config_version(network_sha: str, rules_version: str) -> str:
    """The version of a network + rules pair: it changes when either part does, and only then."""
    return hashlib.sha256(f"network {network_sha}\nrules {rules_version}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    """One entry of the config history: which network and rules were active from when."""

    version: str
    network_sha: str
    rules_version: str
    change: str  # "config", "network", "rules", or INITIAL_CHANGE
    applied_at: datetime
    activated_by: str | None = None  # an API key's name, "cli:<user>"; None: seeded at a start


@dataclass(frozen=True, slots=True)
class ActiveDocuments:
    """The active network and rules as one consistent read. ``network`` is None when its sha
    is the one the caller said it already holds (so an unchanged network is not shipped)."""

    network_sha: str
    network: dict[str, Any] | None
    rules: StoredRules


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
            _wal_mode(cursor)
        cursor.close()

    return on_connect


def _wal_mode(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, waiting like every other statement does. SQLite answers
    "database is locked" at once, without its busy handler, when the mode cannot be settled
    while another process holds a lock (e.g. several workers starting on a new file while
    one migrates it), so wait for up to the busy timeout here."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


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
        now = self._now()
        with self._engine.begin() as conn:
            doc_id, sha = self._store_network(conn, doc, now)
            self._point_network(conn, doc_id, now)
        return sha

    def get_network(self) -> dict[str, Any] | None:
        """The active network document, or None before one is stored."""
        query = select(network_documents.c.body).join(
            active_network, active_network.c.document_id == network_documents.c.id
        )
        with self._engine.connect() as conn:
            body = conn.execute(query).scalar_one_or_none()
        return None if body is None else _network_document(body)

    def activate_rules(self, text: str, fmt: str, source: str, version: str) -> None:
        """Store a rules version if new and make it the active one, in one transaction.

        ``version`` is the caller's hash of the canonical content, so a file that differs only
        in comments keeps its version; its latest text, format and source replace the stored
        ones so that reading the active rules gives back what was last activated.
        """
        now = self._now()
        with self._engine.begin() as conn:
            self._store_rules(conn, (text, fmt, source, version), now)
            self._point_rules(conn, version, now)

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

    def active_documents(self, known_network_sha: str | None = None) -> ActiveDocuments | None:
        """The active network and rules in ONE statement, so a reader never pairs the network
        of one switch with the rules of another; None while either is missing. The network's
        body is left out (``network`` None) when its sha is ``known_network_sha``."""
        body: Any = network_documents.c.body
        if known_network_sha is not None:
            unchanged = network_documents.c.sha256 == literal(known_network_sha)
            body = case((unchanged, None), else_=body)
        query = (
            select(
                network_documents.c.sha256,
                body.label("network_body"),
                rules_versions.c.body,
                rules_versions.c.fmt,
                rules_versions.c.source,
                rules_versions.c.version,
            )
            .select_from(active_network)
            .join(network_documents, network_documents.c.id == active_network.c.document_id)
            .join(active_rules, active_rules.c.id == active_network.c.id)
            .join(rules_versions, rules_versions.c.version == active_rules.c.version)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        network = None if row.network_body is None else _network_document(row.network_body)
        rules = (row.body, row.fmt, row.source, row.version)
        return ActiveDocuments(row.sha256, network, rules)

    def rules_history(self) -> list[tuple[str, datetime]]:
        """Every rules version ever activated, oldest first, with when it was first stored."""
        query = select(rules_versions.c.version, rules_versions.c.created_at).order_by(
            rules_versions.c.created_at, rules_versions.c.version
        )
        with self._engine.connect() as conn:
            return [(row.version, _as_utc(row.created_at)) for row in conn.execute(query)]

    def get_rules_version(self, version: str) -> StoredRules | None:
        """``(text, fmt, source, version)`` of any rules version ever stored, or None."""
        query = select(
            rules_versions.c.body,
            rules_versions.c.fmt,
            rules_versions.c.source,
            rules_versions.c.version,
        ).where(rules_versions.c.version == version)
        with self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else (row.body, row.fmt, row.source, row.version)

    # -- the config (network + rules) as one ------------------------------------------------

    def switch_config(
        self,
        *,
        network: Mapping[str, Any] | None = None,
        rules: StoredRules | None = None,
        change: str,
        actor: str | None = None,
    ) -> tuple[ConfigRecord, bool]:
        """Store the parts given, point the active network and rules at them and record the
        new config in the history, all in ONE transaction: no reader ever sees one part
        switched without the other. A part left out (None) stays as it is. ``actor`` is who
        switches (recorded as ``activated_by``; None for a config seeded at a start).

        Returns the active config's record and whether it changed. Storing what is already
        active changes nothing and adds no history row (a retried PUT is harmless). The config
        replaced is recorded first (``INITIAL_CHANGE``) if the history does not end with it,
        e.g. the one seeded at a first start, so the history is complete from then on.
        """
        now = self._now()
        with self._engine.connect() as conn:
            self._begin_switch(conn)
            before = self._active_state(conn)
            if network is not None:
                doc_id, network_sha = self._store_network(conn, network, now)
            elif before is not None:
                network_sha = before[0]
            else:
                raise StorageError("no active network to keep: give one")
            if rules is not None:
                self._store_rules(conn, rules, now)
                rules_version = rules[3]
            elif before is not None:
                rules_version = before[1]
            else:
                raise StorageError("no active rules to keep: give them")
            version = config_version(network_sha, rules_version)
            if before is not None and (network_sha, rules_version) == before[:2]:
                latest = self._history(conn, 1)
                conn.commit()  # the rules' latest text and source, as activate_rules keeps it
                record = latest[0] if latest and latest[0].version == version else None
                return record or self._initial_record(before), False
            if network is not None and (before is None or network_sha != before[0]):
                self._point_network(conn, doc_id, now)
            if before is None or rules_version != before[1]:
                self._point_rules(conn, rules_version, now)
            if before is not None:
                latest = self._history(conn, 1)
                replaced = self._initial_record(before)
                if not latest or latest[0].version != replaced.version:
                    self._record(conn, replaced)
            record = ConfigRecord(version, network_sha, rules_version, change, now, actor)
            self._record(conn, record)
            conn.commit()
        return record, True

    def config_history(self, limit: int = 50) -> list[ConfigRecord]:
        """The last ``limit`` configs, latest first. The active config is always first: when
        it became active without a switch (seeded at a first start), its entry is made up
        from the activation times, as :meth:`switch_config` will record it."""
        with self._engine.connect() as conn:
            active = self._active_state(conn)
            history = self._history(conn, limit)
        if active is None:
            return history
        current = self._initial_record(active)
        if history and history[0].version == current.version:
            return history
        return [current, *history][:limit]

    # -- statements shared by the writes ----------------------------------------------------

    def _begin_switch(self, conn: Connection) -> None:
        if self._engine.dialect.name == "sqlite":
            # The write lock before the first read: a read transaction upgraded to a write one
            # fails at once (SQLITE_BUSY) in WAL mode when another writer committed meanwhile.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": CONFIG_LOCK_CLASS},
        )

    def _active_state(self, conn: Connection) -> tuple[str, str, datetime] | None:
        """(network sha, rules version, when the later of them was activated), or None."""
        query = (
            select(
                network_documents.c.sha256,
                active_rules.c.version,
                active_network.c.activated_at,
                active_rules.c.activated_at.label("rules_activated_at"),
            )
            .select_from(active_network)
            .join(network_documents, network_documents.c.id == active_network.c.document_id)
            .join(active_rules, active_rules.c.id == active_network.c.id)
        )
        row = conn.execute(query).one_or_none()
        if row is None:
            return None
        applied = max(_as_utc(row.activated_at), _as_utc(row.rules_activated_at))
        return row.sha256, row.version, applied

    @staticmethod
    def _initial_record(state: tuple[str, str, datetime]) -> ConfigRecord:
        network_sha, rules_version, applied_at = state
        version = config_version(network_sha, rules_version)
        return ConfigRecord(
            version, network_sha, rules_version, INITIAL_CHANGE, applied_at, activated_by=None
        )

    @staticmethod
    def _history(conn: Connection, limit: int) -> list[ConfigRecord]:
        query = select(config_history).order_by(config_history.c.id.desc()).limit(limit)
        return [
            ConfigRecord(
                row.version,
                row.network_sha,
                row.rules_version,
                row.change,
                _as_utc(row.applied_at),
                row.activated_by,
            )
            for row in conn.execute(query)
        ]

    @staticmethod
    def _record(conn: Connection, record: ConfigRecord) -> None:
        conn.execute(
            config_history.insert().values(
                version=record.version,
                network_sha=record.network_sha,
                rules_version=record.rules_version,
                change=record.change,
                applied_at=record.applied_at,
                activated_by=record.activated_by,
            )
        )

    def _store_network(
        self, conn: Connection, doc: Mapping[str, Any], now: datetime
    ) -> tuple[int, str]:
        body = canonical_json(doc)
        sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
        conn.execute(
            self._insert(network_documents)
            .values(sha256=sha, body=body, created_at=now)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        doc_id = conn.execute(
            select(network_documents.c.id).where(network_documents.c.sha256 == sha)
        ).scalar_one()
        return int(doc_id), sha

    def _point_network(self, conn: Connection, doc_id: int, now: datetime) -> None:
        upsert = self._insert(active_network).values(
            id=_SINGLETON, document_id=doc_id, activated_at=now
        )
        conn.execute(
            upsert.on_conflict_do_update(
                index_elements=["id"], set_={"document_id": doc_id, "activated_at": now}
            )
        )

    def _store_rules(self, conn: Connection, rules: StoredRules, now: datetime) -> None:
        text_, fmt, source, version = rules
        insert_version = self._insert(rules_versions).values(
            version=version, body=text_, fmt=fmt, source=source, created_at=now
        )
        conn.execute(
            insert_version.on_conflict_do_update(
                index_elements=["version"], set_={"body": text_, "fmt": fmt, "source": source}
            )
        )

    def _point_rules(self, conn: Connection, version: str, now: datetime) -> None:
        point = self._insert(active_rules).values(id=_SINGLETON, version=version, activated_at=now)
        conn.execute(
            point.on_conflict_do_update(
                index_elements=["id"], set_={"version": version, "activated_at": now}
            )
        )


def _network_document(body: str) -> dict[str, Any]:
    document = json.loads(body)
    if not isinstance(document, dict):
        raise StorageError("the active network document is not a JSON object")
    return document


def _as_utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; everything stored here was UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
