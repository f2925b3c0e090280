from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from api.deps import CurrentActor, ModeratedAntenna, SessionDep, SignedIn, page_read
from api.idempotency import IdempotencyDep
from api.pagination import CursorQuery, LimitQuery, before_id, encode_cursor
from api.presenters import line_out, statement_out
from api.problems import problem_responses
from api.responses import serialised
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
@page_read
def my_ledger(actor: CurrentActor, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None) -> Response:
    """Read my balance and statement, newest first

    For the signed-in member: one account for the whole network, in integer minutes. Each line is one entry with its
    kind, signed minutes, the other member (or an antenna's pool), the exchange and the reason. Paginated with
    `limit` and `cursor`. A moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of:
    <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    """
    result = member_statement(session, member_id=actor.member_id, before_id=before_id(cursor), limit=limit)
    next_cursor = encode_cursor(result.lines[-1].entry.id or 0) if result.more and result.lines else None
    return serialised(statement_out(result, next_cursor=next_cursor))


@router.post(
    "/me/ledger/donations",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferOut,
    responses=_ERRORS,
)
def donate(
    body: DonationIn,
    actor: CurrentActor,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> TransferOut:
    """Give saved minutes to an antenna's solidarity pool

    For an approved member of that antenna: the minutes leave the member's balance for the pool, from which
    moderators pay for members who cannot give back. Send an `Idempotency-Key`: a retry with the same key and body
    returns the first answer and gives nothing again. A moderator may call it for a member of an antenna they
    moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: there is no antenna with this slug, or you are not an approved member of it
    - 409: the donation is larger than your balance, or the Idempotency-Key was used with another body
    """

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
        session, member_id=actor.member_id, status_code=201, action=act
    )


@router.get("/antennas/{slug}/ledger", response_model=AntennaLedgerOut, responses=problem_responses(401, 403, 404, 422))
def antenna_ledger_view(
    antenna: ModeratedAntenna, session: SessionDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> AntennaLedgerOut:
    """Read the antenna's books: balances and entries, newest first

    For the antenna's moderators: the balance of every member and of the solidarity pool (`beyond_anchor` flags
    accounts past an anchor, for a chat long before a limit), and the entries of transfers made in this antenna.
    Paginated with `limit` and `cursor`.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    """
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
)
def correct(
    antenna: ModeratedAntenna,
    body: CorrectionIn,
    person: SignedIn,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> TransferOut:
    """Correct the books with a reversal or an adjustment, and a reason

    For the antenna's moderators. A `reversal` is the exact negation of one earlier transfer (once per transfer); an
    `adjustment` moves minutes between two accounts. Entries are never edited or deleted. Send an `Idempotency-Key`:
    a retry with the same key and body returns the first answer and moves nothing again. Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: no antenna with this slug, or no such transfer or member in this antenna
    - 409: the transfer was reversed already, the correction would pass a credit limit, or the Idempotency-Key was
      used with another body
    - 422: invalid input: the fields of the kind are missing, the reason is blank, or pool to pool
    """

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
        session,
        member_id=person.id,  # type: ignore[arg-type]  # the signed-in member is stored
        status_code=201,
        action=act,
    )


@router.post(
    "/antennas/{slug}/ledger/pool-payments",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferOut,
    responses=_ERRORS,
)
def pool_payment(
    antenna: ModeratedAntenna,
    body: PoolPaymentIn,
    person: SignedIn,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> TransferOut:
    """Pay a member from the antenna's solidarity pool, with a reason

    For the antenna's moderators: usually for a helper whose receiver cannot give back. The pool never goes below
    zero. Send an `Idempotency-Key`: a retry with the same key and body returns the first answer and pays nothing
    again. Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: no antenna with this slug, or the member is not an approved member of it
    - 409: the pool holds fewer minutes, the payment would pass the member's highest balance, or the Idempotency-Key
      was used with another body
    """

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
        session,
        member_id=person.id,  # type: ignore[arg-type]  # the signed-in member is stored
        status_code=201,
        action=act,
    )
