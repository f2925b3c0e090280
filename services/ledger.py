"""Moving minutes: settlements, donations, pool payments and corrections, each one locked transfer.

Every transfer locks the accounts it touches (ascending id: one global order, so no deadlocks), re-reads
their balances under the lock, asks domain.ledger to plan it (limits, reasons), then appends the transfer
and its two entries and updates the cached balances, all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain import ledger as rules
from domain.audit import CORRECTION_ACTIONS, AuditAction
from domain.errors import Conflict, InvalidInput, NotFound
from domain.ledger import AccountKind, TransferKind
from domain.time_units import validate_minutes
from store import audit
from store.antennas import Antenna
from store.base import row_id
from store.ledger import (
    LedgerAccount,
    LedgerTransfer,
    append_transfer,
    entries_of_transfer,
    get_transfer,
    lock_accounts,
    lock_member_accounts,
    member_account,
    open_member_accounts,
    pool_account,
    reversal_of,
)
from store.members import Member
from store.memberships import approved_antenna_ids


def _domain_account(account: LedgerAccount) -> rules.Account:
    return rules.Account(account.kind, row_id(account))


def _row_of(accounts: dict[int, LedgerAccount], account: rules.Account) -> LedgerAccount:
    """The locked row behind a domain account (keyed by the row's id, see _domain_account)."""
    key = account.key
    if not isinstance(key, int):
        raise TypeError(f"not a stored account key: {key!r}")
    return accounts[key]


def ensure_member_account(session: Session, member_id: int) -> LedgerAccount:
    """The member's account, opened as settling opens one (open_member_accounts) if they have none yet."""
    found = member_account(session, member_id)
    if found is None:
        open_member_accounts(session, [member_id])  # another transaction's account, if it was first, is kept
        found = member_account(session, member_id)
        assert found is not None
    return found


def lock_member_accounts_for_transfer(session: Session, member_ids: list[int]) -> dict[int, LedgerAccount]:
    """The accounts of these members, row-locked in the global order, by member id: one statement when all
    exist (the usual case), which both finds and locks them. Missing ones are opened in one statement, then
    all are locked together as execute_transfer would. Pass the result with `accounts_locked=True`."""
    found = lock_member_accounts(session, member_ids)
    missing = [member_id for member_id in member_ids if member_id not in found]
    if not missing:
        return found
    open_member_accounts(session, missing)
    return lock_member_accounts(session, member_ids)


def ensure_pool_account(session: Session, antenna_id: int) -> LedgerAccount:
    found = pool_account(session, antenna_id)
    if found is not None:
        return found
    account = LedgerAccount(kind=AccountKind.POOL, pool_antenna_id=antenna_id)
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
        return account
    except IntegrityError:
        # Another transaction opened it first (unique pool_antenna_id): use theirs.
        found = pool_account(session, antenna_id)
        assert found is not None
        return found


@dataclass(frozen=True, slots=True)
class TransferRequest:
    kind: TransferKind
    debit: LedgerAccount
    credit: LedgerAccount
    minutes: int
    antenna: Antenna
    created_by: int
    on_behalf_of: int | None = None
    reason: str | None = None
    exchange_id: int | None = None
    settles_exchange: bool = False
    corrects_transfer_id: str | None = None
    # What the domain records the transfer refers to; defaults to the corrected transfer or the exchange.
    reference: str | None = None
    # A donation gives only minutes the member has: checked on the balance read under the lock.
    within_debit_balance: bool = False
    # Both accounts were found and locked together by lock_member_accounts_for_transfer (same order).
    accounts_locked: bool = False


def execute_transfer(session: Session, request: TransferRequest) -> LedgerTransfer:
    assert request.debit.id is not None and request.credit.id is not None
    # Where a transfer locks: both accounts at once, in the one global order (ascending id); or, for a
    # settlement, lock_member_accounts_for_transfer did so with the same statement shape and order.
    # Locking one first and the other later (as donations once did) deadlocks against a transfer that
    # takes the same two the other way round, such as a pool payment to the donor.
    if request.accounts_locked:  # the caller locked both, in the same order, in this transaction
        locked = {request.debit.id: request.debit, request.credit.id: request.credit}
    else:
        locked = lock_accounts(session, [request.debit.id, request.credit.id])
    debit, credit = locked[request.debit.id], locked[request.credit.id]
    if request.within_debit_balance and request.minutes > debit.balance:
        raise Conflict("error.donation.exceeds_balance", balance=debit.balance)
    planned = rules.plan_transfer(
        kind=request.kind,
        debit=_domain_account(debit),
        credit=_domain_account(credit),
        minutes=request.minutes,
        debit_balance=debit.balance,
        credit_balance=credit.balance,
        limits=request.antenna.declaration().credit,
        reason=request.reason,
        reference=request.reference
        or request.corrects_transfer_id
        or (f"exchange:{request.exchange_id}" if request.exchange_id else None),
    )
    _flag_anchors(session, planned, accounts=locked, antenna=request.antenna, by=request.created_by)
    return _append(
        session,
        planned,
        accounts=locked,
        transfer=LedgerTransfer(
            id=str(planned.transfer_id),
            kind=planned.kind,
            antenna_id=row_id(request.antenna),
            exchange_id=request.exchange_id,
            settles_exchange_id=request.exchange_id if request.settles_exchange else None,
            corrects_transfer_id=request.corrects_transfer_id,
            reason=planned.reason,
            created_by=request.created_by,
            on_behalf_of=request.on_behalf_of,
        ),
    )


def _flag_anchors(
    session: Session, planned: rules.PlannedTransfer, *, accounts: dict[int, LedgerAccount], antenna: Antenna, by: int
) -> None:
    """Past an anchor the transfer still happens, but the antenna's moderators see it in the audit trail."""
    limits = antenna.declaration().credit
    sides = (
        (planned.debit, planned.debit_balance_before, planned.debit_balance_after),
        (planned.credit, planned.credit_balance_before, planned.credit_balance_after),
    )
    for account, before, after in sides:
        owner = _row_of(accounts, account).member_id
        if owner is None:
            continue
        for anchor in rules.anchors_crossed(before=before, after=after, limits=limits):
            audit.record(
                session,
                actor_id=by,
                action=AuditAction.LEDGER_ANCHOR_CROSSED,
                antenna_id=antenna.id,
                subject_member_id=owner,
                detail={"anchor": anchor.value, "balance": after},
            )


def _append(
    session: Session, planned: rules.PlannedTransfer, *, accounts: dict[int, LedgerAccount], transfer: LedgerTransfer
) -> LedgerTransfer:
    moves = [(_row_of(accounts, entry.account), entry.minutes) for entry in planned.entries]
    if not append_transfer(session, transfer, moves):
        # settles_exchange_id / reverses_transfer_id are unique: the effect already happened once.
        raise Conflict("error.ledger.already_done")
    return transfer


def donate(session: Session, *, member: Member, antenna: Antenna, minutes: object, acting: Member) -> LedgerTransfer:
    """A member gives saved minutes to their antenna's solidarity pool: only minutes they have."""
    assert member.id is not None and antenna.id is not None and acting.id is not None
    if antenna.id not in approved_antenna_ids(session, member.id):
        raise NotFound("error.antenna.not_member")
    counted = validate_minutes(minutes, step=antenna.declaration().time_step_minutes, maximum=10**6)
    account = ensure_member_account(session, member.id)
    pool = ensure_pool_account(session, antenna.id)
    return execute_transfer(
        session,
        TransferRequest(
            kind=TransferKind.DONATION,
            debit=account,
            credit=pool,
            minutes=counted,
            antenna=antenna,
            created_by=acting.id,
            on_behalf_of=member.id if acting.id != member.id else None,
            within_debit_balance=True,
        ),
    )


def pay_from_pool(
    session: Session,
    *,
    moderator: Member,
    antenna: Antenna,
    member_id: int,
    minutes: object,
    reason: str | None,
    exchange_id: int | None = None,
    settles_exchange: bool = False,
) -> LedgerTransfer:
    """The pool pays a member's helper (or the member) for help someone could not pay back; audited."""
    assert moderator.id is not None and antenna.id is not None
    counted = validate_minutes(minutes, step=antenna.declaration().time_step_minutes, maximum=10**6)
    transfer = execute_transfer(
        session,
        TransferRequest(
            kind=TransferKind.POOL_PAYMENT,
            debit=ensure_pool_account(session, antenna.id),
            credit=ensure_member_account(session, member_id),
            minutes=counted,
            antenna=antenna,
            created_by=moderator.id,
            reason=reason,
            exchange_id=exchange_id,
            settles_exchange=settles_exchange,
        ),
    )
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.LEDGER_POOL_PAYMENT,
        antenna_id=antenna.id,
        subject_member_id=member_id,
        detail={"transfer_id": transfer.id, "minutes": counted, "reason": transfer.reason},
    )
    return transfer


def reverse_transfer(
    session: Session, *, moderator: Member, antenna: Antenna, transfer_id: str, reason: str | None
) -> LedgerTransfer:
    assert moderator.id is not None and antenna.id is not None
    original = get_transfer(session, transfer_id)
    if original is None or original.antenna_id != antenna.id:
        raise NotFound("error.ledger.unknown_transfer")
    rows = entries_of_transfer(session, transfer_id)
    locked = lock_accounts(session, [row.account_id for row in rows])
    entries = [
        rules.Entry(uuid.UUID(original.id), original.kind, _domain_account(locked[row.account_id]), row.minutes)
        for row in rows
    ]
    planned = rules.plan_reversal(
        entries,
        balances={_domain_account(a): a.balance for a in locked.values()},
        limits=antenna.declaration().credit,
        reason=reason,
        already_reversed=reversal_of(session, transfer_id) is not None,
    )
    transfer = _append(
        session,
        planned,
        accounts=locked,
        transfer=LedgerTransfer(
            id=str(planned.transfer_id),
            kind=TransferKind.REVERSAL,
            antenna_id=antenna.id,
            exchange_id=original.exchange_id,
            reverses_transfer_id=original.id,
            reason=planned.reason,
            created_by=moderator.id,
        ),
    )
    _audit_correction(session, moderator=moderator, antenna=antenna, transfer=transfer, corrects=original.id)
    return transfer


def adjust(
    session: Session,
    *,
    moderator: Member,
    antenna: Antenna,
    from_member_id: int | None,
    to_member_id: int | None,
    minutes: object,
    reason: str | None,
    corrects_transfer_id: str | None,
) -> LedgerTransfer:
    """A moderator's correction between two accounts of the antenna (None: the antenna's pool)."""
    assert moderator.id is not None and antenna.id is not None
    if from_member_id is None and to_member_id is None:
        raise InvalidInput("error.ledger.adjustment_pool_to_pool", field="from_member_id")
    for member_id in (from_member_id, to_member_id):
        if member_id is not None and antenna.id not in approved_antenna_ids(session, member_id):
            raise NotFound("error.ledger.unknown_member")
    if corrects_transfer_id is not None:
        corrected = get_transfer(session, corrects_transfer_id)
        if corrected is None or corrected.antenna_id != antenna.id:
            raise NotFound("error.ledger.unknown_transfer")
    counted = validate_minutes(minutes, step=1, maximum=10**6)

    def account(member_id: int | None) -> LedgerAccount:
        if member_id is None:
            return ensure_pool_account(session, row_id(antenna))
        return ensure_member_account(session, member_id)

    transfer = execute_transfer(
        session,
        TransferRequest(
            kind=TransferKind.ADJUSTMENT,
            debit=account(from_member_id),
            credit=account(to_member_id),
            minutes=counted,
            antenna=antenna,
            created_by=moderator.id,
            reason=reason,
            corrects_transfer_id=corrects_transfer_id,
            # An adjustment that corrects no particular transfer refers to the antenna's books.
            reference=corrects_transfer_id or f"antenna:{antenna.slug}",
        ),
    )
    _audit_correction(session, moderator=moderator, antenna=antenna, transfer=transfer, corrects=corrects_transfer_id)
    return transfer


def _audit_correction(
    session: Session, *, moderator: Member, antenna: Antenna, transfer: LedgerTransfer, corrects: str | None
) -> None:
    audit.record(
        session,
        actor_id=row_id(moderator),
        action=CORRECTION_ACTIONS[transfer.kind],
        antenna_id=antenna.id,
        detail={"transfer_id": transfer.id, "corrects": corrects, "reason": transfer.reason},
    )
