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
    summary="report a member, a listing, a proposal or an exchange to the antenna's moderators",
)
def file_report(body: ReportIn, actor: CurrentActor, session: SessionDep) -> ReportOut:
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
    summary="the moderators' queue of reports, newest first",
)
def antenna_reports(
    antenna: ModeratedAntenna,
    session: SessionDep,
    report_status: Annotated[ReportStatus | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ReportOut]:
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
    summary="close a report with a note (audited)",
)
def close_report(report_id: IdPath, body: CloseReportIn, person: SignedIn, session: SessionDep) -> ReportOut:
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
    summary="never be proposed to, or contacted by, that member again",
)
def block(body: BlockIn, actor: CurrentActor, session: SessionDep) -> BlockOut:
    return blocks_out(session, [service.block(session, actor, member_id=body.member_id)])[0]


@router.get(
    "/me/blocks", response_model=list[BlockOut], responses=problem_responses(401, 403, 422), summary="my blocks"
)
def my_blocks(actor: CurrentActor, session: SessionDep) -> list[BlockOut]:
    return blocks_out(session, blocks_of(session, actor.member_id))


@router.delete(
    "/me/blocks/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
    summary="lift a block",
)
def unblock(member_id: IdPath, actor: CurrentActor, session: SessionDep) -> Response:
    service.unblock(session, actor, member_id=member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
