"""Statements: a member's balance and entries, and an antenna's accounts, read for display."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlmodel import Session

from domain.ledger import TransferKind
from services.paging import window
from store.antennas import Antenna
from store.base import row_id
from store.ledger import (
    StatementRow,
    approved_member_balances,
    entries_total,
    member_account,
    member_account_balance,
    pool_account,
    statement_rows,
)
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


class Line(NamedTuple):
    """A statement line (a NamedTuple, like its parts: a frozen dataclass cost a page of 50 lines a tenth of
    its Python time to build, in object.__setattr__)."""

    entry: EntryView
    transfer: TransferView
    counterparty: Counterparty | None
    counterparty_pool: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    balance: int
    lines: list[Line]
    more: bool  # older lines exist
    newer: bool = False  # newer lines exist (a page read with before_id or after_id)


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


def member_statement(
    session: Session, *, member_id: int, before_id: int | None, limit: int, after_id: int | None = None
) -> Statement:
    """The member's balance and a page of their entries. The balance comes with the entries, in the same
    statement; only a page without any (a new member, a page past the oldest entry, `limit=0`) asks for it
    on its own."""
    page = window(
        lambda before, after, n: statement_rows(
            session, member_id=member_id, before_id=before, after_id=after, limit=n
        ),
        before_id=before_id,
        after_id=after_id,
        limit=limit,
    )
    balance = page.rows[0].balance if page.rows else None
    if balance is None:
        account = member_account_balance(session, member_id)
        balance = account[1] if account is not None else 0
    return Statement(balance=balance, lines=_lines(page.rows), more=page.older, newer=page.newer)


@dataclass(frozen=True, slots=True)
class PeriodStatement:
    balance: int  # today's
    closing_balance: int  # at the end of the period
    total: int  # the period's entries together
    lines: list[Line]  # every entry of the period, newest first


def period_statement(session: Session, *, member_id: int, first: date | None, last: date | None) -> PeriodStatement:
    """The whole statement, or the days first..last (UTC, both included), for printing: never cut."""
    account = member_account(session, member_id)
    if account is None:
        return PeriodStatement(balance=0, closing_balance=0, total=0, lines=[])
    since = datetime.combine(first, time(), tzinfo=UTC) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC) if last else None
    rows = statement_rows(session, account_id=row_id(account), before_id=None, limit=None, since=since, until=until)
    later = entries_total(session, account_id=row_id(account), since=until) if until is not None else 0
    return PeriodStatement(
        balance=account.balance,
        closing_balance=account.balance - later,
        total=sum(r.minutes for r in rows),
        lines=_lines(rows),
    )


@dataclass(frozen=True, slots=True)
class AntennaLedger:
    pool_balance: int
    accounts: list[tuple[Member | None, int]]
    lines: list[Line]
    more: bool  # older lines exist
    newer: bool = False


def antenna_ledger(
    session: Session, *, antenna: Antenna, before_id: int | None, limit: int, after_id: int | None = None
) -> AntennaLedger:
    pool = pool_account(session, row_id(antenna))
    balances = approved_member_balances(session, row_id(antenna))
    antenna_id = row_id(antenna)
    page = window(
        lambda before, after, n: statement_rows(
            session, antenna_id=antenna_id, before_id=before, after_id=after, limit=n
        ),
        before_id=before_id,
        after_id=after_id,
        limit=limit,
    )
    return AntennaLedger(
        pool_balance=pool.balance if pool else 0,
        accounts=[(member, int(balance or 0)) for member, balance in balances],
        lines=_lines(page.rows),
        more=page.older,
        newer=page.newer,
    )
