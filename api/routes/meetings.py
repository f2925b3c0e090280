"""When and where the two members of an exchange meet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentActor, SessionDep
from api.presenters import meeting_out
from api.problems import problem_responses
from api.schemas.common import MAX_ID
from api.schemas.neighbours import MeetingIn, MeetingOut
from services import meetings as service
from store.exchanges import get_exchange
from store.meetings import Meeting

router = APIRouter(tags=["exchanges"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
_ERRORS = problem_responses(401, 403, 404, 409, 422)


def _shaped(session: SessionDep, meeting: Meeting) -> MeetingOut:
    exchange = get_exchange(session, meeting.exchange_id)
    assert exchange is not None
    shaped = meeting_out(exchange, meeting)
    assert shaped is not None
    return shaped


@router.put(
    "/exchanges/{exchange_id}/meeting",
    response_model=MeetingOut,
    responses=_ERRORS,
    summary="propose when and where to meet (replaces an earlier proposal, which then needs accepting again)",
)
def propose_meeting(exchange_id: IdPath, body: MeetingIn, actor: CurrentActor, session: SessionDep) -> MeetingOut:
    meeting = service.propose(session, actor, exchange_id=exchange_id, starts_at=body.starts_at, place=body.place)
    return _shaped(session, meeting)


@router.post(
    "/exchanges/{exchange_id}/meeting/accept",
    response_model=MeetingOut,
    responses=_ERRORS,
    summary="accept the meeting the other member proposed",
)
def accept_meeting(exchange_id: IdPath, actor: CurrentActor, session: SessionDep) -> MeetingOut:
    return _shaped(session, service.accept(session, actor, exchange_id=exchange_id))
