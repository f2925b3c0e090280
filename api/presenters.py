"""Presenters: rows plus their page's look-ups in, response models out. One place for the API and the console.

Every function here takes a whole page of rows, asks services.read_side.gather() once for the names,
points, slugs and exchange ids they refer to (one query per kind of thing), and shapes the response
models. A single row goes through the same function as a page of one. Nothing here runs a query per row.

Items are built with `_shaped`: pydantic's validator run on the fields (in its compiled core, about half the
time `model_construct` takes in Python for these models, and the fields are checked on the way). Routes
on the hot path send them with api.responses.serialised (no second validation by FastAPI).
tests/api keep the shapes honest: every answer is also checked against the OpenAPI schema (test_contract).

The console imports these (and the response models in api/schemas/) to render its pages, so a member
sees the same thing in the app and in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel
from sqlmodel import Session

from api.schemas.antennas import AntennaOut, AreaOut, AuditEntryOut, CircleOut, MembershipOut, PartnerOut
from api.schemas.common import DistanceBand, MemberRef
from api.schemas.exchanges import ExchangeOut
from api.schemas.ledger import StatementLine, StatementOut
from api.schemas.neighbours import MeetingOut
from api.schemas.proposals import ProposalOut, ProposalReviewOut
from domain import geo
from domain.audit import AuditAction
from domain.exchanges import Party, ProposalState
from services.actors import Actor
from services.proposals import party_of
from services.read_side import PageLookups, gather, remembered_exchange
from services.statements import Line, Statement
from store import audit
from store.accounts import desk_accounts_of
from store.antennas import Antenna
from store.audit import AuditEntry
from store.exchanges import Exchange
from store.listings import HelpRequest, Listing, ListingRow, OfferRow, RequestRow
from store.lookups import MemberCard
from store.meetings import Meeting, PlaceKind, meetings_for
from store.memberships import Membership
from store.proposals import Proposal, ProposalRow

M = TypeVar("M", bound=BaseModel)


def _shaped(model: type[M], **fields: Any) -> M:
    """A response model from its fields, validated by pydantic's core (nested models already built pass)."""
    return cast(M, model.__pydantic_validator__.validate_python(fields))


def _ref(lookups: PageLookups, member_id: int) -> MemberRef:
    """One MemberRef per member and page (a helper shown on 30 rows is built once)."""
    ref = lookups.refs.get(member_id)
    if ref is None:
        ref = lookups.refs[member_id] = _shaped(MemberRef, id=member_id, display_name=lookups.name(member_id))
    return ref


# --- antennas ----------------------------------------------------------------------------------------------


def antenna_out(antenna: Antenna) -> AntennaOut:
    config = antenna.declaration()
    return AntennaOut(
        slug=config.slug,
        name_nl=config.name_nl,
        name_fr=config.name_fr,
        partner=PartnerOut(kind=config.partner.kind, name=config.partner.name),
        area=AreaOut(
            postcodes=config.area.postcodes,
            centre_lat=config.area.centre.lat,
            centre_lon=config.area.centre.lon,
            radius_km=config.area.radius_km,
        ),
        languages=config.languages,
        time_step_minutes=config.time_step_minutes,
        lowest_balance_minutes=config.credit.lowest_balance_minutes,
        highest_balance_minutes=config.credit.highest_balance_minutes,
        circles=[CircleOut(key=c.key, nl=c.nl, fr=c.fr, en=c.en) for c in config.circles],
    )


def membership_outs(
    session: Session, rows: Sequence[Membership], antenna: Antenna, *, with_desk: bool = False
) -> list[MembershipOut]:
    """Memberships; `with_desk` adds the desk details (managed, member number, phone) for the moderators' list."""
    lookups = gather(session, member_ids=(m.member_id for m in rows))
    desks = desk_accounts_of(session, {m.member_id for m in rows}) if with_desk else {}
    return [
        MembershipOut(
            managed=desk.managed if desk else False,
            member_number=desk.member_number if desk else None,
            phone=desk.phone if desk else None,
            id=m.id or 0,
            antenna=antenna.slug,
            member=_ref(lookups, m.member_id),
            status=m.status,
            requested_at=m.requested_at,
            decided_at=m.decided_at,
            reason=m.reason,
        )
        for m in rows
        for desk in [desks.get(m.member_id)]
    ]


def audit_outs(session: Session, rows: Sequence[AuditEntry]) -> list[AuditEntryOut]:
    lookups = gather(session, member_ids=[id_ for e in rows for id_ in (e.actor_id, e.subject_member_id)])
    return [
        AuditEntryOut(
            id=e.id or 0,
            at=e.at,
            actor=_ref(lookups, e.actor_id),
            subject=_ref(lookups, e.subject_member_id) if e.subject_member_id else None,
            action=AuditAction(e.action),
            route=e.detail.get(audit.ROUTE) if e.action == AuditAction.ACT_FOR_MEMBER else None,
            on_behalf=e.on_behalf,
            detail=e.detail,
        )
        for e in rows
    ]


# --- offers and requests -----------------------------------------------------------------------------------


def listing_distances(actor: Actor, listings: Sequence[Listing]) -> list[float | None]:
    """Each listing's distance from the caller, in one numpy pass (None when either point is unknown)."""
    member = actor.member
    origin = None
    if member.location_lat is not None and member.location_lon is not None:
        origin = (member.location_lat, member.location_lon)
    points = [(lst.lat, lst.lon) if lst.lat is not None and lst.lon is not None else None for lst in listings]
    return geo.distances_km(origin, points)


def listing_outs(
    session: Session, actor: Actor, items: Sequence[tuple[Listing | ListingRow, float | None]], out: type[BaseModel]
) -> list[Any]:
    """OfferOut or RequestOut for each (listing, distance from the caller in km)."""
    lookups = _listing_lookups(session, [listing for listing, _ in items])
    shaped = []
    me = actor.member_id  # (an attribute of the ORM row: read once, not once per listing)
    for listing, distance in items:
        fields: dict[str, Any] = {
            "id": listing.id,
            "antenna": lookups.slug(listing.antenna_id),
            "category": listing.category,
            "title": listing.title,
            "description": listing.description,
            "availability": listing.availability,
            "status": listing.status,
            "member": _ref(lookups, listing.member_id),
            "mine": listing.member_id == me,
            "distance_km": geo.published_km(distance) if distance is not None else None,
            "distance_band": geo.distance_band(distance) if distance is not None else None,
            "created_at": listing.created_at,
            "updated_at": listing.updated_at,
        }
        if isinstance(listing, HelpRequest | RequestRow):
            fields |= {"needed_by": listing.needed_by, "minutes": listing.minutes}
        shaped.append(_shaped(out, **fields))
    return shaped


def _listing_lookups(session: Session, rows: Sequence[Listing | ListingRow]) -> PageLookups:
    """What listings refer to: read with the page itself (store.listings.list_listings), or looked up."""
    names, slugs = {}, {}
    for row in rows:
        if not isinstance(row, OfferRow) or row.member_name is None or row.antenna_slug is None:
            return gather(session, member_ids=(r.member_id for r in rows), antenna_ids=(r.antenna_id for r in rows))
        names[row.member_id], slugs[row.antenna_id] = row.member_name, row.antenna_slug
    # A listing's page shows the member's name only (its distance is the listing's own point).
    return PageLookups(members={i: MemberCard(i, name, None, None) for i, name in names.items()}, antennas=slugs)


def listing_out(session: Session, actor: Actor, listing: Listing, out: type[BaseModel]) -> Any:
    return listing_outs(session, actor, [(listing, listing_distances(actor, [listing])[0])], out)[0]


# --- proposals ---------------------------------------------------------------------------------------------


def _proposal_lookups(session: Session, rows: Sequence[Proposal | ProposalRow]) -> PageLookups:
    """What proposals refer to: read with the page itself (store.proposals' page queries), or looked up."""
    cards, slugs, exchanges = {}, {}, {}
    for row in rows:
        if not isinstance(row, ProposalRow) or row.helper_card is None or row.receiver_card is None:
            return _looked_up_for_proposals(session, rows)
        cards[row.helper_id], cards[row.receiver_id] = row.helper_card, row.receiver_card
        slugs[row.antenna_id] = row.antenna_slug or ""
        if row.exchange_id is not None:
            exchanges[row.id] = row.exchange_id
    return PageLookups(members=cards, antennas=slugs, exchange_of_proposal=exchanges)


def _looked_up_for_proposals(session: Session, rows: Sequence[Proposal | ProposalRow]) -> PageLookups:
    return gather(
        session,
        member_ids=[m for r in rows for m in (r.helper_id, r.receiver_id)],
        antenna_ids=(r.antenna_id for r in rows),
        proposal_ids=(r.id for r in rows if r.state is ProposalState.ACCEPTED),
    )


def _proposal_facts(lookups: PageLookups, row: Proposal | ProposalRow, band: str | None) -> dict[str, Any]:
    """What every view of a proposal shows alike: the members' and the moderators' views add who and why."""
    return {
        "id": row.id or 0,
        "antenna": lookups.slug(row.antenna_id),
        "state": row.state,
        "origin": row.origin.value,
        "category": row.category,
        "request_id": row.request_id,
        "offer_id": row.offer_id,
        "minutes": row.minutes,
        "distance_band": cast("DistanceBand | None", band),  # geo.distance_band's values
        "message": row.message,
        "created_at": row.created_at,
    }


def proposal_outs(session: Session, actor: Actor, rows: Sequence[Proposal | ProposalRow]) -> list[ProposalOut]:
    """Proposals as one of their two members sees them: the other's name and a distance band only."""
    lookups = _proposal_lookups(session, rows)
    bands = lookups.bands_between([(r.helper_id, r.receiver_id) for r in rows])
    shaped = []
    me = actor.member_id  # (an attribute of the ORM row: read once, not once per proposal)
    for row, band in zip(rows, bands, strict=True):
        role = party_of(row, me)
        mine, theirs = (
            (row.helper_accepted, row.receiver_accepted)
            if role is Party.HELPER
            else (row.receiver_accepted, row.helper_accepted)
        )
        shaped.append(
            _shaped(
                ProposalOut,
                **_proposal_facts(lookups, row, band),
                my_role=role.value,
                other=_ref(lookups, row.receiver_id if role is Party.HELPER else row.helper_id),
                i_accepted=mine,
                they_accepted=theirs,
                exchange_id=lookups.exchange_of_proposal.get(row.id or 0)
                if row.state is ProposalState.ACCEPTED
                else None,
                reason=row.reason if row.state is ProposalState.REJECTED else None,
            )
        )
    return shaped


def review_outs(session: Session, rows: Sequence[Proposal | ProposalRow], lang: str) -> list[ProposalReviewOut]:
    """Proposals in the moderators' review queue, explained in the moderator's language."""
    lookups = _proposal_lookups(session, rows)
    bands = lookups.bands_between([(r.helper_id, r.receiver_id) for r in rows])
    shaped = []
    for row, band in zip(rows, bands, strict=True):
        explanation = None
        if row.explanation:
            explanation = row.explanation.get(lang) or row.explanation.get("en")
        shaped.append(
            _shaped(
                ProposalReviewOut,
                **_proposal_facts(lookups, row, band),
                helper=_ref(lookups, row.helper_id),
                receiver=_ref(lookups, row.receiver_id),
                score=row.score,
                bridging=row.bridging,
                explanation=explanation,
                reason=row.reason,
                helper_accepted=row.helper_accepted,
                receiver_accepted=row.receiver_accepted,
            )
        )
    return shaped


# --- exchanges and the ledger ------------------------------------------------------------------------------


def exchange_outs(session: Session, rows: Sequence[Exchange], viewer_id: int | None) -> list[ExchangeOut]:
    """`viewer_id` sets my_role (helper/receiver); None when a moderator looks."""
    extras = remembered_exchange(session, rows[0].id or 0) if len(rows) == 1 else None
    if extras is not None:  # read with the exchange by the service that changed it (a confirmation)
        lookups, meetings = extras.lookups, {rows[0].id or 0: extras.meeting} if extras.meeting else {}
    else:
        lookups = gather(
            session,
            member_ids=[m for r in rows for m in (r.helper_id, r.receiver_id)],
            antenna_ids=(r.antenna_id for r in rows),
        )
        meetings = meetings_for(session, [row.id or 0 for row in rows])
    shaped = []
    for row in rows:
        role: Literal["helper", "receiver"] | None = (
            "helper" if viewer_id == row.helper_id else "receiver" if viewer_id == row.receiver_id else None
        )
        shaped.append(
            _shaped(
                ExchangeOut,
                id=row.id or 0,
                antenna=lookups.slug(row.antenna_id),
                state=row.state,
                category=row.category,
                helper=_ref(lookups, row.helper_id),
                receiver=_ref(lookups, row.receiver_id),
                my_role=role,
                helper_minutes=row.helper_minutes,
                receiver_minutes=row.receiver_minutes,
                settled_minutes=row.settled_minutes,
                paid_by_pool=row.paid_by_pool,
                note=row.note,
                request_id=row.request_id,
                offer_id=row.offer_id,
                planned_at=row.planned_at,
                settled_at=row.settled_at,
                meeting=meeting_out(row, meetings.get(row.id or 0)),
            )
        )
    return shaped


def exchange_out(session: Session, row: Exchange, viewer_id: int | None) -> ExchangeOut:
    return exchange_outs(session, [row], viewer_id)[0]


def meeting_out(exchange: Exchange, meeting: Meeting | None) -> MeetingOut | None:
    if meeting is None:
        return None
    return MeetingOut(
        starts_at=meeting.starts_at,
        place=meeting.place,
        at_antenna_partner=meeting.place_kind is PlaceKind.ANTENNA_PARTNER,
        proposed_by="helper" if meeting.proposed_by == exchange.helper_id else "receiver",
        accepted=meeting.accepted_at is not None,
        accepted_at=meeting.accepted_at,
    )


def _line_fields(line: Line) -> dict[str, Any]:
    """A statement line's fields; services.statements already loaded its counterparty with the page."""
    other = line.counterparty
    # The counterparty as its fields, validated into a MemberRef with the line by pydantic's core: a third of
    # the lines' cost when each was built with MemberRef.model_construct in Python first.
    return {
        "entry_id": line.entry.id or 0,
        "transfer_id": line.transfer.id,
        "kind": line.transfer.kind,
        "minutes": line.entry.minutes,
        "counterparty": {"id": other.id, "display_name": other.display_name} if other else None,
        "counterparty_pool": line.counterparty_pool,
        "exchange_id": line.transfer.exchange_id,
        "category": line.category,
        "reason": line.transfer.reason,
        "at": line.entry.created_at,
    }


def line_out(line: Line) -> StatementLine:
    return _shaped(StatementLine, **_line_fields(line))


def statement_out(statement: Statement, *, next_cursor: str | None) -> StatementOut:
    """A member's balance and lines, validated in one call of pydantic's core (not one per line)."""
    return _shaped(
        StatementOut,
        balance=statement.balance,
        items=[_line_fields(line) for line in statement.lines],
        next_cursor=next_cursor,
    )
