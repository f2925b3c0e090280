"""The HTTP protocol `buurtbank serve` runs: uvicorn's httptools protocol (its C parser, with uvloop's
event loop: about a fifth less CPU per request than h11 on asyncio's, docs/performance.md) with
TCP_NODELAY on every connection.

asyncio turns Nagle's algorithm off only on sockets it made itself. With `--workers N`, uvicorn makes the
listening socket (with protocol number 0, which asyncio does not recognise as TCP) and the API processes
accept on it, so their connections kept Nagle on: an answer's body waited for the client's delayed ACK of
its headers, 40 ms on every request after the first of a keep-alive connection (bench/api.py --workers 2
answered ~170 requests/s whatever the route). With one process asyncio makes the socket and this changes
nothing.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: Any) -> None:  # an asyncio transport (uvicorn's own annotation)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
