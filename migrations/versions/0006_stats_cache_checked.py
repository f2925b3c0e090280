"""stats cache: when each block's fingerprint was last found current

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A cache: emptied rather than back-filled (the scheduler recomputes it), so the column can be NOT NULL.
    op.execute("DELETE FROM stats_cache")
    with op.batch_alter_table("stats_cache") as batch:
        batch.add_column(sa.Column("checked_at", store.base.UTCDateTime(timezone=True), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("stats_cache") as batch:
        batch.drop_column("checked_at")
