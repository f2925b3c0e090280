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
from store.members import Member
from store.memberships import Membership
from store.proposals import Proposal
from tests.api.helpers import PASSWORD

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
    """Members who asked to join an antenna (rows only: enough for lists and search)."""
    with Session(engine) as s:
        antenna = get_antenna_by_slug(s, slug)
        assert antenna is not None and antenna.id is not None
        for name in names:
            member = Member(display_name=name, email=f"{name.lower().replace(' ', '.')}@example.org")
            s.add(member)
            s.flush()
            assert member.id is not None
            s.add(Membership(member_id=member.id, antenna_id=antenna.id))
        s.commit()


def seed_proposals(engine: Engine, *, slug: str, helper: int, receiver: int, count: int, state: ProposalState) -> None:
    """Member-made proposals between two members in a given state (rows only: enough for lists)."""
    with Session(engine) as s:
        antenna = get_antenna_by_slug(s, slug)
        assert antenna is not None and antenna.id is not None
        for _ in range(count):
            s.add(
                Proposal(
                    antenna_id=antenna.id, helper_id=helper, receiver_id=receiver, category="shopping", state=state
                )
            )
        s.commit()
