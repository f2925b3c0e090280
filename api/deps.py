"""Typed dependencies: the session (one unit of work per request), who is calling, and what they may touch.

Authorisation lives here, once: routes ask for CurrentActor, ModeratedAntenna, AdminUser or AnalystUser
and never repeat the checks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Annotated, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Header, Path, Request, params
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.idempotency import Idempotency, IdempotencyDep, KeyClaim
from api.middleware import give_back_turn
from api.schemas.common import MAX_ID
from buurtbank.db import ends_without_io, read_first, reads_on_the_loop
from buurtbank.i18n import negotiate
from buurtbank.settings import Settings
from domain import geo
from domain.audit import AuditAction
from domain.errors import NotAllowed, NotFound, Unauthenticated
from services.actors import Actor
from services.sessions import caller, caller_claiming
from services.tokens import read_token
from store import audit
from store.antennas import Antenna, get_antenna_by_slug, is_moderator, moderated_antenna_ids
from store.members import Member, get_member
from store.memberships import approved_antenna_ids

P = ParamSpec("P")
R = TypeVar("R")

_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


# Dependencies that only read the app's state are `async def`: FastAPI runs a plain `def` dependency in a
# worker thread, and the hand-over to a thread and back costs more than what these do.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # app.state is untyped: create_app stores these
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_geocoder(request: Request) -> geo.Geocoder:
    geocoder: geo.Geocoder = request.app.state.geocoder
    return geocoder


# Requests that only read: on SQLite they take no write lock (buurtbank.db.READ_FIRST).
_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _request_session(request: Request, engine: Engine | None = None) -> Session:
    """The request's session, on the app's engine (or `engine`): a GET's starts with READ_FIRST."""
    bound: Engine = engine or request.app.state.engine  # read here, not through get_engine: one dependency less
    return Session(read_first(bound) if request.method in _READING_METHODS else bound, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back if anything raised.

    A GET starts without SQLite's write lock (and takes it only if it writes after all); every other
    method takes it at its first statement, so credit-moving and state-changing calls stay serialised.

    Made on the event loop: building a Session does no I/O (it takes a connection at its first query, in
    the thread that runs the route). Only a commit or rollback that may wait on the database is handed to
    a worker thread, shielded from cancellation and outside the thread limit (like FastAPI's own exit of a
    `def` dependency: a request holding a connection must never wait for a thread behind requests that
    wait for its connection).
    """
    session = _request_session(request)
    try:
        yield session
        # A session that read outside a transaction (or not at all) and has nothing to flush has nothing to
        # commit: close() below ends it, without the commit's own machinery (most of what ending a page
        # read cost on the event loop, py-spy).
        if not ends_without_io(session):
            give_back_turn(request.scope)  # the commit waits on the database: the next request may run
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.commit, limiter=CapacityLimiter(1))
    except BaseException:
        if ends_without_io(session):
            session.rollback()
        else:
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.rollback, limiter=CapacityLimiter(1))
        raise
    finally:
        session.close()  # hands the connection back to the pool (a read's autocommit connection as it was)


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit before the response is sent, so a failing commit becomes an error answer.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
GeocoderDep = Annotated[geo.Geocoder, Depends(get_geocoder)]


async def language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


LanguageDep = Annotated[str, Depends(language)]


def authenticate(request: Request, session: Session, settings: Settings, token: str | None) -> Member:
    """The caller of this request, checked once per request (every dependency asking again gets the same).

    One query: the member the token names, joined to the session it names, live and not erased.
    """
    known: Member | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    member_id, session_id = _token_names(settings, token)
    return _signed_in_as(request, session_id, caller(session, session_id=session_id, member_id=member_id))


def _token_names(settings: Settings, token: str | None) -> tuple[int, int]:
    """The member and the session an access token names (signature and expiry checked)."""
    if not token:
        raise Unauthenticated()
    claims = read_token(token, secret=settings.resolved_secret_key())
    # Every access token names its session: a revoked or expired one signs nobody in.
    if claims.session_id is None:
        raise Unauthenticated("error.token_invalid")
    return claims.member_id, claims.session_id


def _signed_in_as(request: Request, session_id: int, member: Member | None) -> Member:
    """The member the check found, now the request's caller; nobody found: 401."""
    if member is None:
        raise Unauthenticated("error.token_invalid")
    request.state.auth_session_id = session_id
    request.state.caller = member
    return member


def signed_in(request: Request, session: SessionDep, token: Annotated[str | None, Depends(_bearer)]) -> Member:
    return authenticate(request, session, request.app.state.settings, token)


SignedIn = Annotated[Member, Depends(signed_in)]


def _route_template(request: Request) -> str:
    """The matched route as a template (/v1/exchanges/{exchange_id}/confirm), so the trail groups by action.

    The route in the scope knows only its own path, not the prefixes of the routers that include it: take
    those from the front of the real path.
    """
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    if not template:
        return request.url.path
    real = [part for part in request.url.path.split("/") if part]
    own = [part for part in template.split("/") if part]
    return "/" + "/".join(real[: len(real) - len(own)] + own)


# Typed `int` with a None default (not `int | None`): a header is absent or a number, and the schema must not
# advertise a nullable header, which clients would send as the text "null".
_ON_BEHALF_OF: int = Header(
    default=None,
    alias="On-Behalf-Of",
    description="a moderator acting for a member of an antenna they moderate (audited)",
    ge=1,
    le=MAX_ID,
)


async def _current_actor(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(_bearer)],
    on_behalf_of: int = _ON_BEHALF_OF,
) -> Actor:
    """CurrentActor: signs the caller in itself (the same check as SignedIn).

    The caller's one query is a read: for a GET on SQLite it runs right here on the event loop (it waits
    on nothing, and the hand-over to a worker thread and back cost as much as the query); anything that
    may wait (PostgreSQL, a write, acting for a member, which writes the audit row) runs in a worker thread.
    """
    if on_behalf_of is None and reads_on_the_loop(session):
        return _actor(request, session, token, None)
    return await run_in_threadpool(_actor, request, session, token, on_behalf_of)


def _actor(request: Request, session: Session, token: str | None, on_behalf_of: int | None) -> Actor:
    # The settings are read from the app, not through SettingsDep: each dependency FastAPI solves costs.
    person = authenticate(request, session, request.app.state.settings, token)
    return current_actor(request, session, person, on_behalf_of)


def current_actor(request: Request, session: Session, person: Member, on_behalf_of: int | None) -> Actor:
    """Who the call is for: the caller, or the member a moderator acts for (checked and audited here)."""
    if on_behalf_of is None or on_behalf_of == person.id:
        return Actor(member=person, acting=person)
    assert person.id is not None
    # Only an approved member of an antenna the caller moderates, and never an account with a role: a
    # pending applicant (who may be anybody, an admin included) or another moderator is not theirs to act for.
    shared = approved_antenna_ids(session, on_behalf_of) & moderated_antenna_ids(session, person.id)
    target = get_member(session, on_behalf_of) if shared else None
    if target is None or has_role(session, target):
        raise NotAllowed("error.on_behalf.not_allowed")
    route = f"{request.method} {_route_template(request)}"
    for antenna_id in sorted(shared):
        audit.record(
            session,
            actor_id=person.id,
            action=AuditAction.ACT_FOR_MEMBER,
            antenna_id=antenna_id,
            subject_member_id=on_behalf_of,
            on_behalf=True,
            detail={audit.ROUTE: route, "path": request.url.path, "params": dict(request.path_params)},
        )
    return Actor(member=target, acting=person, on_behalf_antenna_ids=frozenset(shared))


CurrentActor = Annotated[Actor, Depends(_current_actor)]


class _Caller:
    """What a request says about its caller (token, On-Behalf-Of), before anything is asked of the database:
    page_read and short_write sign the caller in with the route's session, where the route runs."""

    __slots__ = ("request", "_token", "on_behalf_of")

    def __init__(self, request: Request, token: str | None, on_behalf_of: int | None) -> None:
        self.request, self._token, self.on_behalf_of = request, token, on_behalf_of

    def actor(self, session: Session) -> Actor:
        return _actor(self.request, session, self._token, self.on_behalf_of)

    def actor_claiming(self, session: Session, idempotency: Idempotency) -> tuple[Actor, Idempotency]:
        """actor, and the request's Idempotency-Key claimed for the caller in the same query (one round trip
        less for every confirmation), when the caller acts for themself and sent a key; otherwise the key is
        left for the route's Idempotency.run to claim."""
        request = self.request
        if self.on_behalf_of is not None or idempotency.key is None or hasattr(request.state, "caller"):
            return self.actor(session), idempotency
        member_id, session_id = _token_names(request.app.state.settings, self._token)
        key, fingerprint = idempotency.key, idempotency.fingerprint
        member, claim_id = caller_claiming(
            session, session_id=session_id, member_id=member_id, key=key, fingerprint=fingerprint
        )
        person = _signed_in_as(request, session_id, member)
        claimed = KeyClaim(member_id=member_id, claim_id=claim_id)
        return current_actor(request, session, person, None), dataclasses.replace(idempotency, claimed=claimed)


async def _page_caller(
    request: Request,
    token: Annotated[str | None, Depends(_bearer)],
    on_behalf_of: int = _ON_BEHALF_OF,
) -> _Caller:
    """CurrentActor of a page_read or short_write route: the same parameters (so the same OpenAPI), checked
    where the route runs. A missing, forged or expired token is refused here already, before the request's
    body and query are validated, as CurrentActor refuses it (no database needed: only the session's
    liveness is left for where the route runs)."""
    if not token:
        raise Unauthenticated()
    read_token(token, secret=request.app.state.settings.resolved_secret_key())
    return _Caller(request, token, on_behalf_of)


_PageCaller = Annotated[_Caller, Depends(_page_caller)]


# Threads of the page reads that cannot run on the event loop. As many as the request bound lets run at once
# (api.middleware: the pool's connections less a few); made when first needed.
_PAGE_THREADS = 40


@functools.cache
def _page_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_PAGE_THREADS, thread_name_prefix="buurtbank-page-read")


async def _in_a_page_thread(run: Callable[[], R]) -> R:
    """`run()` in a worker thread, with the request's context variables, and awaited to its end.

    The event loop's own executor hand-over, not anyio's (starlette's run_in_threadpool): that one first
    yields to the loop once and goes through a capacity limiter and a cancel scope, which took half again
    the CPU of the hand-over and twice its time. Shielded as anyio's is: the route uses the request's
    session, which must not be closed while it still runs.
    """
    future = asyncio.get_running_loop().run_in_executor(_page_threads(), copy_context().run, run)
    with CancelScope(shield=True):
        answer = await future
    return answer


_REQUEST = "page_read_request"  # the Request parameter page_read and short_write add in place of SessionDep


def page_read(route: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """For a GET route that reads one bounded page (at most a few hundred rows) through its `session`.

    FastAPI runs a plain `def` route in a worker thread, and a plain `def` dependency in another one: the
    hand-over to a thread and back costs about as much as a small query, and more when other threads want
    the GIL meanwhile. So this wrapper runs the route together with what it depends on in the database, in
    one place: the caller's check (each CurrentActor parameter) and the request's unit of work (a SessionDep
    `session`: made, used, committed if it wrote, closed). On SQLite such a read waits on nothing (no lock,
    no network) and takes about a millisecond, and one request runs at a time (api.middleware), so it all
    runs right on the event loop. On PostgreSQL it runs on the event loop too, in a greenlet, its session on
    the event loop's engine (buurtbank.db.loop_engine: psycopg's asyncio connections), so each wait on the
    server lets the loop serve other requests: no hand-over to a worker thread, and no worker threads
    taking the GIL from the loop. Acting on behalf on SQLite (which writes the audit row, and may wait for
    the lock) runs in one worker thread: one hand-over instead of two, and no generator dependency for
    FastAPI to enter and leave around the route. Only for routes that never write (a write would take
    SQLite's lock on the event loop, and may wait for it) and never take long (statistics, exports, whole
    statements would hold up the event loop).

    FastAPI sees the route's own signature with each CurrentActor parameter solved as a _Caller (the same
    token and header parameters, so the OpenAPI document does not change) and the SessionDep parameter
    replaced by the Request, from which the session is made as get_session makes it. A `session` that is
    another dependency (a test's) is used as given.
    """
    return _with_caller_and_session(route, on_the_loop_when_it_can=True)


def short_write(route: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """For a route whose work is one short transaction through its `session` (a confirmation, a dispute):
    as page_read, the caller's check, the route and the request's unit of work in one place: on PostgreSQL
    on the event loop in a greenlet (as page_read: its row locks, statements and commit awaited), on SQLite
    always in one worker thread (a write may wait on its lock): one hand-over instead of three (FastAPI's
    for the CurrentActor dependency and for the route, get_session's for the commit), and no generator
    dependency for FastAPI to enter and leave. The session is made as get_session makes it, committed when
    the route returns (rolled back if anything raised) and closed, all in the same place; as the commit
    starts the request's turn is given back (api.middleware). The route needs a
    CurrentActor and a `session`, and no other parameter may depend on SessionDep (it would be solved with
    a session of its own): the Idempotency-Key's claim runs in the route's `session` (Idempotency.run).
    """
    return _with_caller_and_session(route, on_the_loop_when_it_can=False)


def _solved_with_a_session(parameter: inspect.Parameter) -> bool:
    """Whether FastAPI solves this parameter with SessionDep, itself or anywhere down its dependencies."""
    if parameter.annotation == SessionDep:
        return True
    markers = [*getattr(parameter.annotation, "__metadata__", ()), parameter.default]
    return any(
        _solved_with_a_session(inner)
        for marker in markers
        if isinstance(marker, params.Depends) and marker.dependency is not None
        for inner in inspect.signature(marker.dependency, eval_str=True).parameters.values()
    )


def _owns_its_session(name: str, signature: inspect.Signature, callers: list[str]) -> bool:
    """Whether the wrapper makes the route's `session` (a SessionDep) itself: then no other parameter may be
    solved with SessionDep (it would get a session of its own, outside the route's transaction). A `session`
    that is another dependency (a test's) is used as given."""
    if signature.parameters["session"].annotation != SessionDep:
        return False
    others = [
        other
        for other, parameter in signature.parameters.items()
        if other != "session" and other not in callers and _solved_with_a_session(parameter)
    ]
    if others:
        raise TypeError(f"{name}: {', '.join(others)} would get a session other than the route's")
    return True


def _with_caller_and_session(route: Callable[P, R], *, on_the_loop_when_it_can: bool) -> Callable[P, Awaitable[R]]:
    """page_read's and short_write's wrapper (see page_read for what FastAPI sees)."""
    signature = inspect.signature(route, eval_str=True)
    callers = [name for name, parameter in signature.parameters.items() if parameter.annotation == CurrentActor]
    owns_session = _owns_its_session(route.__name__, signature, callers)
    keys = [name for name, parameter in signature.parameters.items() if parameter.annotation == IdempotencyDep]
    # A short write with one caller and one Idempotency-Key claims the key with the caller's check.
    claiming = (callers[0], keys[0]) if not on_the_loop_when_it_can and len(callers) == 1 and len(keys) == 1 else None
    if not on_the_loop_when_it_can and not (callers and owns_session):
        raise TypeError(f"{route.__name__}: short_write needs a CurrentActor and a `session: SessionDep`")
    parameters = [
        parameter.replace(annotation=_PageCaller) if name in callers else parameter
        for name, parameter in signature.parameters.items()
        if not (owns_session and name == "session")
    ]
    if owns_session:
        parameters.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))

    @functools.wraps(route)
    async def with_its_caller_and_session(*args: P.args, **kwargs: P.kwargs) -> R:
        pending: dict[str, _Caller] = {name: kwargs[name] for name in callers}  # type: ignore[misc]  # solved as _Caller (the signature below)
        request: Request | None = kwargs.pop(_REQUEST, None) if owns_session else None  # type: ignore[assignment]  # FastAPI passes the Request
        may_stay = on_the_loop_when_it_can and all(caller_of.on_behalf_of is None for caller_of in pending.values())
        # PostgreSQL: the route runs on the event loop in a greenlet, its waits on the server awaited
        on_the_loop: Engine | None = getattr(request.app.state, "loop_engine", None) if request else None
        made: object = _request_session(request, on_the_loop) if request is not None else kwargs["session"]
        assert isinstance(made, Session), "a page_read or short_write route works through its `session`"
        session = made
        kwargs["session"] = session

        def run() -> R:
            return _with_its_caller(route, session, pending, claiming, args, kwargs)

        if on_the_loop is not None and request is not None:
            unit = functools.partial(_as_unit_of_work, run, session, request, asyncio.get_running_loop())
            with CancelScope(shield=True):  # as a worker thread's: the session is not left half-used
                answer: R = await greenlet_spawn(unit)
            return answer
        if may_stay and reads_on_the_loop(session):
            try:
                answer = run()
            except BaseException:
                if request is not None:
                    await _end(session, request, commit=False)
                raise
            if request is not None:
                await _end(session, request, commit=True)
            return answer
        if request is None:  # page_read with a session that is another dependency (a test's): its owner ends it
            return await _in_a_page_thread(run)
        loop = asyncio.get_running_loop()
        return await _in_a_page_thread(functools.partial(_as_unit_of_work, run, session, request, loop))

    with_its_caller_and_session.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]  # read by inspect.signature (FastAPI)
    return with_its_caller_and_session


def _with_its_caller(
    route: Callable[P, R],
    session: Session,
    pending: dict[str, _Caller],
    claiming: tuple[str, str] | None,
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> R:
    """The route, its CurrentActor parameters signed in first with `session` (and, when `claiming` names the
    caller and the Idempotency parameter, the key claimed in the same query)."""
    if claiming is None:
        for name, caller_of in pending.items():
            kwargs[name] = caller_of.actor(session)
        return route(*args, **kwargs)  # type: ignore[arg-type]  # the route's own arguments, as FastAPI solved them
    name, key = claiming
    kwargs[name], kwargs[key] = pending[name].actor_claiming(session, kwargs[key])  # type: ignore[arg-type]  # solved as Idempotency
    answer = route(*args, **kwargs)  # type: ignore[arg-type]  # as above
    claimed = kwargs[key].claimed  # type: ignore[attr-defined]  # an Idempotency (above)
    if claimed is not None and not claimed.used:  # the route's mistake: fail, and the claim rolls back
        raise RuntimeError(f"{route.__name__} did not run its Idempotency-Key's claim")
    return answer


def _as_unit_of_work(run: Callable[[], R], session: Session, request: Request, loop: asyncio.AbstractEventLoop) -> R:
    """get_session's unit of work, where the route runs (a worker thread, or a greenlet on the event loop): committed
    when the route returns, if it wrote, rolled back if anything raised, closed either way. The commit waits
    on the database: the next request may run meanwhile (the turn is the event loop's, given back there)."""
    try:
        answer = run()
        if not ends_without_io(session):
            loop.call_soon_threadsafe(give_back_turn, request.scope)
            session.commit()
        return answer
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def _end(session: Session, request: Request, *, commit: bool) -> None:
    """The end of a page read that ran on the event loop: as get_session ends a request's session."""
    try:
        if not ends_without_io(session):  # (a page read that wrote after all: not on the event loop)
            give_back_turn(request.scope)
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    session.commit if commit else session.rollback, limiter=CapacityLimiter(1)
                )
    finally:
        session.close()


def has_role(session: Session, member: Member) -> bool:
    """Admins, analysts and moderators act for themselves only."""
    assert member.id is not None
    return member.is_admin or member.is_analyst or bool(moderated_antenna_ids(session, member.id))


def antenna_by_slug(session: SessionDep, slug: Annotated[str, Path(max_length=60)]) -> Antenna:
    antenna = get_antenna_by_slug(session, slug)
    if antenna is None:
        raise NotFound("error.antenna.unknown")  # the same type as an unknown antenna in a body or query
    return antenna


AntennaDep = Annotated[Antenna, Depends(antenna_by_slug)]


def moderated_antenna(session: SessionDep, person: SignedIn, antenna: AntennaDep) -> Antenna:
    assert person.id is not None and antenna.id is not None
    if not is_moderator(session, member_id=person.id, antenna_id=antenna.id):
        raise NotAllowed("error.moderator_only")
    return antenna


ModeratedAntenna = Annotated[Antenna, Depends(moderated_antenna)]


def admin_user(person: SignedIn) -> Member:
    if not person.is_admin:
        raise NotAllowed("error.admin_only")
    return person


AdminUser = Annotated[Member, Depends(admin_user)]


def analyst_user(person: SignedIn) -> Member:
    if not person.is_analyst:
        raise NotAllowed("error.analyst_only")
    return person


AnalystUser = Annotated[Member, Depends(analyst_user)]


async def auth_session_id(request: Request, person: SignedIn) -> int | None:  # noqa: ARG001  # signs the caller in first
    """The session the caller's access token belongs to (kept open when they change their password)."""
    return getattr(request.state, "auth_session_id", None)


AuthSessionId = Annotated[int | None, Depends(auth_session_id)]


async def client_address(request: Request) -> str | None:
    """The caller's address, for throttling per client (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else None


ClientAddress = Annotated[str | None, Depends(client_address)]
