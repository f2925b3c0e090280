"""Reset codes by e-mail, through a local SMTP server (aiosmtpd on 127.0.0.1), never the network."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from buurtbank.settings import Settings
from tests.api.helpers import World
from tests.fakes import FakeGeocoder


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    handler = _Inbox()
    with socket.socket() as probe:  # a free port on the loopback (aiosmtpd cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mailing(db: Engine, settings: Settings, inbox: tuple[_Inbox, int]) -> Iterator[TestClient]:
    relay = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": inbox[1]})
    with TestClient(create_app(relay, engine=db, geocoder=FakeGeocoder()), raise_server_exceptions=False) as c:
        yield c


def test_a_member_gets_a_reset_code_by_mail_and_uses_it(
    mailing: TestClient, client: TestClient, world: World, inbox: tuple[_Inbox, int]
) -> None:
    handler, _ = inbox
    answer = mailing.post("/v1/auth/reset-code", json={"username": " Alice@Example.org "})
    assert answer.status_code == 202
    assert len(handler.messages) == 1
    mail = handler.messages[0]
    assert mail["To"] == "alice@example.org"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", body)
    assert code is not None and "herstelcode" in mail["Subject"].lower()  # Alice's language is Dutch
    reset = mailing.post(
        "/v1/auth/reset",
        json={"username": "alice@example.org", "code": code.group(0), "new_password": "a fresh long sentence"},
    )
    assert reset.status_code == 204


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    mailing: TestClient, world: World, inbox: tuple[_Inbox, int]
) -> None:
    answer = mailing.post("/v1/auth/reset-code", json={"username": "nobody@example.org"})
    assert answer.status_code == 202
    role = mailing.post("/v1/auth/reset-code", json={"username": world.mod_molenbeek.email})
    assert role.status_code == 202  # a moderator's account is reset by an admin, not by mail
    assert inbox[0].messages == []


def test_without_a_relay_there_is_no_mail_reset(client: TestClient, world: World) -> None:
    answer = client.post("/v1/auth/reset-code", json={"username": "alice@example.org"})
    assert answer.status_code == 404
    assert answer.json()["type"] == "urn:buurtbank:problem:reset:mail_unavailable"
