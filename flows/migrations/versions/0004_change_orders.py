"""Service actions: change orders, and the delivery charge a change order gives back.

Revision ID: 0004_change_orders
Revises: 0003_config_history
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_change_orders"
down_revision: str | None = "0003_config_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_group_summaries") as batch:
        batch.add_column(
            sa.Column("charge_canceled", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("charge_tax_canceled", sa.BigInteger, nullable=False, server_default="0")
        )
    op.create_table(
        "change_orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("lines", sa.Text, nullable=False),
        sa.Column("delivery", sa.BigInteger, nullable=False),
        sa.Column("delivery_tax", sa.BigInteger, nullable=False),
        sa.Column("refund", sa.BigInteger, nullable=False),
        sa.Column("capture_reduced", sa.BigInteger, nullable=False),
        sa.Column("refund_status", sa.String(8), nullable=False),
        sa.Column("prorate_delivery", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("summary_id", "idempotency_key", name="uq_change_orders_key"),
    )
    op.create_index("ix_change_orders_summary_id", "change_orders", ["summary_id"])


def downgrade() -> None:
    op.drop_index("ix_change_orders_summary_id", "change_orders")
    op.drop_table("change_orders")
    with op.batch_alter_table("delivery_group_summaries") as batch:
        batch.drop_column("charge_tax_canceled")
        batch.drop_column("charge_canceled")
