"""The per-request check of an access token (services.sessions.caller): the member as a persistent object of
the request's session (the one it holds already, if any), refused for another member's session, once the
session is revoked, or once the member is erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import object_session
from sqlmodel import Session

from services.sessions import SessionPolicy, caller, logout, open_session
from services.tokens import read_token
from store.members import Member
from tests.api.helpers import factory

POLICY = SessionPolicy(secret="a-test-secret-that-is-long-enough-for-hs256", access_lifetime=timedelta(minutes=5),
                       refresh_lifetime=timedelta(days=1))  # fmt: skip


def _signed_in(db: Engine, email: str) -> tuple[int, int]:
    with factory(db) as build:
        member = build.member(email, name="Hanne")
        claims = read_token(open_session(build.session, member, policy=POLICY).access_token, secret=POLICY.secret)
    assert claims.session_id is not None
    return claims.member_id, claims.session_id


def test_the_caller_is_a_member_of_the_session_like_one_it_loaded(db: Engine) -> None:
    member_id, session_id = _signed_in(db, "hanne@example.org")
    with Session(db) as session:
        found = caller(session, session_id=session_id, member_id=member_id)
        assert found is not None and found.display_name == "Hanne" and found.email == "hanne@example.org"
        assert object_session(found) is session and found in session and not session.dirty and not session.new
        assert found.created_at.tzinfo is not None  # the columns' types applied, as the ORM would
        assert session.get(Member, member_id) is found  # in the identity map: no second object for the row
        found.display_name = "Hanne V."  # a change to the caller is flushed as any loaded object's
        session.commit()
    with Session(db) as session:
        again = session.get(Member, member_id)
        assert again is not None and again.display_name == "Hanne V."


def test_a_member_the_session_holds_already_is_answered_as_it_is(db: Engine) -> None:
    member_id, session_id = _signed_in(db, "hanne@example.org")
    with Session(db) as session:
        held = session.get(Member, member_id)
        assert held is not None
        held.language = "fr"  # not flushed yet
        assert caller(session, session_id=session_id, member_id=member_id) is held
        assert held.language == "fr"


def test_no_caller_after_logout_for_another_member_or_once_erased(db: Engine) -> None:
    member_id, session_id = _signed_in(db, "hanne@example.org")
    other_id, other_session_id = _signed_in(db, "rachid@example.org")
    with Session(db) as session:
        assert caller(session, session_id=other_session_id, member_id=member_id) is None  # not her session
        logout(session, member_id=other_id, session_id=other_session_id, refresh_token=None)
        session.commit()
        assert caller(session, session_id=other_session_id, member_id=other_id) is None  # revoked
        member = session.get(Member, member_id)
        assert member is not None
        member.erased_at = datetime.now(UTC)
        session.commit()
    with Session(db) as session:
        assert caller(session, session_id=session_id, member_id=member_id) is None  # erased
