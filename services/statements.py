"""Statements: a member's balance and entries, and an antenna's accounts, read for display."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session

from domain.ledger import TransferKind
from store.antennas import Antenna
from store.base import row_id
from store.ledger import StatementRow, approved_member_balances, member_account, pool_account, statement_rows
from store.members import Member


class EntryView(NamedTuple):
    id: int
    account_id: int
    minutes: int
    created_at: datetime


class TransferView(NamedTuple):
    id: str
    kind: TransferKind
    exchange_id: int | None
    reason: str | None


class Counterparty(NamedTuple):
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class Line:
    entry: EntryView
    transfer: TransferView
    counterparty: Counterparty | None
    counterparty_pool: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    balance: int
    lines: list[Line]
    more: bool


def _lines(rows: list[StatementRow]) -> list[Line]:
    """Lines from statement rows, which carry their counterparty and category (one query for the page)."""
    return [
        Line(
            entry=EntryView(r.entry_id, r.account_id, r.minutes, r.created_at),
            transfer=TransferView(r.transfer_id, r.kind, r.exchange_id, r.reason),
            counterparty=Counterparty(r.counterparty_id, r.counterparty_name or "")
            if r.counterparty_id is not None
            else None,
            counterparty_pool=r.counterparty_pool,
            category=r.category,
        )
        for r in rows
    ]


def member_statement(session: Session, *, member_id: int, before_id: int | None, limit: int) -> Statement:
    account = member_account(session, member_id)
    if account is None:
        return Statement(balance=0, lines=[], more=False)
    rows = statement_rows(session, account_id=row_id(account), before_id=before_id, limit=limit + 1)
    return Statement(balance=account.balance, lines=_lines(rows[:limit]), more=len(rows) > limit)


@dataclass(frozen=True, slots=True)
class AntennaLedger:
    pool_balance: int
    accounts: list[tuple[Member | None, int]]
    lines: list[Line]
    more: bool


def antenna_ledger(session: Session, *, antenna: Antenna, before_id: int | None, limit: int) -> AntennaLedger:
    pool = pool_account(session, row_id(antenna))
    balances = approved_member_balances(session, row_id(antenna))
    rows = statement_rows(session, antenna_id=row_id(antenna), before_id=before_id, limit=limit + 1)
    return AntennaLedger(
        pool_balance=pool.balance if pool else 0,
        accounts=[(member, int(balance or 0)) for member, balance in balances],
        lines=_lines(rows[:limit]),
        more=len(rows) > limit,
    )
