"""contract: the audit trail's action is an enum; on-behalf calls become `member.act_for` with their route

Before, an on-behalf call was recorded with the call itself as its action ("POST /v1/requests"). The action
is now one of `domain.audit.AuditAction`, and the call moves into the entry's detail as `route`. No table
changes: this rewrites those rows (and back on downgrade).

Revision ID: 0013_contract
Revises: 0012_console
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_contract"
down_revision = "0012_console"
branch_labels = None
depends_on = None

ACT_FOR_MEMBER = "member.act_for"  # a copy: a migration must not change when the enum does

_audit = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer()),
    sa.column("action", sa.String(80)),
    sa.column("detail", sa.JSON()),
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_audit.c.id, _audit.c.action, _audit.c.detail).where(_audit.c.action.like("% /%")))
    for id_, action, detail in rows.all():
        bind.execute(
            _audit.update()
            .where(_audit.c.id == id_)
            .values(action=ACT_FOR_MEMBER, detail={"route": action, **(detail or {})})
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_audit.c.id, _audit.c.detail).where(_audit.c.action == ACT_FOR_MEMBER))
    for id_, detail in rows.all():
        rest = {k: v for k, v in (detail or {}).items() if k != "route"}
        bind.execute(
            _audit.update().where(_audit.c.id == id_).values(action=(detail or {}).get("route", ""), detail=rest)
        )
