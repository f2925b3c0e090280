"""stats releases: frozen differentially private releases replace the statistics cache

Revision ID: 0011_stats_releases
Revises: 0006
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel's string type)
from alembic import op

import store.base

revision = "0011_stats_releases"
down_revision = "0010_neighbours"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The cache held exactly protected (rounded, suppressed) figures: they are not kept.
    op.drop_table("stats_cache")
    op.create_table(
        "stats_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("antenna_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("quarter", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("released_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["antenna_id"], ["antennas.id"], name=op.f("fk_stats_releases_antenna_id_antennas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_releases")),
        sa.UniqueConstraint("antenna_id", "period", name="uq_stats_releases_antenna_period"),
    )
    op.create_index(op.f("ix_stats_releases_antenna_id"), "stats_releases", ["antenna_id"], unique=False)
    op.create_index(op.f("ix_stats_releases_quarter"), "stats_releases", ["quarter"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stats_releases_quarter"), table_name="stats_releases")
    op.drop_index(op.f("ix_stats_releases_antenna_id"), table_name="stats_releases")
    op.drop_table("stats_releases")
    op.create_table(
        "stats_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("family", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("computed_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_cache")),
        sa.UniqueConstraint("quarter", "family", name="uq_stats_cache_quarter_family"),
    )
