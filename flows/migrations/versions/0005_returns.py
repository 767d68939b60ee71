"""Returns: the discount and tax shares returned units gave back, the fees kept, credit memos.

Revision ID: 0005_returns
Revises: 0004_change_orders
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_returns"
down_revision: str | None = "0004_change_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def upgrade() -> None:
    with op.batch_alter_table("order_item_summaries") as batch:
        batch.add_column(_money("discount_returned"))
        batch.add_column(_money("tax_returned"))
    with op.batch_alter_table("order_summaries") as batch:
        batch.add_column(_money("return_fees"))
    with op.batch_alter_table("change_orders") as batch:
        batch.add_column(_money("fee"))
    op.create_table(
        "credit_memos",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("summary_id", sa.String(40), nullable=False),
        sa.Column("change_order_id", sa.String(40), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_credit_memos_summary_id", "credit_memos", ["summary_id"])


def downgrade() -> None:
    op.drop_index("ix_credit_memos_summary_id", "credit_memos")
    op.drop_table("credit_memos")
    with op.batch_alter_table("change_orders") as batch:
        batch.drop_column("fee")
    with op.batch_alter_table("order_summaries") as batch:
        batch.drop_column("return_fees")
    with op.batch_alter_table("order_item_summaries") as batch:
        batch.drop_column("tax_returned")
        batch.drop_column("discount_returned")
