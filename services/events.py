"""The notifications every event between two neighbours leaves, written in the event's own transaction.

Each function is called by the service that makes the change, right after it; it writes one notification
per member the event asks something of or changes something for (never the member who acted). Payloads
hold ids, keys and times only; the text is rendered in the reader's language (services/notifications.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from domain.exchanges import ExchangeState, Origin, Party, ProposalState
from services.notifications import Note, notify, tell_all
from store.antennas import Antenna, antenna_moderator_ids
from store.exchanges import Exchange
from store.meetings import Meeting
from store.memberships import Membership, MembershipStatus
from store.notifications import NotificationKind as Kind
from store.proposals import Proposal


def _member_of(row: Proposal | Exchange, party: Party) -> int:
    return row.helper_id if party is Party.HELPER else row.receiver_id


def _party_of(row: Proposal | Exchange, member_id: int) -> Party | None:
    if member_id == row.helper_id:
        return Party.HELPER
    if member_id == row.receiver_id:
        return Party.RECEIVER
    return None


def _proposal_payload(row: Proposal, party: Party, **extra: object) -> dict[str, object]:
    return {"proposal_id": row.id, "category": row.category, "role": party.value, **extra}


def _exchange_payload(row: Exchange, party: Party, **extra: object) -> dict[str, object]:
    return {
        "exchange_id": row.id,
        "proposal_id": row.proposal_id,
        "category": row.category,
        "role": party.value,
        **extra,
    }


def _to_parties(
    session: Session,
    row: Exchange,
    kind: Kind,
    parties: Iterable[Party],
    *,
    with_devices: frozenset[int] | None = None,
    **extra: object,
) -> None:
    notes = [
        Note(
            member_id=_member_of(row, party),
            kind=kind,
            subject_id=row.id,
            payload=_exchange_payload(row, party, **extra),
        )
        for party in parties
    ]
    tell_all(session, notes, with_devices=with_devices)


def _others(row: Proposal | Exchange, actor_id: int | None) -> list[Party]:
    """The parties other than the one who acted (both when the antenna, `actor_id` None, acted)."""
    acting = _party_of(row, actor_id) if actor_id is not None else None
    return [p for p in (Party.HELPER, Party.RECEIVER) if p is not acting]


def proposal_opened(session: Session, row: Proposal) -> None:
    """An approved proposal (by a moderator, or a member's that needed no review): whoever has not said yes
    yet is asked to answer."""
    if row.state is not ProposalState.APPROVED:
        return
    for party, accepted in ((Party.HELPER, row.helper_accepted), (Party.RECEIVER, row.receiver_accepted)):
        if not accepted:
            notify(
                session,
                member_id=_member_of(row, party),
                kind=Kind.PROPOSAL_TO_ANSWER,
                subject_id=row.id,
                payload=_proposal_payload(row, party),
            )


def proposal_rejected(session: Session, row: Proposal) -> None:
    """A moderator refused a member's own proposal: its maker is told why. A scheduler proposal was never
    shown to its members, so its rejection tells them nothing."""
    if row.origin is not Origin.MEMBER or row.initiator is None:
        return
    notify(
        session,
        member_id=_member_of(row, row.initiator),
        kind=Kind.PROPOSAL_REJECTED,
        subject_id=row.id,
        payload=_proposal_payload(row, row.initiator, reason=row.reason or ""),
    )


def proposal_answered(session: Session, row: Proposal, *, by: Party, exchange: Exchange | None) -> None:
    if exchange is not None:
        session.flush()  # the exchange's id
        _to_parties(session, exchange, Kind.EXCHANGE_PLANNED, (Party.HELPER, Party.RECEIVER))
        return
    other = by.other
    if row.state is ProposalState.DECLINED:
        kind = Kind.PROPOSAL_DECLINED
    elif row.state is ProposalState.APPROVED:
        kind = Kind.PROPOSAL_ACCEPTED
    else:
        return
    notify(
        session,
        member_id=_member_of(row, other),
        kind=kind,
        subject_id=row.id,
        payload=_proposal_payload(row, other),
    )


def exchange_confirmed(
    session: Session, row: Exchange, *, by: Party, with_devices: frozenset[int] | None = None
) -> None:
    """`with_devices`: which parties have a push device, if the caller read it with the locked exchange."""
    both = (Party.HELPER, Party.RECEIVER)
    if row.state is ExchangeState.SETTLED:
        _to_parties(session, row, Kind.EXCHANGE_SETTLED, both, with_devices=with_devices, minutes=row.settled_minutes)
    elif row.state is ExchangeState.DISPUTED:
        _to_parties(session, row, Kind.EXCHANGE_DISPUTED, both, with_devices=with_devices)
    elif row.state is ExchangeState.PLANNED:
        theirs = row.receiver_minutes if by is Party.HELPER else row.helper_minutes
        mine = row.helper_minutes if by is Party.HELPER else row.receiver_minutes
        if theirs is None:
            _to_parties(session, row, Kind.CONFIRM_NEEDED, (by.other,), with_devices=with_devices, minutes=mine or 0)


def exchange_disputed(session: Session, row: Exchange, *, by: Party) -> None:
    _to_parties(session, row, Kind.EXCHANGE_DISPUTED, (by.other,))


def exchange_cancelled(session: Session, row: Exchange, *, by: Party) -> None:
    _to_parties(session, row, Kind.EXCHANGE_CANCELLED, (by.other,))


def exchange_resolved(session: Session, row: Exchange) -> None:
    _to_parties(session, row, Kind.EXCHANGE_RESOLVED, (Party.HELPER, Party.RECEIVER), minutes=row.settled_minutes or 0)


def membership_decided(session: Session, membership: Membership, antenna: Antenna) -> None:
    approved = membership.status is MembershipStatus.APPROVED
    payload: dict[str, object] = {
        "membership_id": membership.id,
        "antenna": antenna.slug,
        "antenna_name": antenna.name_nl
        if antenna.name_nl == antenna.name_fr
        else f"{antenna.name_nl} / {antenna.name_fr}",
        "variant": "approved" if approved else ("rejected_reason" if membership.reason else "rejected"),
    }
    if membership.reason:
        payload["reason"] = membership.reason
    notify(
        session, member_id=membership.member_id, kind=Kind.MEMBERSHIP_DECIDED, subject_id=membership.id, payload=payload
    )


def message_posted(session: Session, proposal: Proposal, *, author_id: int | None, exchange_id: int | None) -> None:
    """`author_id` None: a moderator wrote as the antenna, and both parties are told."""
    for party in _others(proposal, author_id):
        notify(
            session,
            member_id=_member_of(proposal, party),
            kind=Kind.MESSAGE,
            subject_id=proposal.id,
            payload=_proposal_payload(proposal, party, exchange_id=exchange_id),
        )


def meeting_proposed(session: Session, row: Exchange, meeting: Meeting) -> None:
    _to_parties(
        session, row, Kind.MEETING_PROPOSED, _others(row, meeting.proposed_by), starts_at=meeting.starts_at.isoformat()
    )


def meeting_accepted(session: Session, row: Exchange, meeting: Meeting) -> None:
    party = _party_of(row, meeting.proposed_by)
    if party is not None:
        _to_parties(session, row, Kind.MEETING_ACCEPTED, (party,), starts_at=meeting.starts_at.isoformat())


def meeting_tomorrow(session: Session, row: Exchange, meeting: Meeting, *, now: datetime) -> None:
    for party in (Party.HELPER, Party.RECEIVER):
        notify(
            session,
            member_id=_member_of(row, party),
            kind=Kind.MEETING_REMINDER,
            subject_id=row.id,
            payload=_exchange_payload(row, party, starts_at=meeting.starts_at.isoformat()),
            now=now,
        )


def report_filed(session: Session, *, antenna_id: int, report_id: int, about: str) -> None:
    """The antenna's moderators learn that a report waits in their queue (no detail in the notification)."""
    for moderator_id in antenna_moderator_ids(session, antenna_id):
        notify(
            session,
            member_id=moderator_id,
            kind=Kind.REPORT_FILED,
            subject_id=report_id,
            payload={"report_id": report_id, "antenna_id": antenna_id, "about": about},
        )
