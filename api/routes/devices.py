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
    summary="register a push token; new notifications are pushed to it outside my quiet hours",
)
def register_device(body: DeviceIn, actor: CurrentActor, session: SessionDep) -> DeviceOut:
    return device_out(service.register_device(session, actor, platform=Platform(body.platform), token=body.token))


@router.get(
    "/devices", response_model=list[DeviceOut], responses=problem_responses(401, 403, 422), summary="my devices"
)
def my_devices(actor: CurrentActor, session: SessionDep) -> list[DeviceOut]:
    return [device_out(d) for d in devices_of(session, actor.member_id)]


@router.delete(
    "/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
    summary="stop pushing to a device",
)
def remove_device(device_id: IdPath, actor: CurrentActor, session: SessionDep) -> Response:
    service.remove_device(session, actor, device_id=device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def quiet_out(quiet: service.Quiet) -> QuietHoursOut:
    return QuietHoursOut(start=quiet.start.strftime("%H:%M"), end=quiet.end.strftime("%H:%M"), timezone=quiet.timezone)


@router.get(
    "/quiet-hours",
    response_model=QuietHoursOut,
    responses=problem_responses(401, 403, 422),
    summary="when nothing is pushed to me (default 22:00-08:00, Brussels time)",
)
def my_quiet_hours(actor: CurrentActor, session: SessionDep) -> QuietHoursOut:
    return quiet_out(service.quiet_hours(session, actor))


@router.put(
    "/quiet-hours",
    response_model=QuietHoursOut,
    responses=problem_responses(401, 403, 422),
    summary="set my quiet hours",
)
def set_quiet_hours(body: QuietHoursIn, actor: CurrentActor, session: SessionDep) -> QuietHoursOut:
    quiet = service.set_quiet_hours(
        session, actor, start=time.fromisoformat(body.start), end=time.fromisoformat(body.end), timezone=body.timezone
    )
    return quiet_out(quiet)
