"""Registration, login (with throttling) and the member's own profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.errors import Conflict, TooManyAttempts
from services.passwords import hash_password, verify_password
from store import login_failures
from store.base import utcnow
from store.members import Member, get_member_by_email


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register(session: Session, *, email: str, password: str, display_name: str, language: str) -> Member:
    email = normalise_email(email)
    if get_member_by_email(session, email) is not None:
        raise Conflict("error.email_taken")
    member = Member(
        email=email, password_hash=hash_password(password), display_name=display_name.strip(), language=language
    )
    session.add(member)
    try:
        # A concurrent registration with the same e-mail loses here, on the unique index.
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.email_taken") from exc
    return member


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    member: Member | None  # None: wrong e-mail or password (the failure was recorded)


def authenticate(session: Session, *, email: str, password: str, max_failures: int, window: timedelta) -> LoginOutcome:
    """Check a password. Too many recent failures for this e-mail answer TooManyAttempts, even if correct."""
    email = normalise_email(email)
    if login_failures.count_failures_since(session, email=email, since=utcnow() - window) >= max_failures:
        raise TooManyAttempts("error.too_many_logins", minutes=int(window.total_seconds() // 60))
    member = get_member_by_email(session, email)
    if member is None or member.erased_at is not None or not verify_password(member.password_hash, password):
        login_failures.add_failure(session, email=email)
        return LoginOutcome(member=None)
    login_failures.clear_failures(session, email=email)
    return LoginOutcome(member=member)
