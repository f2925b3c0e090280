from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import Session

from api.deps import CurrentActor, ModeratedAntenna, SessionDep, SignedIn
from api.idempotency import IdempotencyDep
from api.pagination import CursorQuery, LimitQuery, before_id, encode_cursor
from api.presenters import line_out
from api.problems import problem_responses
from api.schemas.common import MemberRef
from api.schemas.ledger import (
    AccountLine,
    AntennaLedgerOut,
    CorrectionIn,
    DonationIn,
    PoolPaymentIn,
    StatementOut,
    TransferOut,
)
from domain.errors import InvalidInput, NotFound
from domain.ledger import beyond_anchor
from services import ledger as service
from services.statements import antenna_ledger, member_statement
from store.antennas import get_antenna, get_antenna_by_slug
from store.ledger import LedgerTransfer, entries_of_transfer
from store.memberships import approved_antenna_ids

router = APIRouter(tags=["ledger"])
_ERRORS = problem_responses(401, 403, 404, 409, 422)


def transfer_out(session: Session, transfer: LedgerTransfer) -> TransferOut:
    antenna = get_antenna(session, transfer.antenna_id)
    minutes = max(e.minutes for e in entries_of_transfer(session, transfer.id))
    return TransferOut(
        transfer_id=transfer.id,
        kind=transfer.kind,
        minutes=minutes,
        antenna=antenna.slug if antenna else "",
        created_at=transfer.created_at,
        reason=transfer.reason,
    )


@router.get("/me/ledger", response_model=StatementOut, responses=problem_responses(401, 403, 422))
def my_ledger(
    actor: CurrentActor, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> StatementOut:
    result = member_statement(session, member_id=actor.member_id, before_id=before_id(cursor), limit=limit)
    return StatementOut(
        balance=result.balance,
        items=[line_out(line) for line in result.lines],
        next_cursor=encode_cursor(result.lines[-1].entry.id or 0) if result.more and result.lines else None,
    )


@router.post(
    "/me/ledger/donations",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferOut,
    responses=_ERRORS,
    summary="give saved minutes to an antenna's solidarity pool",
)
def donate(
    body: DonationIn,
    actor: CurrentActor,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> TransferOut:
    def act() -> TransferOut:
        antenna = get_antenna_by_slug(session, body.antenna)
        if antenna is None:
            raise NotFound("error.antenna.unknown")
        actor.require_antenna(antenna.id)
        transfer = service.donate(
            session, member=actor.member, antenna=antenna, minutes=body.minutes, acting=actor.acting
        )
        return transfer_out(session, transfer)

    return idempotency.run(  # type: ignore[no-any-return]  # the model, or the stored answer replayed as a Response
        member_id=actor.member_id, status_code=201, action=act
    )


@router.get("/antennas/{slug}/ledger", response_model=AntennaLedgerOut, responses=problem_responses(401, 403, 404, 422))
def antenna_ledger_view(
    antenna: ModeratedAntenna, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> AntennaLedgerOut:
    result = antenna_ledger(session, antenna=antenna, before_id=before_id(cursor), limit=limit)
    limits = antenna.declaration().credit
    accounts = [
        AccountLine(
            member=MemberRef(id=m.id or 0, display_name=m.display_name) if m else None,
            pool=False,
            balance=b,
            beyond_anchor=beyond_anchor(b, limits),
        )
        for m, b in result.accounts
    ]
    accounts.append(AccountLine(member=None, pool=True, balance=result.pool_balance))
    return AntennaLedgerOut(
        antenna=antenna.slug,
        pool_balance=result.pool_balance,
        accounts=accounts,
        items=[line_out(line) for line in result.lines],
        next_cursor=encode_cursor(result.lines[-1].entry.id or 0) if result.more and result.lines else None,
    )


@router.post(
    "/antennas/{slug}/ledger/corrections",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferOut,
    responses=_ERRORS,
    summary="a reversing or adjusting entry with a mandatory reason; never edits or deletes an entry",
)
def correct(
    antenna: ModeratedAntenna,
    body: CorrectionIn,
    person: SignedIn,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> TransferOut:
    def act() -> TransferOut:
        if body.kind == "reversal":
            if body.transfer_id is None:
                raise InvalidInput("error.ledger.reference_required.detail", field="transfer_id")
            transfer = service.reverse_transfer(
                session, moderator=person, antenna=antenna, transfer_id=body.transfer_id, reason=body.reason
            )
        else:
            if body.minutes is None:
                raise InvalidInput("error.minutes.not_integer.detail", field="minutes")
            transfer = service.adjust(
                session,
                moderator=person,
                antenna=antenna,
                from_member_id=body.from_member_id,
                to_member_id=body.to_member_id,
                minutes=body.minutes,
                reason=body.reason,
                corrects_transfer_id=body.transfer_id,
            )
        return transfer_out(session, transfer)

    return idempotency.run(  # type: ignore[no-any-return]  # the model, or the stored answer replayed as a Response
        member_id=person.id,  # type: ignore[arg-type]  # the signed-in member is stored
        status_code=201,
        action=act,
    )


@router.post(
    "/antennas/{slug}/ledger/pool-payments",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferOut,
    responses=_ERRORS,
    summary="the solidarity pool pays minutes to a member, for someone who cannot give back",
)
def pool_payment(
    antenna: ModeratedAntenna,
    body: PoolPaymentIn,
    person: SignedIn,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> TransferOut:
    def act() -> TransferOut:
        if antenna.id not in approved_antenna_ids(session, body.member_id):
            raise NotFound("error.ledger.unknown_member")
        transfer = service.pay_from_pool(
            session,
            moderator=person,
            antenna=antenna,
            member_id=body.member_id,
            minutes=body.minutes,
            reason=body.reason,
        )
        return transfer_out(session, transfer)

    return idempotency.run(  # type: ignore[no-any-return]  # the model, or the stored answer replayed as a Response
        member_id=person.id,  # type: ignore[arg-type]  # the signed-in member is stored
        status_code=201,
        action=act,
    )
