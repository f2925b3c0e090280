"""What the neighbours' features hold about a member in their export, and what erasure does to it.

Erasure removes the member's words (message texts, a meeting place they typed, the reasons of their
reports) and their devices, quiet hours and blocks; the rows stay where others need them (a conversation
shows a neutral marker where the message was). Feedback has no free text and stays for the statistics.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from store.base import utcnow
from store.conversations import erase_messages_by, messages_by
from store.feedback import feedback_of
from store.meetings import PlaceKind, meetings_proposed_by
from store.push import delete_push_data_of, devices_of, quiet_hours_of
from store.safety import blocks_of, delete_blocks_of, reports_by


def neighbours_section(session: Session, member_id: int) -> tuple[str, Any]:
    quiet = quiet_hours_of(session, [member_id]).get(member_id)
    return "neighbours", {
        "messages": [
            {"proposal_id": m.proposal_id, "text": m.text, "as_antenna": m.as_antenna, "at": m.created_at.isoformat()}
            for m in messages_by(session, member_id)
        ],
        "meetings_proposed": [
            {"exchange_id": m.exchange_id, "starts_at": m.starts_at.isoformat(), "place": m.place}
            for m in meetings_proposed_by(session, member_id)
        ],
        "devices": [
            {"platform": d.platform.value, "registered_at": d.created_at.isoformat()}
            for d in devices_of(session, member_id)
        ],
        "quiet_hours": {
            "start": quiet.start_time.isoformat(),
            "end": quiet.end_time.isoformat(),
            "timezone": quiet.timezone,
        }
        if quiet
        else None,
        "blocks": [{"member_id": b.blocked_id, "at": b.created_at.isoformat()} for b in blocks_of(session, member_id)],
        "reports": [
            {"about": r.about.value, "id": r.subject_id, "reason": r.reason, "status": r.status.value}
            for r in reports_by(session, member_id)
        ],
        "feedback": [
            {"exchange_id": f.exchange_id, "thanks": f.thanks, "met_someone_new": f.met_someone_new}
            for f in feedback_of(session, member_id)
        ],
    }


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
