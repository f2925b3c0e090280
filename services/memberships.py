"""Joining an antenna, and the moderators' decisions on it (each decision is audited)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.audit import AuditAction
from domain.errors import Conflict, NotFound
from services import events
from services.actors import Actor
from store import audit
from store.antennas import Antenna
from store.base import utcnow
from store.members import Member
from store.memberships import Membership, MembershipStatus, get_membership, get_membership_by_id


def request_membership(session: Session, actor: Actor, antenna: Antenna) -> Membership:
    """Ask to join. A rejected member, or one who left, may ask again; a pending or approved one is told so (409)."""
    assert antenna.id is not None
    actor.require_antenna(antenna.id)  # a moderator acting for a member cannot take them elsewhere
    existing = get_membership(session, member_id=actor.member_id, antenna_id=antenna.id)
    if existing is not None:
        if existing.status not in (MembershipStatus.REJECTED, MembershipStatus.LEFT):
            raise Conflict("error.membership.exists", status=existing.status.value)
        existing.status, existing.requested_at = MembershipStatus.PENDING, utcnow()
        existing.decided_at = existing.decided_by = existing.reason = None
        session.add(existing)
        session.flush()
        return existing
    membership = Membership(member_id=actor.member_id, antenna_id=antenna.id)
    session.add(membership)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.membership.exists", status="pending") from exc
    return membership


def decide_membership(
    session: Session,
    *,
    moderator: Member,
    antenna: Antenna,
    membership_id: int,
    approve: bool,
    reason: str | None,
) -> Membership:
    membership = get_membership_by_id(session, membership_id, lock=True)
    if membership is None or membership.antenna_id != antenna.id:
        raise NotFound()
    target = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    reason = reason.strip() if reason else None
    if membership.status == target:
        raise Conflict("error.membership.already_decided", status=membership.status.value)
    membership.status, membership.decided_at = target, utcnow()
    membership.decided_by, membership.reason = moderator.id, reason
    session.add(membership)
    assert moderator.id is not None
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.MEMBERSHIP_APPROVE if approve else AuditAction.MEMBERSHIP_REJECT,
        antenna_id=antenna.id,
        subject_member_id=membership.member_id,
        detail={"membership_id": membership.id, "reason": reason} if reason else {"membership_id": membership.id},
    )
    events.membership_decided(session, membership, antenna)
    session.flush()
    return membership
