"""Members' push devices and quiet hours."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.deps import CurrentActor, SessionDep
from api.problems import problem_responses
from api.schemas.common import MAX_ID
from api.schemas.neighbours import DeviceIn, DeviceOut, QuietHoursIn, QuietHoursOut
from services import push as service
from store.push import Device, Platform, devices_of

router = APIRouter(prefix="/me", tags=["notifications"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(id=device.id or 0, platform=device.platform.value, created_at=device.created_at)


@router.post(
    "/devices",
    status_code=status.HTTP_201_CREATED,
    response_model=DeviceOut,
    responses=problem_responses(401, 403, 422),
)
def register_device(body: DeviceIn, actor: CurrentActor, session: SessionDep) -> DeviceOut:
    """Register a device for push notifications

    For the signed-in member: an Expo push token or a Web Push subscription (`platform`, `token`). New notifications
    are pushed to it outside the member's quiet hours. Registering a known token again moves it to this member. A
    moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 422: invalid input: the token is not one of the platform's
    """
    return device_out(service.register_device(session, actor, platform=Platform(body.platform), token=body.token))


@router.get("/devices", response_model=list[DeviceOut], responses=problem_responses(401, 403, 422))
def my_devices(actor: CurrentActor, session: SessionDep) -> list[DeviceOut]:
    """List my push devices

    For the signed-in member: each registered device with its platform and when it was registered (never the token).
    A moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>`
    (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    return [device_out(d) for d in devices_of(session, actor.member_id)]


@router.delete(
    "/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
)
def remove_device(device_id: IdPath, actor: CurrentActor, session: SessionDep) -> Response:
    """Stop pushing to one of my devices

    For the signed-in member; answers 204 and forgets the token. A moderator may call it for a member of an antenna
    they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 404: you have no device with this id
    """
    service.remove_device(session, actor, device_id=device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def quiet_out(quiet: service.Quiet) -> QuietHoursOut:
    return QuietHoursOut(start=quiet.start.strftime("%H:%M"), end=quiet.end.strftime("%H:%M"), timezone=quiet.timezone)


@router.get(
    "/quiet-hours",
    response_model=QuietHoursOut,
    responses=problem_responses(401, 403, 422),
)
def my_quiet_hours(actor: CurrentActor, session: SessionDep) -> QuietHoursOut:
    """Read my quiet hours, when nothing is pushed

    For the signed-in member: local start and end times and the time zone (22:00-08:00 Brussels time unless the
    member set others). Notifications still arrive in the list; they are only not pushed. A moderator may call it
    for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    return quiet_out(service.quiet_hours(session, actor))


@router.put(
    "/quiet-hours",
    response_model=QuietHoursOut,
    responses=problem_responses(401, 403, 422),
)
def set_quiet_hours(body: QuietHoursIn, actor: CurrentActor, session: SessionDep) -> QuietHoursOut:
    """Set my quiet hours

    For the signed-in member: `start` and `end` as local times (`end` may be the next morning; equal times mean
    none) and an IANA `timezone`. Answers the quiet hours. A moderator may call it for a member of an antenna they
    moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 422: invalid input: a time that is not HH:MM, or an unknown time zone
    """
    quiet = service.set_quiet_hours(
        session, actor, start=time.fromisoformat(body.start), end=time.fromisoformat(body.end), timezone=body.timezone
    )
    return quiet_out(quiet)
