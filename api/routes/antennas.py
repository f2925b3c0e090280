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
from api.presenters import antenna_out, audit_outs, membership_outs
from api.problems import problem_responses
from api.schemas.antennas import (
    AntennaOut,
    AuditEntryOut,
    DecisionIn,
    EmailIn,
    MembershipOut,
    PersonOut,
)
from api.schemas.common import MAX_ID
from services import memberships as membership_service
from services import roles
from store.antennas import Antenna, list_antennas
from store.audit import list_audit
from store.members import Member
from store.memberships import Membership, MembershipStatus, list_memberships

router = APIRouter(prefix="/antennas", tags=["antennas"])

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def membership_out(session: Session, membership: Membership, antenna: Antenna) -> MembershipOut:
    return membership_outs(session, [membership], antenna)[0]


@router.get("", response_model=list[AntennaOut])
def antennas(session: SessionDep) -> list[AntennaOut]:
    """List the antennas

    Anyone may call it. Each antenna (a neighbourhood branch) with its slug, names in Dutch and French, partner
    organisation, area (postcodes, centre, radius), languages, time step, credit limits and circles.
    """
    return [antenna_out(a) for a in list_antennas(session)]


@router.get("/{slug}", response_model=AntennaOut, responses=problem_responses(404, 422))
def antenna(antenna: AntennaDep) -> AntennaOut:
    """Read one antenna

    Anyone may call it; the same fields as in the list.

    Errors:
    - 404: there is no antenna with this slug
    """
    return antenna_out(antenna)


@router.post(
    "/{slug}/memberships",
    status_code=status.HTTP_201_CREATED,
    response_model=MembershipOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def join(antenna: AntennaDep, actor: CurrentActor, session: SessionDep) -> MembershipOut:
    """Ask to join an antenna

    For a signed-in member. Answers the membership, `pending` until one of the antenna's moderators approves or
    rejects it (the member is notified either way, with the reason of a rejection). A moderator may call it for a
    member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 404: there is no antenna with this slug
    - 409: you are a member already, or your request to join is pending or was decided
    """
    return membership_out(session, membership_service.request_membership(session, actor, antenna), antenna)


@router.get("/{slug}/memberships", response_model=Page[MembershipOut], responses=problem_responses(401, 403, 404, 422))
def memberships(
    antenna: ModeratedAntenna,
    session: SessionDep,
    status_filter: Annotated[MembershipStatus | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MembershipOut]:
    """List an antenna's memberships, pending first

    For the antenna's moderators. Filter with `status`; each membership carries the desk details (managed, member
    number, phone) of members enrolled at the desk. Paginated with `limit` and `cursor`.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    after = decode_cursor(cursor, size=2)
    assert antenna.id is not None
    rows = list_memberships(
        session,
        antenna_id=antenna.id,
        status=status_filter,
        after=after,  # type: ignore[arg-type]  # decode_cursor(size=2) gives two ints
        limit=limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1][0], page[-1][1].id or 0) if more and page else None
    items = membership_outs(session, [m for _, m in page], antenna, with_desk=True)
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
    """Approve a request to join the antenna

    For the antenna's moderators; an optional `reason` is kept. Answers the membership, now `approved`; the member
    is notified. Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: no such membership in this antenna, or no antenna with this slug
    - 409: the membership was decided already
    """
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
    """Reject a request to join the antenna, with a reason

    For the antenna's moderators. The `reason` is shown to the member, who is notified. Answers the membership, now
    `rejected`. Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: no such membership in this antenna, or no antenna with this slug
    - 409: the membership was decided already
    """
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
    """Make a registered person a moderator of the antenna

    Administrators only. Answers the person. Moderators decide memberships and proposals, settle disputes, keep the
    antenna's books and may act for its members with `On-Behalf-Of`. Audited.

    Errors:
    - 403: you are not an administrator
    - 404: no account has this e-mail address, or no antenna has this slug
    - 409: this person moderates the antenna already
    """
    member = roles.assign_moderator(session, admin=admin, antenna=antenna, email=body.email)
    return PersonOut(id=member.id or 0, display_name=member.display_name, email=member.email)


@router.delete(
    "/{slug}/moderators/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
)
def remove_moderator(antenna: AntennaDep, member_id: IdPath, admin: AdminUser, session: SessionDep) -> Response:
    """Remove a moderator from the antenna

    Administrators only. The person stays a member; they no longer see the antenna's queues, books or audit
    trail, and may no longer act for its members. Answers 204. Audited.

    Errors:
    - 403: you are not an administrator
    - 404: this member does not moderate this antenna, or no antenna has this slug
    """
    roles.remove_moderator(session, admin=admin, antenna=antenna, member_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{slug}/audit", response_model=Page[AuditEntryOut], responses=problem_responses(401, 403, 404, 422))
def audit_trail(
    antenna: ModeratedAntenna, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[AuditEntryOut]:
    """Read the antenna's audit trail, newest first

    For the antenna's moderators: every moderator decision, correction, desk action and every act for a member
    (`action` is `member.act_for`, `route` names the call), with both identities. Paginated with `limit` and
    `cursor`.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    assert antenna.id is not None
    rows = list_audit(session, antenna_ids={antenna.id}, before_id=before_id(cursor), limit=limit + 1)

    return newest_first_page(Page[AuditEntryOut], rows, limit=limit, shape_all=lambda page: audit_outs(session, page))
