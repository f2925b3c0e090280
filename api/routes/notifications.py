"""A member's notifications (the events of their proposals, exchanges and memberships, and the scheduler's
reminders), newest first; their unread count; marking them read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import CurrentActor, SessionDep, page_read
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.problems import problem_responses
from api.responses import serialised
from api.schemas.common import MAX_ID
from api.schemas.matching import NotificationOut
from api.schemas.neighbours import ReadAllOut, UnreadCountOut
from buurtbank.i18n import negotiate
from services import notifications as service
from store.notifications import Notification

router = APIRouter(tags=["notifications"])


def reader_language(request: Request, actor: CurrentActor) -> str:
    """Accept-Language when the client sends one; otherwise the member's own language (as pushes use)."""
    header = request.headers.get("accept-language")
    return negotiate(header) if header else actor.member.language


ReaderLanguage = Annotated[str, Depends(reader_language)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def notification_out(row: Notification, lang: str) -> NotificationOut:
    return NotificationOut(
        id=row.id or 0,
        kind=row.kind,
        message=service.render(row, lang),
        payload=row.payload,
        created_at=row.created_at,
        read_at=row.read_at,
    )


@router.get(
    "/me/notifications",
    response_model=Page[NotificationOut],
    responses=problem_responses(401, 403, 422),
)
def my_notifications(
    actor: CurrentActor,
    session: SessionDep,
    lang: ReaderLanguage,
    unread: Annotated[bool, Query(description="only those not read yet")] = False,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[NotificationOut]:
    """List my notifications, newest first

    For the signed-in member: every event that asks something of the member or changes something of theirs (a
    proposal to answer, an exchange planned, a message, a meeting, a confirmation needed, a settlement, a dispute's
    outcome, a membership decided with its reason), each with its `kind`, a `message` in the language asked for
    (`Accept-Language`, else the member's own) and its `payload`. `unread=true` lists the unread ones; paginated
    with `limit` and `cursor`. A moderator may call it for a member of an antenna they moderate by adding
    `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    rows = service.my_notifications(session, actor, unread_only=unread, before_id=before_id(cursor), limit=limit + 1)
    return newest_first_page(Page[NotificationOut], rows, limit=limit, shape=lambda row: notification_out(row, lang))


@router.post(
    "/me/notifications/{notification_id}/read",
    response_model=NotificationOut,
    responses=problem_responses(401, 403, 404, 422),
)
def mark_read(
    notification_id: IdPath, actor: CurrentActor, session: SessionDep, lang: ReaderLanguage
) -> NotificationOut:
    """Mark one of my notifications read

    For the signed-in member; answers the notification with its `read_at`. Marking it twice changes nothing. A
    moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 404: you have no notification with this id
    """
    return notification_out(service.mark_read(session, actor, notification_id=notification_id), lang)


@router.get(
    "/me/notifications/unread-count",
    response_model=UnreadCountOut,
    responses=problem_responses(401, 403, 422),
)
@page_read
def unread_count(actor: CurrentActor, session: SessionDep) -> Response:
    """Count my unread notifications

    For the signed-in member: a cheap call for a badge. A moderator may call it for a member of an antenna they
    moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    return serialised(UnreadCountOut(count=service.unread_count(session, actor)))


@router.post(
    "/me/notifications/read-all",
    response_model=ReadAllOut,
    responses=problem_responses(401, 403, 422),
)
def read_all(actor: CurrentActor, session: SessionDep) -> ReadAllOut:
    """Mark all my notifications read

    For the signed-in member; answers how many were unread. A moderator may call it for a member of an antenna they
    moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    return ReadAllOut(marked=service.mark_all_read(session, actor))
