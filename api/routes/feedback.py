"""Feedback after a settled exchange (kept for the statistics only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentActor, SessionDep
from api.problems import problem_responses
from api.schemas.common import MAX_ID
from api.schemas.neighbours import FeedbackIn, FeedbackOut
from services import feedback as service

router = APIRouter(tags=["exchanges"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/exchanges/{exchange_id}/feedback",
    response_model=FeedbackOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def give_feedback(exchange_id: IdPath, body: FeedbackIn, actor: CurrentActor, session: SessionDep) -> FeedbackOut:
    """Give feedback after a settled exchange

    For either member of a settled exchange: a thank-you, and optionally whether the exchange brought them in touch
    with someone new. Kept for the statistics only: shown to nobody, not even the other member. Giving it again
    replaces it. A moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member
    id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to
    - 409: the exchange is not settled (yet)
    """
    row = service.give_feedback(
        session, actor, exchange_id=exchange_id, thanks=body.thanks, met_someone_new=body.met_someone_new
    )
    return FeedbackOut(exchange_id=row.exchange_id, thanks=row.thanks, met_someone_new=row.met_someone_new)
