"""Order life: Orders as placed, Order Summaries with their items and delivery groups,
Fulfillment Orders (lines, status history), invoices, process exceptions, routing attempts.

Spelled out rather than taken from ``flows.order_schema``: the live definitions will change,
and a revision must keep creating what it created on the day it was written.

Revision ID: 0002_order_life
Revises: 0001_routing_core
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_order_life"
down_revision: str | None = "0001_routing_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_group_summaries",
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=True),
        sa.Column("delivery_method_id", sa.String(64), nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("country", sa.String(3), nullable=True),
        sa.Column("postal_code", sa.String(16), nullable=True),
        sa.Column("charge", sa.BigInteger, nullable=False),
        sa.Column("charge_tax", sa.BigInteger, nullable=False),
        sa.Column("charge_invoiced", sa.Boolean, nullable=False),
        sa.Column("excluded_locations", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("summary_id", "group_id"),
    )
    op.create_table(
        "fulfillment_order_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fulfillment_order_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_fulfillment_order_history_fulfillment_order_id",
        "fulfillment_order_history",
        ["fulfillment_order_id"],
    )
    op.create_table(
        "fulfillment_order_lines",
        sa.Column("fulfillment_order_id", sa.String(40), nullable=False),
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("quantity_fulfilled", sa.Integer, nullable=False),
        sa.Column("quantity_canceled", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("fulfillment_order_id", "line_id"),
    )
    op.create_table(
        "fulfillment_orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("delivery_group", sa.String(64), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("fulfillment_type", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reservation_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_fulfillment_orders_queue", "fulfillment_orders", ["location_id", "status", "id"]
    )
    op.create_index("ix_fulfillment_orders_status", "fulfillment_orders", ["status", "updated_at"])
    op.create_index("ix_fulfillment_orders_summary_id", "fulfillment_orders", ["summary_id"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("fulfillment_order_id", sa.String(40), nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("delivery", sa.BigInteger, nullable=False),
        sa.Column("delivery_tax", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("captured", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_invoices_fulfillment_order_id", "invoices", ["fulfillment_order_id"])
    op.create_index("ix_invoices_summary_id", "invoices", ["summary_id"])
    op.create_table(
        "order_item_summaries",
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("delivery_group", sa.String(64), nullable=False),
        sa.Column("unit_price", sa.BigInteger, nullable=False),
        sa.Column("tax", sa.BigInteger, nullable=False),
        sa.Column("discount", sa.BigInteger, nullable=False),
        sa.Column("quantity_ordered", sa.Integer, nullable=False),
        sa.Column("quantity_canceled", sa.Integer, nullable=False),
        sa.Column("quantity_allocated", sa.Integer, nullable=False),
        sa.Column("quantity_fulfilled", sa.Integer, nullable=False),
        sa.Column("quantity_return_initiated", sa.Integer, nullable=False),
        sa.Column("quantity_returned", sa.Integer, nullable=False),
        sa.Column("quantity_reshipped", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("summary_id", "line_id"),
    )
    op.create_table(
        "order_summaries",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_number", sa.String(64), nullable=False, unique=True),
        sa.Column("lifecycle", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("authorization_id", sa.String(64), nullable=True),
        sa.Column("gateway", sa.String(32), nullable=True),
        sa.Column("authorized", sa.BigInteger, nullable=False),
        sa.Column("captured", sa.BigInteger, nullable=False),
        sa.Column("refunded", sa.BigInteger, nullable=False),
        sa.Column("authorization_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "orders",
        sa.Column("order_number", sa.String(64), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_orders_external_id", "orders", ["external_id"])
    op.create_table(
        "process_exceptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("attached_kind", sa.String(32), nullable=False),
        sa.Column("attached_id", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_process_exceptions_status", "process_exceptions", ["status", "category"])
    op.create_index("ix_process_exceptions_summary_id", "process_exceptions", ["summary_id"])
    op.create_table(
        "routing_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("delivery_group", sa.String(64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fulfillment_order_ids", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
    )
    op.create_index("ix_routing_attempts_summary_id", "routing_attempts", ["summary_id"])


def downgrade() -> None:
    op.drop_table("routing_attempts")
    op.drop_table("process_exceptions")
    op.drop_table("orders")
    op.drop_table("order_summaries")
    op.drop_table("order_item_summaries")
    op.drop_table("invoices")
    op.drop_table("fulfillment_orders")
    op.drop_table("fulfillment_order_lines")
    op.drop_table("fulfillment_order_history")
    op.drop_table("delivery_group_summaries")
