"""A member's new notifications as a server-sent event stream, for an app in the foreground.

The stream holds no database connection while it waits: each look for news opens a session, reads the
notifications after the last one sent, and closes it (in a worker thread: nothing blocks the event loop).
It ends by itself after `events_max_seconds` (clients reconnect with Last-Event-ID and miss nothing), when
the client goes away, or when the server shuts down.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentActor, SessionDep, SettingsDep, get_engine
from api.problems import problem_responses
from api.routes.notifications import ReaderLanguage, notification_out
from api.schemas.common import MAX_ID
from store.notifications import latest_notification_id, notifications_after

router = APIRouter(prefix="/me", tags=["notifications"])
BATCH = 50
PING_SECONDS = 15


def _news(engine: Engine, *, member_id: int, after_id: int, lang: str) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = notifications_after(session, member_id=member_id, after_id=after_id, limit=BATCH)
        return [(row.id or 0, notification_out(row, lang).model_dump_json()) for row in rows]


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "`event: notification` messages; `id` is the notification id, `data` a notification "
            "as in GET /v1/me/notifications",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "event": {"type": "string", "enum": ["notification", "end"]},
                            "id": {"type": "string", "description": "the notification id (event notification)"},
                            "data": {"type": "string", "description": "JSON: a notification, or {reconnect: true}"},
                            "retry": {"type": "integer", "description": "milliseconds before reconnecting"},
                        },
                        "required": ["event", "data"],
                    }
                }
            },
        },
        **problem_responses(401, 403, 422),
    },
)
async def my_events(
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    lang: ReaderLanguage,
    engine: Engine = Depends(get_engine),  # noqa: B008
    last_event_id: int = Header(
        default=None, alias="Last-Event-ID", ge=0, le=MAX_ID, description="continue after this notification"
    ),
) -> EventSourceResponse:
    """Stream my new notifications as server-sent events

    For the signed-in member, for an app in the foreground: each new notification arrives as an `event:
    notification` message (its `id` is the notification id, `data` the notification as in `GET
    /v1/me/notifications`). Send `Last-Event-ID` when reconnecting to get what was missed. The stream ends after a
    while with `event: end`; reconnect after `retry` milliseconds. A moderator may call it for a member of an
    antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    member_id = actor.member_id
    start = (
        last_event_id
        if last_event_id is not None
        else await run_in_threadpool(latest_notification_id, session, member_id)
    )

    async def stream() -> AsyncIterator[ServerSentEvent]:
        after = start
        with anyio.move_on_after(settings.events_max_seconds):
            while not await request.is_disconnected():
                for notification_id, data in await run_in_threadpool(
                    _news, engine, member_id=member_id, after_id=after, lang=lang
                ):
                    yield ServerSentEvent(data=data, id=str(notification_id), event="notification")
                    after = notification_id
                await anyio.sleep(settings.events_poll_seconds)
        yield ServerSentEvent(data=json.dumps({"reconnect": True}), event="end", retry=1000)

    return EventSourceResponse(stream(), ping=PING_SECONDS)
