from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ClientAddress, SessionDep, SettingsDep, SignedIn, auth_session_id
from api.idempotency import IdempotencyDep, run_before_an_account
from api.problems import problem_responses
from api.routes.me import me_out
from api.schemas.accounts import RefreshIn, ResetIn, ResetMailIn
from api.schemas.members import MeOut, RegisterIn, TokenOut
from buurtbank.i18n import translate
from buurtbank.settings import Settings
from domain.errors import InvalidInput, NotFound, Unauthenticated
from services import accounts, desk, sessions, throttle
from services.mail import SmtpRelay, send_mail

router = APIRouter(prefix="/auth", tags=["auth"])
log = logging.getLogger("buurtbank.auth")


def _policy(settings: Settings) -> sessions.SessionPolicy:
    return sessions.SessionPolicy(
        secret=settings.resolved_secret_key(),
        access_lifetime=timedelta(minutes=settings.access_token_minutes),
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
    )


def _token_out(tokens: sessions.IssuedTokens, *, must_set_password: bool = False) -> TokenOut:
    return TokenOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        must_set_password=must_set_password,
    )


def _guess_limits(settings: Settings, *, purpose: str, username: str, client: str | None) -> list[throttle.Limit]:
    """Guesses are limited per login name (e-mail or member number) and per client address."""
    return [
        throttle.Limit(
            throttle.name_key(purpose, accounts.normalise_username(username)),
            settings.login_max_failures,
            timedelta(minutes=settings.login_window_minutes),
        ),
        throttle.Limit(
            throttle.client_key("guess", client),
            settings.client_max_failures,
            timedelta(minutes=settings.client_window_minutes),
        ),
    ]


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=MeOut,
    responses=problem_responses(409, 422, 429),
)
def register(
    body: RegisterIn, session: SessionDep, settings: SettingsDep, client: ClientAddress, idempotency: IdempotencyDep
) -> MeOut:
    """Create a member account with an e-mail address and a password

    Anyone may call it. Answers the new member's profile (as `GET /v1/me`); log in with `POST /v1/auth/token` next.
    Registrations are limited per client address. Send an `Idempotency-Key` so that a retry after a lost answer
    returns the first account instead of failing on the now-taken e-mail address.

    Errors:
    - 409: an account with this e-mail address exists already
    - 429: too many registrations from this client address for now (see `Retry-After`)
    """
    limit = throttle.Limit(
        throttle.client_key("register", client),
        settings.client_max_registrations,
        timedelta(minutes=settings.client_window_minutes),
    )
    throttle.count_attempt(session, [limit])
    session.commit()  # the count holds even if this registration fails

    def act() -> MeOut:
        member = accounts.register(
            session, email=body.email, password=body.password, display_name=body.display_name, language=body.language
        )
        return me_out(session, member)

    return run_before_an_account(  # type: ignore[no-any-return]
        session,
        key=idempotency.key,
        fingerprint=idempotency.fingerprint,
        secret=settings.resolved_secret_key(),
        status_code=201,
        action=act,
        owner=lambda answer: answer.id,  # type: ignore[attr-defined]
    )


class PasswordForm(OAuth2PasswordRequestForm):
    """OAuth2's password form, saying in the schema that both fields must be non-empty.

    FastAPI treats an empty form field as missing, so `password=` would be schema-valid and still refused.
    """

    def __init__(
        self,
        *,
        username: Annotated[
            str, Form(min_length=1, max_length=254, description="an e-mail address or a member number (MOL-0427)")
        ],
        password: Annotated[
            str,
            Form(
                min_length=1,
                max_length=128,
                json_schema_extra={"format": "password"},
                description="the password or PIN, or a member's one-time login code",
            ),
        ],
        grant_type: Annotated[str, Form(pattern="^password$")] = None,  # type: ignore[assignment]  # absent, not null
        scope: Annotated[str, Form()] = "",
    ) -> None:
        super().__init__(grant_type=grant_type, username=username, password=password, scope=scope)


@router.post("/token", response_model=TokenOut, responses=problem_responses(401, 422, 429))
def token(
    form: Annotated[PasswordForm, Depends()], session: SessionDep, settings: SettingsDep, client: ClientAddress
) -> TokenOut:
    """Log in with an e-mail address or member number and a password, PIN or login code

    The OAuth2 password flow: send a form (`application/x-www-form-urlencoded`) with `username` and `password`.
    Answers an access token (send it as `Authorization: Bearer ...`), its lifetime in seconds and a refresh token.
    `must_set_password` is true after a login with a one-time code: ask the member for a new password (`POST
    /v1/me/password`). Every guess counts against the name and the client address.

    Errors:
    - 401: the name and the password do not match an account
    - 429: too many failed guesses for this name or from this client (see `Retry-After`)
    """
    limits = _guess_limits(settings, purpose="login", username=form.username, client=client)
    throttle.count_attempt(session, limits)
    # Committed before the password is checked: concurrent guesses each see the others' counts.
    session.commit()
    outcome = accounts.authenticate(session, username=form.username, password=form.password)
    if outcome.member is None:
        raise Unauthenticated("error.bad_credentials")
    throttle.succeeded(session, name_keys=[limits[0].key], client_keys=[limits[1].key])
    tokens = sessions.open_session(session, outcome.member, policy=_policy(settings), via_code=outcome.via_code)
    return _token_out(tokens, must_set_password=outcome.via_code or outcome.member.password_hash is None)


@router.post("/refresh", response_model=TokenOut, responses=problem_responses(401, 422))
def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Exchange a refresh token for a new access token and refresh token

    Anyone holding a refresh token may call it (no access token needed). Each refresh token works once: the answer
    carries the next one. A refresh token used a second time ends its whole session, so a stolen copy stops working
    as soon as either side uses it.

    Errors:
    - 401: the refresh token is unknown, expired or was used already (its session is now ended)
    """
    outcome = sessions.refresh(session, body.refresh_token, policy=_policy(settings))
    if outcome.tokens is None:
        session.commit()  # the revocation of the whole session must hold although the answer is an error
        raise Unauthenticated("error.refresh.reused")
    return _token_out(outcome.tokens)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 422),
)
def logout(
    body: RefreshIn,
    person: SignedIn,
    session: SessionDep,
    session_id: Annotated[int | None, Depends(auth_session_id)],
) -> Response:
    """Log out: end the current session and its refresh token

    For the signed-in member; send the session's refresh token in the body. Answers 204; the access token and the
    refresh token stop working at once.

    Errors:
    - 401: not signed in, or the access token's session has ended already
    """
    assert person.id is not None
    sessions.logout(session, member_id=person.id, session_id=session_id, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(422, 429),
)
def reset(body: ResetIn, session: SessionDep, settings: SettingsDep, client: ClientAddress) -> Response:
    """Set a new password with a reset code

    Anyone may call it with an e-mail address or member number, a reset code (from the antenna's desk, or mailed by
    `POST /v1/auth/reset-code`) and the new password. Answers 204; every session of the account ends. Each attempt
    counts as a guess, as logins do.

    Errors:
    - 422: the code is wrong or expired, or the new password is refused (blank, too short or too common)
    - 429: too many wrong codes for this name or from this client (see `Retry-After`)
    """
    accounts.check_reset_input(body.username, body.new_password)  # refused input is not a guess
    limits = _guess_limits(settings, purpose="reset", username=body.username, client=client)
    throttle.count_attempt(session, limits)
    session.commit()
    member = accounts.reset_password(session, username=body.username, code=body.code, new_password=body.new_password)
    if member is None:
        raise InvalidInput("error.reset.bad_code", field="code")
    throttle.succeeded(session, name_keys=[limits[0].key], client_keys=[limits[1].key])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _relay(settings: Settings) -> SmtpRelay | None:
    if not settings.smtp_host:
        return None
    return SmtpRelay(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )


@router.post(
    "/reset-code",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={
        202: {"description": "if the address has an account, a reset code is on its way"},
        **problem_responses(404, 422, 429),
    },
)
def mail_reset_code(body: ResetMailIn, session: SessionDep, settings: SettingsDep, client: ClientAddress) -> Response:
    """Ask for a reset code by e-mail

    Anyone may call it, where the service has an SMTP relay. Answers 202 whether or not the address has an account,
    so the answer tells nobody who is a member; if it has one, a code valid for 24 hours is mailed to it. Use the
    code with `POST /v1/auth/reset`.

    Errors:
    - 404: this service has no mail relay: ask your antenna's desk for a reset code
    - 429: too many requests for this address or from this client (see `Retry-After`)
    """
    relay = _relay(settings)
    if relay is None:
        raise NotFound("error.reset.mail_unavailable")
    limits = _guess_limits(settings, purpose="mail", username=body.username, client=client)
    throttle.count_attempt(session, limits)
    session.commit()
    member = accounts.find_member(session, body.username)
    if member is None or member.email is None:
        return Response(status_code=status.HTTP_202_ACCEPTED)
    issued = desk.mail_reset_code(session, member=member, lifetime=timedelta(hours=settings.reset_code_hours))
    if issued is None:
        return Response(status_code=status.HTTP_202_ACCEPTED)
    code, expires_at = issued
    session.commit()  # the code exists before the mail that names it goes out
    lang = member.language
    try:
        send_mail(
            relay,
            to=member.email,
            subject=translate("mail.reset_code.subject", lang),
            body=translate(
                "mail.reset_code.body", lang, code=code, expires_at=expires_at.strftime("%Y-%m-%d %H:%M UTC")
            ),
        )
    except OSError:
        log.exception("reset-code mail to member %s could not be sent", member.id)
    return Response(status_code=status.HTTP_202_ACCEPTED)
