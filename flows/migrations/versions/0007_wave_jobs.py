"""Wave jobs: dry-run waves posted over HTTP, run off the request path by a worker's runner
thread, their state (claim, heartbeat, progress, KPIs, plan) in the database.

Revision ID: 0007_wave_jobs
Revises: 0006_service_flows
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_wave_jobs"
down_revision: str | None = "0006_service_flows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wave_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("orders", sa.Text, nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=True),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("kpis", sa.Text, nullable=True),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_wave_jobs_key"),
    )
    op.create_index("ix_wave_jobs_status", "wave_jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_wave_jobs_status", "wave_jobs")
    op.drop_table("wave_jobs")
