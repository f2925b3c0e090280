from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from sqlmodel import Session, select

from api.deps import CurrentActor, LanguageDep, ModeratedAntenna, SessionDep, SignedIn
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.problems import problem_responses
from api.routes.antennas import member_ref
from api.schemas.common import MAX_ID
from api.schemas.exchanges import DeclineIn, ProposalOut, ProposalReviewOut, RejectIn, RespondIn
from domain import geo
from domain.exchanges import Party, ProposalState
from services import proposals as service
from services.actors import Actor
from store.antennas import Antenna
from store.exchanges import Exchange
from store.members import Member
from store.proposals import Proposal, list_antenna_proposals, list_member_proposals

router = APIRouter(tags=["proposals"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
_MEMBER_ERRORS = problem_responses(401, 403, 404, 409, 422)


def distance_band_between(session: Session, a: int, b: int) -> str | None:
    first, second = session.get(Member, a), session.get(Member, b)
    if first is None or second is None or None in (first.location_lat, second.location_lat):
        return None
    km = geo.distance_km((first.location_lat, first.location_lon), (second.location_lat, second.location_lon))  # type: ignore[arg-type]
    return geo.distance_band(km)


def _slug(session: Session, antenna_id: int) -> str:
    antenna = session.get(Antenna, antenna_id)
    return antenna.slug if antenna else ""


def _exchange_id(session: Session, row: Proposal) -> int | None:
    if row.state is not ProposalState.ACCEPTED:
        return None
    return session.exec(select(Exchange.id).where(Exchange.proposal_id == row.id)).first()


def member_view(session: Session, actor: Actor, row: Proposal) -> ProposalOut:
    role = service.party_of(row, actor.member_id)
    mine, theirs = (
        (row.helper_accepted, row.receiver_accepted)
        if role is Party.HELPER
        else (row.receiver_accepted, row.helper_accepted)
    )
    return ProposalOut(
        id=row.id or 0,
        antenna=_slug(session, row.antenna_id),
        state=row.state.value,
        origin=row.origin.value,  # type: ignore[arg-type]
        my_role=role.value,  # type: ignore[arg-type]
        other=member_ref(session, row.receiver_id if role is Party.HELPER else row.helper_id),
        category=row.category,
        request_id=row.request_id,
        offer_id=row.offer_id,
        minutes=row.minutes,
        distance_band=distance_band_between(session, row.helper_id, row.receiver_id),
        i_accepted=mine,
        they_accepted=theirs,
        message=row.message,
        exchange_id=_exchange_id(session, row),
        created_at=row.created_at,
        reason=row.reason if row.state is ProposalState.REJECTED else None,
    )


def review_view(session: Session, row: Proposal, lang: str) -> ProposalReviewOut:
    explanation = None
    if row.explanation:
        explanation = row.explanation.get(lang) or row.explanation.get("en")
    return ProposalReviewOut(
        id=row.id or 0,
        antenna=_slug(session, row.antenna_id),
        state=row.state.value,
        origin=row.origin.value,  # type: ignore[arg-type]
        helper=member_ref(session, row.helper_id),
        receiver=member_ref(session, row.receiver_id),
        category=row.category,
        request_id=row.request_id,
        offer_id=row.offer_id,
        minutes=row.minutes,
        distance_band=distance_band_between(session, row.helper_id, row.receiver_id),
        score=row.score,
        bridging=row.bridging,
        explanation=explanation,
        message=row.message,
        reason=row.reason,
        helper_accepted=row.helper_accepted,
        receiver_accepted=row.receiver_accepted,
        created_at=row.created_at,
    )


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
        antenna_id=antenna.id,
        state=state,
        before_id=before_id(cursor),
        limit=limit + 1,  # type: ignore[arg-type]
    )
    return newest_first_page(
        Page[ProposalReviewOut], rows, limit=limit, shape=lambda row: review_view(session, row, lang)
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
    return newest_first_page(Page[ProposalOut], rows, limit=limit, shape=lambda row: member_view(session, actor, row))


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
