"""Registration, login (e-mail or member number; password, PIN or one-time code), passwords and resets.

Throttling is the caller's first step (services.throttle.count_attempt, committed before any check), so
these functions only check and record what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.accounts import check_new_secret, normalise_code, normalise_member_number
from domain.audit import AuditAction
from domain.errors import Conflict, InvalidInput, NotAllowed
from services.actors import Actor
from services.passwords import hash_password, verify_password
from services.sessions import end_other_sessions
from store import accounts as account_store
from store import audit
from store.accounts import CodePurpose, OneTimeCode
from store.base import row_id, utcnow
from store.members import Member, get_member, get_member_by_email


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_username(username: str) -> str:
    """The key a login name is throttled under: an e-mail in lower case, or a member number as printed."""
    return normalise_member_number(username) or normalise_email(username)


def register(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    language: str,
    password_hash: str | None = None,
) -> Member:
    """A new account. `password_hash`, when given, must be services.passwords.hash_password(password), made
    earlier: the factories (demo, benchmarks) register many people with one password and hash it once.
    (It is not verified here: verifying costs as much as hashing.)"""
    check_new_secret(password, pin_allowed=False, field="password")
    email = normalise_email(email)
    if get_member_by_email(session, email) is not None:
        raise Conflict("error.email_taken")
    member = Member(
        email=email,
        password_hash=password_hash or hash_password(password),
        display_name=display_name.strip(),
        language=language,
    )
    session.add(member)
    try:
        # A concurrent registration with the same e-mail loses here, on the unique index.
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.email_taken") from exc
    return member


def find_member(session: Session, username: str) -> Member | None:
    """The living member an e-mail address or a member number names."""
    number = normalise_member_number(username)
    if number is not None:
        desk = account_store.get_desk_account_by_number(session, number)
        return get_member(session, desk.member_id) if desk is not None else None
    member = get_member_by_email(session, normalise_email(username))
    return member if member is not None and member.erased_at is None else None


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    member: Member | None  # None: wrong name, password, PIN or code
    via_code: bool = False  # logged in with a one-time login code (the member should set a PIN or password)


def _use_code(session: Session, member: Member | None, code: str, *, purpose: CodePurpose) -> OneTimeCode | None:
    """Check `code` against the member's live codes of `purpose` and spend it. Costs one hash at least."""
    now = utcnow()
    codes = account_store.live_codes(session, member_id=row_id(member), purpose=purpose, now=now) if member else []
    if not codes:
        verify_password(None, code)  # the same work as a real check, so timing does not tell
        return None
    typed = normalise_code(code)
    for row in codes:
        if verify_password(row.code_hash, typed):
            row.used_at = now
            session.add(row)
            return row
    return None


def authenticate(session: Session, *, username: str, password: str) -> LoginOutcome:
    """Check a password or PIN, or (for a member number) the member's one-time login code.

    Unknown names cost the same hash checks as known ones (a member number always two: password and
    code), so the answer's timing does not tell whether the e-mail or the number exists.
    """
    member = find_member(session, username)
    if verify_password(member.password_hash if member else None, password) and member is not None:
        return LoginOutcome(member=member)
    if (
        normalise_member_number(username) is not None
        and _use_code(session, member, password, purpose=CodePurpose.LOGIN) is not None
    ):
        session.flush()
        return LoginOutcome(member=member, via_code=True)
    return LoginOutcome(member=None)


def pin_allowed(session: Session, member: Member) -> bool:
    """PINs are for members with a member number (their guesses are throttled per number)."""
    return member.id is not None and account_store.get_desk_account(session, member.id) is not None


def change_password(
    session: Session, actor: Actor, *, current_password: str | None, new_password: str, session_id: int | None
) -> None:
    """Change with the current password, then end every other session.

    A member who never had a password (enrolled at a desk, logged in with a one-time code) sets a first
    one without: the session they hold is the proof.
    """
    if actor.on_behalf:
        raise NotAllowed("error.password.not_on_behalf")
    member = actor.member
    if member.password_hash is not None:
        if current_password is None or not verify_password(member.password_hash, current_password):
            raise InvalidInput("error.password.current_wrong", field="current_password")
    check_new_secret(new_password, pin_allowed=pin_allowed(session, member))
    now = utcnow()
    member.password_hash = hash_password(new_password)
    session.add(member)
    assert member.id is not None
    account_store.void_codes(session, member_id=member.id, purposes=(CodePurpose.LOGIN,), now=now)
    end_other_sessions(session, member_id=member.id, keep_session_id=session_id, reason="password_changed")
    session.flush()


def check_reset_input(username: str, new_password: str) -> None:
    """Refuse an unacceptable new password before anything is counted or checked.

    Whether a PIN is allowed follows from the name's shape (a member number), not from the account, so the
    answer says nothing about whether the account exists.
    """
    check_new_secret(new_password, pin_allowed=normalise_member_number(username) is not None)


def reset_password(session: Session, *, username: str, code: str, new_password: str) -> Member | None:
    """Set a new password with a reset code. None if the name or the code is not right (nothing changed)."""
    check_reset_input(username, new_password)
    member = find_member(session, username)
    used = _use_code(session, member, code, purpose=CodePurpose.RESET)
    if used is None or member is None:
        return None
    assert member.id is not None
    now = utcnow()
    member.password_hash = hash_password(new_password)
    session.add(member)
    account_store.void_codes(session, member_id=member.id, purposes=tuple(CodePurpose), now=now)
    end_other_sessions(session, member_id=member.id, keep_session_id=None, reason="password_reset")
    audit.record(
        session,
        actor_id=member.id,
        action=AuditAction.PASSWORD_RESET,
        antenna_id=used.antenna_id,
        subject_member_id=member.id,
        detail={"code_issued_by": used.issued_by},
    )
    session.flush()
    return member


def add_email(session: Session, actor: Actor, *, email: str) -> Member:
    """A member enrolled at a desk becomes self-managed: they can log in with this e-mail from now on."""
    member = actor.member
    if member.password_hash is None:
        raise Conflict("error.email.needs_password")
    email = normalise_email(email)
    existing = get_member_by_email(session, email)
    if existing is not None and existing.id != member.id:
        raise Conflict("error.email_taken")
    member.email = email
    session.add(member)
    assert member.id is not None
    desk = account_store.get_desk_account(session, member.id)
    if desk is not None and desk.managed:
        desk.managed = False
        session.add(desk)
        audit.record(
            session,
            actor_id=actor.acting_id,
            action=AuditAction.MEMBER_SELF_MANAGED,
            antenna_id=desk.antenna_id,
            subject_member_id=member.id,
            on_behalf=actor.on_behalf,
        )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.email_taken") from exc
    return member
