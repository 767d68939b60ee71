"""Tables of the order life: Orders as placed, Order Summaries and what hangs off them.

Plain SQLAlchemy Core tables; :mod:`flows.order_store` maps rows to the ``summary`` domain
and back (explicitly, so the domain classes stay plain dataclasses). The migration
``0002_order_life`` creates them; these definitions are what the code reads and writes.

- ``orders``: the Order as placed, its document text exactly as recorded, never updated.
- ``order_summaries`` (+ ``order_item_summaries``, ``delivery_group_summaries``): the
  living record; ``version`` guards against two writers updating one summary at once.
- ``fulfillment_orders`` (+ ``fulfillment_order_lines``, ``fulfillment_order_history``).
- ``invoices`` (lines as JSON), ``process_exceptions``, ``routing_attempts``.
- ``wave_jobs``: dry-run waves posted over HTTP (``0007_wave_jobs``), see
  :mod:`flows.wave_jobs`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

order_metadata = MetaData()


def _money(name: str) -> Column[int]:
    return Column(name, BigInteger, nullable=False, default=0)


def _count(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False, default=0)


orders = Table(
    "orders",
    order_metadata,
    Column("order_number", String(64), primary_key=True),
    Column("summary_id", String(40), nullable=False, unique=True),
    Column("fingerprint", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("source", String(32), nullable=False),
    Column("external_id", String(64), nullable=True, index=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

order_summaries = Table(
    "order_summaries",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("order_number", String(64), nullable=False, unique=True),
    Column("lifecycle", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("external_id", String(64), nullable=True),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("authorization_id", String(64), nullable=True),
    Column("gateway", String(32), nullable=True),
    _money("authorized"),
    _money("captured"),
    _money("refunded"),
    Column("authorization_expires_at", DateTime(timezone=True), nullable=True),
    Column("return_fees", BigInteger, nullable=False, server_default="0"),
    Column("credit", BigInteger, nullable=False, server_default="0"),
    Column("credit_used", BigInteger, nullable=False, server_default="0"),
    Column("transferred", BigInteger, nullable=False, server_default="0"),
    Column("credit_refunded", BigInteger, nullable=False, server_default="0"),
    Column("exchange_of", String(40), nullable=True),
    Index("ix_order_summaries_recent", "created_at", "id"),  # the console's newest-first pages
)

order_item_summaries = Table(
    "order_item_summaries",
    order_metadata,
    Column("summary_id", String(40), nullable=False),
    Column("line_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("delivery_group", String(64), nullable=False),
    _money("unit_price"),
    _money("tax"),
    _money("discount"),
    _count("quantity_ordered"),
    _count("quantity_canceled"),
    _count("quantity_allocated"),
    _count("quantity_fulfilled"),
    _count("quantity_return_initiated"),
    _count("quantity_returned"),
    _count("quantity_reshipped"),
    Column("discount_returned", BigInteger, nullable=False, server_default="0"),
    Column("tax_returned", BigInteger, nullable=False, server_default="0"),
    Column("adjust_open_discount", BigInteger, nullable=False, server_default="0"),
    Column("adjust_open_tax", BigInteger, nullable=False, server_default="0"),
    Column("adjust_shipped_discount", BigInteger, nullable=False, server_default="0"),
    Column("adjust_shipped_tax", BigInteger, nullable=False, server_default="0"),
    Column("reship_of", String(64), nullable=True),
    PrimaryKeyConstraint("summary_id", "line_id"),
)

delivery_group_summaries = Table(
    "delivery_group_summaries",
    order_metadata,
    Column("summary_id", String(40), nullable=False),
    Column("group_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("method", String(8), nullable=False),
    Column("location_id", String(64), nullable=True),
    Column("delivery_method_id", String(64), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("country", String(3), nullable=True),
    Column("postal_code", String(16), nullable=True),
    _money("charge"),
    _money("charge_tax"),
    Column("charge_invoiced", Boolean, nullable=False, default=False),
    Column("excluded_locations", Text, nullable=False, default="[]"),
    Column("charge_canceled", BigInteger, nullable=False, server_default="0"),
    Column("charge_tax_canceled", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("summary_id", "group_id"),
)

fulfillment_orders = Table(
    "fulfillment_orders",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("delivery_group", String(64), nullable=False),
    Column("location_id", String(64), nullable=False),
    Column("fulfillment_type", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reservation_id", String(64), nullable=True),
    Column("reason", String(255), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_fulfillment_orders_queue", "location_id", "status", "id"),
    Index("ix_fulfillment_orders_status", "status", "updated_at"),
)

fulfillment_order_lines = Table(
    "fulfillment_order_lines",
    order_metadata,
    Column("fulfillment_order_id", String(40), nullable=False),
    Column("line_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    _count("quantity"),
    _count("quantity_fulfilled"),
    _count("quantity_canceled"),
    PrimaryKeyConstraint("fulfillment_order_id", "line_id"),
)

fulfillment_order_history = Table(
    "fulfillment_order_history",
    order_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fulfillment_order_id", String(40), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

invoices = Table(
    "invoices",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("fulfillment_order_id", String(40), nullable=False, index=True),
    Column("lines", Text, nullable=False),
    _money("delivery"),
    _money("delivery_tax"),
    Column("status", String(8), nullable=False),
    _money("captured"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

process_exceptions = Table(
    "process_exceptions",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("category", String(16), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("attached_kind", String(32), nullable=False),
    Column("attached_id", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_process_exceptions_status", "status", "category"),
)

routing_attempts = Table(
    "routing_attempts",
    order_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("delivery_group", String(64), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("rules_version", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("fulfillment_order_ids", Text, nullable=False),
    Column("answer", Text, nullable=False),
)

change_orders = Table(
    "change_orders",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("reason", String(255), nullable=False),
    Column("lines", Text, nullable=False),
    Column("delivery", BigInteger, nullable=False),
    Column("delivery_tax", BigInteger, nullable=False),
    Column("refund", BigInteger, nullable=False),
    Column("capture_reduced", BigInteger, nullable=False),
    Column("refund_status", String(8), nullable=False),  # none | pending | done
    Column("prorate_delivery", Boolean, nullable=False),
    Column("fee", BigInteger, nullable=False, server_default="0"),
    Column("linked_id", String(40), nullable=True),  # an exchange's new summary, an RMA
    Column("applied", BigInteger, nullable=False, server_default="0"),  # credit to an exchange
    Column("idempotency_key", String(255), nullable=True),
    Column("fingerprint", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("summary_id", "idempotency_key", name="uq_change_orders_key"),
)

credit_memos = Table(
    "credit_memos",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("change_order_id", String(40), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

return_orders = Table(
    "return_orders",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("summary_id", String(40), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("location_id", String(64), nullable=True),
    Column("lines", Text, nullable=False),  # JSON: the Return Order's lines and quantities
    Column("change_order_ids", Text, nullable=False),  # JSON list, one per receipt
    Column("idempotency_key", String(255), nullable=True),
    Column("fingerprint", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("summary_id", "idempotency_key", name="uq_return_orders_key"),
)

fulfillment_order_cancels = Table(  # the idempotency keys of units taken off an FO
    "fulfillment_order_cancels",
    order_metadata,
    Column("fulfillment_order_id", String(40), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("fulfillment_order_id", "idempotency_key"),
)

wave_jobs = Table(  # dry-run wave jobs (flows.wave_jobs): queued → running → done | failed
    "wave_jobs",
    order_metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False, index=True),
    Column("strategy", String(16), nullable=False),
    Column("params", Text, nullable=False),  # JSON: time_limit, seed
    Column("orders", Text, nullable=False),  # JSON: the preview orders as posted (validated)
    Column("rules_version", String(64), nullable=True),  # the rules the plan was made under
    Column("progress", Float, nullable=False, server_default="0"),
    Column("kpis", Text, nullable=True),  # JSON, once done
    Column("plan", Text, nullable=True),  # JSON Lines of preview answers, once done
    Column("error", Text, nullable=True),
    Column("idempotency_key", String(255), nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(64), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("idempotency_key", name="uq_wave_jobs_key"),
    Index("ix_wave_jobs_recent", "created_at", "id"),  # newest first, a page at a time
)
