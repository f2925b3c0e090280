"""The statement query (store.ledger.statement_rows) answers what the ledger's rows say, line for line.

The query reads a page of entries first and joins only its rows to the other side of each transfer and to
the exchange, and a member's page carries the account's balance (issue 10: my ledger on PostgreSQL). Its
answers are checked here against a reading of the same ledger through the ORM, one row at a time, with
none of the query's joins: settlements both ways, a donation to the pool and a pool payment (the pool's
slug as the other side), a reversal, an adjustment, and a counterpart who was erased since.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from services import ledger as ledger_service
from services.factories import Factory, actor
from services.gdpr import erase_member
from services.statements import Line, antenna_ledger, member_statement, period_statement
from store.antennas import Antenna
from store.base import row_id
from store.exchanges import Exchange
from store.ledger import LedgerAccount, LedgerEntry, LedgerTransfer, entries_of_transfer, member_account
from store.members import Member

Shown = tuple[Any, ...]  # a line's fields, in StatementRow's order


def _shown(line: Line) -> Shown:
    other = line.counterparty
    return (
        line.entry.id,
        line.entry.account_id,
        line.entry.minutes,
        line.entry.created_at,
        line.transfer.id,
        line.transfer.kind,
        line.transfer.exchange_id,
        line.transfer.reason,
        other.id if other else None,
        other.display_name if other else None,
        line.counterparty_pool,
        line.category,
    )


def _expected(session: Session, entries: list[LedgerEntry]) -> list[Shown]:
    """The lines of these entries read one by one through the ORM, newest first."""
    lines: list[Shown] = []
    for entry in sorted(entries, key=lambda e: row_id(e), reverse=True):
        transfer = session.get(LedgerTransfer, entry.transfer_id)
        assert transfer is not None
        (other,) = [e for e in entries_of_transfer(session, transfer.id) if e.account_id != entry.account_id]
        account = session.get(LedgerAccount, other.account_id)
        assert account is not None
        member = session.get(Member, account.member_id) if account.member_id is not None else None
        pool = session.get(Antenna, account.pool_antenna_id) if account.pool_antenna_id is not None else None
        exchange = session.get(Exchange, transfer.exchange_id) if transfer.exchange_id is not None else None
        lines.append(
            (
                entry.id,
                entry.account_id,
                entry.minutes,
                entry.created_at,
                transfer.id,
                transfer.kind,
                transfer.exchange_id,
                transfer.reason,
                member.id if member else None,
                member.display_name if member else None,
                pool.slug if pool else None,
                exchange.category if exchange else None,
            )
        )
    return lines


def _entries_of(session: Session, member: Member) -> list[LedgerEntry]:
    account = member_account(session, row_id(member))
    assert account is not None
    return list(session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account.id)))


@pytest.fixture
def ledger(session: Session) -> dict[str, Member]:
    """Hanne's ledger with every kind of line, and the people around it."""
    build = Factory(session)
    moderator = build.moderator("molenbeek")
    hanne = build.member("hanne@example.org", "molenbeek", name="Hanne", postcode="1080", moderator=moderator)
    rachid = build.member("rachid@example.org", "molenbeek", name="Rachid", postcode="1080", moderator=moderator)
    erika = build.member("erika@example.org", "molenbeek", name="Erika", postcode="1080", moderator=moderator)
    molenbeek = build.antenna()
    for n in range(4):
        helper, receiver = (hanne, rachid) if n % 2 else (rachid, hanne)
        build.settled_exchange(helper=helper, receiver=receiver, minutes=30 + 15 * n, moderator=moderator)
    build.settled_exchange(helper=hanne, receiver=erika, minutes=90, moderator=moderator)
    ledger_service.donate(session, member=hanne, antenna=molenbeek, minutes=30, acting=hanne)
    ledger_service.pay_from_pool(
        session, moderator=moderator, antenna=molenbeek, member_id=row_id(hanne), minutes=15, reason="a lift"
    )
    reversed_one = session.exec(
        select(LedgerTransfer).where(col(LedgerTransfer.exchange_id).is_not(None)).order_by(col(LedgerTransfer.id))
    ).first()
    assert reversed_one is not None
    ledger_service.reverse_transfer(
        session, moderator=moderator, antenna=molenbeek, transfer_id=reversed_one.id, reason="never happened"
    )
    ledger_service.adjust(
        session,
        moderator=moderator,
        antenna=molenbeek,
        from_member_id=row_id(rachid),
        to_member_id=row_id(hanne),
        minutes=15,
        reason="forgotten quarter",
        corrects_transfer_id=None,
    )
    erase_member(session, actor(erika))
    session.flush()
    return {"hanne": hanne, "rachid": rachid, "erika": erika, "moderator": moderator}


def test_a_members_statement_shows_what_the_ledger_says_on_every_page(
    session: Session, ledger: dict[str, Member]
) -> None:
    hanne = ledger["hanne"]
    expected = _expected(session, _entries_of(session, hanne))
    assert len(expected) == 9  # 5 settlements, a donation, a pool payment, a reversal, an adjustment
    kinds = {line[5] for line in expected}
    assert {"settlement", "donation", "pool_payment", "reversal", "adjustment"} <= {str(k) for k in kinds}
    assert any(line[10] == "molenbeek" and line[8] is None for line in expected)  # the pool as the other side
    erika_id = row_id(ledger["erika"])
    assert any(line[8] == erika_id and line[9] == f"Former member {erika_id}" for line in expected)
    account = member_account(session, row_id(hanne))
    assert account is not None

    for limit in (1, 2, 4, 9, 50):
        shown: list[Shown] = []
        pages = []
        before = None
        while True:
            page = member_statement(session, member_id=row_id(hanne), before_id=before, limit=limit)
            assert page.balance == account.balance
            pages.append([_shown(line) for line in page.lines])
            shown += pages[-1]
            assert page.newer == (before is not None)
            if not page.more:
                break
            before = page.lines[-1].entry.id
        assert shown == expected, limit
        # Back from the oldest page, newest first again: the same pages.
        for n in range(len(pages) - 1, 0, -1):
            after = pages[n][0][0]
            newer = member_statement(session, member_id=row_id(hanne), before_id=None, after_id=after, limit=limit)
            assert newer.balance == account.balance
            assert [_shown(line) for line in newer.lines] == pages[n - 1]
            assert newer.more and newer.newer == (n - 1 > 0)


def test_the_counterparts_statement_and_the_antennas_books_show_the_same_lines(
    session: Session, ledger: dict[str, Member]
) -> None:
    rachid = ledger["rachid"]
    statement = member_statement(session, member_id=row_id(rachid), before_id=None, limit=50)
    assert [_shown(line) for line in statement.lines] == _expected(session, _entries_of(session, rachid))

    antenna = Factory(session).antenna()
    books = antenna_ledger(session, antenna=antenna, before_id=None, limit=100)
    everything = list(session.exec(select(LedgerEntry)))
    assert [_shown(line) for line in books.lines] == _expected(session, everything)
    assert not books.more
    halves = antenna_ledger(session, antenna=antenna, before_id=None, limit=5)
    rest = antenna_ledger(session, antenna=antenna, before_id=halves.lines[-1].entry.id, limit=100)
    assert [_shown(line) for line in halves.lines + rest.lines] == _expected(session, everything)


def test_a_period_statement_shows_the_same_lines(session: Session, ledger: dict[str, Member]) -> None:
    hanne = ledger["hanne"]
    today = datetime.now(UTC).date()
    period = period_statement(session, member_id=row_id(hanne), first=today - timedelta(days=1), last=today)
    expected = _expected(session, _entries_of(session, hanne))
    assert [_shown(line) for line in period.lines] == expected
    assert period.total == sum(int(line[2]) for line in expected)
    whole = period_statement(session, member_id=row_id(hanne), first=None, last=None)
    assert [_shown(line) for line in whole.lines] == expected


def test_an_empty_statement_still_has_its_balance(session: Session, ledger: dict[str, Member]) -> None:
    hanne = ledger["hanne"]
    account = member_account(session, row_id(hanne))
    assert account is not None and account.balance != 0
    oldest = min(line[0] for line in _expected(session, _entries_of(session, hanne)))
    past_the_end = member_statement(session, member_id=row_id(hanne), before_id=oldest, limit=50)
    assert (past_the_end.balance, past_the_end.lines, past_the_end.more) == (account.balance, [], False)
    assert member_statement(session, member_id=row_id(hanne), before_id=None, limit=0).balance == account.balance

    newcomer = Factory(session).person("nieuw@example.org", name="Nieuw")
    assert member_account(session, row_id(newcomer)) is None
    empty = member_statement(session, member_id=row_id(newcomer), before_id=None, limit=50)
    assert (empty.balance, empty.lines, empty.more, empty.newer) == (0, [], False, False)
    ledger_service.ensure_member_account(session, row_id(newcomer))
    opened = member_statement(session, member_id=row_id(newcomer), before_id=None, limit=50)
    assert (opened.balance, opened.lines, opened.more) == (0, [], False)
