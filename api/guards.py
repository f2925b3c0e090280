"""Checks every /v1 request gets before any route sees it."""

from __future__ import annotations

from datetime import date

from fastapi import Request

from domain.errors import InvalidInput

# A JSON body spells NUL as \u0000 (or sends it raw, which is not JSON but may reach us).
_NUL_IN_BODY = (b"\\u0000", b"\x00")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


# The statistics' `from` and `to` dates: windows are widened to whole quarters and compared with years
# around them, which overflows Python's dates near year 1 or 9999. No data is older than the service.
DATE_PARAMETERS = ("from", "to")
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2199, 12, 31)


async def refuse_dates_out_of_range(request: Request) -> None:
    """Dates far outside the service's life are refused as invalid input (422), not left to overflow."""
    for name in DATE_PARAMETERS:
        value = request.query_params.get(name)
        if value is None:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            continue  # not a date at all: the route's own validation says so
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise InvalidInput(
                "error.date_out_of_range",
                field=f"query.{name}",
                earliest=EARLIEST_DATE.isoformat(),
                latest=LATEST_DATE.isoformat(),
            )


def declares_a_body(request: Request) -> bool:
    """Whether the request says it sends a body: a Content-Length above zero, or a chunked one. Without either
    HTTP/1.1 has no body (RFC 9112, 6.3), so there is none to check and none to wait for."""
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("", "0")


async def refuse_nul_characters(request: Request) -> None:
    """PostgreSQL text cannot hold NUL (the driver raises, a 500), and no name, title or slug needs one.

    Refused as invalid input (422) wherever it comes, on SQLite too, so both databases answer alike.
    """
    for where, items in (("query", request.query_params.multi_items()), ("path", request.path_params.items())):
        for name, value in items:
            if "\x00" in str(value):
                raise InvalidInput("error.nul_character", field=f"{where}.{name}")
    if not declares_a_body(request):
        return  # (a GET, most requests: nothing to read, and a client gone meanwhile is not an error)
    # FastAPI has read the body already (a form through request.form(), anything else through
    # request.body()); both are cached on the request, so asking again does not read the stream twice.
    if request.headers.get("content-type", "").startswith(_FORMS):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput("error.nul_character", field=f"body.{name}")
        return
    body = await request.body()
    if any(marker in body for marker in _NUL_IN_BODY):
        raise InvalidInput("error.nul_character", field="body")


async def v1_guards(request: Request) -> None:
    """Both checks as one dependency of every /v1 route: FastAPI's solving costs per dependency, not per check."""
    await refuse_nul_characters(request)
    await refuse_dates_out_of_range(request)
