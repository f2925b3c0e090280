"""A moderator's day and an analyst's visit, in a real browser, with an accessibility check on every page.

The pages are driven as a person would: by labels, button names and link texts, never by CSS selectors.
Set BUURTBANK_SCREENSHOTS=docs/screenshots to refresh the README's screenshots while the walk runs.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.console import pages_acting, pages_antenna, pages_auth, pages_books, pages_desk, pages_members, pages_stats
from stats.rules.figures import CSV_COLUMNS
from tests.api.exchange_helpers import exchange_between, post_request
from tests.api.helpers import PASSWORD, World, build_world
from tests.console.helpers import seed_adjustments

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Pages that are not HTML documents for a person to read.
NOT_PAGES = {"/console/stats/export.csv", "/console/stats/charts/{name}.png"}
SCREENSHOTS = os.environ.get("BUURTBANK_SCREENSHOTS")


def console_pages() -> set[str]:
    templates: set[str] = set()
    for module in (pages_auth, pages_antenna, pages_members, pages_acting, pages_desk, pages_books, pages_stats):
        for route in module.router.routes:
            if "GET" in getattr(route, "methods", set()):
                path = "/console" + route.path
                if path not in NOT_PAGES:
                    templates.add(path)
    return templates


def _template_of(path: str, templates: set[str]) -> str | None:
    for template in templates:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    return None


class Walk:
    """Checks every page it lands on with axe-core, and remembers which console pages it saw."""

    def __init__(self, page: Any, axe_source: str) -> None:
        self.page = page
        self.axe_source = axe_source
        self.templates = console_pages()
        self.seen: set[str] = set()

    def check(self, shot: str | None = None) -> None:
        page = self.page
        page.wait_for_load_state("load")
        page.add_script_tag(content=self.axe_source)
        violations = page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        path = page.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        assert not serious, f"/{path}: {serious}"
        template = _template_of("/" + path, self.templates)
        if template:
            self.seen.add(template)
        if shot and SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{shot}.png"), full_page=True)

    def flash(self, text: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.get_by_role("status").filter(has_text=text)).to_be_visible()


def _sign_in(walk: Walk, email: str) -> None:
    page = walk.page
    page.goto("/console")
    walk.check("sign-in")
    page.get_by_role("button", name="English").click()  # before signing in: the choice beats the profile's
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _prepare(client: TestClient, db: Engine) -> tuple[World, int, int]:
    """Through the API: a disputed exchange and a proposal to reject, waiting for the moderator."""
    world = build_world(client, db)
    disputed = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    answer = client.post(
        f"/v1/exchanges/{disputed}/dispute", json={"note": "It took half an hour"}, headers=world.alice.headers
    )
    assert answer.status_code == 200, answer.text
    report = client.post(
        "/v1/reports",
        json={"about": "member", "id": world.bob.id, "reason": "Rang the bell at night"},
        headers=world.alice.headers,
    )
    assert report.status_code == 201, report.text
    request_id = post_request(client, world.alice)
    proposal = client.post(f"/v1/requests/{request_id}/respond", json={}, headers=world.bob.headers)
    assert proposal.status_code == 201, proposal.text
    return world, disputed, int(proposal.json()["id"])


def _act_for(walk: Walk, name: str) -> None:
    page = walk.page
    page.get_by_role("link", name="Members", exact=True).first.click()
    page.get_by_label("Name, e-mail or member number").fill(name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name=f"Act for {name}").click()
    from playwright.sync_api import expect

    expect(page.get_by_role("region", name="Acting for a member")).to_contain_text(f"You are acting for {name}")


def test_a_moderators_day(page: Any, axe_source: str, live_app: Any, db: Engine) -> None:
    from playwright.sync_api import expect

    world, disputed, to_reject = _prepare(TestClient(live_app), db)
    walk = Walk(page, axe_source)

    _sign_in(walk, world.mod_molenbeek.email)
    walk.flash("Welcome, Mod Molenbeek.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today in Molenbeek")
    walk.check("today")

    # The language choice sticks, and every label follows it.
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aujourd'hui à Molenbeek")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vandaag in Molenbeek")
    walk.check()
    page.get_by_role("button", name="English").click()

    # A membership: Carol waits to join.
    page.get_by_role("link", name="1 waiting to join").click()
    walk.check("memberships")
    page.get_by_role("button", name="Welcome Carol").click()
    walk.flash("Carol is now a member.")
    walk.check()

    # The review queue: one proposal rejected with a reason; a match round run now shows its summary.
    page.get_by_role("link", name="Proposals to check").first.click()
    walk.check("review-queue")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("button", name="Reject: Bob and Alice"))
    card.get_by_label("Reason (the person will read it)").fill("Alice already has help this week")
    card.get_by_role("button", name="Reject: Bob and Alice").click()
    walk.flash("Rejected, with your reason.")
    page.get_by_role("button", name="Look for matches now").click()
    walk.flash("The search is done.")
    expect(page.get_by_role("region", name="Result of the search")).to_contain_text("Open requests looked at")
    walk.check()

    # A whole exchange for two members who are not online: Alice asks, Bob offers, both confirm.
    _act_for(walk, "Alice")
    walk.check("act-for")
    page.get_by_label("A request: they need help").check()
    page.get_by_label("Kind of help").select_option("paperwork")
    page.get_by_label("Short title").fill("Help with my letters")
    page.get_by_label("Estimated minutes for a request (optional, steps of 15)").fill("60")
    page.get_by_role("button", name="Post it").click()
    walk.flash('The request "Help with my letters" is posted.')

    _act_for(walk, "Bob")
    page.get_by_role("button", name='Offer help with "Help with my letters"').click()
    walk.flash("Done: a moderator will check the proposal.")
    page.get_by_role("link", name="Proposals to check").first.click()
    page.get_by_role("button", name="Approve: Bob helps Alice").click()
    walk.flash("Approved: both members can now answer.")

    _act_for(walk, "Alice")
    page.get_by_role("button", name="Say yes to Bob").click()
    walk.flash("The answer is yes.")
    exchange = page.get_by_role("listitem").filter(has_text="Bob helps Alice (Paperwork")
    exchange.get_by_label("Minutes (steps of 15)").fill("60")
    exchange.get_by_role("button", name=re.compile(r"^Confirm exchange \d+$")).click()
    walk.flash("Confirmed: 60 minutes.")
    walk.check()

    _act_for(walk, "Bob")
    exchange = page.get_by_role("listitem").filter(has_text="Bob helps Alice (Paperwork")
    exchange.get_by_label("Minutes (steps of 15)").fill("60")
    exchange.get_by_role("button", name=re.compile(r"^Confirm exchange \d+$")).click()
    walk.flash("Confirmed: 60 minutes.")
    expect(page.get_by_text("Balance: 1 h")).to_be_visible()
    page.get_by_label("Minutes to give (steps of 15)").fill("15")
    page.get_by_role("button", name="Give", exact=True).click()
    walk.flash("Thank you: 15 minutes given to the pool.")
    page.get_by_role("link", name="Stop acting for this member").click()
    expect(page.get_by_role("region", name="Acting for a member")).to_have_count(0)
    expect(page.get_by_role("heading", name="Balance: 45 min")).to_be_visible()
    walk.check("member")

    # A report about Bob: closed with a note.
    page.get_by_role("link", name="Today").click()
    page.get_by_role("link", name="1 reports to look at").click()
    walk.check("reports")
    page.get_by_label("What you did (kept in the audit trail)").fill("Called Bob; it was a misunderstanding")
    page.get_by_role("button", name=re.compile(r"^Close report \d+$")).click()
    walk.flash("The report is closed.")

    # The disagreement: settled for 30 minutes with a reason.
    page.get_by_role("link", name="Today").click()
    page.get_by_role("link", name="1 disagreements to settle").click()
    walk.check("disputes")
    page.get_by_label("Minutes you decide (steps of 15)").fill("30")
    page.get_by_label("Reason (the person will read it)").fill("Both agreed on the phone: half an hour")
    page.get_by_role("button", name=f"Settle exchange {disputed}").click()
    walk.flash(f"Exchange {disputed} is settled.")
    walk.check()

    # Print Bob's statement: the menus disappear on paper.
    _act_for(walk, "Bob")
    page.get_by_role("link", name="Stop acting for this member").click()
    page.get_by_role("link", name="Print the statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statement of Bob")
    statement = page.get_by_role("table", name=re.compile("Statement"))
    expect(statement).to_contain_text("Gift to the pool")
    expect(statement).to_contain_text("Exchange")
    walk.check()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main menu")).to_be_hidden()
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "print-statement.png"), full_page=True)
    page.emulate_media(media="screen")

    # The books, the audit trail (the actions for members are marked), the other lists and the desk sheet.
    page.get_by_role("link", name="Books").click()
    expect(page.get_by_text("Solidarity pool: 15 min")).to_be_visible()
    walk.check("ledger")
    page.get_by_label("Member who receives").select_option(label="Alice")
    page.get_by_label("Minutes (steps of 15)").fill("15")
    page.get_by_label("Reason (the person will read it)").first.fill("Alice cannot give back this month")
    page.get_by_role("button", name="Pay from the pool").click()
    walk.flash("The pool paid 15 minutes to Alice.")
    expect(page.get_by_text("Solidarity pool: 0 min")).to_be_visible()
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("cell", name=re.compile("for the member")).first).to_be_visible()
    walk.check("audit")
    page.get_by_role("link", name="Today").click()
    for link, shot in (
        ("exchanges not confirmed after 3 days", None),
        ("members without a first exchange", None),
        ("accounts past an anchor", None),
    ):
        page.get_by_role("link", name=re.compile(link)).click()
        walk.check(shot)
        page.go_back()
    page.get_by_role("link", name="Desk sheet").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Help asked and offered")
    walk.check("desk-sheet")

    # The desk: a neighbour without e-mail is enrolled, gets a welcome card, and later a reset code.
    page.get_by_role("link", name="Members", exact=True).first.click()
    page.get_by_role("link", name="Enrol someone without e-mail").click()
    walk.check("enrol")
    page.get_by_label("Name (as the neighbours will see it)").fill("Frieda")
    page.get_by_label("Postcode (optional)").fill("1080")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Frieda is enrolled")
    expect(page.get_by_role("definition").filter(has_text=re.compile(r"^\S{6,}$")).first).to_be_visible()
    walk.check("enrolled")
    page.get_by_role("link", name="Print the welcome card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Frieda!")
    walk.check("welcome-card")
    page.get_by_role("link", name="Back to the member").click()
    page.get_by_role("button", name="Make a reset code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset code")
    walk.check()

    # A tablet: the same page, narrower; a page of another antenna is refused.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.get_by_role("link", name="Members", exact=True).first.click()
    page.get_by_label("Name, e-mail or member number").fill("car")  # htmx narrows the list as one types
    expect(page.get_by_role("link", name="Carol", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Alice", exact=True)).to_have_count(0)
    walk.check("members-tablet")
    page.goto("/console/antennas/jette")
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
    walk.check()
    page.goto("/console/antennas/molenbeek")

    page.get_by_role("button", name="Sign out").click()
    walk.flash("You are signed out.")
    page.goto("/console/antennas/molenbeek/ledger")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the BuurtBank console")

    missing = walk.templates - walk.seen - {"/console", "/console/stats"} - WALKED_FOR_A_MEMBER
    assert not missing, f"pages not visited and checked: {sorted(missing)}"


# Pages test_acting_for_a_member_in_conversations_meetings_and_listings visits and checks (it asserts so).
WALKED_FOR_A_MEMBER = {
    "/console/antennas/{slug}/members/{member_id}/conversations/{proposal_id}",
    "/console/antennas/{slug}/act/{member_id}/listings/{kind}/{listing_id}",
}


def test_acting_for_a_member_in_conversations_meetings_and_listings(
    page: Any, axe_source: str, live_app: Any, db: Engine
) -> None:
    """A conversation written in as the antenna and for the member, a meeting the other side accepts over
    the API, a listing changed and withdrawn for the member (audited), and a ledger of more than 100 lines."""
    from playwright.sync_api import expect

    client = TestClient(live_app)
    world = build_world(client, db)
    exchange = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    bike = client.post(
        "/v1/requests",
        json={"antenna": "molenbeek", "category": "small_repairs", "title": "Fix my bike", "minutes": 30},
        headers=world.alice.headers,
    )
    assert bike.status_code == 201, bike.text
    seed_adjustments(
        db, moderator_id=world.mod_molenbeek.id, slug="molenbeek", a=world.alice.id, b=world.bob.id, count=60
    )
    walk = Walk(page, axe_source)
    _sign_in(walk, world.mod_molenbeek.email)

    # Alice's conversation with Bob: the moderator writes as the antenna, then for Alice.
    page.get_by_role("link", name="Members", exact=True).first.click()
    page.get_by_label("Name, e-mail or member number").fill("Alice")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Alice", exact=True).click()
    expect(page.get_by_role("region", name="Conversations")).to_contain_text(f"exchange {exchange}")
    walk.check("member-conversations")
    page.get_by_role("link", name="Conversation with Bob about Shopping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Conversation of Alice with Bob")
    walk.check()
    antenna_box = page.get_by_role("region", name="Write as the antenna")
    antenna_box.get_by_label("Message").fill("The antenna can lend a shopping trolley.")
    antenna_box.get_by_role("button", name="Send as the antenna").click()
    walk.flash("Sent as the antenna.")
    alice_box = page.get_by_role("region", name="Write for Alice")
    alice_box.get_by_label("Message").fill("Thank you, Tuesday suits me.")
    alice_box.get_by_role("button", name="Send for Alice").click()
    walk.flash("Sent for Alice.")
    thread = page.get_by_role("region", name="Messages, oldest first")
    expect(thread).to_contain_text("The antenna (Molenbeek)")
    expect(thread).to_contain_text("Thank you, Tuesday suits me.")
    walk.check("conversation")
    messages = client.get(f"/v1/exchanges/{exchange}/messages", headers=world.alice.headers).json()["items"]
    assert [(m["text"], m["from_antenna"], m["mine"]) for m in messages] == [
        ("The antenna can lend a shopping trolley.", "Molenbeek", False),
        ("Thank you, Tuesday suits me.", None, True),
    ]

    # A meeting for Alice, who is not online; Bob accepts it in his app.
    page.get_by_role("link", name="Back to the member").click()
    page.get_by_role("link", name="Act for Alice").click()
    planned = page.get_by_role("listitem").filter(has_text="Bob helps Alice (Shopping")
    in_three_days = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT10:30")
    planned.get_by_label("Day and time (Brussels time)").fill(in_three_days)
    planned.get_by_label("Where").fill("The library on the square")
    planned.get_by_role("button", name=f"Propose this meeting (exchange {exchange})").click()
    walk.flash(f"Meeting proposed for exchange {exchange}; the other member will answer.")
    expect(page.get_by_text("Alice proposes to meet on")).to_be_visible()
    accepted = client.post(f"/v1/exchanges/{exchange}/meeting/accept", headers=world.bob.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["place"] == "The library on the square"
    page.reload()
    expect(page.get_by_role("listitem").filter(has_text="Bob helps Alice (Shopping")).to_contain_text("Both agree.")
    walk.check("act-for-meeting")

    # Alice's request: changed, then withdrawn, for her.
    page.get_by_role("link", name='Change "Fix my bike"').click()
    expect(page.get_by_role("heading", level=1)).to_have_text('Change "Fix my bike"')
    walk.check("listing-edit")
    page.get_by_label("Short title").fill("Fix my bicycle's brakes")
    page.get_by_label("Estimated minutes (optional, steps of 15)").fill("45")
    page.get_by_role("button", name="Save the changes").click()
    walk.flash('"Fix my bicycle\'s brakes" is changed.')
    changed = client.get(f"/v1/requests/{bike.json()['id']}", headers=world.bob.headers).json()
    assert (changed["title"], changed["minutes"]) == ("Fix my bicycle's brakes", 45)
    page.get_by_role("button", name='Withdraw "Fix my bicycle\'s brakes"').click()
    walk.flash('"Fix my bicycle\'s brakes" is withdrawn.')
    walk.check()
    assert client.get(f"/v1/requests/{bike.json()['id']}", headers=world.bob.headers).status_code == 404
    page.get_by_role("link", name="Stop acting for this member").click()
    page.get_by_role("link", name="Audit trail").click()
    for action in ("/listings/{kind}/{listing_id}", "/withdraw/{kind}/{listing_id}", "/conversations/{proposal_id}"):
        row = page.get_by_role("row").filter(has_text=action).first
        expect(row).to_contain_text("Mod Molenbeek")
        expect(row).to_contain_text("Alice")
    walk.check()

    # The books: 120 entries, 100 on the first page, the rest behind "Next page".
    page.get_by_role("link", name="Books").click()
    entries = page.get_by_role("table", name="Latest entries")
    expect(entries.get_by_role("row")).to_have_count(101)  # with the header row
    walk.check()
    page.get_by_role("navigation", name="Pages of the entries").first.get_by_role(
        "link", name="Next page (older)"
    ).click()
    expect(entries.get_by_role("row")).to_have_count(21)
    expect(page.get_by_role("link", name="Next page (older)")).to_have_count(0)
    walk.check("ledger-pages")
    page.get_by_role("link", name="Previous page (newer)").first.click()
    expect(entries.get_by_role("row")).to_have_count(101)
    walk.check()

    assert walk.seen >= WALKED_FOR_A_MEMBER


def test_an_analyst_downloads_the_figures(page: Any, axe_source: str, live_app: Any, db: Engine) -> None:
    from playwright.sync_api import expect

    world = build_world(TestClient(live_app), db)
    walk = Walk(page, axe_source)
    _sign_in(walk, world.analyst.email)
    walk.flash("Welcome, Analyst.")
    walk.check("home")
    page.get_by_role("link", name="Figures").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Figures")
    expect(page.get_by_role("table", name=re.compile("Figures from"))).to_be_visible()
    expect(page.get_by_role("region", name="How people are protected in these figures")).to_contain_text(
        "Figures are released with differential privacy"
    )
    chart = page.get_by_role("img", name=re.compile("Shares of members who mostly give"))
    expect(chart).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    walk.check("figures")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download all figures (CSV)").click()
    download = info.value
    assert download.suggested_filename.startswith("buurtbank-stats-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) > 1
    # An analyst has no antenna pages.
    page.goto("/console/antennas/molenbeek")
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong")
    assert walk.seen >= {"/console", "/console/stats", "/console/sign-in"}
