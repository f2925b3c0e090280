"""api.guards: what every /v1 request is checked for before any route sees it."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.types import Message

from api.guards import declares_a_body, refuse_nul_characters
from domain.errors import InvalidInput
from tests.event_loops import run_to_end


def _request(method: str, headers: dict[str, str], messages: list[Message]) -> Request:
    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "method": method,
        "path": "/v1/me/ledger",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "path_params": {},
    }
    return Request(scope, receive)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, False),
        ({"Content-Length": "0"}, False),
        ({"Content-Length": "12"}, True),
        ({"Transfer-Encoding": "chunked"}, True),
    ],
)
def test_a_body_is_declared_by_its_length_or_by_chunks(headers: dict[str, str], expected: bool) -> None:
    assert declares_a_body(_request("POST", headers, [])) is expected


def test_a_request_without_a_body_is_not_read_so_a_client_gone_meanwhile_is_no_error() -> None:
    """wrk, a phone losing its signal: the client hangs up while its GET waits for a turn. Reading a body that
    was never announced would wait for the next message, the disconnect, and raise ClientDisconnect (logged as
    an unexpected error); the guard does not read it."""
    run_to_end(refuse_nul_characters(_request("GET", {}, [])))


def test_a_chunked_body_with_a_nul_is_still_refused() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"title": "a', "more_body": True},
        {"type": "http.request", "body": b'\\u0000"}', "more_body": False},
    ]
    request = _request("POST", {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}, messages)
    with pytest.raises(InvalidInput):
        run_to_end(refuse_nul_characters(request))
