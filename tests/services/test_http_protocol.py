"""`buurtbank serve` turns Nagle's algorithm off on every connection, also with --workers N, where uvicorn
makes the listening socket itself and asyncio leaves Nagle on (40 ms per keep-alive request)."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from buurtbank.cli.serve import HTTP_PROTOCOL
from buurtbank.http_protocol import NoDelayHttpToolsProtocol
from tests.event_loops import run_to_end


async def _app(scope: object, receive: object, send: object) -> None:  # never called: no request is sent
    raise AssertionError


async def _nodelay_of_accepted(protocol_class: type[HttpToolsProtocol]) -> int:
    """TCP_NODELAY of a connection accepted on a listening socket made the way uvicorn makes it for workers."""
    config = Config(app=_app, log_level="warning")
    config.load()
    state = ServerState()
    made: list[HttpToolsProtocol] = []

    def factory() -> HttpToolsProtocol:
        made.append(protocol_class(config=config, server_state=state, app_state={}))
        return made[-1]

    listening = socket.socket(family=socket.AF_INET)  # proto 0, as uvicorn's Config.bind_socket
    listening.bind(("127.0.0.1", 0))
    server = await asyncio.get_running_loop().create_server(factory, sock=listening)
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if made and made[0].transport is not None:
                break
            await asyncio.sleep(0.01)
        accepted = made[0].transport.get_extra_info("socket")
        value = int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def test_uvicorns_own_protocol_leaves_nagle_on_for_a_socket_uvicorn_made() -> None:
    assert run_to_end(_nodelay_of_accepted(HttpToolsProtocol)) == 0  # the 40 ms this module mends


def test_ours_turns_it_off() -> None:
    assert run_to_end(_nodelay_of_accepted(NoDelayHttpToolsProtocol)) == 1


def test_serve_hands_uvicorn_ours() -> None:
    assert import_from_string(HTTP_PROTOCOL) is NoDelayHttpToolsProtocol
