"""A donation and a pool payment to the same member, at the same moment, never deadlock (issue 9, point 6).

Both move minutes between the member's account and the pool's: the donation debits the member, the pool
payment credits them. Each locks the two accounts once, in ascending id order. (Donations used to lock the
member's account first, to check the balance, and the pair later: with the pool's account older than the
member's, that crossed the pool payment's order and PostgreSQL broke the deadlock by failing one of them.)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.errors import DomainError
from services import ledger as ledger_service
from services.factories import Factory
from store.members import Member
from tests.services.test_ledger_concurrency import _assert_books_balance, _race

ROUNDS = 3
PAIRS = 6


def _setup(engine: Engine) -> tuple[int, int]:
    with Session(engine, expire_on_commit=False) as session:
        build = Factory(session)
        molenbeek = build.antenna()
        # The pool's account first, so its id is the lower one: the order a pool payment locks in.
        ledger_service.ensure_pool_account(session, molenbeek.id)  # type: ignore[arg-type]
        moderator = build.member("moderator@example.org", name="Moderator")
        donor = build.member("donor@example.org", name="Donor")
        ledger_service.ensure_member_account(session, donor.id)  # type: ignore[arg-type]
        session.commit()
        return moderator.id, donor.id  # type: ignore[return-value]


def _fund(engine: Engine, *, moderator_id: int, donor_id: int) -> None:
    """The donor earns 600 minutes from another member; the pool receives 300 of them."""
    with Session(engine, expire_on_commit=False) as session:
        molenbeek = Factory(session).antenna()
        moderator = session.get(Member, moderator_id)
        assert moderator is not None
        ledger_service.adjust(
            session,
            moderator=moderator,
            antenna=molenbeek,
            from_member_id=moderator_id,
            to_member_id=donor_id,
            minutes=600,
            reason="opening balance for the test",
            corrects_transfer_id=None,
        )
        donor = session.get(Member, donor_id)
        assert donor is not None
        ledger_service.donate(session, member=donor, antenna=molenbeek, minutes=300, acting=donor)
        session.commit()


def test_donations_and_pool_payments_to_the_same_member_do_not_deadlock(db: Engine) -> None:
    moderator_id, donor_id = _setup(db)
    _fund(db, moderator_id=moderator_id, donor_id=donor_id)
    with Session(db) as session:
        pool_id = ledger_service.ensure_pool_account(session, Factory(session).antenna().id).id  # type: ignore[arg-type]
        assert pool_id is not None and pool_id < ledger_service.ensure_member_account(session, donor_id).id  # type: ignore[operator]

    def donate(session: Session) -> None:
        donor = session.get(Member, donor_id)
        assert donor is not None
        ledger_service.donate(session, member=donor, antenna=Factory(session).antenna(), minutes=15, acting=donor)

    def pay(session: Session) -> None:
        moderator = session.get(Member, moderator_id)
        assert moderator is not None
        ledger_service.pay_from_pool(
            session,
            moderator=moderator,
            antenna=Factory(session).antenna(),
            member_id=donor_id,
            minutes=15,
            reason="help with the shopping",
        )

    jobs: list[Callable[[Session], None]] = [donate, pay] * PAIRS
    for _ in range(ROUNDS):
        successes, errors = _race(db, jobs)
        assert errors == [], errors
        assert successes == len(jobs)
    with Session(db) as session:
        # Every donation and every payment happened: the donor gave and got back the same minutes.
        assert ledger_service.ensure_member_account(session, donor_id).balance == 300
        assert ledger_service.ensure_pool_account(session, Factory(session).antenna().id).balance == 300  # type: ignore[arg-type]
    _assert_books_balance(db)


def test_a_donation_still_gives_only_minutes_the_member_has(db: Engine) -> None:
    moderator_id, donor_id = _setup(db)
    _fund(db, moderator_id=moderator_id, donor_id=donor_id)  # the donor keeps 300

    def donate(session: Session) -> None:
        donor = session.get(Member, donor_id)
        assert donor is not None
        ledger_service.donate(session, member=donor, antenna=Factory(session).antenna(), minutes=60, acting=donor)

    successes, errors = _race(db, [donate] * 8)
    assert successes == 5
    assert len(errors) == 3 and all(isinstance(e, DomainError) for e in errors)
    assert all(e.message_key == "error.donation.exceeds_balance" for e in errors if isinstance(e, DomainError))
    with Session(db) as session:
        assert ledger_service.ensure_member_account(session, donor_id).balance == 0
    _assert_books_balance(db)
