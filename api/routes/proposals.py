from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status
from sqlmodel import Session

from api.deps import CurrentActor, LanguageDep, ModeratedAntenna, SessionDep, SignedIn, page_read
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.presenters import proposal_outs, review_outs
from api.problems import problem_responses
from api.responses import serialised
from api.schemas.common import MAX_ID
from api.schemas.proposals import DeclineIn, ProposalOut, ProposalReviewOut, RejectIn, RespondIn
from domain.exchanges import ProposalState
from services import proposals as service
from services.actors import Actor
from store.base import row_id
from store.proposals import Proposal, ProposalRow, list_antenna_proposals, list_member_proposals

router = APIRouter(tags=["proposals"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
_MEMBER_ERRORS = problem_responses(401, 403, 404, 409, 422)


def member_view(session: Session, actor: Actor, row: Proposal) -> ProposalOut:
    return proposal_outs(session, actor, [row])[0]


def review_view(session: Session, row: Proposal | ProposalRow, lang: str) -> ProposalReviewOut:
    return review_outs(session, [row], lang)[0]


@router.post(
    "/requests/{request_id}/respond",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalOut,
    responses=_MEMBER_ERRORS,
)
def respond_to_request(
    request_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[RespondIn | None, Body()] = None
) -> ProposalOut:
    """Offer to help with a member's request

    For an approved member of the request's antenna. Creates a proposal with the caller as helper and an optional
    `message`; proposing counts as the helper's yes. It waits in the moderators' review queue unless the antenna
    lets members' proposals skip review; then the requester accepts or declines. A moderator may call it for a
    member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's
    business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or one of you blocked the other
    - 404: no open request with this id in an antenna you belong to
    - 409: the request is no longer open, or you proposed for it already
    - 422: invalid input, or the request is your own
    """
    row = service.respond_to_request(session, actor, request_id=request_id, message=body.message if body else None)
    return member_view(session, actor, row)


@router.post(
    "/offers/{offer_id}/respond",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalOut,
    responses=_MEMBER_ERRORS,
)
def respond_to_offer(
    offer_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[RespondIn | None, Body()] = None
) -> ProposalOut:
    """Ask for the help a member offers

    For an approved member of the offer's antenna. Creates a proposal with the caller as receiver and an optional
    `message`; asking counts as the receiver's yes. It waits in the moderators' review queue unless the antenna lets
    members' proposals skip review; then the helper accepts or declines. A moderator may call it for a member of an
    antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or one of you blocked the other
    - 404: no open offer with this id in an antenna you belong to
    - 409: the offer is no longer open, or you asked for it already
    - 422: invalid input, or the offer is your own
    """
    row = service.respond_to_offer(session, actor, offer_id=offer_id, message=body.message if body else None)
    return member_view(session, actor, row)


@router.get(
    "/antennas/{slug}/proposals",
    response_model=Page[ProposalReviewOut],
    responses=problem_responses(401, 403, 404, 422),
)
def review_queue(
    antenna: ModeratedAntenna,
    session: SessionDep,
    lang: LanguageDep,
    state: Annotated[ProposalState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    """List the antenna's proposals for review, newest first

    For the antenna's moderators. Each proposal shows helper and receiver, what, the distance band, the scheduler's
    score and a plain-language explanation in the moderator's language, and whether it bridges backgrounds. Filter
    with `status` (e.g. `pending_review`); paginated with `limit` and `cursor`.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    rows = list_antenna_proposals(
        session,
        antenna_id=row_id(antenna),
        state=state,
        before_id=before_id(cursor),
        limit=limit + 1,
    )
    return serialised(
        newest_first_page(
            Page[ProposalReviewOut], rows, limit=limit, shape_all=lambda page: review_outs(session, page, lang)
        )
    )


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalReviewOut, responses=_MEMBER_ERRORS)
def approve(proposal_id: IdPath, person: SignedIn, session: SessionDep, lang: LanguageDep) -> ProposalReviewOut:
    """Approve a proposal in the review queue

    For the moderators of the proposal's antenna. The two members are then asked to answer (the one who proposed has
    said yes already). Answers the proposal as moderators see it. Audited.

    Errors:
    - 403: you are a party to this proposal, not a moderator of its antenna
    - 404: no proposal with this id in an antenna you moderate
    - 409: the proposal is not waiting for review (already decided, withdrawn or expired)
    """
    row = service.decide(session, moderator=person, proposal_id=proposal_id, approve=True, reason=None)
    return review_view(session, row, lang)


@router.post("/proposals/{proposal_id}/reject", response_model=ProposalReviewOut, responses=_MEMBER_ERRORS)
def reject(
    proposal_id: IdPath, body: RejectIn, person: SignedIn, session: SessionDep, lang: LanguageDep
) -> ProposalReviewOut:
    """Reject a proposal in the review queue, with a reason

    For the moderators of the proposal's antenna; the `reason` is shown to the members. A rejected pair is never
    proposed again by the scheduler. Answers the proposal as moderators see it. Audited.

    Errors:
    - 403: you are a party to this proposal, not a moderator of its antenna
    - 404: no proposal with this id in an antenna you moderate
    - 409: the proposal is not waiting for review (already decided, withdrawn or expired)
    """
    row = service.decide(session, moderator=person, proposal_id=proposal_id, approve=False, reason=body.reason)
    return review_view(session, row, lang)


@router.get("/me/proposals", response_model=Page[ProposalOut], responses=problem_responses(401, 403, 422))
@page_read
def my_proposals(
    actor: CurrentActor,
    session: SessionDep,
    state: Annotated[ProposalState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    """List the proposals that involve me, newest first

    For the signed-in member: each with the other person's display name and a distance band only, whether each side
    accepted, and the exchange it became. Filter with `status`; paginated with `limit` and `cursor`. A moderator may
    call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that
    antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    """
    rows = list_member_proposals(
        session, member_id=actor.member_id, state=state, before_id=before_id(cursor), limit=limit + 1
    )
    return serialised(
        newest_first_page(
            Page[ProposalOut], rows, limit=limit, shape_all=lambda page: proposal_outs(session, actor, page)
        )
    )


@router.post("/proposals/{proposal_id}/accept", response_model=ProposalOut, responses=_MEMBER_ERRORS)
def accept(proposal_id: IdPath, actor: CurrentActor, session: SessionDep) -> ProposalOut:
    """Accept a proposal

    For either member of an approved proposal. When both have accepted, an exchange is planned (its id is in
    `exchange_id`) and both are notified. A moderator may call it for a member of an antenna they moderate by adding
    `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no proposal with this id that you are a party to
    - 409: the proposal cannot be accepted now (not approved yet, accepted already, declined, withdrawn or expired),
      or its listing was withdrawn
    """
    row, _ = service.answer(session, actor, proposal_id=proposal_id, accept=True)
    return member_view(session, actor, row)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalOut, responses=_MEMBER_ERRORS)
def decline(
    proposal_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[DeclineIn | None, Body()] = None
) -> ProposalOut:
    """Decline a proposal

    For either member of a proposal, with an optional `note` for the other. The pair is not proposed again by the
    scheduler for the antenna's cool-down period. A moderator may call it for a member of an antenna they moderate
    by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no proposal with this id that you are a party to
    - 409: the proposal cannot be declined now (accepted by both, declined, withdrawn or expired)
    """
    row, _ = service.answer(session, actor, proposal_id=proposal_id, accept=False, note=body.note if body else None)
    return member_view(session, actor, row)


@router.post("/proposals/{proposal_id}/withdraw", response_model=ProposalOut, responses=_MEMBER_ERRORS)
def withdraw(proposal_id: IdPath, actor: CurrentActor, session: SessionDep) -> ProposalOut:
    """Withdraw a proposal I made

    For the member who proposed, before it became an exchange. A moderator may call it for a member of an antenna
    they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or you are not the member who made it (decline it instead)
    - 404: no proposal with this id that you are a party to
    - 409: the proposal cannot be withdrawn now (it became an exchange, was declined, rejected or expired)
    """
    return member_view(session, actor, service.withdraw(session, actor, proposal_id=proposal_id))
