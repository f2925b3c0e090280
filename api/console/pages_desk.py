"""The desk: enrol a person without e-mail, print their welcome card, give a member a reset code (services.desk)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path
from fastapi.responses import Response

from api.console.web import ConsoleAntenna, ConsoleRoute, StaffPost, StaffVisit, render
from api.deps import SessionDep
from api.schemas.common import MAX_ID
from services import desk

router = APIRouter(route_class=ConsoleRoute)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/antennas/{slug}/enrol")
def enrol_form(current: StaffVisit, antenna: ConsoleAntenna) -> Response:
    return render(current, "enrol.html", antenna=antenna)


@router.post("/antennas/{slug}/enrol")
def enrol(
    current: StaffPost,
    antenna: ConsoleAntenna,
    session: SessionDep,
    display_name: Annotated[str, Form(min_length=1, max_length=80)],
    language: Annotated[Literal["nl", "fr", "en"], Form()],
    phone: Annotated[str, Form(max_length=30)] = "",
    postcode: Annotated[str, Form(pattern=r"^(1\d{3})?$")] = "",
) -> Response:
    enrolled = desk.enrol(
        session,
        moderator=current.member,
        antenna=antenna,
        data=desk.Enrolment(
            display_name=display_name, language=language, phone=phone.strip() or None, postcode=postcode or None
        ),
        login_code_lifetime=timedelta(days=current.settings.login_code_days),
    )
    # Shown once, on this answer only (never in a cookie or a redirect): the person takes it home.
    return render(
        current,
        "enrolled.html",
        antenna=antenna,
        member=enrolled.member,
        member_number=enrolled.desk.member_number,
        login_code=enrolled.login_code,
        expires_at=enrolled.login_code_expires_at,
    )


@router.get("/antennas/{slug}/members/{member_id}/card")
def welcome_card(current: StaffVisit, antenna: ConsoleAntenna, session: SessionDep, member_id: IdPath) -> Response:
    card = desk.welcome_card(session, moderator=current.member, antenna=antenna, member_id=member_id)
    return render(current, "card.html", antenna=antenna, card=card, member_id=member_id)


@router.post("/antennas/{slug}/members/{member_id}/reset-code")
def reset_code(current: StaffPost, antenna: ConsoleAntenna, session: SessionDep, member_id: IdPath) -> Response:
    code, expires_at = desk.issue_reset_code(
        session,
        moderator=current.member,
        antenna=antenna,
        member_id=member_id,
        lifetime=timedelta(hours=current.settings.reset_code_hours),
    )
    return render(current, "reset_code.html", antenna=antenna, member_id=member_id, code=code, expires_at=expires_at)
