"""What the neighbours' features hold about a member in their export, and what erasure does to it.

Erasure removes the member's words (message texts, a meeting place they typed, the reasons of their
reports) and their devices, quiet hours and blocks; the rows stay where others need them (a conversation
shows a neutral marker where the message was). Feedback has no free text and stays for the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.push import Quiet
from store.antennas import Antenna, antennas_by_id
from store.base import utcnow
from store.conversations import Message, erase_messages_by, messages_by
from store.feedback import ExchangeFeedback, feedback_of
from store.meetings import PlaceKind, meetings_proposed_by
from store.proposals import Proposal, proposals_by_id
from store.push import Device, delete_push_data_of, devices_of, quiet_hours_of
from store.safety import Block, Report, blocks_of, delete_blocks_of, reports_by


@dataclass(frozen=True, slots=True)
class NeighbourData:
    # The messages the member wrote (as a party, or as the antenna when they moderate), oldest first, and
    # the proposals whose conversations they are in. Other people's messages are theirs, not in here.
    messages: list[Message]
    threads: dict[int, Proposal]
    devices: list[Device]
    quiet_hours: Quiet | None  # None: the member never set any (the defaults apply)
    blocks: list[Block]
    reports: list[Report]  # the reports the member filed
    report_antennas: dict[int, Antenna]
    feedback: list[ExchangeFeedback]


def neighbour_data(session: Session, member_id: int) -> NeighbourData:
    messages = messages_by(session, member_id)
    quiet = quiet_hours_of(session, [member_id]).get(member_id)
    reports = reports_by(session, member_id)
    return NeighbourData(
        messages=messages,
        threads=proposals_by_id(session, sorted({m.proposal_id for m in messages})),
        devices=devices_of(session, member_id),
        quiet_hours=Quiet(start=quiet.start_time, end=quiet.end_time, timezone=quiet.timezone) if quiet else None,
        blocks=blocks_of(session, member_id),
        reports=reports,
        report_antennas=antennas_by_id(session, sorted({r.antenna_id for r in reports})),
        feedback=feedback_of(session, member_id),
    )


def erase_neighbour_data(session: Session, member_id: int) -> None:
    now = utcnow()
    erase_messages_by(session, member_id=member_id, now=now)
    for meeting in meetings_proposed_by(session, member_id):
        if meeting.place_kind is PlaceKind.TEXT:
            meeting.place = ""
            session.add(meeting)
    for report in reports_by(session, member_id):
        report.reason = ""
        session.add(report)
    delete_push_data_of(session, member_id)  # before the notifications they point to
    delete_blocks_of(session, member_id)
