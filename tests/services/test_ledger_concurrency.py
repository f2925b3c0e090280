"""Concurrency: many requests at once never settle twice, never cross a limit, never deadlock.

Each thread has its own session and transaction, as concurrent API requests do. On PostgreSQL this
exercises the row locks and unique indexes; on SQLite, BEGIN IMMEDIATE serialises the same code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from domain.errors import DomainError
from services import exchanges as exchange_service
from services import ledger as ledger_service
from services.actors import Actor
from services.factories import Factory
from store.ledger import LedgerTransfer, accounts_with_drift, total_of_all_entries, unbalanced_transfers
from store.members import Member

THREADS = 12


def _race(engine: Engine, jobs: list[Callable[[Session], None]]) -> tuple[int, list[Exception]]:
    """Run the jobs at the same moment, each in its own transaction; return (successes, errors)."""
    barrier = threading.Barrier(len(jobs))
    errors: list[Exception] = []
    successes = 0
    lock = threading.Lock()

    def run(job: Callable[[Session], None]) -> None:
        nonlocal successes
        barrier.wait(timeout=30)
        try:
            with Session(engine, expire_on_commit=False) as session:
                job(session)
                session.commit()
            with lock:
                successes += 1
        except Exception as exc:  # any error: the test inspects what each racer got
            with lock:
                errors.append(exc)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        for future in futures:
            future.result(timeout=120)  # a deadlock would hang here, not pass
    return successes, errors


def _assert_books_balance(engine: Engine) -> None:
    with Session(engine) as session:
        assert total_of_all_entries(session) == 0
        assert accounts_with_drift(session) == []
        assert unbalanced_transfers(session) == []


def _actor(session: Session, member_id: int) -> Actor:
    person = session.get(Member, member_id)
    assert person is not None
    return Actor(member=person, acting=person)


def test_many_confirmations_of_one_exchange_settle_exactly_once(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        build = Factory(session)
        helper = build.member("helper@example.org", name="Helper")
        receiver = build.member("receiver@example.org", name="Receiver")
        exchange = build.planned_exchange(helper=helper, receiver=receiver, helper_minutes=60)
        session.commit()
    exchange_id, receiver_id = exchange.id, receiver.id

    def confirm(session: Session) -> None:
        exchange_service.confirm(session, _actor(session, receiver_id), exchange_id=exchange_id, minutes=60)  # type: ignore[arg-type]

    successes, errors = _race(db, [confirm] * THREADS)
    assert all(isinstance(e, DomainError) for e in errors), errors
    with Session(db) as session:
        settlements = session.exec(
            select(func.count()).select_from(LedgerTransfer).where(LedgerTransfer.settles_exchange_id == exchange_id)
        ).one()
        assert settlements == 1
        assert ledger_service.ensure_member_account(session, helper.id).balance == 60  # type: ignore[arg-type]
    assert successes >= 1
    _assert_books_balance(db)


def test_settlements_against_one_account_never_cross_its_lowest_balance(db: Engine) -> None:
    # Molenbeek's lowest balance is -600: of 15 one-hour settlements from one receiver, 10 fit.
    with Session(db, expire_on_commit=False) as session:
        build = Factory(session)
        lowest = build.antenna().declaration().credit.lowest_balance_minutes
        receiver = build.member("receiver@example.org", name="Receiver")
        exchanges = []
        for number in range(15):
            helper = build.member(f"helper{number}@example.org", name=f"Helper{number}")
            exchanges.append(build.planned_exchange(helper=helper, receiver=receiver, helper_minutes=60))
        session.commit()
    receiver_id = receiver.id

    def confirm_job(exchange_id: int) -> Callable[[Session], None]:
        def confirm(session: Session) -> None:
            exchange_service.confirm(session, _actor(session, receiver_id), exchange_id=exchange_id, minutes=60)  # type: ignore[arg-type]

        return confirm

    successes, errors = _race(db, [confirm_job(e.id) for e in exchanges])  # type: ignore[arg-type]
    assert successes == -lowest // 60
    assert len(errors) == 15 - successes and all(isinstance(e, DomainError) for e in errors)
    with Session(db) as session:
        assert ledger_service.ensure_member_account(session, receiver_id).balance == lowest  # type: ignore[arg-type]
    _assert_books_balance(db)


def test_crossing_transfers_in_both_directions_do_not_deadlock(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        build = Factory(session)
        pairs = []
        people = [build.member(f"p{n}@example.org", name=f"P{n}") for n in range(4)]
        for number in range(THREADS):
            a, b = people[number % 4], people[(number + 1) % 4]
            helper, receiver = (a, b) if number % 2 else (b, a)
            pairs.append((build.planned_exchange(helper=helper, receiver=receiver, helper_minutes=15), receiver.id))
        session.commit()

    def confirm_job(exchange_id: int, receiver_id: int) -> Callable[[Session], None]:
        def confirm(session: Session) -> None:
            exchange_service.confirm(session, _actor(session, receiver_id), exchange_id=exchange_id, minutes=15)

        return confirm

    successes, errors = _race(db, [confirm_job(e.id, r) for e, r in pairs])  # type: ignore[arg-type]
    assert errors == [] and successes == THREADS
    _assert_books_balance(db)
