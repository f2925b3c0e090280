"""The audit trail: every moderator decision and every action taken on behalf of a member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from domain.audit import AuditAction
from store.base import id_window, utc_field


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"

    id: int | None = Field(default=None, primary_key=True)
    antenna_id: int | None = Field(default=None, foreign_key="antennas.id", index=True)
    actor_id: int = Field(foreign_key="members.id", index=True)
    # The member the action was for (on-behalf calls) or about (decisions); None for antenna-wide acts.
    subject_member_id: int | None = Field(default=None, foreign_key="members.id", index=True)
    action: str = Field(max_length=80)  # an AuditAction value (record() takes nothing else)
    on_behalf: bool = False
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = utc_field(index=True)


def record(
    session: Session,
    *,
    actor_id: int,
    action: AuditAction,
    antenna_id: int | None = None,
    subject_member_id: int | None = None,
    on_behalf: bool = False,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        antenna_id=antenna_id,
        actor_id=actor_id,
        subject_member_id=subject_member_id,
        action=AuditAction(action).value,  # also refuses, at run time, a string that is not an action
        on_behalf=on_behalf,
        detail=detail or {},
    )
    session.add(entry)
    return entry


ROUTE = "route"  # the detail key of a member.act_for entry: the call made for the member, "POST /v1/requests"


def list_audit(
    session: Session, *, antenna_ids: set[int], before_id: int | None, limit: int, after_id: int | None = None
) -> list[AuditEntry]:
    """Newest first below `before_id`; with `after_id`, oldest first above it (the page before, read back)."""
    query = select(AuditEntry).where(col(AuditEntry.antenna_id).in_(antenna_ids))
    return list(session.exec(id_window(query, AuditEntry.id, before_id=before_id, after_id=after_id, limit=limit)))


def audit_about_member(session: Session, member_id: int) -> list[AuditEntry]:
    return list(
        session.exec(select(AuditEntry).where(AuditEntry.subject_member_id == member_id).order_by(col(AuditEntry.id)))
    )
