"""Conversations, meetings and listings for a member, paging and printing: over HTTP, checked against the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.app import create_app
from buurtbank.settings import Settings
from domain.exchanges import ProposalState
from store.antennas import get_antenna_by_slug
from store.audit import AuditEntry
from store.exchanges import Exchange
from store.ledger import LedgerEntry
from store.proposals import Proposal
from tests.api.exchange_helpers import exchange_between, post_request
from tests.api.helpers import World
from tests.console.helpers import csrf_of, post_form, seed_adjustments, seed_proposals, sign_in
from tests.fakes import FakeGeocoder

BRUSSELS = ZoneInfo("Europe/Brussels")
ENTRY = re.compile(r'name="transfer_id" value="([^"]+)"')


def _audit(db: Engine, **where: object) -> list[AuditEntry]:
    with Session(db) as s:
        query = select(AuditEntry)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(s.execute(query.order_by(col(AuditEntry.id))).scalars())


def _acted(db: Engine, route: str) -> list[AuditEntry]:
    """The entries of calls made for a member (member.act_for) through one route."""
    return [e for e in _audit(db, action="member.act_for") if e.detail.get("route") == route]


def _proposal_of(client: TestClient, world: World) -> tuple[int, int]:
    """An exchange Bob helps Alice with, and the proposal it came from (their one conversation)."""
    exchange = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        proposal_id = s.execute(select(col(Exchange.proposal_id)).where(col(Exchange.id) == exchange)).scalar_one()
    return exchange, int(proposal_id)


def test_a_moderator_writes_as_the_antenna_and_for_the_member_and_both_are_audited(
    client: TestClient, world: World, db: Engine
) -> None:
    exchange, proposal = _proposal_of(client, world)
    sign_in(client, world.mod_molenbeek.email)
    member_page = client.get(f"/console/antennas/molenbeek/members/{world.alice.id}")
    thread = f"/console/antennas/molenbeek/members/{world.alice.id}/conversations/{proposal}"
    assert thread in member_page.text and f"exchange {exchange}" in member_page.text
    assert client.get(thread).status_code == 200

    answer = post_form(client, thread, thread, {"text": "The antenna can lend a trolley."})
    assert answer.status_code == 303 and answer.headers["location"] == thread
    act = f"/console/antennas/molenbeek/act/{world.alice.id}/conversations/{proposal}"
    answer = post_form(client, thread, act, {"text": "Thank you, Tuesday suits me."})
    assert answer.status_code == 303 and answer.headers["location"] == thread

    # Over the API: Bob reads the antenna's message without the moderator's name, and Alice's as hers.
    messages = client.get(f"/v1/exchanges/{exchange}/messages", headers=world.bob.headers).json()["items"]
    assert [(m["text"], m["from_antenna"], m["author"]) for m in messages] == [
        ("The antenna can lend a trolley.", "Molenbeek", None),
        ("Thank you, Tuesday suits me.", None, {"id": world.alice.id, "display_name": "Alice"}),
    ]
    page = client.get(thread)
    assert "The antenna (Molenbeek)" in page.text and "Thank you, Tuesday suits me." in page.text

    as_antenna = _audit(db, action="conversation.as_antenna")
    assert len(as_antenna) == 1
    assert (
        as_antenna[0].detail["route"] == "POST /console/antennas/{slug}/members/{member_id}/conversations/{proposal_id}"
    )
    assert as_antenna[0].actor_id == world.mod_molenbeek.id and as_antenna[0].subject_member_id == world.alice.id
    assert as_antenna[0].on_behalf is False and as_antenna[0].detail["proposal_id"] == proposal
    for_member = _acted(db, "POST /console/antennas/{slug}/act/{member_id}/conversations/{proposal_id}")
    assert [(e.actor_id, e.subject_member_id, e.on_behalf) for e in for_member] == [
        (world.mod_molenbeek.id, world.alice.id, True)
    ]


def test_conversations_stay_inside_the_members_and_the_moderators_antenna(
    client: TestClient, world: World, db: Engine
) -> None:
    _, proposal = _proposal_of(client, world)
    sign_in(client, world.mod_molenbeek.email)
    # Carol (pending) is no party: the thread is not hers to show or write in.
    thread = f"/console/antennas/molenbeek/members/{world.carol.id}/conversations/{proposal}"
    assert client.get(thread).status_code == 404
    page = client.get(f"/console/antennas/molenbeek/members/{world.alice.id}")
    answer = client.post(
        f"/console/antennas/molenbeek/act/{world.carol.id}/conversations/{proposal}",
        data={"csrf_token": csrf_of(page), "text": "Hello"},
        follow_redirects=False,
    )
    assert answer.status_code == 303  # refused: back with the reason, nothing written
    with Session(db) as s:
        entries = s.execute(select(AuditEntry)).scalars()
        assert not [e for e in entries if "conversations" in str(e.detail.get("route", ""))]
    sign_in(client, world.mod_jette.email)
    assert (
        client.get(f"/console/antennas/molenbeek/members/{world.alice.id}/conversations/{proposal}").status_code == 403
    )


def test_a_meeting_proposed_for_a_member_is_accepted_by_the_other_over_the_api(
    client: TestClient, world: World
) -> None:
    exchange, _ = _proposal_of(client, world)
    sign_in(client, world.mod_molenbeek.email)
    act = f"/console/antennas/molenbeek/act/{world.alice.id}"
    when = (datetime.now(BRUSSELS) + timedelta(days=3)).replace(hour=14, minute=30, second=0, microsecond=0)
    answer = post_form(
        client, act, f"{act}/meetings/{exchange}", {"starts_at": when.strftime("%Y-%m-%dT%H:%M"), "place": "Library"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == act
    seen = client.get(f"/v1/exchanges/{exchange}", headers=world.bob.headers).json()["meeting"]
    assert seen["place"] == "Library" and seen["proposed_by"] == "receiver" and not seen["accepted"]
    assert datetime.fromisoformat(seen["starts_at"]) == when  # typed as Brussels time, stored as that moment
    page = client.get(act)
    assert "Alice proposes to meet on" in page.text and "Agree to this meeting" not in page.text

    # The member's own proposal cannot be accepted for her (the API's rule), Bob accepts it himself.
    refused = post_form(client, act, f"{act}/meetings/{exchange}/accept", {})
    assert refused.status_code == 303
    assert 'role="alert"' in client.get(act).text
    accepted = client.post(f"/v1/exchanges/{exchange}/meeting/accept", headers=world.bob.headers)
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    assert "Both agree." in client.get(act).text


def test_a_meeting_the_other_proposed_is_accepted_for_the_member(client: TestClient, world: World) -> None:
    exchange, _ = _proposal_of(client, world)
    when = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    proposed = client.put(
        f"/v1/exchanges/{exchange}/meeting",
        json={"starts_at": when, "place": "At the community house"},
        headers=world.bob.headers,
    )
    assert proposed.status_code == 200, proposed.text
    sign_in(client, world.mod_molenbeek.email)
    act = f"/console/antennas/molenbeek/act/{world.alice.id}"
    assert f"Agree to this meeting (exchange {exchange})" in client.get(act).text
    assert post_form(client, act, f"{act}/meetings/{exchange}/accept", {}).status_code == 303
    assert client.get(f"/v1/exchanges/{exchange}", headers=world.bob.headers).json()["meeting"]["accepted"] is True


def test_a_listing_is_changed_and_withdrawn_for_the_member_with_the_apis_rules(
    client: TestClient, world: World, db: Engine
) -> None:
    request_id = post_request(client, world.alice)
    sign_in(client, world.mod_molenbeek.email)
    act = f"/console/antennas/molenbeek/act/{world.alice.id}"
    edit = f"{act}/listings/request/{request_id}"
    assert edit in client.get(act).text
    form = {"category": "paperwork", "title": "Letters from the commune", "description": "Two letters", "minutes": "45"}
    answer = post_form(client, edit, edit, form)
    assert answer.status_code == 303 and answer.headers["location"] == act
    seen = client.get(f"/v1/requests/{request_id}", headers=world.bob.headers).json()
    assert (seen["title"], seen["category"], seen["minutes"]) == ("Letters from the commune", "paperwork", 45)

    # Minutes off the antenna's step are refused as in the API, and nothing changes.
    post_form(client, edit, edit, {**form, "title": "Something else", "minutes": "50"})
    assert client.get(f"/v1/requests/{request_id}", headers=world.bob.headers).json()["title"] == form["title"]

    # Bob's page offers no way to Alice's request, and the route refuses it.
    assert (
        post_form(
            client, f"{act}", f"/console/antennas/molenbeek/act/{world.bob.id}/withdraw/request/{request_id}", {}
        ).status_code
        == 303
    )
    assert client.get(f"/v1/requests/{request_id}", headers=world.bob.headers).status_code == 200

    assert post_form(client, act, f"{act}/withdraw/request/{request_id}", {}).status_code == 303
    assert client.get(f"/v1/requests/{request_id}", headers=world.bob.headers).status_code == 404
    assert client.get(f"/v1/requests/{request_id}", headers=world.alice.headers).json()["status"] == "withdrawn"
    assert client.get(edit).status_code == 404
    actions = {e.detail["route"] for e in _audit(db, subject_member_id=world.alice.id, on_behalf=True)}
    assert {
        "POST /console/antennas/{slug}/act/{member_id}/listings/{kind}/{listing_id}",
        "POST /console/antennas/{slug}/act/{member_id}/withdraw/{kind}/{listing_id}",
    } <= actions


def _transfer_ids(html: str) -> list[str]:
    return ENTRY.findall(html)


def test_the_ledger_statement_and_audit_trail_page_both_ways_without_gaps(
    client: TestClient, world: World, db: Engine
) -> None:
    seed_adjustments(
        db, moderator_id=world.mod_molenbeek.id, slug="molenbeek", a=world.alice.id, b=world.bob.id, count=60
    )
    with Session(db) as s:
        entries = s.execute(select(col(LedgerEntry.id)).order_by(col(LedgerEntry.id).desc())).scalars().all()
    assert len(entries) == 120
    sign_in(client, world.mod_molenbeek.email)
    ledger = "/console/antennas/molenbeek/ledger"
    first = client.get(ledger).text
    assert 'rel="next"' in first and 'rel="prev"' not in first
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and older.group(1) == f"{ledger}?before={entries[99]}#entries-title"
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert 'rel="next"' not in second and 'rel="prev"' in second
    # Every positive entry (the one with a reversal form) appears once over the two pages.
    shown = _transfer_ids(first) + _transfer_ids(second)
    assert len(shown) == len(set(shown)) == 60
    newer = re.search(r'href="([^"]+)" rel="prev"', second)
    assert newer is not None
    assert _transfer_ids(client.get(newer.group(1)).text) == _transfer_ids(first)

    # Alice's statement: 60 entries, 50 on the member page and 10 on the next.
    member = f"/console/antennas/molenbeek/members/{world.alice.id}"
    page = client.get(member).text
    assert page.count('<td class="num">') == 50
    nxt = re.search(r'href="([^"]+)" rel="next"', page)
    assert nxt is not None
    assert client.get(nxt.group(1)).text.count('<td class="num">') == 10

    # The audit trail: 130 corrections and the approvals before them, 100 a page.
    seed_adjustments(
        db, moderator_id=world.mod_molenbeek.id, slug="molenbeek", a=world.bob.id, b=world.alice.id, count=70
    )
    with Session(db) as s:
        antenna = get_antenna_by_slug(s, "molenbeek")
        assert antenna is not None
        total = len(list(s.execute(select(AuditEntry).where(AuditEntry.antenna_id == antenna.id)).scalars()))
    assert 130 < total <= 200
    audit = client.get("/console/antennas/molenbeek/audit").text
    assert audit.count("<tr><td>") == 100
    nxt = re.search(r'href="([^"]+)" rel="next"', audit)
    assert nxt is not None
    rest = client.get(nxt.group(1)).text
    assert rest.count("<tr><td>") == total - 100 and 'rel="next"' not in rest


def test_a_printed_statement_is_whole_or_the_chosen_period(client: TestClient, world: World, db: Engine) -> None:
    # 121 corrections of 15 minutes, alternately from Alice and to her: her balance ends at -15 minutes.
    seed_adjustments(
        db, moderator_id=world.mod_molenbeek.id, slug="molenbeek", a=world.alice.id, b=world.bob.id, count=121
    )
    sign_in(client, world.mod_molenbeek.email)
    statement = f"/console/antennas/molenbeek/members/{world.alice.id}/statement"
    printed = client.get(statement).text
    assert printed.count('<td class="num">') == 121  # never cut, unlike the member page's 50
    assert "The whole statement: 121 entries" in printed and "Balance: -15 min" in printed
    today = datetime.now(UTC).date()
    period = client.get(statement, params={"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()})
    assert period.text.count('<td class="num">') == 121
    assert "121 entries in this period, together -15 min" in period.text
    assert "Balance at the end of the period: -15 min" in period.text
    before = client.get(statement, params={"to": (today - timedelta(days=1)).isoformat()}).text
    assert before.count('<td class="num">') == 0 and "No entries yet." in before
    assert "Balance at the end of the period: 0 min" in before
    # A period typed backwards means the same days.
    backwards = client.get(statement, params={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()})
    assert backwards.text.count('<td class="num">') == 121


def test_member_search_pages_by_name(client: TestClient, world: World, db: Engine) -> None:
    from tests.console.helpers import seed_members

    seed_members(db, slug="molenbeek", names=[f"Neighbour {i:03d}" for i in range(60)])
    sign_in(client, world.mod_molenbeek.email)
    first = client.get("/console/antennas/molenbeek/members", params={"q": "neighbour"}).text
    assert first.count("Neighbour ") == 50 and "Neighbour 049" in first and "Neighbour 050" not in first
    nxt = re.search(r'href="([^"]+)" rel="next"', first)
    assert nxt is not None and "q=neighbour" in nxt.group(1)
    second = client.get(nxt.group(1).replace("&amp;", "&")).text
    assert second.count("Neighbour ") == 10 and "Neighbour 059" in second and 'rel="next"' not in second


@pytest.mark.parametrize(("days", "listed"), [(1, True), (3, False)])
def test_the_waiting_threshold_is_a_setting(
    world: World, db: Engine, settings: Settings, client: TestClient, days: int, listed: bool
) -> None:
    exchange = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    with Session(db) as s:
        s.execute(
            update(Exchange)
            .where(col(Exchange.id) == exchange)
            .values(planned_at=datetime.now(UTC) - timedelta(days=2))
        )
        s.commit()
    app = create_app(settings.model_copy(update={"console_waiting_days": days}), engine=db, geocoder=FakeGeocoder())
    with TestClient(app) as other:
        sign_in(other, world.mod_molenbeek.email)
        today = other.get("/console/antennas/molenbeek").text
        assert f"exchanges not confirmed after {days} days" in today
        waiting = other.get("/console/antennas/molenbeek/waiting").text
        assert (f"<tr><td>{exchange}</td>" in waiting) is listed
        count = re.search(
            r'href="/console/antennas/molenbeek/waiting" class="count[^"]*"><span class="number">(\d+)', today
        )
        assert count is not None and count.group(1) == str(int(listed))


def test_the_waiting_threshold_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUURTBANK_CONSOLE_WAITING_DAYS", "5")
    assert Settings(_env_file=None).console_waiting_days == 5  # type: ignore[call-arg]
    assert Settings(_env_file=None, console_waiting_days=3).console_waiting_days == 3  # type: ignore[call-arg]
    monkeypatch.delenv("BUURTBANK_CONSOLE_WAITING_DAYS")
    assert Settings(_env_file=None).console_waiting_days == 3  # type: ignore[call-arg]


def test_the_review_queue_pages_oldest_first(client: TestClient, world: World, db: Engine) -> None:
    seed_proposals(
        db, slug="molenbeek", helper=world.bob.id, receiver=world.alice.id, count=60, state=ProposalState.PENDING_REVIEW
    )
    with Session(db) as s:
        ids = s.execute(select(col(Proposal.id)).order_by(col(Proposal.id))).scalars().all()
    sign_in(client, world.mod_molenbeek.email)
    queue = "/console/antennas/molenbeek/proposals"
    first = client.get(queue).text
    shown = [int(i) for i in re.findall(r'action="/console/proposals/(\d+)/approve"', first)]
    assert shown == list(ids[:50])  # who waited longest comes first
    later = re.search(r'href="([^"]+)" rel="next"', first)
    assert later and later.group(1) == f"{queue}?after={ids[49]}" and 'rel="prev"' not in first
    second = client.get(later.group(1)).text
    assert [int(i) for i in re.findall(r'action="/console/proposals/(\d+)/approve"', second)] == list(ids[50:])
    earlier = re.search(r'href="([^"]+)" rel="prev"', second)
    assert earlier and 'rel="next"' not in second
    assert re.findall(r'action="/console/proposals/(\d+)/approve"', client.get(earlier.group(1)).text) == [
        str(i) for i in ids[:50]
    ]


def test_a_members_proposals_page_beyond_the_first_fifty(client: TestClient, world: World, db: Engine) -> None:
    seed_proposals(
        db, slug="molenbeek", helper=world.bob.id, receiver=world.alice.id, count=55, state=ProposalState.REJECTED
    )
    sign_in(client, world.mod_molenbeek.email)
    member = f"/console/antennas/molenbeek/members/{world.alice.id}"
    page = client.get(member).text
    assert page.count("Conversation with Bob") == 50
    nav = re.search(r'aria-label="Pages of proposals">\s*<a class="button secondary" href="([^"]+)" rel="next"', page)
    assert nav is not None and "p_before=" in nav.group(1)
    rest = client.get(nav.group(1)).text
    assert rest.count("Conversation with Bob") == 5
