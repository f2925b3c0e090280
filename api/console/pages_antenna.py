"""An antenna's work: today's counts, memberships to decide, the review queue, disputes and follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol, TypeVar

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from api.console.web import (
    ConsoleAntenna,
    ConsoleRoute,
    Pager,
    StaffPost,
    StaffVisit,
    Visit,
    console_antenna,
    queue_pager,
    redirect,
    render,
)
from api.deps import SessionDep
from api.presenters import exchange_out, exchange_outs
from api.routes.antennas import membership_out
from api.routes.proposals import review_view
from api.routes.safety import reports_out
from api.schemas.common import MAX_ID
from api.schemas.matching import MatchSummaryOut
from domain.exchanges import ExchangeState, ProposalState
from services import console as work
from services import exchanges as exchange_service
from services import memberships as membership_service
from services import proposals as proposal_service
from services import safety as safety_service
from services.matching import run_match_round
from services.paging import Window, oldest_first
from store import console as queries
from store.antennas import Antenna, get_antenna
from store.base import utcnow
from store.exchanges import list_antenna_exchanges
from store.match_runs import MatchTrigger, get_match_run
from store.proposals import get_proposal, list_antenna_proposals
from store.safety import ReportStatus, list_antenna_reports

router = APIRouter(route_class=ConsoleRoute)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
ReasonField = Annotated[str, Form(min_length=3, max_length=500)]
QUEUE_PAGE = 50
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


R = TypeVar("R", bound=_Row)


def _base(antenna: Antenna) -> str:
    return f"/console/antennas/{antenna.slug}"


@router.get("/antennas/{slug}")
def today(current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep) -> Response:
    days = current.settings.console_waiting_days
    counts = work.todays_work(session, antenna=antenna, now=utcnow(), waiting_days=days)
    return render(current, "today.html", antenna=antenna, counts=counts, waiting_days=days)


def _queue(
    antenna: Antenna,
    fetch: Callable[[int, int | None, int | None, int], list[R]],
    *,
    label: str,
    path: str,
    before: int | None,
    after: int | None,
) -> tuple[Window[R], Pager]:
    """One page of an antenna's queue, oldest first (fair to those who wait), and the links to the pages beside it.
    `fetch(antenna_id, before_id, after_id, limit)` reads the queue's rows (services.paging.oldest_first)."""
    antenna_id = antenna.id
    assert antenna_id is not None
    page = oldest_first(lambda b, a, n: fetch(antenna_id, b, a, n), after_id=after, before_id=before, limit=QUEUE_PAGE)
    ids = [row.id for row in page.rows]
    first, last = (ids[0], ids[-1]) if ids else (None, None)
    pager = queue_pager(
        label, f"{_base(antenna)}/{path}", first_id=first, last_id=last, older=page.older, newer=page.newer
    )
    return page, pager


@router.get("/antennas/{slug}/memberships")
def memberships(
    current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, before: IdQuery = None, after: IdQuery = None
) -> Response:
    page, pager = _queue(
        antenna,
        lambda antenna_id, b, a, n: queries.pending_memberships(
            session, antenna_id=antenna_id, before_id=b, after_id=a, limit=n
        ),
        label="console.paging.memberships",
        path="memberships",
        before=before,
        after=after,
    )
    items = [membership_out(session, m, antenna) for m in page.rows]
    return render(current, "memberships.html", antenna=antenna, items=items, pager=pager)


@router.post("/antennas/{slug}/memberships/{membership_id}/approve")
def approve_membership(
    current: StaffPost, antenna: ConsoleAntenna, membership_id: IdPath, session: SessionDep
) -> Response:
    return _decide_membership(current, session, antenna, membership_id, approve=True, reason=None)


@router.post("/antennas/{slug}/memberships/{membership_id}/reject")
def reject_membership(
    current: StaffPost, antenna: ConsoleAntenna, membership_id: IdPath, session: SessionDep, reason: ReasonField
) -> Response:
    return _decide_membership(current, session, antenna, membership_id, approve=False, reason=reason)


def _decide_membership(
    current: Visit, session: Session, antenna: Antenna, membership_id: int, *, approve: bool, reason: str | None
) -> Response:
    row = membership_service.decide_membership(
        session, moderator=current.member, antenna=antenna, membership_id=membership_id, approve=approve, reason=reason
    )
    name = membership_out(session, row, antenna).member.display_name
    ok = "console.memberships.approved" if approve else "console.memberships.rejected"
    return redirect(current, f"{_base(antenna)}/memberships", ok=ok, name=name)


@router.get("/antennas/{slug}/proposals")
def review_queue(
    current: StaffVisit,
    antenna: ConsoleAntenna,
    session: SessionDep,
    run: int | None = None,
    before: IdQuery = None,
    after: IdQuery = None,
) -> Response:
    page, pager = _queue(
        antenna,
        lambda antenna_id, b, a, n: list_antenna_proposals(
            session, antenna_id=antenna_id, state=ProposalState.PENDING_REVIEW, before_id=b, after_id=a, limit=n
        ),
        label="console.paging.review",
        path="proposals",
        before=before,
        after=after,
    )
    items = [review_view(session, row, current.lang) for row in page.rows]
    summary = None
    if run is not None and 1 <= run <= MAX_ID:
        found = get_match_run(session, run)
        if found is not None and found.antenna_id == antenna.id and found.summary is not None:
            summary = MatchSummaryOut.model_validate(found.summary)
    return render(current, "review.html", antenna=antenna, items=items, summary=summary, pager=pager)


def _antenna_of(session: SessionDep, proposal_id: int) -> str:
    row = get_proposal(session, proposal_id)
    antenna = get_antenna(session, row.antenna_id) if row else None
    return antenna.slug if antenna else ""


@router.post("/proposals/{proposal_id}/approve")
def approve_proposal(current: StaffPost, proposal_id: IdPath, session: SessionDep) -> Response:
    return _decide_proposal(current, session, proposal_id, approve=True, reason=None)


@router.post("/proposals/{proposal_id}/reject")
def reject_proposal(current: StaffPost, proposal_id: IdPath, session: SessionDep, reason: ReasonField) -> Response:
    return _decide_proposal(current, session, proposal_id, approve=False, reason=reason)


def _decide_proposal(
    current: Visit, session: Session, proposal_id: int, *, approve: bool, reason: str | None
) -> Response:
    # services.proposals.decide checks that the proposal's antenna is one this person moderates.
    proposal_service.decide(session, moderator=current.member, proposal_id=proposal_id, approve=approve, reason=reason)
    ok = "console.review.approved" if approve else "console.review.rejected"
    return redirect(current, f"/console/antennas/{_antenna_of(session, proposal_id)}/proposals", ok=ok)


@router.post("/antennas/{slug}/match-runs")
def match_now(current: StaffPost, session: SessionDep, slug: str) -> Response:
    antenna = console_antenna(current, session, slug)
    found = run_match_round(session, antenna=antenna, trigger=MatchTrigger.MANUAL, triggered_by=current.member.id)
    return redirect(current, f"{_base(antenna)}/proposals?run={found.id}", ok="console.review.round_done")


@router.get("/antennas/{slug}/disputes")
def disputes(
    current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, before: IdQuery = None, after: IdQuery = None
) -> Response:
    page, pager = _queue(
        antenna,
        lambda antenna_id, b, a, n: list_antenna_exchanges(
            session, antenna_id=antenna_id, state=ExchangeState.DISPUTED, before_id=b, after_id=a, limit=n
        ),
        label="console.paging.disputes",
        path="disputes",
        before=before,
        after=after,
    )
    items = exchange_outs(session, page.rows, None)
    step = antenna.declaration().time_step_minutes
    return render(current, "disputes.html", antenna=antenna, items=items, step=step, pager=pager)


@router.post("/exchanges/{exchange_id}/resolve")
def resolve(
    current: StaffPost,
    exchange_id: IdPath,
    session: SessionDep,
    minutes: Annotated[int, Form(ge=0, le=100_000)],
    reason: ReasonField,
    from_pool: Annotated[bool, Form()] = False,
) -> Response:
    row = exchange_service.resolve(
        session, moderator=current.member, exchange_id=exchange_id, minutes=minutes, reason=reason, from_pool=from_pool
    )
    antenna = get_antenna(session, row.antenna_id)
    slug = antenna.slug if antenna else ""
    return redirect(current, f"/console/antennas/{slug}/disputes", ok="console.disputes.resolved", id=exchange_id)


@router.get("/antennas/{slug}/waiting")
def waiting(current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep) -> Response:
    days = current.settings.console_waiting_days
    rows = work.waiting_exchanges(session, antenna=antenna, now=utcnow(), waiting_days=days)
    items = [exchange_out(session, row, None) for row in rows]
    return render(current, "waiting.html", antenna=antenna, items=items, waiting_days=days)


@router.get("/antennas/{slug}/newcomers")
def newcomers(current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep) -> Response:
    rows = work.without_first_exchange(session, antenna=antenna)
    return render(current, "newcomers.html", antenna=antenna, rows=rows)


@router.get("/antennas/{slug}/anchors")
def anchors(current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep) -> Response:
    rows = work.accounts_past_anchor(session, antenna=antenna)
    credit = antenna.declaration().credit
    return render(current, "anchors.html", antenna=antenna, rows=rows, credit=credit)


@router.get("/antennas/{slug}/reports")
def reports(
    current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, before: IdQuery = None, after: IdQuery = None
) -> Response:
    page, pager = _queue(
        antenna,
        lambda antenna_id, b, a, n: list_antenna_reports(
            session, antenna_id=antenna_id, status=ReportStatus.OPEN, before_id=b, after_id=a, limit=n
        ),
        label="console.paging.reports",
        path="reports",
        before=before,
        after=after,
    )
    items = reports_out(session, page.rows, antenna)
    return render(current, "reports.html", antenna=antenna, items=items, pager=pager)


@router.post("/reports/{report_id}/close")
def close_report(current: StaffPost, report_id: IdPath, session: SessionDep, note: ReasonField) -> Response:
    # services.safety.close_report answers 404 for a report of an antenna this person does not moderate.
    row = safety_service.close_report(session, moderator=current.member, report_id=report_id, note=note)
    slug = safety_service.antenna_of_report(session, row).slug
    return redirect(current, f"/console/antennas/{slug}/reports", ok="console.reports.closed")
