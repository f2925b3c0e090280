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
)
def propose_meeting(exchange_id: IdPath, body: MeetingIn, actor: CurrentActor, session: SessionDep) -> MeetingOut:
    """Propose when and where to meet for an exchange

    For either member of a planned exchange: `starts_at` (in the future, with its offset) and `place`, free text or
    `antenna_partner` (the partner's address). It replaces an earlier proposal, which then needs accepting again;
    the other member is notified. A moderator may call it for a member of an antenna they moderate by adding
    `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or one of the two members blocked the other
    - 404: no exchange with this id that you are a party to
    - 409: the exchange is not planned any more
    - 422: invalid input: a time in the past or without an offset, or an empty place
    """
    meeting = service.propose(session, actor, exchange_id=exchange_id, starts_at=body.starts_at, place=body.place)
    return _shaped(session, meeting)


@router.post(
    "/exchanges/{exchange_id}/meeting/accept",
    response_model=MeetingOut,
    responses=_ERRORS,
)
def accept_meeting(exchange_id: IdPath, actor: CurrentActor, session: SessionDep) -> MeetingOut:
    """Accept the meeting the other member proposed

    For the member who did not propose it; both are reminded the day before. A moderator may call it for a member of
    an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to
    - 409: there is no meeting to accept, you proposed it yourself, or its time has passed
    """
    return _shaped(session, service.accept(session, actor, exchange_id=exchange_id))
