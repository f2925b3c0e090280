"""The push providers behind one small interface: given messages for one platform, say what became of each.

Expo goes through its maintained client (exponent-server-sdk), Web Push through pywebpush (VAPID signing and
the aes128gcm payload encryption); Expo's host is configurable and a Web Push subscription names its own
endpoint, so tests point both at local fake servers, never the network.
"""

from __future__ import annotations

import json
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
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

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
    return _subscription(token) is not None


def _subscription(token: str) -> dict[str, Any] | None:
    """A Web Push subscription as the browser's PushSubscription.toJSON() gives it, or None."""
    try:
        value = json.loads(token)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    endpoint, keys = value.get("endpoint"), value.get("keys")
    if not (isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")) and isinstance(keys, dict)):
        return None
    if not all(isinstance(keys.get(name), str) and keys[name] for name in ("p256dh", "auth")):
        return None
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


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


class WebPushProvider:
    platform = Platform.WEBPUSH

    def __init__(self, *, vapid_private_key: str, subject: str, timeout: float = 10.0) -> None:
        """`vapid_private_key`: PEM, or base64url DER as `vapid --gen` writes it; `subject`: mailto: or https:."""
        key = vapid_private_key.strip()
        self._vapid = Vapid02.from_pem(key.encode()) if key.startswith("-----BEGIN") else Vapid02.from_string(key)
        self._subject = subject
        self._timeout = timeout
        self._session = requests.Session()

    def send(self, messages: Sequence[PushMessage]) -> list[Outcome]:
        return [self._send_one(message) for message in messages]

    def _send_one(self, message: PushMessage) -> Outcome:
        subscription = _subscription(message.token)
        if subscription is None:
            return Outcome.DROP_TOKEN
        payload = json.dumps({"title": message.title, "body": message.body, "data": message.data})
        try:
            webpush(
                subscription_info=subscription,
                data=payload,
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},  # a new dict each time: pywebpush adds aud and exp to it
                timeout=self._timeout,
                ttl=24 * 3600,
                requests_session=self._session,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                return Outcome.DROP_TOKEN  # the subscription expired or was withdrawn
            if status is None or status == 429 or status >= 500:
                log.warning("web push: not sent (status %s), will retry", status)
                return Outcome.RETRY
            log.warning("web push: refused with status %s, given up", status)
            return Outcome.FAIL
        except requests.RequestException as exc:
            log.warning("web push: not sent, will retry: %s", exc)
            return Outcome.RETRY
        return Outcome.SENT
