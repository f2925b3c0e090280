"""Signing in and out, choosing a language, and the start page."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import Response

from api.console.web import (
    ANON_CSRF_COOKIE,
    COOKIE_PATH,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CheckedVisit,
    ConsoleRoute,
    StaffPost,
    StaffVisit,
    VisitDep,
    my_antennas,
    new_token,
    redirect,
    render,
    safe_back,
    session_lifetime,
)
from api.deps import ClientAddress, SessionDep
from api.routes.auth import _guess_limits
from services import accounts, throttle
from services.console import todays_work
from store import console_sessions
from store.base import utcnow

router = APIRouter(route_class=ConsoleRoute)


@router.get("/sign-in")
def sign_in_page(current: VisitDep) -> Response:
    if current.person is not None:
        return redirect(current, "/console")
    return render(current, "sign_in.html")


@router.post("/sign-in")
def sign_in(
    current: CheckedVisit,
    session: SessionDep,
    client: ClientAddress,
    email: Annotated[str, Form(min_length=1, max_length=254)],
    password: Annotated[str, Form(min_length=1, max_length=128)],
) -> Response:
    settings = current.settings
    # The API's login and its throttle (api/routes/auth.py): the same limits per name and per client, counted
    # and committed before the password is checked; too many answer TooManyAttempts, shown on the page.
    limits = _guess_limits(settings, purpose="login", username=email, client=client)
    throttle.count_attempt(session, limits)
    session.commit()
    outcome = accounts.authenticate(session, username=email, password=password)
    if outcome.member is None:
        return redirect(current, "/console/sign-in", error="error.bad_credentials")
    member = outcome.member
    assert member.id is not None
    if not (member.is_admin or member.is_analyst or my_antennas(session, member)):
        return redirect(current, "/console/sign-in", error="console.signin.staff_only")
    throttle.succeeded(session, name_keys=[limits[0].key], client_keys=[limits[1].key])
    now = utcnow()
    console_sessions.end_expired_sessions(session, now=now)
    token = new_token()
    console_sessions.add_session(
        session,
        token=token,
        member_id=member.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + session_lifetime(settings),
    )
    current.new_anonymous_csrf = False
    current.extra_cookies.append((SESSION_COOKIE, token, int(session_lifetime(settings).total_seconds())))
    response = redirect(current, "/console", ok="console.signin.welcome", name=member.display_name)
    response.delete_cookie(ANON_CSRF_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/sign-out")
def sign_out(current: StaffPost, session: SessionDep) -> Response:
    token = current.request.cookies.get(SESSION_COOKIE)
    if token:
        console_sessions.end_session(session, token)
    current.console_session = None
    response = redirect(current, "/console/sign-in", ok="console.signout.done")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/language")
def choose_language(current: CheckedVisit, lang: Annotated[Literal["nl", "fr", "en"], Form()]) -> Response:
    current.extra_cookies.append((LANGUAGE_COOKIE, lang, 60 * 60 * 24 * 365))
    return redirect(current, safe_back(current.request))


@router.get("")
def home(current: StaffVisit, session: SessionDep) -> Response:
    now = utcnow()
    days = current.settings.console_waiting_days
    antennas = [
        (a, todays_work(session, antenna=a, now=now, waiting_days=days)) for a in my_antennas(session, current.member)
    ]
    if len(antennas) == 1 and not current.member.is_analyst:
        return redirect(current, f"/console/antennas/{antennas[0][0].slug}")
    return render(current, "home.html", antennas=antennas)
