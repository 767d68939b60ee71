"""Config history: every network + rules pair that became active, with its config version.

Spelled out rather than taken from ``flows.db``: the live definitions will change, and a
revision must keep creating what it created on the day it was written. No rows are written
here: the store records the config that was active without a row (seeded at a first start,
or set before this revision) when the next change replaces it.

Revision ID: 0003_config_history
Revises: 0002_order_life
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_config_history"
down_revision: str | None = "0002_order_life"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "config_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column(
            "network_sha",
            sa.String(64),
            sa.ForeignKey("network_documents.sha256"),
            nullable=False,
        ),
        sa.Column(
            "rules_version",
            sa.String(64),
            sa.ForeignKey("rules_versions.version"),
            nullable=False,
        ),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("config_history")
