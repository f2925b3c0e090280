"""The push providers behind one small interface: given messages for one platform, say what became of each.

Expo goes through its maintained client (exponent-server-sdk); its host is configurable so tests point it
at a local fake server, never the network.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from exponent_server_sdk import (
    DeviceNotRegisteredError,
    MessageRateExceededError,
    MessageTooBigError,
    PushClient,
    PushServerError,
    PushTicketError,
)
from exponent_server_sdk import PushMessage as ExpoMessage

from domain.push import Outcome
from store.push import Platform

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


class PushProvider(Protocol):
    platform: Platform

    def send(self, messages: Sequence[PushMessage]) -> list[Outcome]:
        """One outcome per message, in order. Never raises for a provider failure: that is RETRY."""
        ...


def valid_token(platform: Platform, token: str) -> bool:
    if platform is Platform.EXPO:
        return bool(PushClient.is_exponent_push_token(token))
    return True


class ExpoProvider:
    platform = Platform.EXPO

    def __init__(self, *, host: str | None = None, access_token: str | None = None, timeout: float = 10.0) -> None:
        session = requests.Session()
        session.headers.update(
            {"accept": "application/json", "accept-encoding": "gzip, deflate", "content-type": "application/json"}
        )
        if access_token:
            session.headers["Authorization"] = f"Bearer {access_token}"
        self._client = PushClient(host=host, session=session, timeout=timeout)

    def send(self, messages: Sequence[PushMessage]) -> list[Outcome]:
        if not messages:
            return []
        outcomes: list[Outcome | None] = [None] * len(messages)
        sendable: list[int] = []
        for index, message in enumerate(messages):
            if valid_token(Platform.EXPO, message.token):
                sendable.append(index)
            else:
                outcomes[index] = Outcome.DROP_TOKEN
        expo = [
            ExpoMessage(to=messages[i].token, title=messages[i].title, body=messages[i].body, data=messages[i].data)
            for i in sendable
        ]
        try:
            tickets = self._client.publish_multiple(expo) if expo else []
        except (PushServerError, requests.RequestException, ValueError) as exc:
            log.warning("expo push: %d messages not sent, will retry: %s", len(expo), exc)
            tickets = None
        for position, index in enumerate(sendable):
            outcomes[index] = Outcome.RETRY if tickets is None else _ticket_outcome(tickets[position])
        return [outcome or Outcome.RETRY for outcome in outcomes]


def _ticket_outcome(ticket: Any) -> Outcome:
    try:
        ticket.validate_response()
    except DeviceNotRegisteredError:
        return Outcome.DROP_TOKEN
    except MessageTooBigError:
        return Outcome.FAIL
    except MessageRateExceededError:
        return Outcome.RETRY
    except PushTicketError:
        return Outcome.RETRY
    return Outcome.SENT
