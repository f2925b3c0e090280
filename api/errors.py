"""Maps domain exceptions and framework errors to problem+json, translated by Accept-Language."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem
from buurtbank.i18n import has_message, localised_params, negotiate, translate
from domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)

log = logging.getLogger("buurtbank.api")

# The whole mapping: a domain exception's class decides its status. Order matters (subclasses first).
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (Unauthenticated, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (TooManyAttempts, 429),
    (DomainError, 400),
)


# The problem-type catalogue: every condition the API answers with, one type each, and its status (the
# status of the exception class that raises it). A condition is a message key without `error.` and
# without `.detail`: InvalidInput("error.minutes.step.detail") is the condition `minutes.step`, type
# urn:buurtbank:problem:minutes:step, title `problem.minutes.step` (buurtbank/locales/*/problems.po),
# detail the raised message. GET /v1/problems and the OpenAPI document list this table.
# A new condition needs a line here and a title in problems.po (tests/api/test_problem_catalogue.py).
PROBLEMS: dict[str, int] = {
    "domain": 400,
    "http": 400,
    "bad_credentials": 401,
    "refresh.invalid": 401,
    "refresh.reused": 401,
    "token_invalid": 401,
    "unauthenticated": 401,
    "admin_only": 403,
    "analyst_only": 403,
    "block.no_contact": 403,
    "console.csrf": 403,
    "listing.not_a_member": 403,
    "listing.not_yours": 403,
    "moderator_only": 403,
    "not_allowed": 403,
    "on_behalf.background": 403,
    "on_behalf.not_allowed": 403,
    "on_behalf.outside_antenna": 403,
    "password.not_on_behalf": 403,
    "proposal.not_initiator": 403,
    "reset.role_account": 403,
    "antenna.not_member": 404,
    "antenna.unknown": 404,
    "desk.not_enrolled": 404,
    "ledger.unknown_member": 404,
    "ledger.unknown_transfer": 404,
    "member.unknown_email": 404,
    "membership.none": 404,
    "not_found": 404,
    "reset.mail_unavailable": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "credit_limit": 409,
    "credit_limit.highest": 409,
    "credit_limit.lowest": 409,
    "credit_limit.pool_empty": 409,
    "desk.no_number": 409,
    "donation.exceeds_balance": 409,
    "email.needs_password": 409,
    "email_taken": 409,
    "exchange.cancel_after_confirmation": 409,
    "feedback.not_settled": 409,
    "invalid_transition": 409,
    "ledger.already_done": 409,
    "ledger.already_reversed": 409,
    "ledger.reversal_of_reversal": 409,
    "lifecycle.not_due": 409,
    "listing.not_editable": 409,
    "meeting.none": 409,
    "meeting.not_planned": 409,
    "meeting.own_proposal": 409,
    "meeting.passed": 409,
    "membership.already_decided": 409,
    "membership.exists": 409,
    "moderator.exists": 409,
    "proposal.already_accepted": 409,
    "proposal.duplicate": 409,
    "proposal.listing_closed": 409,
    "proposal.listing_withdrawn": 409,
    "report.closed": 409,
    "stats.budget_exhausted": 409,
    "body_too_large": 413,
    "background.age_band": 422,
    "background.circle": 422,
    "background.language": 422,
    "background.needs_consent": 422,
    "background.origin": 422,
    "block.self": 422,
    "cursor": 422,
    "date_out_of_range": 422,
    "device.token": 422,
    "idempotency.key_reused": 422,
    "invalid_input": 422,
    "ledger.adjustment_pool_to_pool": 422,
    "ledger.reference_required": 422,
    "ledger.same_account": 422,
    "ledger.wrong_accounts": 422,
    "listing.availability": 422,
    "listing.category": 422,
    "listing.needed_by_past": 422,
    "location.address_not_found": 422,
    "location.incomplete": 422,
    "location.outside_brussels": 422,
    "location.required": 422,
    "matching.duplicate_member": 422,
    "matching.unknown_age_band": 422,
    "matching.unknown_category": 422,
    "matching.unknown_language": 422,
    "matching.unknown_member": 422,
    "matching.unknown_origin": 422,
    "matching.unknown_slot": 422,
    "meeting.in_past": 422,
    "meeting.naive_time": 422,
    "meeting.no_partner_address": 422,
    "meeting.place_empty": 422,
    "meeting.too_far": 422,
    "message.empty": 422,
    "message.too_long": 422,
    "minutes.not_integer": 422,
    "minutes.not_positive": 422,
    "minutes.step": 422,
    "minutes.too_many": 422,
    "nul_character": 422,
    "password.blank": 422,
    "password.common": 422,
    "password.common_pin": 422,
    "password.current_wrong": 422,
    "password.pin_not_allowed": 422,
    "password.too_short": 422,
    "proposal.own_listing": 422,
    "quiet_hours.timezone": 422,
    "reason_required": 422,
    "report.listing_kind": 422,
    "report.self": 422,
    "reset.bad_code": 422,
    "stats.open_period": 422,
    "stats.range_reversed": 422,
    "stats.range_too_long": 422,
    "stats.unknown_dimension": 422,
    "stats.unknown_period": 422,
    "validation": 422,
    "too_many_attempts": 429,
    "too_many_logins": 429,
    "internal": 500,
    "service_busy": 503,
}
PROBLEM_URN = "urn:buurtbank:problem:"


@dataclass(frozen=True, slots=True)
class ProblemType:
    condition: str
    status: int

    @property
    def uri(self) -> str:
        return PROBLEM_URN + self.condition.replace(".", ":")

    def title(self, lang: str, *, fallback: str = "error.domain") -> str:
        key = f"problem.{self.condition}"
        return translate(key if has_message(key, "en") else fallback, lang)


def condition_of(message_key: str) -> str:
    return message_key.removeprefix("error.").removesuffix(".detail")


def problem_type(condition: str, status: int | None = None) -> ProblemType:
    """The catalogue's entry; a condition missing from it still gets its own type (and the class's title)."""
    return ProblemType(condition=condition, status=PROBLEMS.get(condition, status or 400))


def catalogue() -> list[ProblemType]:
    return [ProblemType(condition=condition, status=status) for condition, status in PROBLEMS.items()]


def _status_of(exc: DomainError) -> int:
    return next(status for cls, status in STATUS_BY_ERROR if isinstance(exc, cls))


_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def field_path(location: Sequence[str | int] | str) -> str:
    """One convention for FieldError.field: the name a client sent, dotted into the body (`location.postcode`,
    `availability.0`), a query, path or header parameter by its name (`near_km`, `Idempotency-Key`), and
    "" for the body as a whole. No `body.` prefix and no union internals (pydantic's `PostcodeIn`)."""
    parts = location.split(".") if isinstance(location, str) else list(location)
    if parts and parts[0] in _LOCATIONS:
        where, parts = parts[0], parts[1:]
        if where != "body" and parts:
            return str(parts[0])
    kept = [str(p) for p in parts if isinstance(p, int) or str(p).isdigit() or _FIELD_NAME.match(str(p))]
    return ".".join(kept)


def _problem(
    request: Request,
    *,
    status: int,
    kind: ProblemType,
    detail: str,
    title: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=kind.uri,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def problem_response(
    request: Request,
    *,
    status: int,
    key: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem answer for a condition that has no domain exception (a full queue, an oversized body).

    The title is the key's translation, the detail its `.detail` message filled with `params`.
    """
    lang = _language(request)
    kind = problem_type(condition_of(key), status)
    title = kind.title(lang, fallback=key)
    detail = translate(f"{key}.detail", lang, **(params or {})) if has_message(f"{key}.detail", "en") else title
    return _problem(request, status=status, kind=kind, title=title, detail=detail, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method some route accepts on this path (one path is often served by several routes, and
    the 405 the router raises names only the first one's)."""
    scope = {key: value for key, value in request.scope.items() if key in ("type", "path", "root_path", "app")}
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in request.app.router.routes)
    ]
    return ", ".join(allowed)


def _language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    lang = _language(request)
    status = _status_of(exc)
    kind = problem_type(condition_of(exc.message_key), status)
    title = kind.title(lang, fallback=type(exc).default_key)
    detail_key = exc.message_key if exc.message_key != type(exc).default_key else f"{exc.message_key}.detail"
    params = localised_params(exc.params, lang)
    detail = translate(detail_key, lang, **params) if has_message(detail_key, "en") else title
    errors = None
    if isinstance(exc, InvalidInput) and exc.field:
        errors = [FieldError(field=field_path(exc.field), message=detail, type=kind.condition)]
    # A refusal for too many attempts says when to come back (seconds), as RFC 9110 asks of a 429.
    retry_after = exc.params.get("retry_after") if isinstance(exc, TooManyAttempts) else None
    headers = {"Retry-After": str(int(retry_after))} if isinstance(retry_after, int) else None
    return _problem(request, status=status, kind=kind, title=title, detail=detail, errors=errors, headers=headers)


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _choices(expected: str, lang: str) -> str:
    """pydantic's "'nl', 'fr' or 'en'" with the "or" in the reader's language."""
    values = [f"'{value}'" for value in _QUOTED.findall(expected)]
    if len(values) < 2:
        return expected
    return translate("validation.choices", lang, first=", ".join(values[:-1]), last=values[-1])


def _field_message(error: dict[str, Any], lang: str) -> str:
    key = f"validation.{error.get('type', '')}"
    if not has_message(key, "en"):
        return translate("validation.invalid", lang)  # never pydantic's English text
    ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    if isinstance(ctx.get("expected"), str):
        ctx["expected"] = _choices(str(ctx["expected"]), lang)
    return translate(key, lang, **ctx)


def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = _language(request)
    errors = [
        FieldError(
            field=field_path(error.get("loc", ())),
            message=_field_message(error, lang),
            type=str(error.get("type", "invalid")),
        )
        for error in exc.errors()
    ]
    return _validation_problem(request, lang, errors)


def _validation_problem(request: Request, lang: str, errors: list[FieldError]) -> JSONResponse:
    kind = problem_type("validation")
    detail = translate("error.validation.detail", lang)
    return _problem(request, status=422, kind=kind, title=kind.title(lang), detail=detail, errors=errors)


def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    lang = _language(request)
    if exc.status_code == 400:
        # FastAPI answers 400 for a body it cannot even decode (not UTF-8, broken form): for our clients
        # that is invalid input like any other, so 422 with the body named, as documented.
        return _validation_problem(
            request,
            lang,
            [FieldError(field="", message=translate("validation.body_unreadable", lang), type="body_unreadable")],
        )
    if exc.status_code == 413:
        return problem_response(
            request,
            status=413,
            key="error.body_too_large",
            params={"limit": getattr(exc, "limit", "")},
            headers={"Connection": "close"},
        )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    keys = {
        404: "error.not_found",
        405: "error.method_not_allowed",
        401: "error.unauthenticated",
        403: "error.not_allowed",
    }
    kind = problem_type(condition_of(keys.get(exc.status_code, "error.http")), exc.status_code)
    title = kind.title(lang)
    return _problem(request, status=exc.status_code, kind=kind, title=title, detail=title, headers=headers)


def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    lang = _language(request)
    kind = problem_type("internal")
    title = kind.title(lang)
    return _problem(request, status=500, kind=kind, title=title, detail=title)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
