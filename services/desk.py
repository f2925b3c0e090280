"""Members enrolled at an antenna's desk: enrolment, the welcome card, and reset codes from a moderator.

A person without e-mail or smartphone is enrolled by a moderator, gets a member number and a one-time
login code on paper, and is approved in that antenna at once. Every step here is in the antenna's audit
trail; codes are kept hashed only and shown once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from buurtbank import gazetteer
from domain.accounts import member_number_prefix, new_code, random_member_number
from domain.antenna_config import AntennaConfig
from domain.audit import AuditAction
from domain.background import validate_background
from domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.passwords import hash_password
from store import accounts as account_store
from store import audit
from store.accounts import CodePurpose, DeskAccount, OneTimeCode
from store.antennas import Antenna, moderated_antenna_ids
from store.background import MemberBackground
from store.base import utcnow
from store.members import Member, get_member
from store.memberships import Membership, MembershipStatus, get_membership

_NUMBER_TRIES = 20  # random numbers tried per length before a longer number is used


@dataclass(frozen=True, slots=True)
class BackgroundDeclaration:
    languages: list[str] | None = None
    origin: str | None = None
    age_band: str | None = None
    circle: str | None = None


@dataclass(frozen=True, slots=True)
class Enrolment:
    display_name: str
    language: str
    phone: str | None = None
    postcode: str | None = None
    background: BackgroundDeclaration | None = None
    background_consent: bool = False


@dataclass(frozen=True, slots=True)
class Enrolled:
    member: Member
    desk: DeskAccount
    login_code: str
    login_code_expires_at: datetime


def _check(antenna: Antenna, data: Enrolment) -> tuple[tuple[float, float] | None, list[str] | None]:
    """Every rule before anything is written: bad input leaves no trace."""
    point = gazetteer.postcode_centroid(data.postcode) if data.postcode else None
    languages = None
    if data.background is not None:
        if not data.background_consent:
            raise InvalidInput("error.background.needs_consent", field="background_consent")
        declared = data.background
        languages = validate_background(
            languages=declared.languages,
            origin=declared.origin,
            age_band=declared.age_band,
            circle=declared.circle,
            allowed_circles={circle.key for circle in antenna.declaration().circles},
        )
    return point, languages


def _new_number(session: Session, prefix: str) -> str:
    for digits in (4, 5, 6):
        for _ in range(_NUMBER_TRIES):
            number = random_member_number(prefix, digits=digits)
            if not account_store.member_number_taken(session, number):
                return number
    raise Conflict("error.desk.no_number")  # a million members under one prefix: not in this decade


def enrol(
    session: Session, *, moderator: Member, antenna: Antenna, data: Enrolment, login_code_lifetime: timedelta
) -> Enrolled:
    assert moderator.id is not None and antenna.id is not None
    point, languages = _check(antenna, data)
    now = utcnow()
    member = Member(
        email=None,
        password_hash=None,
        display_name=data.display_name.strip(),
        language=data.language,
        location_postcode=data.postcode if point else None,
        location_lat=point[0] if point else None,
        location_lon=point[1] if point else None,
    )
    session.add(member)
    session.flush()
    assert member.id is not None
    session.add(
        Membership(
            member_id=member.id,
            antenna_id=antenna.id,
            status=MembershipStatus.APPROVED,
            requested_at=now,
            decided_at=now,
            decided_by=moderator.id,
        )
    )
    if data.background_consent:
        declared = data.background or BackgroundDeclaration()
        session.add(
            MemberBackground(
                member_id=member.id,
                languages=languages,
                origin=declared.origin,
                age_band=declared.age_band,
                circle=declared.circle,
                consented_at=now,
                recorded_by=moderator.id,
            )
        )
    prefix = member_number_prefix(antenna.slug)
    desk = None
    for _ in range(3):  # a concurrent enrolment may take the same free number: draw again
        candidate = DeskAccount(
            member_id=member.id,
            antenna_id=antenna.id,
            member_number=_new_number(session, prefix),
            phone=data.phone.strip() if data.phone else None,
            enrolled_by=moderator.id,
            enrolled_at=now,
        )
        try:
            with session.begin_nested():
                session.add(candidate)
                session.flush()
            desk = candidate
            break
        except IntegrityError:
            continue
    if desk is None:
        raise Conflict("error.desk.no_number")
    code, expires_at = _issue_code(
        session,
        member_id=member.id,
        purpose=CodePurpose.LOGIN,
        issued_by=moderator.id,
        antenna_id=antenna.id,
        lifetime=login_code_lifetime,
        now=now,
    )
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.MEMBER_ENROL,
        antenna_id=antenna.id,
        subject_member_id=member.id,
        # Who recorded the consent is the actor, when is `at`; what was declared is not repeated here.
        detail={"member_number": desk.member_number, "background_consent": data.background_consent},
    )
    session.flush()
    return Enrolled(member=member, desk=desk, login_code=code, login_code_expires_at=expires_at)


def _issue_code(
    session: Session,
    *,
    member_id: int,
    purpose: CodePurpose,
    issued_by: int | None,
    antenna_id: int | None,
    lifetime: timedelta,
    now: datetime,
) -> tuple[str, datetime]:
    """A new code replaces any earlier unused one of the same purpose."""
    account_store.void_codes(session, member_id=member_id, purposes=(purpose,), now=now)
    code = new_code()
    expires_at = now + lifetime
    session.add(
        OneTimeCode(
            member_id=member_id,
            purpose=purpose,
            code_hash=hash_password(code),
            issued_by=issued_by,
            antenna_id=antenna_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return code, expires_at


def antenna_member(session: Session, *, antenna: Antenna, member_id: int) -> Member:
    """A member approved in this antenna; anyone else is not found (another antenna's member included)."""
    assert antenna.id is not None
    membership = get_membership(session, member_id=member_id, antenna_id=antenna.id)
    member = get_member(session, member_id) if membership is not None else None
    if member is None or membership is None or membership.status != MembershipStatus.APPROVED:
        raise NotFound()
    return member


def _has_role(session: Session, member: Member) -> bool:
    assert member.id is not None
    return member.is_admin or member.is_analyst or bool(moderated_antenna_ids(session, member.id))


def issue_reset_code(
    session: Session, *, moderator: Member, antenna: Antenna, member_id: int, lifetime: timedelta
) -> tuple[str, datetime]:
    """A one-time code the member uses to set a new password or PIN (POST /v1/auth/reset)."""
    member = antenna_member(session, antenna=antenna, member_id=member_id)
    assert moderator.id is not None and member.id is not None
    if _has_role(session, member):
        # A moderator must not be able to take over an admin's, an analyst's or a colleague's account.
        raise NotAllowed("error.reset.role_account")
    code, expires_at = _issue_code(
        session,
        member_id=member.id,
        purpose=CodePurpose.RESET,
        issued_by=moderator.id,
        antenna_id=antenna.id,
        lifetime=lifetime,
        now=utcnow(),
    )
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.MEMBER_RESET_CODE,
        antenna_id=antenna.id,
        subject_member_id=member.id,
        detail={"expires_at": expires_at.isoformat()},
    )
    session.flush()
    return code, expires_at


def mail_reset_code(session: Session, *, member: Member, lifetime: timedelta) -> tuple[str, datetime] | None:
    """A reset code for a member who asked for it by e-mail; None for a role account (those ask an admin)."""
    assert member.id is not None
    if _has_role(session, member):
        return None
    code, expires_at = _issue_code(
        session,
        member_id=member.id,
        purpose=CodePurpose.RESET,
        issued_by=None,
        antenna_id=None,
        lifetime=lifetime,
        now=utcnow(),
    )
    audit.record(session, actor_id=member.id, action=AuditAction.MEMBER_RESET_CODE_MAILED, subject_member_id=member.id)
    session.flush()
    return code, expires_at


@dataclass(frozen=True, slots=True)
class WelcomeCard:
    display_name: str
    member_number: str
    language: str
    antenna_slug: str
    antenna_name_nl: str
    antenna_name_fr: str
    partner: dict[str, Any]


def welcome_card(session: Session, *, moderator: Member, antenna: Antenna, member_id: int) -> WelcomeCard:
    member = antenna_member(session, antenna=antenna, member_id=member_id)
    desk = account_store.get_desk_account(session, member_id)
    if desk is None:
        raise NotFound("error.desk.not_enrolled")
    config: AntennaConfig = antenna.declaration()
    assert moderator.id is not None
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.MEMBER_CARD,
        antenna_id=antenna.id,
        subject_member_id=member_id,
    )
    session.flush()
    return WelcomeCard(
        display_name=member.display_name,
        member_number=desk.member_number,
        language=member.language,
        antenna_slug=config.slug,
        antenna_name_nl=config.name_nl,
        antenna_name_fr=config.name_fr,
        partner={
            "kind": config.partner.kind.value,
            "name": config.partner.name,
            "phone": config.partner.phone,
            "email": config.partner.email,
            "address": config.partner.address,
        },
    )


# --- the member's rights (services.gdpr calls these) -------------------------------------------------------


def erase_step(session: Session, member_id: int) -> None:
    """Forget the phone, every code and every session; the number stays, naming nobody, so it is not reused."""
    now = utcnow()
    desk = account_store.get_desk_account(session, member_id)
    if desk is not None:
        desk.phone, desk.managed = None, False
        session.add(desk)
    account_store.void_codes(session, member_id=member_id, purposes=tuple(CodePurpose), now=now)
    account_store.revoke_sessions(session, member_id=member_id, now=now, reason="erased")
