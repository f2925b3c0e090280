"""A member's conversations, their meetings and their own listings: read by the moderator, changed for the member.

Writing as the antenna is the moderator's own act (services.console.write_as_antenna audits it); everything
else is a step for the member and goes through api.deps.current_actor (the On-Behalf-Of rule and its audit
record), then the same services as the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from api.console.pages_members import AntennaMember, IdPath, acting_for
from api.console.web import BRUSSELS, ConsoleAntenna, ConsoleRoute, StaffPost, StaffVisit, redirect, render
from api.deps import SessionDep
from api.routes.conversations import messages_out
from api.schemas.common import MAX_ID
from domain.categories import CATEGORIES
from domain.errors import InvalidInput, NotFound
from services import console as work
from services import conversations
from services import listings as listing_service
from services import meetings as meeting_service
from services.actors import Actor
from store.antennas import Antenna
from store.conversations import MAX_MESSAGE_LENGTH
from store.listings import HelpRequest, Listing, ListingStatus, Offer
from store.members import Member, get_member

router = APIRouter(route_class=ConsoleRoute)
MESSAGES_PER_PAGE = 50
AS_ANTENNA = "POST /console/antennas/{slug}/members/{member_id}/conversations/{proposal_id}"
TextField = Annotated[str, Form(min_length=1, max_length=MAX_MESSAGE_LENGTH)]
AfterQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Kind = Literal["request", "offer"]


def _conversation_url(antenna: Antenna, member: Member, proposal_id: int) -> str:
    return f"/console/antennas/{antenna.slug}/members/{member.id}/conversations/{proposal_id}"


def _act_url(antenna: Antenna, member: Member) -> str:
    return f"/console/antennas/{antenna.slug}/act/{member.id}"


def _as_moderator(current: StaffVisit | StaffPost) -> Actor:
    return Actor(member=current.member, acting=current.member)


@router.get("/antennas/{slug}/members/{member_id}/conversations/{proposal_id}")
def conversation(
    current: StaffVisit,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    proposal_id: IdPath,
    after: AfterQuery = None,
) -> Response:
    """The thread oldest first, as the API reads it; a long one goes on with "later messages"."""
    assert member.id is not None
    moderator = _as_moderator(current)
    thread = work.member_thread(session, moderator, antenna=antenna, member_id=member.id, proposal_id=proposal_id)
    rows = conversations.read(session, thread, after_id=after, limit=MESSAGES_PER_PAGE + 1)
    page = rows[:MESSAGES_PER_PAGE]
    proposal = thread.proposal
    other_id = proposal.receiver_id if proposal.helper_id == member.id else proposal.helper_id
    other = get_member(session, other_id)
    return render(
        current,
        "conversation.html",
        antenna=antenna,
        member=member,
        other=other,
        proposal=proposal,
        exchange_id=thread.exchange_id,
        messages=messages_out(session, thread, page, actor=moderator, lang=current.lang),
        later=page[-1].id if len(rows) > MESSAGES_PER_PAGE else None,
        from_start=after is not None,
        max_length=MAX_MESSAGE_LENGTH,
    )


@router.post("/antennas/{slug}/members/{member_id}/conversations/{proposal_id}")
def write_as_antenna(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    proposal_id: IdPath,
    text: TextField,
) -> Response:
    assert member.id is not None
    moderator = _as_moderator(current)
    thread = work.member_thread(session, moderator, antenna=antenna, member_id=member.id, proposal_id=proposal_id)
    work.write_as_antenna(session, moderator, thread, text=text, member_id=member.id, route=AS_ANTENNA)
    return redirect(current, _conversation_url(antenna, member, proposal_id), ok="console.conversation.sent_antenna")


@router.post("/antennas/{slug}/act/{member_id}/conversations/{proposal_id}")
def write_for_member(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    proposal_id: IdPath,
    text: TextField,
) -> Response:
    assert member.id is not None
    actor = acting_for(current, session, member)
    thread = work.member_thread(session, actor, antenna=antenna, member_id=member.id, proposal_id=proposal_id)
    conversations.post(session, actor, thread, text=text)
    return redirect(
        current,
        _conversation_url(antenna, member, proposal_id),
        ok="console.conversation.sent_member",
        name=member.display_name,
    )


def _local_time(value: str) -> datetime:
    """A datetime-local field ("2026-12-03T14:30") is a time in Brussels, where the neighbours meet."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("error.meeting.naive_time", field="starts_at") from exc
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=BRUSSELS)


@router.post("/antennas/{slug}/act/{member_id}/meetings/{exchange_id}")
def propose_meeting(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    exchange_id: IdPath,
    starts_at: Annotated[str, Form(min_length=10, max_length=40)],
    place: Annotated[str, Form(max_length=300)] = "",
    at_partner: Annotated[bool, Form()] = False,
) -> Response:
    actor = acting_for(current, session, member)
    meeting_service.propose(
        session,
        actor,
        exchange_id=exchange_id,
        starts_at=_local_time(starts_at),
        place="antenna_partner" if at_partner else place,
    )
    return redirect(current, _act_url(antenna, member), ok="console.meeting.proposed", id=exchange_id)


@router.post("/antennas/{slug}/act/{member_id}/meetings/{exchange_id}/accept")
def accept_meeting(
    current: StaffPost, antenna: ConsoleAntenna, member: AntennaMember, session: SessionDep, exchange_id: IdPath
) -> Response:
    actor = acting_for(current, session, member)
    meeting_service.accept(session, actor, exchange_id=exchange_id)
    return redirect(current, _act_url(antenna, member), ok="console.meeting.accepted", id=exchange_id)


def _model(kind: Kind) -> type[Listing]:
    return HelpRequest if kind == "request" else Offer


def _own_open_listing(session: SessionDep, actor: Actor, antenna: Antenna, kind: Kind, listing_id: int) -> Listing:
    listing = listing_service.get_listing(session, actor, _model(kind), listing_id)
    if listing.member_id != actor.member_id or listing.antenna_id != antenna.id:
        raise NotFound()
    if listing.status not in (ListingStatus.OPEN, ListingStatus.MATCHED):
        raise NotFound()  # withdrawn or done: history, nothing left to change
    return listing


@router.get("/antennas/{slug}/act/{member_id}/listings/{kind}/{listing_id}")
def listing_page(
    current: StaffVisit,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    kind: Kind,
    listing_id: IdPath,
) -> Response:
    actor = acting_for(current, session, member)
    listing = _own_open_listing(session, actor, antenna, kind, listing_id)
    return render(
        current,
        "listing_edit.html",
        antenna=antenna,
        member=member,
        acting=True,
        kind=kind,
        listing=listing,
        editable=listing.status is ListingStatus.OPEN,
        categories=CATEGORIES,
        step=antenna.declaration().time_step_minutes,
    )


@router.post("/antennas/{slug}/act/{member_id}/listings/{kind}/{listing_id}")
def edit_listing(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    kind: Kind,
    listing_id: IdPath,
    category: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(min_length=3, max_length=120)],
    description: Annotated[str, Form(max_length=2000)] = "",
    minutes: Annotated[int | None, Form(ge=0, le=100_000)] = None,
) -> Response:
    actor = acting_for(current, session, member)
    _own_open_listing(session, actor, antenna, kind, listing_id)
    changes: dict[str, object] = {"category": category, "title": title, "description": description}
    if kind == "request":
        changes["minutes"] = minutes
    listing_service.update_listing(session, actor, _model(kind), listing_id, changes=changes)
    return redirect(current, _act_url(antenna, member), ok="console.listing.changed", title=title.strip())


@router.post("/antennas/{slug}/act/{member_id}/withdraw/{kind}/{listing_id}")
def withdraw_listing(
    current: StaffPost,
    antenna: ConsoleAntenna,
    member: AntennaMember,
    session: SessionDep,
    kind: Kind,
    listing_id: IdPath,
) -> Response:
    actor = acting_for(current, session, member)
    listing = _own_open_listing(session, actor, antenna, kind, listing_id)
    title = listing.title
    listing_service.withdraw_listing(session, actor, _model(kind), listing_id)
    return redirect(current, _act_url(antenna, member), ok="console.listing.withdrawn", title=title)
