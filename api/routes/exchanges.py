from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from api.deps import CurrentActor, ModeratedAntenna, SessionDep, SignedIn, short_write
from api.idempotency import IdempotencyDep
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.presenters import exchange_out, exchange_outs
from api.problems import problem_responses
from api.responses import serialised
from api.schemas.common import MAX_ID
from api.schemas.exchanges import ConfirmIn, ExchangeOut, NoteIn, ResolveIn
from domain.exchanges import ExchangeState
from services import exchanges as service
from store.exchanges import list_antenna_exchanges, list_member_exchanges

router = APIRouter(tags=["exchanges"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get("/me/exchanges", response_model=Page[ExchangeOut], responses=problem_responses(401, 403, 422))
def my_exchanges(
    actor: CurrentActor,
    session: SessionDep,
    state: Annotated[ExchangeState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ExchangeOut]:
    """List my exchanges, newest first

    For the signed-in member: each with both members' names, my role, the minutes each confirmed, the settlement and
    the planned meeting. Filter with `status`; paginated with `limit` and `cursor`. A moderator may call it for a
    member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's
    business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    """
    rows = list_member_exchanges(
        session, member_id=actor.member_id, state=state, before_id=before_id(cursor), limit=limit + 1
    )
    return newest_first_page(
        Page[ExchangeOut], rows, limit=limit, shape_all=lambda page: exchange_outs(session, page, actor.member_id)
    )


@router.get(
    "/antennas/{slug}/exchanges",
    response_model=Page[ExchangeOut],
    responses=problem_responses(401, 403, 404, 422),
)
def antenna_exchanges(
    antenna: ModeratedAntenna,
    session: SessionDep,
    state: Annotated[ExchangeState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ExchangeOut]:
    """List the antenna's exchanges, newest first

    For the antenna's moderators; `status=disputed` is the to-do list of disagreements to settle with `POST
    /v1/exchanges/{exchange_id}/resolve`. Paginated with `limit` and `cursor`.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
    rows = list_antenna_exchanges(
        session,
        antenna_id=antenna.id,  # type: ignore[arg-type]  # a loaded antenna has its id
        state=state,
        before_id=before_id(cursor),
        limit=limit + 1,
    )
    return newest_first_page(
        Page[ExchangeOut], rows, limit=limit, shape_all=lambda page: exchange_outs(session, page, None)
    )


@router.get("/exchanges/{exchange_id}", response_model=ExchangeOut, responses=problem_responses(401, 403, 404, 422))
def read_exchange(exchange_id: IdPath, actor: CurrentActor, session: SessionDep) -> ExchangeOut:
    """Read one exchange

    For its two members and the moderators of its antenna (`my_role` is null for a moderator). A moderator may call
    it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that
    antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to or moderate
    """
    return exchange_out(session, service.visible_exchange(session, actor, exchange_id), actor.member_id)


@router.post("/exchanges/{exchange_id}/confirm", response_model=ExchangeOut, responses=_ERRORS)
@short_write
def confirm(
    exchange_id: IdPath,
    body: ConfirmIn,
    actor: CurrentActor,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Confirm that the help happened, and for how many minutes

    For either member of a planned exchange; `minutes` in steps of the antenna's `time_step_minutes`. When both
    confirmations are equal the exchange settles: one transfer of those minutes from the receiver to the helper.
    Different figures send it to the moderators as a dispute. Send an `Idempotency-Key`: a retry with the same key
    and body returns the first answer and moves nothing again. A moderator may call it for a member of an antenna
    they moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to
    - 409: the exchange is not planned any more (settled, cancelled, disputed or expired), you confirmed already,
      the transfer would take an account past the antenna's credit limits, or the Idempotency-Key was used with
      another body
    - 422: the minutes are not a positive multiple of the antenna's time step
    """
    answer = idempotency.run(
        session,
        member_id=actor.member_id,
        status_code=200,
        action=lambda: exchange_out(
            session, service.confirm(session, actor, exchange_id=exchange_id, minutes=body.minutes), actor.member_id
        ),
    )
    return answer if isinstance(answer, Response) else serialised(answer)  # a replay is a Response already


@router.post("/exchanges/{exchange_id}/dispute", response_model=ExchangeOut, responses=_ERRORS)
@short_write
def dispute(
    exchange_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[NoteIn | None, Body()] = None
) -> ExchangeOut:
    """Dispute an exchange: a moderator will settle it

    For either member of a planned exchange, with an optional `note` for the moderators, who then settle it with
    `POST /v1/exchanges/{exchange_id}/resolve`. A moderator may call it for a member of an antenna they moderate by
    adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to
    - 409: the exchange cannot be disputed now (settled, cancelled, disputed already or expired)
    """
    row = service.dispute(session, actor, exchange_id=exchange_id, note=body.note if body else None)
    return exchange_out(session, row, actor.member_id)


@router.post("/exchanges/{exchange_id}/cancel", response_model=ExchangeOut, responses=_ERRORS)
@short_write
def cancel(
    exchange_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[NoteIn | None, Body()] = None
) -> ExchangeOut:
    """Cancel a planned exchange

    For either member, before the other has confirmed; an optional `note` tells the other why. Nothing moves on the
    ledger. A moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>`
    (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to
    - 409: the exchange cannot be cancelled now (the other confirmed already, or it is settled, disputed, cancelled
      or expired)
    """
    row = service.cancel(session, actor, exchange_id=exchange_id, note=body.note if body else None)
    return exchange_out(session, row, actor.member_id)


@router.post(
    "/exchanges/{exchange_id}/resolve",
    response_model=ExchangeOut,
    responses=_ERRORS,
)
def resolve(
    exchange_id: IdPath,
    body: ResolveIn,
    person: SignedIn,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> ExchangeOut:
    """Settle a disputed exchange with the minutes a moderator decides

    For the moderators of the exchange's antenna: `minutes` (in time steps), a mandatory `reason` shown to both
    members, and `from_pool` to have the antenna's solidarity pool pay the helper for a member who cannot give back.
    Exactly one transfer is made. Send an `Idempotency-Key`: a retry with the same key and body returns the first
    answer and moves nothing again. Audited.

    Errors:
    - 403: you are a party to this exchange, not a moderator of its antenna
    - 404: no exchange with this id in an antenna you moderate
    - 409: the exchange is not disputed or planned (settled, cancelled or expired), the transfer would take an
      account past the credit limits or the pool below zero, or the Idempotency-Key was used with another body
    - 422: the minutes are not a multiple of the time step, or the reason is missing
    """

    def act() -> ExchangeOut:
        row = service.resolve(
            session,
            moderator=person,
            exchange_id=exchange_id,
            minutes=body.minutes,
            reason=body.reason,
            from_pool=body.from_pool,
        )
        return exchange_out(session, row, person.id)

    return idempotency.run(  # type: ignore[no-any-return]  # the model, or the stored answer replayed as a Response
        session,
        member_id=person.id,  # type: ignore[arg-type]  # the signed-in member is stored
        status_code=200,
        action=act,
    )
