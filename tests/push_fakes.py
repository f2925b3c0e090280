"""A local stand-in for the Expo push service: an HTTP server on 127.0.0.1 that answers /--/api/v2/push/send
the way Expo documents it, and records what it was sent. Tests point ExpoProvider's host at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeExpo:
    host: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    # Tokens Expo no longer knows (answered DeviceNotRegistered), and how many requests to fail with a 503.
    unregistered: set[str] = field(default_factory=set)
    fail_next: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, token: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.received if m["to"] == token]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()


def _handler(fake: FakeExpo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with fake.lock:
                fake.requests += 1
                failing = fake.fail_next > 0
                if failing:
                    fake.fail_next -= 1
            if self.path != "/--/api/v2/push/send":
                self._answer(404, {"errors": [{"code": "NOT_FOUND", "message": self.path}]})
                return
            if failing:
                self._answer(503, {"errors": [{"code": "UNAVAILABLE", "message": "try again later"}]})
                return
            messages = json.loads(body)
            tickets = []
            with fake.lock:
                for message in messages:
                    if message["to"] in fake.unregistered:
                        tickets.append(
                            {
                                "status": "error",
                                "message": f"{message['to']} is not a registered push notification recipient",
                                "details": {"error": "DeviceNotRegistered"},
                            }
                        )
                    else:
                        fake.received.append(message)
                        tickets.append({"status": "ok", "id": f"ticket-{len(fake.received)}"})
            self._answer(200, {"data": tickets})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def fake_expo() -> Iterator[FakeExpo]:
    fake = FakeExpo()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.host = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class FakeWebPush:
    """A push service endpoint as browsers' subscriptions name them: POST /push/<id>; ids in `gone` answer
    410 (the subscription expired), any other 201. Keeps each request's headers and encrypted body."""

    base: str = ""
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _webpush_handler(fake: FakeWebPush) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            subscription = self.path.removeprefix("/push/")
            gone = subscription in fake.gone
            if not gone:
                with fake.lock:
                    fake.received.append((subscription, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(410 if gone else 201)
            self.send_header("content-length", "0")
            self.end_headers()

    return Handler


@contextmanager
def fake_webpush() -> Iterator[FakeWebPush]:
    fake = FakeWebPush()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _webpush_handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}/push/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
