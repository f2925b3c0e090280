"""the exchange between two neighbours: conversations, meetings, push devices and deliveries, quiet hours,
blocks, reports and feedback

Revision ID: 0010_neighbours
Revises: 0006
Create Date: 2026-12-01 09:07:58.265767
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate renders sqlmodel's string type)
from alembic import op

import store.base  # noqa: F401  (UTCDateTime columns)

revision = "0010_neighbours"
down_revision = "0009_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["blocked_id"], ["members.id"], name=op.f("fk_blocks_blocked_id_members")),
        sa.ForeignKeyConstraint(["blocker_id"], ["members.id"], name=op.f("fk_blocks_blocker_id_members")),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_blocks")),
    )
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blocks_blocked_id"), ["blocked_id"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "platform", sa.Enum("expo", "webpush", name="platform", native_enum=False, length=24), nullable=False
        ),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_devices_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("platform", "token", name="uq_devices_platform_token"),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_member_id"), ["member_id"], unique=False)

    op.create_table(
        "quiet_hours",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_quiet_hours_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_quiet_hours")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("antenna_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column(
            "about",
            sa.Enum("member", "listing", "proposal", "exchange", name="reportabout", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "listing_kind", sa.Enum("offer", "request", name="listingkind", native_enum=False, length=24), nullable=True
        ),
        sa.Column("reported_member_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column(
            "status", sa.Enum("open", "closed", name="reportstatus", native_enum=False, length=24), nullable=False
        ),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("close_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["antenna_id"], ["antennas.id"], name=op.f("fk_reports_antenna_id_antennas")),
        sa.ForeignKeyConstraint(["closed_by"], ["members.id"], name=op.f("fk_reports_closed_by_members")),
        sa.ForeignKeyConstraint(
            ["reported_member_id"], ["members.id"], name=op.f("fk_reports_reported_member_id_members")
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["members.id"], name=op.f("fk_reports_reporter_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_antenna_id"), ["antenna_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_reported_member_id"), ["reported_member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_status"), ["status"], unique=False)

    op.create_table(
        "push_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "sent", "failed", "dropped", name="deliverystate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_push_deliveries_member_id_members")),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notifications.id"], name=op.f("fk_push_deliveries_notification_id_notifications")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_deliveries")),
    )
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_deliveries_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_deliveries_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_deliveries_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_deliveries_notification_id"), ["notification_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_deliveries_state"), ["state"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("as_antenna", sa.Boolean(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("erased_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_messages_author_id_members")),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name=op.f("fk_messages_proposal_id_proposals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "exchange_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("thanks", sa.Boolean(), nullable=False),
        sa.Column("met_someone_new", sa.Boolean(), nullable=True),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchanges.id"], name=op.f("fk_exchange_feedback_exchange_id_exchanges")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_exchange_feedback_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_feedback")),
        sa.UniqueConstraint("exchange_id", "member_id", name="uq_exchange_feedback_exchange_member"),
    )
    with op.batch_alter_table("exchange_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_feedback_exchange_id"), ["exchange_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exchange_feedback_member_id"), ["member_id"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "place_kind",
            sa.Enum("text", "antenna_partner", name="placekind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["exchange_id"], ["exchanges.id"], name=op.f("fk_meetings_exchange_id_exchanges")),
        sa.ForeignKeyConstraint(["proposed_by"], ["members.id"], name=op.f("fk_meetings_proposed_by_members")),
        sa.PrimaryKeyConstraint("exchange_id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_starts_at"), ["starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_starts_at"))

    op.drop_table("meetings")
    with op.batch_alter_table("exchange_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_feedback_member_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_feedback_exchange_id"))

    op.drop_table("exchange_feedback")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_messages_author_id"))

    op.drop_table("messages")
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_deliveries_state"))
        batch_op.drop_index(batch_op.f("ix_push_deliveries_notification_id"))
        batch_op.drop_index(batch_op.f("ix_push_deliveries_member_id"))
        batch_op.drop_index(batch_op.f("ix_push_deliveries_due_at"))
        batch_op.drop_index(batch_op.f("ix_push_deliveries_device_id"))

    op.drop_table("push_deliveries")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_status"))
        batch_op.drop_index(batch_op.f("ix_reports_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_reports_reported_member_id"))
        batch_op.drop_index(batch_op.f("ix_reports_antenna_id"))

    op.drop_table("reports")
    op.drop_table("quiet_hours")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_member_id"))

    op.drop_table("devices")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_blocked_id"))

    op.drop_table("blocks")
