"""Indexes for newest-first pages: Order Summaries and wave jobs by (created_at, id).

The console lists both newest first, a page at a time (summaries by keyset on created_at, id;
wave jobs by offset); without an index every page sorted the whole table.

Revision ID: 0009_recent_indexes
Revises: 0008_access
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_recent_indexes"
down_revision: str | None = "0008_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_order_summaries_recent", "order_summaries", ["created_at", "id"])
    op.create_index("ix_wave_jobs_recent", "wave_jobs", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_wave_jobs_recent", "wave_jobs")
    op.drop_index("ix_order_summaries_recent", "order_summaries")
