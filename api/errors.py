"""Maps domain exceptions and framework errors to problem+json, translated by Accept-Language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem
from buurtbank.i18n import has_message, negotiate, translate
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


def _status_of(exc: DomainError) -> int:
    return next(status for cls, status in STATUS_BY_ERROR if isinstance(exc, cls))


def _problem(
    request: Request,
    *,
    status: int,
    key: str,
    detail: str,
    title: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"urn:buurtbank:problem:{key.removeprefix('error.').replace('.', ':')}",
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
    title = translate(key, lang)
    detail = translate(f"{key}.detail", lang, **(params or {})) if has_message(f"{key}.detail", "en") else title
    return _problem(request, status=status, key=key, title=title, detail=detail, headers=headers)


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
    title = translate(type(exc).default_key, lang)
    detail_key = exc.message_key if exc.message_key != type(exc).default_key else f"{exc.message_key}.detail"
    detail = translate(detail_key, lang, **exc.params) if has_message(detail_key, "en") else title
    errors = None
    if isinstance(exc, InvalidInput) and exc.field:
        errors = [FieldError(field=exc.field, message=detail, type=exc.message_key)]
    # A refusal for too many attempts says when to come back (seconds), as RFC 9110 asks of a 429.
    retry_after = exc.params.get("retry_after") if isinstance(exc, TooManyAttempts) else None
    extra_headers = {"Retry-After": str(int(retry_after))} if isinstance(retry_after, int) else None
    return _problem(
        request,
        status=_status_of(exc),
        key=exc.message_key,
        title=title,
        detail=detail,
        errors=errors,
        headers=extra_headers,
    )


def _field_message(error: dict[str, Any], lang: str) -> str:
    key = f"validation.{error.get('type', '')}"
    if has_message(key, "en"):
        return translate(
            key, lang, **{k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
        )
    return str(error.get("msg", ""))


def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = _language(request)
    errors = [
        FieldError(
            field=".".join(str(part) for part in error.get("loc", ())),
            message=_field_message(error, lang),
            type=str(error.get("type", "invalid")),
        )
        for error in exc.errors()
    ]
    return _problem(
        request,
        status=422,
        key="error.validation",
        title=translate("error.validation", lang),
        detail=translate("error.validation.detail", lang),
        errors=errors,
    )


def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    lang = _language(request)
    if exc.status_code == 400:
        # FastAPI answers 400 for a body it cannot even decode (not UTF-8, broken form): for our clients
        # that is invalid input like any other, so 422 with the body named, as documented.
        return _problem(
            request,
            status=422,
            key="error.validation",
            title=translate("error.validation", lang),
            detail=translate("error.validation.detail", lang),
            errors=[FieldError(field="body", message=str(exc.detail), type="body_unreadable")],
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
    key = keys.get(exc.status_code, "error.http")
    title = translate(key, lang)
    return _problem(request, status=exc.status_code, key=key, title=title, detail=title, headers=headers)


def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    lang = _language(request)
    title = translate("error.internal", lang)
    return _problem(request, status=500, key="error.internal", title=title, detail=title)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
