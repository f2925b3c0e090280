"""Statements: a member's balance and entries, and an antenna's accounts, read for display."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from store.antennas import Antenna
from store.base import row_id
from store.exchanges import Exchange
from store.ledger import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransfer,
    antenna_entries,
    member_account,
    other_entry,
    pool_account,
    statement,
)
from store.members import Member
from store.memberships import Membership, MembershipStatus


@dataclass(frozen=True, slots=True)
class Line:
    entry: LedgerEntry
    transfer: LedgerTransfer
    counterparty: Member | None
    counterparty_pool: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    balance: int
    lines: list[Line]
    more: bool


def _line(session: Session, entry: LedgerEntry, transfer: LedgerTransfer) -> Line:
    other = other_entry(session, transfer_id=transfer.id, account_id=entry.account_id)
    account = session.get(LedgerAccount, other.account_id) if other else None
    counterparty = session.get(Member, account.member_id) if account and account.member_id else None
    pool = None
    if account is not None and account.pool_antenna_id is not None:
        antenna = session.get(Antenna, account.pool_antenna_id)
        pool = antenna.slug if antenna else None
    exchange = session.get(Exchange, transfer.exchange_id) if transfer.exchange_id else None
    return Line(entry, transfer, counterparty, pool, exchange.category if exchange else None)


def member_statement(session: Session, *, member_id: int, before_id: int | None, limit: int) -> Statement:
    account = member_account(session, member_id)
    if account is None:
        return Statement(balance=0, lines=[], more=False)
    rows = statement(session, account_id=row_id(account), before_id=before_id, limit=limit + 1)
    return Statement(
        balance=account.balance, lines=[_line(session, e, t) for e, t in rows[:limit]], more=len(rows) > limit
    )


@dataclass(frozen=True, slots=True)
class AntennaLedger:
    pool_balance: int
    accounts: list[tuple[Member | None, int]]
    lines: list[Line]
    more: bool


def antenna_ledger(session: Session, *, antenna: Antenna, before_id: int | None, limit: int) -> AntennaLedger:
    pool = pool_account(session, row_id(antenna))
    balances = session.exec(
        select(Member, LedgerAccount.balance)
        .join(Membership, col(Membership.member_id) == Member.id)
        .outerjoin(LedgerAccount, col(LedgerAccount.member_id) == Member.id)
        .where(Membership.antenna_id == antenna.id, Membership.status == MembershipStatus.APPROVED)
        .order_by(col(Member.id))
    )
    rows = antenna_entries(session, antenna_id=row_id(antenna), before_id=before_id, limit=limit + 1)
    return AntennaLedger(
        pool_balance=pool.balance if pool else 0,
        accounts=[(member, int(balance or 0)) for member, balance in balances],
        lines=[_line(session, e, t) for e, t in rows[:limit]],
        more=len(rows) > limit,
    )
