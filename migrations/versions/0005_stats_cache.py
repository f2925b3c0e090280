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


# Same names and columns as store/stats_indexes.py.
INDEXES = (
    ("ix_exchanges_settled_cover", "exchanges",
     ["settled_at", "state", "settled_minutes", "antenna_id", "helper_id", "receiver_id", "state_since", "id"]),
    ("ix_exchanges_request_cover", "exchanges",
     ["request_id", "state", "settled_minutes", "settled_at", "state_since", "id"]),
    ("ix_proposals_request_cover", "proposals", ["request_id", "created_at", "state_since", "id"]),
)  # fmt: skip


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
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
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
