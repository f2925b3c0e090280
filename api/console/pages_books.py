"""The antenna's books: ledger, corrections and pool payments (with reasons), the audit trail, the desk sheet."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from api.console.web import (
    ConsoleAntenna,
    ConsoleRoute,
    FormFingerprint,
    KeyField,
    StaffPost,
    StaffVisit,
    keyset_pager,
    once,
    redirect,
    render,
    window_pager,
)
from api.deps import SessionDep
from api.presenters import audit_outs, line_out
from api.routes.ledger import transfer_out
from api.schemas.common import MAX_ID
from api.schemas.ledger import TransferOut
from domain.errors import NotFound
from domain.ledger import beyond_anchor
from services import ledger as ledger_service
from services.paging import window
from services.statements import antenna_ledger
from store import console as queries
from store.audit import list_audit
from store.members import Member, get_member
from store.memberships import approved_antenna_ids

router = APIRouter(route_class=ConsoleRoute)
ReasonField = Annotated[str, Form(min_length=3, max_length=500)]
MinutesField = Annotated[int, Form(ge=1, le=100_000)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
LEDGER_LINES = 100
AUDIT_ROWS = 100
# "pool" or a member id, as the account pickers send them.
AccountField = Annotated[str, Form(pattern=r"^(pool|[1-9][0-9]{0,9})$")]


def _ledger_url(slug: str) -> str:
    return f"/console/antennas/{slug}/ledger"


@router.get("/antennas/{slug}/ledger")
def ledger(
    current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, before: IdQuery = None, after: IdQuery = None
) -> Response:
    result = antenna_ledger(session, antenna=antenna, before_id=before, after_id=after, limit=LEDGER_LINES)
    limits = antenna.declaration().credit
    accounts = [(m, b, beyond_anchor(b, limits)) for m, b in result.accounts if m is not None]
    lines = [line_out(line) for line in result.lines]
    here = _ledger_url(antenna.slug)
    return render(
        current,
        "ledger.html",
        antenna=antenna,
        pool_balance=result.pool_balance,
        accounts=accounts,
        lines=lines,
        step=antenna.declaration().time_step_minutes,
        pager=keyset_pager(
            "console.paging.ledger",
            here,
            first_id=lines[0].entry_id if lines else None,
            last_id=lines[-1].entry_id if lines else None,
            older=result.more,
            newer=result.newer,
            anchor="entries-title",
        ),
    )


def _account(value: str) -> int | None:
    if value == "pool":
        return None
    number = int(value)
    if number > MAX_ID:
        raise NotFound("error.ledger.unknown_member")
    return number


@router.post("/antennas/{slug}/ledger/corrections")
def correct(
    current: StaffPost,
    antenna: ConsoleAntenna,
    session: SessionDep,
    fingerprint: FormFingerprint,
    kind: Annotated[Literal["reversal", "adjustment"], Form()],
    reason: ReasonField,
    idempotency_key: KeyField,
    transfer_id: Annotated[str, Form(max_length=36)] = "",
    from_account: AccountField = "pool",
    to_account: AccountField = "pool",
    minutes: Annotated[int | None, Form(ge=1, le=100_000)] = None,
) -> Response:
    moderator: Member = current.member
    assert moderator.id is not None

    def act() -> TransferOut:
        if kind == "reversal":
            transfer = ledger_service.reverse_transfer(
                session, moderator=moderator, antenna=antenna, transfer_id=transfer_id, reason=reason
            )
        else:
            transfer = ledger_service.adjust(
                session,
                moderator=moderator,
                antenna=antenna,
                from_member_id=_account(from_account),
                to_member_id=_account(to_account),
                minutes=minutes,
                reason=reason,
                corrects_transfer_id=transfer_id or None,
            )
        return transfer_out(session, transfer)

    once(
        session,
        member_id=moderator.id,
        key=idempotency_key,
        fingerprint=fingerprint,
        status_code=201,
        action=act,
    )
    return redirect(current, _ledger_url(antenna.slug), ok=f"console.ledger.{kind}_done")


@router.post("/antennas/{slug}/ledger/pool-payments")
def pool_payment(
    current: StaffPost,
    antenna: ConsoleAntenna,
    session: SessionDep,
    fingerprint: FormFingerprint,
    member_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    minutes: MinutesField,
    reason: ReasonField,
    idempotency_key: KeyField,
) -> Response:
    moderator = current.member
    assert moderator.id is not None

    def act() -> TransferOut:
        if antenna.id not in approved_antenna_ids(session, member_id):
            raise NotFound("error.ledger.unknown_member")
        transfer = ledger_service.pay_from_pool(
            session, moderator=moderator, antenna=antenna, member_id=member_id, minutes=minutes, reason=reason
        )
        return transfer_out(session, transfer)

    once(
        session,
        member_id=moderator.id,
        key=idempotency_key,
        fingerprint=fingerprint,
        status_code=201,
        action=act,
    )
    paid = get_member(session, member_id)
    name = paid.display_name if paid else ""
    return redirect(current, _ledger_url(antenna.slug), ok="console.ledger.pool_done", name=name, minutes=minutes)


@router.get("/antennas/{slug}/audit")
def audit(
    current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, before: IdQuery = None, after: IdQuery = None
) -> Response:
    antenna_id = antenna.id
    assert antenna_id is not None
    page = window(
        lambda b, a, n: list_audit(session, antenna_ids={antenna_id}, before_id=b, after_id=a, limit=n),
        before_id=before,
        after_id=after,
        limit=AUDIT_ROWS,
    )
    rows = page.rows
    here = f"/console/antennas/{antenna.slug}/audit"
    return render(
        current,
        "audit.html",
        antenna=antenna,
        entries=audit_outs(session, rows),
        pager=window_pager("console.paging.audit", here, page),
    )


@router.get("/antennas/{slug}/sheet")
def desk_sheet(current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep) -> Response:
    assert antenna.id is not None
    offers, requests = queries.open_listings(session, antenna_id=antenna.id)
    return render(current, "print_sheet.html", antenna=antenna, offers=offers, requests=requests)
