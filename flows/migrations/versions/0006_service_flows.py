"""Service flows: adjustments (discount pools per line), reshipped lines, exchange credit,
Return Orders (RMA), and what a change order is linked to.

Revision ID: 0006_service_flows
Revises: 0005_returns
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_service_flows"
down_revision: str | None = "0005_returns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POOLS = (
    "adjust_open_discount",
    "adjust_open_tax",
    "adjust_shipped_discount",
    "adjust_shipped_tax",
)


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def upgrade() -> None:
    with op.batch_alter_table("order_item_summaries") as batch:
        for name in _POOLS:
            batch.add_column(_money(name))
        batch.add_column(sa.Column("reship_of", sa.String(64), nullable=True))
    with op.batch_alter_table("order_summaries") as batch:
        batch.add_column(_money("credit"))
        batch.add_column(_money("credit_used"))
        batch.add_column(_money("transferred"))
        batch.add_column(_money("credit_refunded"))
        batch.add_column(sa.Column("exchange_of", sa.String(40), nullable=True))
    with op.batch_alter_table("change_orders") as batch:
        batch.add_column(sa.Column("linked_id", sa.String(40), nullable=True))
        batch.add_column(_money("applied"))
    op.create_table(
        "return_orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=True),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("change_order_ids", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("summary_id", "idempotency_key", name="uq_return_orders_key"),
    )
    op.create_index("ix_return_orders_summary_id", "return_orders", ["summary_id"])
    op.create_table(
        "fulfillment_order_cancels",
        sa.Column("fulfillment_order_id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("fulfillment_order_id", "idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("fulfillment_order_cancels")
    op.drop_index("ix_return_orders_summary_id", "return_orders")
    op.drop_table("return_orders")
    with op.batch_alter_table("change_orders") as batch:
        batch.drop_column("applied")
        batch.drop_column("linked_id")
    with op.batch_alter_table("order_summaries") as batch:
        batch.drop_column("exchange_of")
        batch.drop_column("credit_refunded")
        batch.drop_column("transferred")
        batch.drop_column("credit_used")
        batch.drop_column("credit")
    with op.batch_alter_table("order_item_summaries") as batch:
        batch.drop_column("reship_of")
        for name in reversed(_POOLS):
            batch.drop_column(name)
