"""Match runs: a moderator runs the nearby-match scheduler for their antenna now, or reads recent runs."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import ModeratedAntenna, SessionDep, SignedIn
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.problems import problem_responses
from api.schemas.matching import MatchRunOut, MatchSummaryOut
from services.matching import run_match_round
from store.antennas import Antenna
from store.base import row_id
from store.match_runs import MatchRun, MatchTrigger, list_match_runs

router = APIRouter(tags=["matching"])


def match_run_out(run: MatchRun, antenna: Antenna) -> MatchRunOut:
    return MatchRunOut(
        id=run.id or 0,
        antenna=antenna.slug,
        trigger=run.trigger.value,
        triggered_by=run.triggered_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        summary=MatchSummaryOut.model_validate(run.summary) if run.summary is not None else None,
    )


@router.post(
    "/antennas/{slug}/match-runs",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchRunOut,
    responses=problem_responses(401, 403, 404, 422),
    summary="run the nearby-match scheduler for this antenna now; its proposals go to the review queue",
)
def start_match_run(antenna: ModeratedAntenna, person: SignedIn, session: SessionDep) -> MatchRunOut:
    run = run_match_round(session, antenna=antenna, trigger=MatchTrigger.MANUAL, triggered_by=person.id)
    return match_run_out(run, antenna)


@router.get(
    "/antennas/{slug}/match-runs",
    response_model=Page[MatchRunOut],
    responses=problem_responses(401, 403, 404, 422),
    summary="the antenna's recent match runs, newest first",
)
def recent_match_runs(
    antenna: ModeratedAntenna, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[MatchRunOut]:
    rows = list_match_runs(
        session,
        antenna_id=row_id(antenna),
        before_id=before_id(cursor),
        limit=limit + 1,
    )
    return newest_first_page(Page[MatchRunOut], rows, limit=limit, shape=lambda row: match_run_out(row, antenna))
