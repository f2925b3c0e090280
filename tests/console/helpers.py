"""Driving the console over HTTP like a browser: read the CSRF token from the page, post forms back."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.exchanges import ProposalState
from services import ledger as ledger_service
from store.antennas import get_antenna_by_slug
from store.members import Member, get_member
from tests.api.helpers import PASSWORD, factory

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def post_form(client: TestClient, page_path: str, action: str, data: dict[str, str]) -> Response:
    """Open `page_path`, then submit a form to `action` with its CSRF token (as the page's form would)."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    answer: Response = client.post(
        action,
        data={"csrf_token": csrf_of(page), **data},
        headers={"Referer": f"http://testserver{page_path}"},
        follow_redirects=False,
    )
    return answer


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    """Sign in, with English chosen (the pages would otherwise follow the person's profile language)."""
    client.cookies.set("bb_lang", "en", domain="testserver.local", path="/console")
    return post_form(client, "/console/sign-in", "/console/sign-in", {"email": email, "password": password})


def seed_adjustments(engine: Engine, *, moderator_id: int, slug: str, a: int, b: int, count: int) -> None:
    """`count` audited corrections of 15 minutes through the ledger service, alternately a -> b and b -> a."""
    with Session(engine) as s:
        moderator, antenna = s.get(Member, moderator_id), get_antenna_by_slug(s, slug)
        assert moderator is not None and antenna is not None
        for i in range(count):
            payer, payee = (a, b) if i % 2 == 0 else (b, a)
            ledger_service.adjust(
                s,
                moderator=moderator,
                antenna=antenna,
                from_member_id=payer,
                to_member_id=payee,
                minutes=15,
                reason=f"Correction {i}",
                corrects_transfer_id=None,
            )
        s.commit()


def seed_members(engine: Engine, *, slug: str, names: list[str]) -> None:
    """Members who asked to join an antenna (registered and asking through the services)."""
    with factory(engine) as build:
        for name in names:
            build.join(build.person(f"{name.lower().replace(' ', '.')}@example.org", name=name), slug)


def seed_proposals(engine: Engine, *, slug: str, helper: int, receiver: int, count: int, state: ProposalState) -> None:
    """`count` proposals of `helper` on requests of `receiver`, waiting for review, approved or rejected
    (through the services: each on a request of its own)."""
    decisions = {ProposalState.PENDING_REVIEW: None, ProposalState.APPROVED: True, ProposalState.REJECTED: False}
    if state not in decisions:
        raise ValueError(f"seed_proposals makes proposals waiting for review, approved or rejected, not {state}")
    with factory(engine) as build:
        helping, receiving = get_member(build.session, helper), get_member(build.session, receiver)
        assert helping is not None and receiving is not None
        for _ in range(count):
            proposal = build.proposal(helping, build.request(receiving, slug), review=False)
            approve = decisions[state]
            if approve is not None:
                build.review(proposal, approve=approve, reason=None if approve else "Not this week")
