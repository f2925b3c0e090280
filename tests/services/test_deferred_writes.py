"""Writes sent with the next statement (store.deferred) land exactly as if sent at once.

A waiting write is seen by whatever the transaction runs next (a query, a statement past the ORM, the ORM's
flush), is sent at the latest before the commit, goes with the others in one statement on PostgreSQL, and
is dropped by a rollback: to a savepoint only if it was written after the savepoint began.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.factories import Factory
from store.base import row_id
from store.deferred import defer_write, has_deferred
from store.listings import HelpRequest
from store.members import Member
from store.notifications import Notification, NotificationKind, defer_notifications, unread_count
from tests.api.helpers import statements_sent
from tests.databases import on_postgres


def _note(member_id: int, number: int) -> dict[str, object]:
    return {
        "member_id": member_id,
        "kind": NotificationKind.MESSAGE,
        "subject_id": number,
        "payload": {"number": number, "text": "één, 'twee' %(drie)s"},  # quotes and a placeholder-like text
        "created_at": datetime(2026, 12, 1, 20, 30, tzinfo=UTC) + timedelta(minutes=number),
    }


def _member(db: Engine) -> int:
    with Session(db) as session:
        member = Factory(session).member("hanne@example.org", name="Hanne")
        session.commit()
        return row_id(member)


_MESSAGES = select(Notification).where(Notification.kind == NotificationKind.MESSAGE)  # not the factory's own


def _numbers(db: Engine) -> list[int]:
    with Session(db) as session:
        return sorted(int(n.subject_id or 0) for n in session.exec(_MESSAGES))


def test_a_waiting_write_is_seen_by_the_next_query_and_keeps_its_types(db: Engine) -> None:
    member_id = _member(db)
    with Session(db) as session:
        unread_before = unread_count(session, member_id)
        defer_notifications(session, [_note(member_id, 1)])
        assert has_deferred(session) is on_postgres()  # SQLite executes at once
        stored = session.exec(_MESSAGES).one()  # an ORM query sends it first
        assert not has_deferred(session)
        assert stored.payload == {"number": 1, "text": "één, 'twee' %(drie)s"}
        assert stored.kind is NotificationKind.MESSAGE
        assert stored.created_at == datetime(2026, 12, 1, 20, 31, tzinfo=UTC)
        defer_notifications(session, [_note(member_id, 2)])
        assert unread_count(session, member_id) == unread_before + 2  # and so does a statement past the ORM
        session.commit()
    assert _numbers(db) == [1, 2]


def test_waiting_writes_go_in_one_statement_before_the_commit(db: Engine) -> None:
    member_id = _member(db)
    with Session(db) as session:
        session.connection()
        with statements_sent(db) as seen:
            defer_notifications(session, [_note(member_id, n) for n in range(1, 5)])
            session.commit()
    if on_postgres():
        assert len(seen) == 1 and seen[0].startswith("WITH w0 AS (INSERT INTO notifications")
    else:
        assert len(seen) == 4
    assert _numbers(db) == [1, 2, 3, 4]


def test_the_next_statement_sends_them_first(db: Engine) -> None:
    member_id = _member(db)
    with Session(db) as session:
        defer_notifications(session, [_note(member_id, 1)])
        with statements_sent(db) as seen:
            build = Factory(session)
            build.member("rachid@example.org", name="Rachid")  # flushed by the factory
        assert ("INTO notifications" in seen[0]) is on_postgres()  # SQLite's was executed at once
        session.commit()
    assert _numbers(db) == [1]


def test_a_rollback_drops_them_and_the_next_transaction_does_not_send_them(db: Engine) -> None:
    member_id = _member(db)
    with Session(db) as session:
        defer_notifications(session, [_note(member_id, 1)])
        session.rollback()
        assert not has_deferred(session)
        defer_notifications(session, [_note(member_id, 2)])
        session.commit()
    assert _numbers(db) == [2]


def test_rolling_back_a_savepoint_drops_only_what_was_written_inside_it(db: Engine) -> None:
    member_id = _member(db)
    with Session(db) as session:
        defer_notifications(session, [_note(member_id, 1)])
        savepoint = session.begin_nested()
        defer_notifications(session, [_note(member_id, 2)])
        savepoint.rollback()
        with session.begin_nested():
            defer_notifications(session, [_note(member_id, 3)])
        defer_notifications(session, [_note(member_id, 4)])
        session.commit()
    assert _numbers(db) == [1, 3, 4]


# Built once, as the store's statements are (a deferred write's compiled form is kept by the statement's id).
_RENUMBER = update(Notification).where(col(Notification.id) == bindparam("nid")).values(subject_id=bindparam("to"))


def test_two_updates_of_one_row_apply_in_order(db: Engine) -> None:
    member_id = _member(db)
    with Session(db) as session:
        defer_notifications(session, [_note(member_id, 1)])
        stored = session.exec(_MESSAGES).one()
        with statements_sent(db) as seen:
            for number in (2, 3, 4):
                defer_write(session, _RENUMBER, {"nid": stored.id, "to": number})
            session.commit()
        assert len(seen) == 3  # one statement each (on PostgreSQL, never two of them in one)
    assert _numbers(db) == [4]


def test_a_write_with_an_in_list_waits_and_lands_on_those_rows(db: Engine) -> None:
    with Session(db) as session:
        build = Factory(session)
        member = build.member("hanne@example.org", name="Hanne")
        requests = [row_id(build.request(member)) for _ in range(3)]
        member_id = row_id(member)
        session.commit()
    statement = (
        update(HelpRequest)
        .where(col(HelpRequest.id).in_(bindparam("ids", expanding=True)))
        .values(title=bindparam("new_title"))
    )
    with Session(db) as session:
        session.exec(select(HelpRequest).where(col(HelpRequest.id) == -1)).all()  # begun
        defer_write(session, statement, {"ids": requests[:2], "new_title": "Boodschappen, samen"})
        defer_notifications(session, [_note(member_id, 1)])
        assert has_deferred(session) is on_postgres()
        with statements_sent(db) as sent:
            session.commit()
        assert len(sent) == (1 if on_postgres() else 0)  # both together (SQLite wrote each at once)
    with Session(db) as session:
        titles = {
            row_id(r): r.title for r in session.exec(select(HelpRequest).where(col(HelpRequest.id).in_(requests)))
        }
    assert [titles[i] == "Boodschappen, samen" for i in requests] == [True, True, False]
    assert _numbers(db) == [1]


# One step of a transaction: write a notification (number), begin a savepoint, roll it back, release it, or read.
_steps = st.lists(st.sampled_from(["write", "begin", "rollback", "release", "read"]), max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps, commit=st.booleans())
def test_waiting_writes_land_as_writes_sent_at_once_would(db: Engine, steps: list[str], commit: bool) -> None:
    member_id = _member_once(db)
    with Session(db) as session:
        session.exec(select(Notification).where(col(Notification.member_id) == -1)).all()  # begun
        kept: list[list[int]] = [[]]  # what each open level (transaction, savepoints) has written
        savepoints = []
        for number, step in enumerate(steps, start=1):
            if step == "write":
                defer_notifications(session, [_note(member_id, number)])
                kept[-1].append(number)
            elif step == "begin":
                savepoints.append(session.begin_nested())
                kept.append([])
            elif step in ("rollback", "release") and savepoints:
                savepoint = savepoints.pop()
                inner = kept.pop()
                if step == "rollback":
                    savepoint.rollback()
                else:
                    savepoint.commit()
                    kept[-1].extend(inner)
            elif step == "read":
                seen = sorted(int(n.subject_id or 0) for n in session.exec(_MESSAGES))
                assert seen == sorted(n for level in kept for n in level)
        expected = sorted(n for level in kept for n in level) if commit else []
        if commit:
            session.commit()
        else:
            session.rollback()
    assert _numbers(db) == expected
    with Session(db) as session:  # the next example starts from no notifications
        for row in session.exec(_MESSAGES):
            session.delete(row)
        session.commit()


def _member_once(db: Engine) -> int:
    """The example's member: made by the first example, found by the next ones (the database is the test's)."""
    with Session(db) as session:
        member = session.exec(select(Member).where(Member.email == "hanne@example.org")).first()
    return row_id(member) if member is not None else _member(db)
