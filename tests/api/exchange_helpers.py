"""Helpers that walk the proposal and exchange lifecycle through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import Person


def post_request(client: TestClient, who: Person, *, slug: str = "molenbeek", minutes: int = 60) -> int:
    answer = client.post(
        "/v1/requests",
        json={"antenna": slug, "category": "shopping", "title": "Boodschappen doen", "minutes": minutes},
        headers=who.headers,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def exchange_between(client: TestClient, *, helper: Person, receiver: Person, moderator: Person) -> int:
    """receiver asks, helper responds, the moderator approves, the receiver accepts: an exchange exists."""
    request_id = post_request(client, receiver)
    proposal = client.post(
        f"/v1/requests/{request_id}/respond", json={"message": "Ik help graag"}, headers=helper.headers
    )
    assert proposal.status_code == 201, proposal.text
    proposal_id = proposal.json()["id"]
    assert client.post(f"/v1/proposals/{proposal_id}/approve", headers=moderator.headers).status_code == 200
    accepted = client.post(f"/v1/proposals/{proposal_id}/accept", headers=receiver.headers)
    assert accepted.status_code == 200, accepted.text
    exchange_id = accepted.json()["exchange_id"]
    assert exchange_id is not None
    return int(exchange_id)


def balance(client: TestClient, who: Person) -> int:
    answer = client.get("/v1/me/ledger", headers=who.headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance"])
