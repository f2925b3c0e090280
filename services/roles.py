"""Admin decisions: who moderates which antenna, who is an analyst; and the first admin (CLI only)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session

from domain.accounts import check_new_secret
from domain.audit import AuditAction
from domain.errors import Conflict, NotFound
from services.accounts import normalise_email
from services.passwords import hash_password
from services.sessions import end_other_sessions
from store import audit
from store.antennas import Antenna, Moderator, get_moderator, is_moderator
from store.members import Member, get_member_by_email


def _registered(session: Session, email: str) -> Member:
    member = get_member_by_email(session, normalise_email(email))
    if member is None or member.erased_at is not None:
        raise NotFound("error.member.unknown_email")
    return member


def assign_moderator(session: Session, *, admin: Member, antenna: Antenna, email: str) -> Member:
    member = _registered(session, email)
    assert member.id is not None and antenna.id is not None and admin.id is not None
    if is_moderator(session, member_id=member.id, antenna_id=antenna.id):
        raise Conflict("error.moderator.exists")
    session.add(Moderator(member_id=member.id, antenna_id=antenna.id))
    audit.record(
        session,
        actor_id=admin.id,
        action=AuditAction.MODERATOR_ASSIGN,
        antenna_id=antenna.id,
        subject_member_id=member.id,
    )
    session.flush()
    return member


def remove_moderator(session: Session, *, admin: Member, antenna: Antenna, member_id: int) -> None:
    assert antenna.id is not None and admin.id is not None
    row = get_moderator(session, member_id=member_id, antenna_id=antenna.id)
    if row is None:
        raise NotFound()
    session.delete(row)
    audit.record(
        session,
        actor_id=admin.id,
        action=AuditAction.MODERATOR_REMOVE,
        antenna_id=antenna.id,
        subject_member_id=member_id,
    )
    session.flush()


def grant_analyst(session: Session, *, admin: Member, email: str) -> Member:
    member = _registered(session, email)
    assert admin.id is not None
    member.is_analyst = True
    session.add(member)
    audit.record(session, actor_id=admin.id, action=AuditAction.ANALYST_GRANT, subject_member_id=member.id)
    session.flush()
    return member


class AdminRefused(Exception):
    """`buurtbank admin create` would have changed an existing account without being told to."""


def create_admin(
    session: Session,
    *,
    email: str,
    password: str | None,
    display_name: str = "Administrator",
    promote: bool = False,
    reset_password: bool = False,
) -> Member:
    """Make an admin. Only the command line calls this; the API never creates admins.

    An existing account is never changed silently: promoting a member needs `promote`, and replacing an
    existing account's password needs `reset_password` (that also ends every session of that account).
    """
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AdminRefused(f"{email!r} is not a valid e-mail address: {exc}") from exc
    member = get_member_by_email(session, email)
    if member is None:
        if not password:
            raise AdminRefused("a new admin needs --password")
        check_new_secret(password, pin_allowed=False, field="password")
        member = Member(email=email, display_name=display_name, language="en", password_hash=hash_password(password))
    else:
        if not member.is_admin and not promote:
            raise AdminRefused(f"{email} is an existing member: pass --promote to make them an admin")
        if reset_password:
            if not password:
                raise AdminRefused("--reset-password needs --password")
            check_new_secret(password, pin_allowed=False, field="password")
            member.password_hash = hash_password(password)
            assert member.id is not None
            end_other_sessions(session, member_id=member.id, keep_session_id=None, reason="password_reset")
        elif member.is_admin:
            raise AdminRefused(f"{email} is already an admin; pass --reset-password to replace its password")
    member.is_admin = True
    session.add(member)
    session.flush()
    return member
