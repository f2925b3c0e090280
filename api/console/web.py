"""The console's plumbing: cookie session, CSRF, language, flash messages and rendering.

Who may do what is not decided here: the console asks api/deps.py (moderated_antenna, current_actor,
analyst_user) exactly as the API does, with the person taken from the cookie instead of a bearer token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep, analyst_user, moderated_antenna
from api.errors import _status_of
from api.idempotency import run_idempotent
from buurtbank.i18n import LANGUAGES, has_message, negotiate, translate
from buurtbank.settings import Environment, Settings
from domain.categories import CATEGORIES
from domain.errors import DomainError, NotAllowed, NotFound, Unauthenticated
from services.paging import Window
from store.antennas import Antenna, get_antenna_by_slug, list_antennas, moderated_antenna_ids
from store.console_sessions import ConsoleSession, find_live_session
from store.members import Member, get_member

SESSION_COOKIE = "bb_console"
ANON_CSRF_COOKIE = "bb_csrf"
LANGUAGE_COOKIE = "bb_lang"
FLASH_COOKIE = "bb_flash"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class SignInNeeded(Exception):
    """No live console session: the browser is sent to the sign-in page."""


def _secure(settings: Settings) -> bool:
    # Cookies only over HTTPS in production; development and the tests run on plain http://127.0.0.1.
    return settings.environment is Environment.PRODUCTION


def set_cookie(response: Response, settings: Settings, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
    )


@dataclass
class Visit:
    """One console request: who is signed in (if anyone), in which language, and the CSRF token to embed."""

    request: Request
    settings: Settings
    lang: str
    person: Member | None
    console_session: ConsoleSession | None
    csrf: str
    new_anonymous_csrf: bool = False
    flash: dict[str, Any] | None = None
    clear_flash: bool = False
    extra_cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    def t(self, key: str, /, **params: Any) -> str:
        return translate(key, self.lang, **params)

    @property
    def member(self) -> Member:
        if self.person is None:
            raise SignInNeeded()
        return self.person


def _sign(settings: Settings, payload: bytes) -> str:
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, b"console-flash\0" + payload, hashlib.sha256).hexdigest()


def flash_cookie_value(settings: Settings, *, kind: str, key: str, params: dict[str, Any]) -> str:
    simple = {k: v for k, v in params.items() if isinstance(v, str | int | float)}
    payload = base64.urlsafe_b64encode(json.dumps({"kind": kind, "key": key, "params": simple}).encode())
    return payload.decode() + "." + _sign(settings, payload)


def _read_flash(settings: Settings, value: str | None) -> dict[str, Any] | None:
    if not value or "." not in value:
        return None
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(_sign(settings, payload.encode()), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def _language(request: Request, person: Member | None) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if person is not None and person.language in LANGUAGES:
        return person.language
    return negotiate(request.headers.get("accept-language"))


def visit(request: Request, session: SessionDep, settings: SettingsDep) -> Visit:
    # The wrapper in ConsoleRoute rolls this unit of work back when a page answers an error itself.
    request.state.console_db = session
    console_session = None
    person = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        console_session = find_live_session(session, token)
        if console_session is not None:
            person = get_member(session, console_session.member_id)
            if person is None:
                console_session = None
    if console_session is not None:
        csrf, new_anonymous = console_session.csrf_token, False
    else:
        existing = request.cookies.get(ANON_CSRF_COOKIE)
        csrf, new_anonymous = (existing, False) if existing else (secrets.token_urlsafe(32), True)
    current = Visit(
        request=request,
        settings=settings,
        lang=_language(request, person),
        person=person,
        console_session=console_session,
        csrf=csrf,
        new_anonymous_csrf=new_anonymous,
    )
    flash = _read_flash(settings, request.cookies.get(FLASH_COOKIE))
    if flash is not None or FLASH_COOKIE in request.cookies:
        current.flash, current.clear_flash = flash, True
    return current


VisitDep = Annotated[Visit, Depends(visit)]


async def _csrf_field(request: Request) -> str:
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def form_fingerprint(request: Request) -> str:
    """What an idempotent console form said (its fields, not the CSRF token), to tell a resend from a reuse."""
    form = await request.form()
    digest = hashlib.sha256(f"{request.method} {request.url.path}".encode())
    for name, value in sorted((k, str(v)) for k, v in form.multi_items() if k != CSRF_FIELD):
        digest.update(b"\0" + name.encode() + b"=" + value.encode())
    return digest.hexdigest()


FormFingerprint = Annotated[str, Depends(form_fingerprint)]
# The hidden field an idempotent form carries: a fresh key each time the page is drawn.
KeyField = Annotated[str, Form(min_length=1, max_length=100)]


def once(
    session: Session,
    *,
    member_id: int,
    key: str,
    fingerprint: str,
    status_code: int,
    action: Callable[[], BaseModel],
) -> None:
    """A form sent twice (a double click, a reload) has its effect once: the API's Idempotency-Key machinery,
    with the form's keys kept apart from the API's."""
    run_idempotent(
        session, member_id=member_id, key=f"console:{key}", fingerprint=fingerprint, status_code=status_code,
        action=action,
    )  # fmt: skip


def checked_visit(current: VisitDep, sent: Annotated[str, Depends(_csrf_field)]) -> Visit:
    """Every console form posts its CSRF token back; a missing or wrong one changes nothing."""
    if current.new_anonymous_csrf or not sent or not hmac.compare_digest(sent, current.csrf):
        raise NotAllowed("error.console.csrf")
    return current


CheckedVisit = Annotated[Visit, Depends(checked_visit)]


def staff(current: VisitDep) -> Visit:
    current.member  # noqa: B018  (raises SignInNeeded without a live session)
    return current


StaffVisit = Annotated[Visit, Depends(staff)]


def staff_post(current: CheckedVisit) -> Visit:
    current.member  # noqa: B018
    return current


StaffPost = Annotated[Visit, Depends(staff_post)]


def console_antenna(current: StaffVisit, session: SessionDep, slug: str) -> Antenna:
    """The API's rule (api.deps.moderated_antenna), with the person from the console's cookie."""
    antenna = get_antenna_by_slug(session, slug)
    if antenna is None:
        raise NotFound()
    return moderated_antenna(session, current.member, antenna)


ConsoleAntenna = Annotated[Antenna, Depends(console_antenna)]


def console_analyst(current: StaffVisit) -> Member:
    return analyst_user(current.member)


ConsoleAnalyst = Annotated[Member, Depends(console_analyst)]


def my_antennas(session: SessionDep, person: Member) -> list[Antenna]:
    assert person.id is not None
    mine = moderated_antenna_ids(session, person.id)
    return [a for a in list_antennas(session) if a.id in mine]


def antenna_name(antenna: Antenna, lang: str) -> str:
    config = antenna.declaration()
    return config.name_fr if lang == "fr" else config.name_nl


def category_label(key: str, lang: str) -> str:
    for category in CATEGORIES:
        if category.key == key:
            return str(getattr(category, lang, None) or category.en)
    return key


def minutes_text(minutes: int | None) -> str:
    """120 -> "2 h", 90 -> "1 h 30 min", -45 -> "-45 min": staff think in hours and quarters."""
    if minutes is None:
        return "–"
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{rest} min"


BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True, slots=True)
class Pager:
    """The links under a list that is cut: `label` names the list (a message key) for screen readers."""

    label: str
    next_url: str | None
    prev_url: str | None
    # Newest-first lists go on to older rows; others say "later" or just "next".
    next_key: str = "console.paging.next"
    prev_key: str = "console.paging.previous"


def keyset_pager(
    label: str,
    here: str,
    *,
    first_id: int | None,
    last_id: int | None,
    older: bool,
    newer: bool,
    anchor: str = "",
    prefix: str = "",
) -> Pager:
    """Links for a newest-first keyset page (services.paging.window): older below the last, newer above the first."""
    tail = f"#{anchor}" if anchor else ""
    join = "&" if "?" in here else "?"
    return Pager(
        label=label,
        next_url=f"{here}{join}{prefix}before={last_id}{tail}" if older and last_id is not None else None,
        prev_url=f"{here}{join}{prefix}after={first_id}{tail}" if newer and first_id is not None else None,
    )


def window_pager(label: str, here: str, page: Window[Any], *, anchor: str = "", prefix: str = "") -> Pager:
    """keyset_pager for a page of rows with ids, as services.paging.window returns it."""
    return keyset_pager(
        label,
        here,
        first_id=page.rows[0].id if page.rows else None,
        last_id=page.rows[-1].id if page.rows else None,
        older=page.older,
        newer=page.newer,
        anchor=anchor,
        prefix=prefix,
    )


def queue_pager(label: str, here: str, *, first_id: int | None, last_id: int | None, older: bool, newer: bool) -> Pager:
    """Links for an oldest-first queue (services.paging.oldest_first): later rows after the last, earlier before
    the first."""
    return Pager(
        label=label,
        next_url=f"{here}?after={last_id}" if newer and last_id is not None else None,
        prev_url=f"{here}?before={first_id}" if older and first_id is not None else None,
        next_key="console.paging.later",
        prev_key="console.paging.earlier",
    )


def local_time(moment: datetime) -> str:
    """A moment as staff and neighbours read it: Brussels time."""
    return moment.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M")


def render(current: Visit, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = current.lang
    response = templates.TemplateResponse(
        current.request,
        template,
        {
            "t": current.t,
            "lang": lang,
            "languages": LANGUAGES,
            "person": current.person,
            "csrf": current.csrf,
            "csrf_field": CSRF_FIELD,
            "csrf_input": Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, current.csrf),
            "new_key": lambda: uuid.uuid4().hex,
            "flash": current.flash,
            "minutes": minutes_text,
            "local_time": local_time,
            "category": lambda key: category_label(key, lang),
            "antenna_name": lambda a: antenna_name(a, lang),
            "path": current.request.url.path,
            **context,
        },
        status_code=status_code,
    )
    finish(current, response)
    return response


def finish(current: Visit, response: Response) -> None:
    """Cookies every console answer may need: a fresh anonymous CSRF token, a shown flash cleared."""
    if current.new_anonymous_csrf and current.console_session is None:
        set_cookie(response, current.settings, ANON_CSRF_COOKIE, current.csrf, max_age=60 * 60 * 12)
    if current.clear_flash:
        response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH)
    for name, value, max_age in current.extra_cookies:
        set_cookie(response, current.settings, name, value, max_age=max_age)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"


def safe_back(request: Request, fallback: str = "/console") -> str:
    """Where to go after a form: the page it came from, if that page is one of ours."""
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if parts.netloc == request.url.netloc and parts.path.startswith("/console"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return fallback


def redirect(current: Visit, to: str, *, ok: str | None = None, error: str | None = None, **params: Any) -> Response:
    """303 to a page (after a form), with a message for it to show once."""
    response = RedirectResponse(to, status_code=303)
    message = ("ok", ok) if ok is not None else ("error", error) if error is not None else None
    if message is not None:
        value = flash_cookie_value(current.settings, kind=message[0], key=message[1], params=params)
        current.extra_cookies.append((FLASH_COOKIE, value, 120))
    # A message not shown yet (or the new one) is for the page this redirect leads to.
    current.clear_flash = False
    finish(current, response)
    return response


def _error_detail(exc: DomainError, lang: str) -> str:
    detail_key = exc.message_key if exc.message_key != type(exc).default_key else f"{exc.message_key}.detail"
    if has_message(detail_key, "en"):
        return translate(detail_key, lang, **exc.params)
    return translate(type(exc).default_key, lang)


def error_answer(request: Request, exc: Exception) -> Response:
    """A refused console action: back to the form's page with the reason shown; a refused page: an error page."""
    db = getattr(request.state, "console_db", None)
    if db is not None:
        db.rollback()  # nothing of a refused action is kept
    settings: Settings = request.app.state.settings
    lang = _language(request, None)
    if isinstance(exc, RequestValidationError):
        fields = ", ".join(str(e.get("loc", ("", ""))[-1]) for e in exc.errors())
        key, params, status = "console.error.form", {"fields": fields}, 422
        text = translate(key, lang, **params)
    else:
        assert isinstance(exc, DomainError)
        if isinstance(exc, Unauthenticated):
            return RedirectResponse("/console/sign-in", status_code=303)
        status = _status_of(exc)  # the API's own table decides the kind of error
        text = _error_detail(exc, lang)
    if request.method == "POST":
        response: Response = RedirectResponse(safe_back(request), status_code=303)
        set_cookie(
            response,
            settings,
            FLASH_COOKIE,
            flash_cookie_value(settings, kind="error", key="console.error.text", params={"text": text}),
            max_age=120,
        )
        return response
    page = templates.TemplateResponse(
        request,
        "problem.html",
        {
            "t": lambda key, **p: translate(key, lang, **p),
            "lang": lang,
            "languages": LANGUAGES,
            "person": None,
            "csrf": "",
            "csrf_field": CSRF_FIELD,
            "csrf_input": "",
            "flash": None,
            "text": text,
            "status": status,
            "path": request.url.path,
        },
        status_code=status,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


class ConsoleRoute(APIRoute):
    """Console routes answer HTML: refused actions and bad forms become a message on the page, never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except SignInNeeded:
                return RedirectResponse("/console/sign-in", status_code=303)
            except (DomainError, RequestValidationError) as exc:
                return error_answer(request, exc)

        return handler


def session_lifetime(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.access_token_minutes)


def new_token() -> str:
    return secrets.token_urlsafe(32)
