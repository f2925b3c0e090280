"""Admin decisions: who moderates which antenna, who is an analyst; and the first admin (CLI only)."""

from __future__ import annotations

from sqlmodel import Session

from domain.errors import Conflict, NotFound
from services.accounts import normalise_email
from services.passwords import hash_password
from store import audit
from store.antennas import Antenna, Moderator
from store.members import Member, get_member_by_email


def _registered(session: Session, email: str) -> Member:
    member = get_member_by_email(session, normalise_email(email))
    if member is None or member.erased_at is not None:
        raise NotFound("error.member.unknown_email")
    return member


def assign_moderator(session: Session, *, admin: Member, antenna: Antenna, email: str) -> Member:
    member = _registered(session, email)
    assert member.id is not None and antenna.id is not None and admin.id is not None
    if session.get(Moderator, (member.id, antenna.id)) is not None:
        raise Conflict("error.moderator.exists")
    session.add(Moderator(member_id=member.id, antenna_id=antenna.id))
    audit.record(
        session, actor_id=admin.id, action="moderator.assign", antenna_id=antenna.id, subject_member_id=member.id
    )
    session.flush()
    return member


def remove_moderator(session: Session, *, admin: Member, antenna: Antenna, member_id: int) -> None:
    assert antenna.id is not None and admin.id is not None
    row = session.get(Moderator, (member_id, antenna.id))
    if row is None:
        raise NotFound()
    session.delete(row)
    audit.record(
        session, actor_id=admin.id, action="moderator.remove", antenna_id=antenna.id, subject_member_id=member_id
    )
    session.flush()


def grant_analyst(session: Session, *, admin: Member, email: str) -> Member:
    member = _registered(session, email)
    assert admin.id is not None
    member.is_analyst = True
    session.add(member)
    audit.record(session, actor_id=admin.id, action="analyst.grant", subject_member_id=member.id)
    session.flush()
    return member


def create_admin(session: Session, *, email: str, password: str, display_name: str = "Administrator") -> Member:
    """Make (or promote) an admin. Only the command line calls this; the API never creates admins."""
    email = normalise_email(email)
    member = get_member_by_email(session, email)
    if member is None:
        member = Member(email=email, display_name=display_name, language="en")
    member.password_hash = hash_password(password)
    member.is_admin = True
    session.add(member)
    session.flush()
    return member
