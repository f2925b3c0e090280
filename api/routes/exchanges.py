from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from api.deps import CurrentActor, ModeratedAntenna, SessionDep, SignedIn
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
    summary="the antenna's exchanges, e.g. status=disputed for the moderator's to-do list",
)
def antenna_exchanges(
    antenna: ModeratedAntenna,
    session: SessionDep,
    state: Annotated[ExchangeState | None, Query(alias="status")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ExchangeOut]:
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
    return exchange_out(session, service.visible_exchange(session, actor, exchange_id), actor.member_id)


@router.post("/exchanges/{exchange_id}/confirm", response_model=ExchangeOut, responses=_ERRORS)
def confirm(
    exchange_id: IdPath,
    body: ConfirmIn,
    actor: CurrentActor,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    answer = idempotency.run(
        member_id=actor.member_id,
        status_code=200,
        action=lambda: exchange_out(
            session, service.confirm(session, actor, exchange_id=exchange_id, minutes=body.minutes), actor.member_id
        ),
    )
    return answer if isinstance(answer, Response) else serialised(answer)  # a replay is a Response already


@router.post("/exchanges/{exchange_id}/dispute", response_model=ExchangeOut, responses=_ERRORS)
def dispute(
    exchange_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[NoteIn | None, Body()] = None
) -> ExchangeOut:
    row = service.dispute(session, actor, exchange_id=exchange_id, note=body.note if body else None)
    return exchange_out(session, row, actor.member_id)


@router.post("/exchanges/{exchange_id}/cancel", response_model=ExchangeOut, responses=_ERRORS)
def cancel(
    exchange_id: IdPath, actor: CurrentActor, session: SessionDep, body: Annotated[NoteIn | None, Body()] = None
) -> ExchangeOut:
    row = service.cancel(session, actor, exchange_id=exchange_id, note=body.note if body else None)
    return exchange_out(session, row, actor.member_id)


@router.post(
    "/exchanges/{exchange_id}/resolve",
    response_model=ExchangeOut,
    responses=_ERRORS,
    summary="a moderator settles a disputed exchange with the minutes they decide and a reason",
)
def resolve(
    exchange_id: IdPath,
    body: ResolveIn,
    person: SignedIn,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> ExchangeOut:
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
        member_id=person.id,  # type: ignore[arg-type]  # the signed-in member is stored
        status_code=200,
        action=act,
    )
