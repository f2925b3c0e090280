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
)
def start_match_run(antenna: ModeratedAntenna, person: SignedIn, session: SessionDep) -> MatchRunOut:
    """Look for matches in the antenna now

    For the antenna's moderators: runs one round of the nearby-match scheduler for the antenna's open requests (as
    the schedule does every `run_every_hours`). Its proposals go to the review queue with a score and an
    explanation; answers the run with its summary (candidates seen, proposals made, unmatched requests, bridging
    share). Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    run = run_match_round(session, antenna=antenna, trigger=MatchTrigger.MANUAL, triggered_by=person.id)
    return match_run_out(run, antenna)


@router.get(
    "/antennas/{slug}/match-runs",
    response_model=Page[MatchRunOut],
    responses=problem_responses(401, 403, 404, 422),
)
def recent_match_runs(
    antenna: ModeratedAntenna, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[MatchRunOut]:
    """List the antenna's recent match runs, newest first

    For the antenna's moderators: each run, manual or scheduled, with when it ran and its summary.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    rows = list_match_runs(
        session,
        antenna_id=row_id(antenna),
        before_id=before_id(cursor),
        limit=limit + 1,
    )
    return newest_first_page(Page[MatchRunOut], rows, limit=limit, shape=lambda row: match_run_out(row, antenna))
