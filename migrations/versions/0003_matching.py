"""matching

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:50:43.573903
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel's string type)
from alembic import op

import store.base  # noqa: F401  (UTCDateTime columns)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reviewed: the scheduler's runs, the job-once claims (UNIQUE(job, slot)) and member notifications.
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("started_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),
    )
    op.create_table(
        "match_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("antenna_id", sa.Integer(), nullable=False),
        sa.Column(
            "trigger", sa.Enum("scheduler", "manual", name="matchtrigger", native_enum=False, length=24), nullable=False
        ),
        sa.Column("triggered_by", sa.Integer(), nullable=True),
        sa.Column("started_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["antenna_id"], ["antennas.id"], name=op.f("fk_match_runs_antenna_id_antennas")),
        sa.ForeignKeyConstraint(["triggered_by"], ["members.id"], name=op.f("fk_match_runs_triggered_by_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_runs_antenna_id"), ["antenna_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_runs_started_at"), ["started_at"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("confirm_reminder", "proposal_waiting", name="notificationkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_notifications_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_subject_id"), ["subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_subject_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_member_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))

    op.drop_table("notifications")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_runs_started_at"))
        batch_op.drop_index(batch_op.f("ix_match_runs_antenna_id"))

    op.drop_table("match_runs")
    op.drop_table("job_runs")
