"""Members: search, a member's page, and acting for a member (every step through api.deps.current_actor)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import Response
from sqlmodel import Session

from api.console.web import (
    ConsoleAntenna,
    ConsoleRoute,
    FormFingerprint,
    KeyField,
    Pager,
    StaffPost,
    StaffVisit,
    Visit,
    keyset_pager,
    once,
    redirect,
    render,
    window_pager,
)
from api.deps import SessionDep, current_actor
from api.presenters import exchange_out, exchange_outs, line_out, proposal_outs
from api.routes.ledger import transfer_out
from api.schemas.common import MAX_ID
from domain.categories import CATEGORIES
from domain.errors import NotFound
from domain.exchanges import ExchangeState, ProposalState
from services import exchanges as exchange_service
from services import ledger as ledger_service
from services import listings as listing_service
from services import proposals as proposal_service
from services.actors import Actor
from services.paging import window
from services.statements import member_statement, period_statement
from store import console as queries
from store.antennas import Antenna, get_antenna, moderated_antenna_ids
from store.exchanges import list_member_exchanges
from store.listings import HelpRequest, ListingStatus, Offer, listings_of_member
from store.members import Member, get_member
from store.memberships import get_membership
from store.proposals import list_member_proposals

router = APIRouter(route_class=ConsoleRoute)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
EntryQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
PageQuery = Annotated[int, Query(ge=1, le=100_000)]
MEMBERS_PER_PAGE = 50
STATEMENT_LINES = 50
ROWS_PER_LIST = 50


def member_of_antenna(session: SessionDep, antenna: ConsoleAntenna, member_id: IdPath) -> Member:
    """A member who asked to join this antenna; anyone else is unknown here (404, as in the API)."""
    assert antenna.id is not None
    member = get_member(session, member_id)
    if member is None or get_membership(session, member_id=member_id, antenna_id=antenna.id) is None:
        raise NotFound()
    return member


AntennaMember = Annotated[Member, Depends(member_of_antenna)]


def acting_for(current: Visit, session: Session, member: Member) -> Actor:
    """The API's On-Behalf-Of rule and audit record, for the member in the path."""
    assert member.id is not None
    return current_actor(current.request, session, current.member, member.id)


@router.get("/antennas/{slug}/members")
def search(
    current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, q: str = "", page: PageQuery = 1
) -> Response:
    assert antenna.id is not None
    text = q[:80]
    rows = queries.search_members(
        session, antenna_id=antenna.id, text=text, limit=MEMBERS_PER_PAGE + 1, offset=(page - 1) * MEMBERS_PER_PAGE
    )
    base = f"/console/antennas/{antenna.slug}/members?" + (urlencode({"q": text}) + "&" if text else "")
    return render(
        current,
        "members.html",
        antenna=antenna,
        rows=rows[:MEMBERS_PER_PAGE],
        q=text,
        page_number=page,
        pager=Pager(
            label="console.paging.members",
            prev_url=f"{base}page={page - 1}" if page > 1 else None,
            next_url=f"{base}page={page + 1}" if len(rows) > MEMBERS_PER_PAGE else None,
            next_key="console.paging.next_plain",
            prev_key="console.paging.previous_plain",
        ),
    )


@dataclass(frozen=True, slots=True)
class MemberPagePosition:
    """Where each list of a member's page starts: its statement, proposals (p_) and exchanges (x_)."""

    before: EntryQuery = None
    after: EntryQuery = None
    p_before: EntryQuery = None
    p_after: EntryQuery = None
    x_before: EntryQuery = None
    x_after: EntryQuery = None


def _member_page_data(
    session: Session, current: Visit, antenna: Antenna, member: Member, at: MemberPagePosition
) -> dict[str, Any]:
    assert member.id is not None and current.member.id is not None
    visible = moderated_antenna_ids(session, current.member.id)
    memberships = [(m, get_antenna(session, m.antenna_id)) for m in queries.memberships_of(session, member.id)]
    member_id = member.id
    statement = member_statement(
        session, member_id=member_id, before_id=at.before, after_id=at.after, limit=STATEMENT_LINES
    )
    offers, requests = listings_of_member(session, member.id)
    viewer = Actor(member=member, acting=current.member, on_behalf_antenna_ids=frozenset(visible))
    # A page of the member's proposals and of their exchanges, each shown only where this moderator works.
    proposal_page = window(
        lambda b, a, n: list_member_proposals(
            session, member_id=member_id, state=None, before_id=b, after_id=a, limit=n
        ),
        before_id=at.p_before,
        after_id=at.p_after,
        limit=ROWS_PER_LIST,
    )
    proposals = proposal_outs(session, viewer, [p for p in proposal_page.rows if p.antenna_id in visible])
    exchange_page = window(
        lambda b, a, n: list_member_exchanges(
            session, member_id=member_id, state=None, before_id=b, after_id=a, limit=n
        ),
        before_id=at.x_before,
        after_id=at.x_after,
        limit=ROWS_PER_LIST,
    )
    exchanges = exchange_outs(session, [e for e in exchange_page.rows if e.antenna_id in visible], member_id)
    lines = [line_out(line) for line in statement.lines]
    here = f"/console/antennas/{antenna.slug}/members/{member.id}"

    return {
        "antenna": antenna,
        "member": member,
        "memberships": memberships,
        "balance": statement.balance,
        "lines": lines,
        "statement_pager": keyset_pager(
            "console.paging.statement",
            here,
            first_id=lines[0].entry_id if lines else None,
            last_id=lines[-1].entry_id if lines else None,
            older=statement.more,
            newer=statement.newer,
            anchor="bal-title",
        ),
        "conversations": [p for p in proposals if p.antenna == antenna.slug],
        "proposals_pager": window_pager(
            "console.paging.proposals", here, proposal_page, anchor="pr-title", prefix="p_"
        ),
        "exchanges_pager": window_pager(
            "console.paging.exchanges", here, exchange_page, anchor="ex-title", prefix="x_"
        ),
        "offers": [o for o in offers if o.status is ListingStatus.OPEN and o.antenna_id in visible],
        "requests": [r for r in requests if r.status is ListingStatus.OPEN and r.antenna_id in visible],
        "proposals": proposals,
        "exchanges": exchanges,
    }


@router.get("/antennas/{slug}/members/{member_id}")
def member_page(
    current: StaffVisit,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    at: Annotated[MemberPagePosition, Depends()],
) -> Response:
    data = _member_page_data(session, current, antenna, member, at)
    return render(current, "member.html", **data)


@router.get("/antennas/{slug}/members/{member_id}/statement")
def printable_statement(
    current: StaffVisit,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """The whole statement on paper, or the days from..to (both included): never a cut one."""
    assert member.id is not None
    if first is not None and last is not None and last < first:
        first, last = last, first  # a period typed backwards means the same days
    statement = period_statement(session, member_id=member.id, first=first, last=last)
    return render(
        current,
        "print_statement.html",
        antenna=antenna,
        member=member,
        balance=statement.balance,
        closing_balance=statement.closing_balance,
        total=statement.total,
        first=first,
        last=last,
        lines=[line_out(line) for line in statement.lines],
    )


@router.get("/antennas/{slug}/act/{member_id}")
def act_page(
    current: StaffVisit,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    at: Annotated[MemberPagePosition, Depends()],
) -> Response:
    actor = acting_for(current, session, member)
    member_id = actor.member_id
    # Only what waits for the member: approved proposals (answered or not) and planned exchanges, each a page.
    proposal_page = window(
        lambda b, a, n: list_member_proposals(
            session, member_id=member_id, state=ProposalState.APPROVED, before_id=b, after_id=a, limit=n
        ),
        before_id=at.p_before,
        after_id=at.p_after,
        limit=ROWS_PER_LIST,
    )
    proposals = proposal_outs(session, actor, [p for p in proposal_page.rows if p.antenna_id == antenna.id])
    to_answer = [p for p in proposals if not p.i_accepted]
    exchange_page = window(
        lambda b, a, n: list_member_exchanges(
            session, member_id=member_id, state=ExchangeState.PLANNED, before_id=b, after_id=a, limit=n
        ),
        before_id=at.x_before,
        after_id=at.x_after,
        limit=ROWS_PER_LIST,
    )
    planned = exchange_outs(session, [e for e in exchange_page.rows if e.antenna_id == antenna.id], member_id)
    here = _act_url(antenna, member)
    assert antenna.id is not None
    offers, requests = queries.open_listings(session, antenna_id=antenna.id)
    own_offers, own_requests = listings_of_member(session, actor.member_id)
    return render(
        current,
        "act.html",
        own_listings=[
            (kind, listing)
            for kind, rows in (("request", own_requests), ("offer", own_offers))
            for listing in rows
            if listing.antenna_id == antenna.id and listing.status is ListingStatus.OPEN
        ],
        partner_address=antenna.declaration().partner.address,
        proposals_pager=window_pager(
            "console.paging.proposals", here, proposal_page, anchor="answer-title", prefix="p_"
        ),
        exchanges_pager=window_pager(
            "console.paging.exchanges", here, exchange_page, anchor="confirm-title", prefix="x_"
        ),
        antenna=antenna,
        member=member,
        acting=True,
        to_answer=to_answer,
        planned=planned,
        others_offers=[o for o in offers if o.member_id != actor.member_id],
        others_requests=[r for r in requests if r.member_id != actor.member_id],
        categories=CATEGORIES,
        step=antenna.declaration().time_step_minutes,
        balance=member_statement(session, member_id=actor.member_id, before_id=None, limit=0).balance,
        idempotency_key=uuid.uuid4().hex,
    )


def _act_url(antenna: Antenna, member: Member) -> str:
    return f"/console/antennas/{antenna.slug}/act/{member.id}"


@router.post("/antennas/{slug}/act/{member_id}/listings")
def post_listing(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    kind: Annotated[Literal["request", "offer"], Form()],
    category: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(min_length=3, max_length=120)],
    description: Annotated[str, Form(max_length=2000)] = "",
    minutes: Annotated[int | None, Form(ge=0, le=100_000)] = None,
) -> Response:
    actor = acting_for(current, session, member)
    model = HelpRequest if kind == "request" else Offer
    data = listing_service.ListingInput(
        antenna=antenna,
        category=category,
        title=title,
        description=description,
        minutes=minutes if kind == "request" else None,
    )
    listing_service.create_listing(session, actor, model, data)
    return redirect(current, _act_url(antenna, member), ok=f"console.act.posted_{kind}", title=title)


@router.post("/antennas/{slug}/act/{member_id}/respond")
def respond(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    kind: Annotated[Literal["request", "offer"], Form()],
    listing_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    message: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    actor = acting_for(current, session, member)
    note = message.strip() or None
    if kind == "request":
        proposal_service.respond_to_request(session, actor, request_id=listing_id, message=note)
    else:
        proposal_service.respond_to_offer(session, actor, offer_id=listing_id, message=note)
    return redirect(current, _act_url(antenna, member), ok="console.act.responded")


@router.post("/antennas/{slug}/act/{member_id}/proposals/{proposal_id}/{answer}")
def answer_proposal(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    proposal_id: IdPath,
    answer: Literal["accept", "decline"],
) -> Response:
    actor = acting_for(current, session, member)
    proposal_service.answer(session, actor, proposal_id=proposal_id, accept=answer == "accept")
    return redirect(current, _act_url(antenna, member), ok=f"console.act.{answer}ed")


@router.post("/antennas/{slug}/act/{member_id}/exchanges/{exchange_id}/confirm")
def confirm(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    fingerprint: FormFingerprint,
    exchange_id: IdPath,
    minutes: Annotated[int, Form(ge=0, le=100_000)],
    idempotency_key: KeyField,
) -> Response:
    actor = acting_for(current, session, member)
    once(
        session,
        member_id=actor.member_id,
        key=idempotency_key,
        fingerprint=fingerprint,
        status_code=200,
        action=lambda: exchange_out(
            session,
            exchange_service.confirm(session, actor, exchange_id=exchange_id, minutes=minutes),
            actor.member_id,
        ),
    )
    return redirect(current, _act_url(antenna, member), ok="console.act.confirmed", minutes=minutes)


@router.post("/antennas/{slug}/act/{member_id}/donations")
def donate(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    fingerprint: FormFingerprint,
    minutes: Annotated[int, Form(ge=1, le=100_000)],
    idempotency_key: KeyField,
) -> Response:
    actor = acting_for(current, session, member)
    once(
        session,
        member_id=actor.member_id,
        key=idempotency_key,
        fingerprint=fingerprint,
        status_code=200,
        action=lambda: transfer_out(
            session,
            ledger_service.donate(session, member=actor.member, antenna=antenna, minutes=minutes, acting=actor.acting),
        ),
    )
    return redirect(current, _act_url(antenna, member), ok="console.act.donated", minutes=minutes)
