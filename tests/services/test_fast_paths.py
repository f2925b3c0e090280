"""The shortcuts of the fast request path (issue 10) keep their guarantees.

- a settlement finds and locks both accounts in one statement, opening a missing one first;
- a transfer is inserted at most once per unique effect, without a savepoint;
- notifications to both parties read their devices once and queue one push per device;
- the request's session knows when ending it waits on nothing (a SQLite read without the write lock);
- a confirmation over HTTP runs a fixed number of statements (bench/ledger.py), and a pooled PostgreSQL
  connection the server closed is replaced at checkout without a SELECT 1 per checkout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from time import monotonic, sleep
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from buurtbank.db import _closed_by_server, ends_without_io, make_engine, read_first
from domain.errors import Conflict
from domain.ledger import AccountKind, TransferKind
from services import exchanges as exchange_service
from services import ledger as ledger_service
from services.factories import Factory, actor
from services.notifications import Note, notify_all
from store.base import row_id
from store.ledger import LedgerAccount, LedgerEntry, LedgerTransfer, insert_transfer_once, member_account
from store.listings import ListingStatus
from store.notifications import Notification, NotificationKind
from store.push import DeliveryState, Device, Platform, PushDelivery
from tests.api.helpers import factory, login, statements_sent
from tests.databases import on_postgres


def test_a_settlement_locks_both_accounts_at_once_and_opens_a_missing_one(session: Session) -> None:
    build = Factory(session)
    helper = build.member("hanne@example.org", name="Hanne")
    receiver = build.member("rachid@example.org", name="Rachid")
    assert helper.id is not None and receiver.id is not None
    ledger_service.ensure_member_account(session, helper.id)
    assert member_account(session, receiver.id) is None

    first = ledger_service.lock_member_accounts_for_transfer(session, [receiver.id, helper.id])
    assert set(first) == {helper.id, receiver.id}
    assert member_account(session, receiver.id) is not None  # opened on the way
    again = ledger_service.lock_member_accounts_for_transfer(session, [receiver.id, helper.id])
    assert {m: a.id for m, a in again.items()} == {m: a.id for m, a in first.items()}

    # Passed as locked, the transfer moves the minutes on exactly those rows.
    transfer = ledger_service.execute_transfer(
        session,
        ledger_service.TransferRequest(
            kind=TransferKind.SETTLEMENT,
            debit=again[receiver.id],
            credit=again[helper.id],
            minutes=30,
            antenna=build.antenna(),
            created_by=helper.id,
            accounts_locked=True,
        ),
    )
    session.commit()
    balances = {a.member_id: a.balance for a in session.exec(select(LedgerAccount))}
    assert {m: balances.get(m) for m in (helper.id, receiver.id)} == {helper.id: 30, receiver.id: -30}
    assert session.get(LedgerTransfer, transfer.id) is transfer  # a persistent row of the session


def test_a_transfer_with_the_same_unique_effect_is_inserted_once(session: Session) -> None:
    build = Factory(session)
    helper = build.member("hanne@example.org", name="Hanne")
    receiver = build.member("rachid@example.org", name="Rachid")
    exchange = build.planned_exchange(helper=helper, receiver=receiver)
    assert helper.id is not None and exchange.id is not None

    def settling() -> LedgerTransfer:
        return LedgerTransfer(
            id=str(uuid4()),
            kind=TransferKind.SETTLEMENT,
            antenna_id=exchange.antenna_id,
            exchange_id=exchange.id,
            settles_exchange_id=exchange.id,
            created_by=helper.id,  # type: ignore[arg-type]
        )

    assert insert_transfer_once(session, settling()) is True
    assert insert_transfer_once(session, settling()) is False
    session.commit()
    count = session.exec(select(func.count()).select_from(LedgerTransfer)).one()
    assert count == 1


def test_settling_twice_is_a_conflict_and_moves_nothing(session: Session) -> None:
    build = Factory(session)
    helper = build.member("hanne@example.org", name="Hanne")
    receiver = build.member("rachid@example.org", name="Rachid")
    exchange = build.planned_exchange(helper=helper, receiver=receiver)
    assert helper.id is not None and receiver.id is not None
    accounts = ledger_service.lock_member_accounts_for_transfer(session, [receiver.id, helper.id])

    def settle() -> None:
        ledger_service.execute_transfer(
            session,
            ledger_service.TransferRequest(
                kind=TransferKind.SETTLEMENT,
                debit=accounts[receiver.id],
                credit=accounts[helper.id],
                minutes=60,
                antenna=build.antenna(),
                created_by=helper.id,  # type: ignore[arg-type]
                exchange_id=exchange.id,
                settles_exchange=True,
            ),
        )

    settle()
    try:
        settle()
    except Conflict as conflict:
        assert conflict.message_key == "error.ledger.already_done"
    else:
        raise AssertionError("a second settlement of the same exchange was accepted")
    session.rollback()


def test_notifications_to_several_members_queue_one_push_per_device(session: Session) -> None:
    build = Factory(session)
    with_two = build.member("hanne@example.org", name="Hanne")
    with_none = build.member("rachid@example.org", name="Rachid")
    assert with_two.id is not None and with_none.id is not None
    session.add_all(
        Device(member_id=with_two.id, platform=Platform.EXPO, token=f"ExponentPushToken[{n}]") for n in "ab"
    )
    session.flush()
    payload: dict[str, object] = {"exchange_id": 1, "category": "shopping", "role": "helper"}
    ids = notify_all(
        session,
        [
            Note(member_id=with_two.id, kind=NotificationKind.EXCHANGE_PLANNED, subject_id=1, payload=payload),
            Note(member_id=with_none.id, kind=NotificationKind.EXCHANGE_PLANNED, subject_id=1, payload=payload),
        ],
    )
    session.commit()
    stored = session.exec(select(Notification).where(col(Notification.id).in_(ids))).all()
    assert {n.id: n.member_id for n in stored} == dict(zip(ids, [with_two.id, with_none.id], strict=True))
    assert all(n.payload == payload and n.read_at is None for n in stored)
    mine = col(PushDelivery.notification_id).in_(ids)
    deliveries = session.exec(select(PushDelivery).where(mine).order_by(col(PushDelivery.id))).all()
    assert [(d.notification_id, d.member_id) for d in deliveries] == [(ids[0], with_two.id)] * 2
    assert {d.device_id for d in deliveries} == {d.id for d in session.exec(select(Device))}
    assert all(d.state is DeliveryState.PENDING and d.attempts == 0 for d in deliveries)


def test_ending_a_read_waits_on_nothing_until_it_writes(db: Engine) -> None:
    with Session(read_first(db)) as reading:
        assert ends_without_io(reading)  # no transaction yet
        reading.exec(select(func.count()).select_from(LedgerAccount)).one()
        assert ends_without_io(reading)  # read outside a transaction (SQLite: no lock; PostgreSQL: autocommit)
        reading.add(LedgerAccount(kind=AccountKind.POOL, pool_antenna_id=Factory(reading).antenna().id))
        assert not ends_without_io(reading)  # something to flush: a write
        reading.flush()
        assert not ends_without_io(reading)  # the write lock is held (SQLite) / a transaction to end
        reading.rollback()
    with Session(db) as writing:
        writing.exec(select(func.count()).select_from(LedgerAccount)).one()
        assert not ends_without_io(writing)  # BEGIN IMMEDIATE on SQLite: the lock is held; a transaction on PostgreSQL
        writing.rollback()


def test_a_failed_transaction_is_ended_in_a_worker_and_asking_does_not_raise(db: Engine) -> None:
    with Session(read_first(db)) as failing:
        pool = AccountKind.POOL
        antenna_id = Factory(failing).antenna().id
        failing.add_all([LedgerAccount(kind=pool, pool_antenna_id=antenna_id) for _ in range(2)])  # one pool each
        try:
            failing.flush()
        except IntegrityError:
            pass
        else:
            raise AssertionError("two pools for one antenna were accepted")
        assert ends_without_io(failing) is False  # (asking for the connection of a failed one would raise)
        failing.rollback()
        assert ends_without_io(failing) is True


# (first confirmation, the settling one), between members whose ledger accounts exist. bench/ledger.py's
# round trips per settlement on PostgreSQL are these plus a BEGIN and a COMMIT per request; they were 11 and
# 17, plus a SELECT 1 per checkout (pool_pre_ping), before the exchange was locked in the statement that also
# reads its antenna, meeting and both names for the answer and whether either party has a push device, and
# the request's status moved in one UPDATE. On SQLite the two balances are one statement sent once (it was
# one UPDATE per account, flushed by the ORM); on PostgreSQL the transfer, its two entries and both balances
# are one statement (data-modifying CTEs), which were three. On PostgreSQL the writes nobody reads back (the
# exchange's state, the request's status, notifications to members without a device, the kept answer) go with
# the next statement or the commit as CTEs of one statement (store.deferred): they were (6, 9). The settling
# one writes the exchange's state after the transfer, so that it waits with the rest: it was 7.
CONFIRM_STATEMENTS = {"postgresql": (3, 5), "sqlite": (7, 13)}


def test_confirming_an_exchange_takes_a_fixed_number_ofstatements_sent(db: Engine, client: TestClient) -> None:
    with factory(db) as build:
        helper = build.member("hanne@example.org", name="Hanne")
        receiver = build.member("rachid@example.org", name="Rachid")
        build.settled_exchange(helper=helper, receiver=receiver, minutes=30)  # both accounts exist
        exchange = build.planned_exchange(helper=helper, receiver=receiver)
    people = [login(client, "hanne@example.org"), login(client, "rachid@example.org")]
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    meeting = {"starts_at": starts, "place": "Aan de kerk"}
    assert client.put(f"/v1/exchanges/{exchange.id}/meeting", json=meeting, headers=people[0]).status_code == 200
    assert client.post(f"/v1/exchanges/{exchange.id}/meeting/accept", headers=people[1]).status_code == 200
    counts = []
    for number, headers in enumerate(people):
        with statements_sent(db) as seen:
            answer = client.post(
                f"/v1/exchanges/{exchange.id}/confirm",
                json={"minutes": 30},
                headers={**headers, "Idempotency-Key": f"confirm-{number}"},
            )
        assert answer.status_code == 200, answer.text
        assert not any(s.strip().upper() == "SELECT 1" for s in seen)  # no ping per checkout
        counts.append(len(seen))
        # The names, slug and meeting read with the locked exchange answer what reading it again answers.
        assert answer.json() == client.get(f"/v1/exchanges/{exchange.id}", headers=headers).json()
    assert answer.json()["state"] == "settled"
    assert answer.json()["meeting"]["place"] == "Aan de kerk"
    assert {answer.json()["helper"]["display_name"], answer.json()["receiver"]["display_name"]} == {"Hanne", "Rachid"}
    assert tuple(counts) == CONFIRM_STATEMENTS[db.dialect.name]


def test_confirming_queues_a_push_for_the_party_with_a_device_only(db: Engine, client: TestClient) -> None:
    with factory(db) as build:
        helper = build.member("hanne@example.org", name="Hanne")
        receiver = build.member("rachid@example.org", name="Rachid")
        exchange = build.planned_exchange(helper=helper, receiver=receiver)
    people = [login(client, "hanne@example.org"), login(client, "rachid@example.org")]
    device = {"platform": "expo", "token": "ExponentPushToken[rachid-phone]"}
    assert client.post("/v1/me/devices", json=device, headers=people[1]).status_code in (200, 201)
    for number, headers in enumerate(people):
        answer = client.post(
            f"/v1/exchanges/{exchange.id}/confirm",
            json={"minutes": 30},
            headers={**headers, "Idempotency-Key": f"confirm-{number}"},
        )
        assert answer.status_code == 200, answer.text
    with Session(db) as session:
        deliveries = session.exec(select(PushDelivery)).all()
        kinds = {n.id: n.kind for n in session.exec(select(Notification).where(Notification.member_id == receiver.id))}
    # Rachid: asked to confirm (Hanne confirmed first), then told it settled; Hanne has no device.
    assert {d.member_id for d in deliveries} == {receiver.id}
    assert sorted(kinds[d.notification_id].value for d in deliveries) == sorted(
        [NotificationKind.CONFIRM_NEEDED.value, NotificationKind.EXCHANGE_SETTLED.value]
    )


@pytest.mark.skipif(not on_postgres(), reason="pooled server connections: PostgreSQL only")
def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        other = engine.connect()  # a second pooled connection terminates the first, once it is idle in the pool
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            dbapi = conn.connection.dbapi_connection
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        other.close()
        deadline = monotonic() + 10
        while not _closed_by_server(dbapi) and monotonic() < deadline:
            sleep(0.01)  # the backend's goodbye reaches the socket a moment later
        assert _closed_by_server(dbapi)
        for _ in range(engine.pool.size() + 1):  # every checkout succeeds; none answers from the dead one
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    finally:
        engine.dispose()


def test_settling_closes_the_request_a_session_already_holds(session: Session) -> None:
    """The request's status moves in a statement past the ORM: a request object the session holds (read
    before the confirmation) answers the new status, and a later flush does not write the old one back."""
    build = Factory(session)
    helper, receiver = build.member("hanne@example.org", name="Hanne"), build.member("rachid@example.org")
    request = build.request(receiver)
    exchange = build.planned_exchange(helper=helper, receiver=receiver, request=request, helper_minutes=60)
    assert request.status is ListingStatus.MATCHED
    exchange_service.confirm(session, actor(receiver), exchange_id=row_id(exchange), minutes=60)
    assert request.status is ListingStatus.CLOSED
    request.title = "Boodschappen (gedaan)"
    session.commit()
    session.expire_all()
    assert (request.status, request.title) == (ListingStatus.CLOSED, "Boodschappen (gedaan)")


def test_a_settlement_changes_the_accounts_balances_only(db: Engine) -> None:
    """The entries and balances are written past the ORM, on PostgreSQL in one statement: each account's
    other columns keep their values, the entries carry the transfer's time, and the stored balances are
    the ones the session's objects show."""
    with factory(db) as build:
        helper, receiver = build.member("hanne@example.org", name="Hanne"), build.member("rachid@example.org")
        build.settled_exchange(helper=helper, receiver=receiver, minutes=30)  # both accounts exist
        exchange = build.planned_exchange(helper=helper, receiver=receiver, helper_minutes=45)
    with Session(db) as session:
        before = {a.id: a.model_dump() for a in session.exec(select(LedgerAccount))}
    with Session(db) as session:
        held = ledger_service.lock_member_accounts_for_transfer(session, [row_id(helper), row_id(receiver)])
        exchange_service.confirm(session, actor(receiver), exchange_id=row_id(exchange), minutes=45)
        shown = {a.id: a.balance for a in held.values()}  # the objects the settlement locked again
        session.commit()
    with Session(db) as session:
        after = {a.id: a.model_dump() for a in session.exec(select(LedgerAccount))}
        transfer = session.exec(select(LedgerTransfer).where(LedgerTransfer.settles_exchange_id == exchange.id)).one()
        entries = session.exec(select(LedgerEntry).where(LedgerEntry.transfer_id == transfer.id)).all()
    moved = {a: after[a]["balance"] - before[a]["balance"] for a in before}
    assert sorted(moved.values()) == [-45, 0, 0, 45][-len(moved) :] or sorted(v for v in moved.values() if v) == [
        -45,
        45,
    ]
    assert {a: {**row, "balance": 0} for a, row in after.items()} == {
        a: {**row, "balance": 0} for a, row in before.items()
    }
    assert shown == {a: after[a]["balance"] for a in shown} and len(shown) == 2
    assert sorted(e.minutes for e in entries) == [-45, 45]
    assert {e.created_at for e in entries} == {transfer.created_at}
