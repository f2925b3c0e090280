"""Statements: a member's balance and entries, and an antenna's accounts, read for display."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from store.antennas import Antenna
from store.base import row_id
from store.ledger import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransfer,
    antenna_entries,
    member_account,
    pool_account,
    statement,
)
from store.lookups import EntrySide, MemberCard, antenna_slugs, exchange_categories, member_cards, transfer_sides
from store.members import Member
from store.memberships import Membership, MembershipStatus


@dataclass(frozen=True, slots=True)
class Line:
    entry: LedgerEntry
    transfer: LedgerTransfer
    counterparty: MemberCard | None
    counterparty_pool: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    balance: int
    lines: list[Line]
    more: bool


def _lines(session: Session, rows: list[tuple[LedgerEntry, LedgerTransfer]]) -> list[Line]:
    """Lines for a page of entries with their counterparties, in four queries whatever the page size."""
    sides = transfer_sides(session, {t.id for _, t in rows})
    others: list[EntrySide | None] = []
    for entry, transfer in rows:
        other = [s for s in sides.get(transfer.id, []) if s.account_id != entry.account_id]
        others.append(other[0] if other else None)
    members = member_cards(session, (o.member_id for o in others if o is not None))
    pools = antenna_slugs(session, (o.pool_antenna_id for o in others if o is not None))
    categories = exchange_categories(session, (t.exchange_id for _, t in rows))
    lines = []
    for (entry, transfer), other in zip(rows, others, strict=True):
        counterparty = members.get(other.member_id) if other is not None and other.member_id is not None else None
        pool = pools.get(other.pool_antenna_id) if other is not None and other.pool_antenna_id is not None else None
        category = categories.get(transfer.exchange_id) if transfer.exchange_id is not None else None
        lines.append(Line(entry, transfer, counterparty, pool, category))
    return lines


def member_statement(session: Session, *, member_id: int, before_id: int | None, limit: int) -> Statement:
    account = member_account(session, member_id)
    if account is None:
        return Statement(balance=0, lines=[], more=False)
    rows = statement(session, account_id=row_id(account), before_id=before_id, limit=limit + 1)
    return Statement(
        balance=account.balance, lines=_lines(session, rows[:limit]), more=len(rows) > limit
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
        lines=_lines(session, rows[:limit]),
        more=len(rows) > limit,
    )
