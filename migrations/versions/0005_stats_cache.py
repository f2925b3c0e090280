"""stats cache

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel's string type)
from alembic import op

import store.base  # noqa: F401  (UTCDateTime columns)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Published statistics per quarter and family (store/stats_cache.py): protected cells only.
    op.create_table(
        "stats_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("family", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("computed_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_cache")),
        sa.UniqueConstraint("quarter", "family", name="uq_stats_cache_quarter_family"),
    )


def downgrade() -> None:
    op.drop_table("stats_cache")
