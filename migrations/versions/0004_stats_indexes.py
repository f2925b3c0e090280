"""stats indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Same names and columns as store/stats_indexes.py.
INDEXES = (
    ("ix_exchanges_request_id", "exchanges", ["request_id"]),
    ("ix_exchanges_helper_settled", "exchanges", ["helper_id", "settled_at"]),
    ("ix_exchanges_receiver_settled", "exchanges", ["receiver_id", "settled_at"]),
    ("ix_ledger_transfers_kind_created", "ledger_transfers", ["kind", "created_at"]),
    ("ix_proposals_decided_at", "proposals", ["decided_at"]),
    ("ix_proposals_state_since", "proposals", ["state", "state_since"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
