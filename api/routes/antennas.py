from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status
from sqlmodel import Session

from api.deps import AdminUser, AntennaDep, CurrentActor, ModeratedAntenna, SessionDep, SignedIn
from api.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    before_id,
    decode_cursor,
    encode_cursor,
    newest_first_page,
)
from api.problems import problem_responses
from api.schemas.antennas import (
    AntennaOut,
    AreaOut,
    AuditEntryOut,
    CircleOut,
    DecisionIn,
    EmailIn,
    MembershipOut,
    PartnerOut,
    PersonOut,
)
from api.schemas.common import MAX_ID, MemberRef
from services import memberships as membership_service
from services import roles
from store.accounts import DeskAccount, desk_accounts_of
from store.antennas import Antenna, list_antennas
from store.audit import AuditEntry, list_audit
from store.members import Member
from store.memberships import Membership, MembershipStatus, list_memberships

router = APIRouter(prefix="/antennas", tags=["antennas"])

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def antenna_out(antenna: Antenna) -> AntennaOut:
    config = antenna.declaration()
    return AntennaOut(
        slug=config.slug,
        name_nl=config.name_nl,
        name_fr=config.name_fr,
        partner=PartnerOut(kind=config.partner.kind.value, name=config.partner.name),
        area=AreaOut(
            postcodes=config.area.postcodes,
            centre_lat=config.area.centre.lat,
            centre_lon=config.area.centre.lon,
            radius_km=config.area.radius_km,
        ),
        languages=config.languages,
        time_step_minutes=config.time_step_minutes,
        lowest_balance_minutes=config.credit.lowest_balance_minutes,
        highest_balance_minutes=config.credit.highest_balance_minutes,
        circles=[CircleOut(key=c.key, nl=c.nl, fr=c.fr, en=c.en) for c in config.circles],
    )


def member_ref(session: Session, member_id: int) -> MemberRef:
    member = session.get(Member, member_id)
    return MemberRef(id=member_id, display_name=member.display_name if member else "")


def membership_out(
    session: Session, membership: Membership, antenna: Antenna, *, desk: DeskAccount | None = None
) -> MembershipOut:
    assert membership.id is not None
    return MembershipOut(
        managed=desk.managed if desk else False,
        member_number=desk.member_number if desk else None,
        phone=desk.phone if desk else None,
        id=membership.id,
        antenna=antenna.slug,
        member=member_ref(session, membership.member_id),
        status=membership.status.value,
        requested_at=membership.requested_at,
        decided_at=membership.decided_at,
        reason=membership.reason,
    )


@router.get("", response_model=list[AntennaOut])
def antennas(session: SessionDep) -> list[AntennaOut]:
    return [antenna_out(a) for a in list_antennas(session)]


@router.get("/{slug}", response_model=AntennaOut, responses=problem_responses(404, 422))
def antenna(antenna: AntennaDep) -> AntennaOut:
    return antenna_out(antenna)


@router.post(
    "/{slug}/memberships",
    status_code=status.HTTP_201_CREATED,
    response_model=MembershipOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def join(antenna: AntennaDep, actor: CurrentActor, session: SessionDep) -> MembershipOut:
    return membership_out(session, membership_service.request_membership(session, actor, antenna), antenna)


@router.get("/{slug}/memberships", response_model=Page[MembershipOut], responses=problem_responses(401, 403, 404, 422))
def memberships(
    antenna: ModeratedAntenna,
    session: SessionDep,
    status_filter: Annotated[MembershipStatus | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MembershipOut]:
    after = decode_cursor(cursor, size=2)
    assert antenna.id is not None
    rows = list_memberships(
        session,
        antenna_id=antenna.id,
        status=status_filter,
        after=after,
        limit=limit + 1,  # type: ignore[arg-type]
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1][0], page[-1][1].id or 0) if more and page else None
    desks = desk_accounts_of(session, {m.member_id for _, m in page})
    items = [membership_out(session, m, antenna, desk=desks.get(m.member_id)) for _, m in page]
    return Page[MembershipOut](items=items, next_cursor=next_cursor)


def _decide(
    *, approve: bool, antenna: Antenna, membership_id: int, body: DecisionIn | None, person: Member, session: Session
) -> MembershipOut:
    membership = membership_service.decide_membership(
        session,
        moderator=person,
        antenna=antenna,
        membership_id=membership_id,
        approve=approve,
        reason=body.reason if body else None,
    )
    return membership_out(session, membership, antenna)


@router.post(
    "/{slug}/memberships/{membership_id}/approve",
    response_model=MembershipOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def approve(
    antenna: ModeratedAntenna,
    membership_id: IdPath,
    person: SignedIn,
    session: SessionDep,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> MembershipOut:
    return _decide(
        approve=True, antenna=antenna, membership_id=membership_id, body=body, person=person, session=session
    )


@router.post(
    "/{slug}/memberships/{membership_id}/reject",
    response_model=MembershipOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def reject(
    antenna: ModeratedAntenna,
    membership_id: IdPath,
    person: SignedIn,
    session: SessionDep,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> MembershipOut:
    return _decide(
        approve=False, antenna=antenna, membership_id=membership_id, body=body, person=person, session=session
    )


@router.post(
    "/{slug}/moderators",
    status_code=status.HTTP_201_CREATED,
    response_model=PersonOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def add_moderator(antenna: AntennaDep, body: EmailIn, admin: AdminUser, session: SessionDep) -> PersonOut:
    member = roles.assign_moderator(session, admin=admin, antenna=antenna, email=body.email)
    return PersonOut(id=member.id or 0, display_name=member.display_name, email=member.email)


@router.delete(
    "/{slug}/moderators/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
)
def remove_moderator(antenna: AntennaDep, member_id: IdPath, admin: AdminUser, session: SessionDep) -> Response:
    roles.remove_moderator(session, admin=admin, antenna=antenna, member_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{slug}/audit", response_model=Page[AuditEntryOut], responses=problem_responses(401, 403, 404, 422))
def audit_trail(
    antenna: ModeratedAntenna, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[AuditEntryOut]:
    assert antenna.id is not None
    rows = list_audit(session, antenna_ids={antenna.id}, before_id=before_id(cursor), limit=limit + 1)

    def shape(e: AuditEntry) -> AuditEntryOut:
        return AuditEntryOut(
            id=e.id or 0,
            at=e.at,
            actor=member_ref(session, e.actor_id),
            subject=member_ref(session, e.subject_member_id) if e.subject_member_id else None,
            action=e.action,
            on_behalf=e.on_behalf,
            detail=e.detail,
        )

    return newest_first_page(Page[AuditEntryOut], rows, limit=limit, shape=shape)
