"""A member's notifications (reminders from the scheduler), newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentActor, LanguageDep, SessionDep
from api.pagination import CursorQuery, LimitQuery, Page, before_id, newest_first_page
from api.problems import problem_responses
from api.schemas.common import MAX_ID
from api.schemas.matching import NotificationOut
from services import notifications as service
from store.notifications import Notification

router = APIRouter(tags=["notifications"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def notification_out(row: Notification, lang: str) -> NotificationOut:
    return NotificationOut(
        id=row.id or 0,
        kind=row.kind.value,
        message=service.render(row, lang),
        payload=row.payload,
        created_at=row.created_at,
        read_at=row.read_at,
    )


@router.get(
    "/me/notifications",
    response_model=Page[NotificationOut],
    responses=problem_responses(401, 403, 422),
    summary="my notifications, newest first",
)
def my_notifications(
    actor: CurrentActor,
    session: SessionDep,
    lang: LanguageDep,
    unread: Annotated[bool, Query(description="only those not read yet")] = False,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[NotificationOut]:
    rows = service.my_notifications(session, actor, unread_only=unread, before_id=before_id(cursor), limit=limit + 1)
    return newest_first_page(Page[NotificationOut], rows, limit=limit, shape=lambda row: notification_out(row, lang))


@router.post(
    "/me/notifications/{notification_id}/read",
    response_model=NotificationOut,
    responses=problem_responses(401, 403, 404, 422),
    summary="mark one of my notifications read",
)
def mark_read(notification_id: IdPath, actor: CurrentActor, session: SessionDep, lang: LanguageDep) -> NotificationOut:
    return notification_out(service.mark_read(session, actor, notification_id=notification_id), lang)
