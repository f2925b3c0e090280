"""Requests and exchanges for API tests, built through the services (services.factories)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from store.base import row_id
from store.members import Member
from tests.api.helpers import Person, _engine, factory


def post_request(client: TestClient, who: Person, *, slug: str = "molenbeek", minutes: int = 60) -> int:
    """`who` posts a request for help with shopping (listings.create_listing)."""
    with factory(_engine(client)) as build:
        member = build.session.get(Member, who.id)
        assert member is not None
        return row_id(build.request(member, slug, minutes=minutes))


def exchange_between(client: TestClient, *, helper: Person, receiver: Person, moderator: Person) -> int:
    """receiver asks, helper responds, the moderator approves, the receiver accepts: an exchange exists."""
    with factory(_engine(client)) as build:
        helping, receiving, approver = (build.session.get(Member, p.id) for p in (helper, receiver, moderator))
        assert helping is not None and receiving is not None and approver is not None
        return row_id(build.planned_exchange(helper=helping, receiver=receiving, moderator=approver))


def balance(client: TestClient, who: Person) -> int:
    answer = client.get("/v1/me/ledger", headers=who.headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance"])
