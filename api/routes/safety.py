"""Reports to an antenna's moderators, and members' blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from sqlmodel import Session

from api.deps import CurrentActor, ModeratedAntenna, SessionDep, SignedIn
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.problems import problem_responses
from api.schemas.common import MAX_ID, MemberRef
from api.schemas.neighbours import BlockIn, BlockOut, CloseReportIn, ReportIn, ReportOut
from services import safety as service
from store.antennas import Antenna
from store.members import Member, members_by_id
from store.safety import Block, ListingKind, Report, ReportAbout, ReportStatus, blocks_of, list_antenna_reports

router = APIRouter(tags=["safety"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _member_ref(members: dict[int, Member], member_id: int) -> MemberRef:
    member = members.get(member_id)
    return MemberRef(id=member_id, display_name=member.display_name if member else "")


def _ref(members: dict[int, Member], member_id: int | None) -> MemberRef | None:
    return None if member_id is None else _member_ref(members, member_id)


def reports_out(session: Session, rows: Sequence[Report], antenna: Antenna) -> list[ReportOut]:
    """The page's members in one query; all reports of a page belong to `antenna`."""
    ids = {r.reporter_id for r in rows} | {r.reported_member_id for r in rows if r.reported_member_id is not None}
    members = members_by_id(session, sorted(ids))
    return [
        ReportOut(
            id=row.id or 0,
            antenna=antenna.slug,
            about=row.about.value,
            subject_id=row.subject_id,
            listing_kind=row.listing_kind.value if row.listing_kind else None,
            reporter=_member_ref(members, row.reporter_id),
            reported=_ref(members, row.reported_member_id),
            reason=row.reason,
            status=row.status.value,
            created_at=row.created_at,
            closed_at=row.closed_at,
            close_note=row.close_note,
        )
        for row in rows
    ]


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    responses=problem_responses(401, 403, 404, 422),
)
def file_report(body: ReportIn, actor: CurrentActor, session: SessionDep) -> ReportOut:
    """Report a member, a listing, a proposal or an exchange to the antenna's moderators

    For a signed-in member who can see what they report: `about`, its `id`, a `reason` (and `listing_kind` when a
    listing id is both an offer's and a request's). The antenna's moderators find it in their reports queue. Answers
    the report. A moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member
    id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: nothing of this kind with this id that you can see
    - 422: invalid input: a blank reason, a report about yourself, or an ambiguous listing id without `listing_kind`
    """
    row = service.file_report(
        session,
        actor,
        service.ReportInput(
            about=ReportAbout(body.about),
            subject_id=body.id,
            reason=body.reason,
            listing_kind=ListingKind(body.listing_kind) if body.listing_kind else None,
        ),
    )
    return reports_out(session, [row], service.antenna_of_report(session, row))[0]


@router.get(
    "/antennas/{slug}/reports",
    response_model=Page[ReportOut],
    responses=problem_responses(401, 403, 404, 422),
)
def antenna_reports(
    antenna: ModeratedAntenna,
    session: SessionDep,
    report_status: Annotated[ReportStatus | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ReportOut]:
    """List the antenna's reports, newest first

    For the antenna's moderators: who reported what and why, whom it concerns, and whether it was closed with a
    note. Filter with `status`; paginated with `limit` and `cursor`.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    assert antenna.id is not None
    rows = list_antenna_reports(
        session, antenna_id=antenna.id, status=report_status, before_id=before_id(cursor), limit=limit + 1
    )
    shaped = {r.id: out for r, out in zip(rows[:limit], reports_out(session, rows[:limit], antenna), strict=True)}
    return newest_first_page(Page[ReportOut], rows, limit=limit, shape=lambda row: shaped[row.id])


@router.post(
    "/reports/{report_id}/close",
    response_model=ReportOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def close_report(report_id: IdPath, body: CloseReportIn, person: SignedIn, session: SessionDep) -> ReportOut:
    """Close a report with a note

    For the moderators of the report's antenna; the `note` says what was done. Answers the report. Audited.

    Errors:
    - 403: you are not a moderator of the report's antenna
    - 404: no report with this id in an antenna you moderate
    - 409: the report is closed already
    """
    row = service.close_report(session, moderator=person, report_id=report_id, note=body.note)
    return reports_out(session, [row], service.antenna_of_report(session, row))[0]


def blocks_out(session: Session, rows: Sequence[Block]) -> list[BlockOut]:
    members = members_by_id(session, sorted({b.blocked_id for b in rows}))
    return [BlockOut(member=_member_ref(members, b.blocked_id), created_at=b.created_at) for b in rows]


@router.post(
    "/me/blocks",
    status_code=status.HTTP_201_CREATED,
    response_model=BlockOut,
    responses=problem_responses(401, 403, 404, 422),
)
def block(body: BlockIn, actor: CurrentActor, session: SessionDep) -> BlockOut:
    """Block a member: never proposed to, or contacted by, them again

    For a signed-in member, about a member they share an antenna (or a proposal) with. Open proposals between the
    two end; neither can write to the other. Blocking twice is blocking once. Answers the block. A moderator may
    call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 404: no member with this id that you are in contact with
    - 422: you cannot block yourself
    """
    return blocks_out(session, [service.block(session, actor, member_id=body.member_id)])[0]


@router.get("/me/blocks", response_model=list[BlockOut], responses=problem_responses(401, 403, 422))
def my_blocks(actor: CurrentActor, session: SessionDep) -> list[BlockOut]:
    """List the members I blocked

    For the signed-in member: each blocked member's display name and when. A moderator may call it for a member of
    an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    return blocks_out(session, blocks_of(session, actor.member_id))


@router.delete(
    "/me/blocks/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
)
def unblock(member_id: IdPath, actor: CurrentActor, session: SessionDep) -> Response:
    """Lift a block

    For the member who blocked; answers 204. Proposals that ended stay ended. A moderator may call it for a member
    of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 404: you have not blocked this member
    """
    service.unblock(session, actor, member_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
