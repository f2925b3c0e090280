from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from sqlmodel import Session

from api.deps import CurrentActor, LanguageDep, ModeratedAntenna, SessionDep, SignedIn
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.presenters import proposal_outs, review_outs
from api.problems import problem_responses
from api.schemas.common import MAX_ID
from api.schemas.proposals import DeclineIn, ProposalOut, ProposalReviewOut, RejectIn, RespondIn
from domain.exchanges import ProposalState
from services import proposals as service
from services.actors import Actor
from store.base import row_id
from store.proposals import Proposal, list_antenna_proposals, list_member_proposals

router = APIRouter(tags=["proposals"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
_MEMBER_ERRORS = problem_responses(401, 403, 404, 409, 422)


def member_view(session: Session, actor: Actor, row: Proposal) -> ProposalOut:
    return proposal_outs(session, actor, [row])[0]


def review_view(session: Session, row: Proposal, lang: str) -> ProposalReviewOut:
    return review_outs(session, [row], lang)[0]


@router.post(
    "/requests/{request_id}/respond",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalOut,
    responses=_MEMBER_ERRORS,
    summary="offer to help with a request (creates a proposal)",
)
def respond_to_request(
    request_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[RespondIn | None, Body()] = None
) -> ProposalOut:
    row = service.respond_to_request(session, actor, request_id=request_id, message=body.message if body else None)
    return member_view(session, actor, row)


@router.post(
    "/offers/{offer_id}/respond",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalOut,
    responses=_MEMBER_ERRORS,
    summary="ask for an offer's help (creates a proposal)",
)
def respond_to_offer(
    offer_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[RespondIn | None, Body()] = None
) -> ProposalOut:
    row = service.respond_to_offer(session, actor, offer_id=offer_id, message=body.message if body else None)
    return member_view(session, actor, row)


@router.get(
    "/antennas/{slug}/proposals",
    response_model=Page[ProposalReviewOut],
    responses=problem_responses(401, 403, 404, 422),
    summary="the moderators' review queue",
)
def review_queue(
    antenna: ModeratedAntenna,
    session: SessionDep,
    lang: LanguageDep,
    state: Annotated[ProposalState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ProposalReviewOut]:
    rows = list_antenna_proposals(
        session,
        antenna_id=row_id(antenna),
        state=state,
        before_id=before_id(cursor),
        limit=limit + 1,
    )
    return newest_first_page(
        Page[ProposalReviewOut], rows, limit=limit, shape_all=lambda page: review_outs(session, page, lang)
    )


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalReviewOut, responses=_MEMBER_ERRORS)
def approve(proposal_id: IdPath, person: SignedIn, session: SessionDep, lang: LanguageDep) -> ProposalReviewOut:
    row = service.decide(session, moderator=person, proposal_id=proposal_id, approve=True, reason=None)
    return review_view(session, row, lang)


@router.post("/proposals/{proposal_id}/reject", response_model=ProposalReviewOut, responses=_MEMBER_ERRORS)
def reject(
    proposal_id: IdPath, body: RejectIn, person: SignedIn, session: SessionDep, lang: LanguageDep
) -> ProposalReviewOut:
    row = service.decide(session, moderator=person, proposal_id=proposal_id, approve=False, reason=body.reason)
    return review_view(session, row, lang)


@router.get("/me/proposals", response_model=Page[ProposalOut], responses=problem_responses(401, 403, 422))
def my_proposals(
    actor: CurrentActor,
    session: SessionDep,
    state: Annotated[ProposalState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ProposalOut]:
    rows = list_member_proposals(
        session, member_id=actor.member_id, state=state, before_id=before_id(cursor), limit=limit + 1
    )
    return newest_first_page(
        Page[ProposalOut], rows, limit=limit, shape_all=lambda page: proposal_outs(session, actor, page)
    )


@router.post("/proposals/{proposal_id}/accept", response_model=ProposalOut, responses=_MEMBER_ERRORS)
def accept(proposal_id: IdPath, actor: CurrentActor, session: SessionDep) -> ProposalOut:
    row, _ = service.answer(session, actor, proposal_id=proposal_id, accept=True)
    return member_view(session, actor, row)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalOut, responses=_MEMBER_ERRORS)
def decline(
    proposal_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[DeclineIn | None, Body()] = None
) -> ProposalOut:
    row, _ = service.answer(session, actor, proposal_id=proposal_id, accept=False, note=body.note if body else None)
    return member_view(session, actor, row)


@router.post("/proposals/{proposal_id}/withdraw", response_model=ProposalOut, responses=_MEMBER_ERRORS)
def withdraw(proposal_id: IdPath, actor: CurrentActor, session: SessionDep) -> ProposalOut:
    return member_view(session, actor, service.withdraw(session, actor, proposal_id=proposal_id))
