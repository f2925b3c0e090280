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
    summary="after settlement: a thank-you, and whether it brought me in touch with someone new",
)
def give_feedback(exchange_id: IdPath, body: FeedbackIn, actor: CurrentActor, session: SessionDep) -> FeedbackOut:
    row = service.give_feedback(
        session, actor, exchange_id=exchange_id, thanks=body.thanks, met_someone_new=body.met_someone_new
    )
    return FeedbackOut(exchange_id=row.exchange_id, thanks=row.thanks, met_someone_new=row.met_someone_new)
