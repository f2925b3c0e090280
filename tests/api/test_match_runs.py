"""Match runs over HTTP: who may run them, the review queue, and moderator decisions feeding later runs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.exchange_helpers import post_request
from tests.api.helpers import Person, World

RUNS = "/v1/antennas/molenbeek/match-runs"
QUEUE = "/v1/antennas/molenbeek/proposals?status=pending_review"


def post_offer(client: TestClient, who: Person, *, category: str = "shopping") -> int:
    answer = client.post(
        "/v1/offers",
        json={"antenna": "molenbeek", "category": category, "title": "Ik doe graag boodschappen"},
        headers=who.headers,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def run(client: TestClient, moderator: Person) -> dict[str, object]:
    answer = client.post(RUNS, headers=moderator.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_moderator_runs_a_round_and_gets_a_summary(client: TestClient, world: World) -> None:
    post_request(client, world.alice)
    post_offer(client, world.bob)

    body = run(client, world.mod_molenbeek)

    assert body["antenna"] == "molenbeek" and body["trigger"] == "manual"
    assert body["triggered_by"] == world.mod_molenbeek.id
    summary = body["summary"]
    assert isinstance(summary, dict)
    assert summary["requests_seen"] == 1 and summary["proposals"] == 1 and summary["unmatched"] == 0
    assert summary["candidates"] >= 1
    assert 0.0 <= summary["bridging_share"] <= 1.0
    assert summary["unmatched_request_ids"] == []

    listed = client.get(RUNS, headers=world.mod_molenbeek.headers)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]
    audit = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers)
    assert audit.status_code == 200
    assert "match_run" in [e["action"] for e in audit.json()["items"]]


def test_only_the_antennas_moderators_may_run_or_list_rounds(client: TestClient, world: World) -> None:
    for who in (world.alice, world.mod_jette, world.analyst):
        assert client.post(RUNS, headers=who.headers).status_code == 403
        assert client.get(RUNS, headers=who.headers).status_code == 403
    answer = client.post(RUNS)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/antennas/atlantis/match-runs", headers=world.mod_molenbeek.headers).status_code == 404


def test_the_queue_explains_in_the_moderators_language_and_approval_leads_to_an_exchange(
    client: TestClient, world: World
) -> None:
    request_id = post_request(client, world.alice)
    post_offer(client, world.bob)
    assert client.get("/v1/me/proposals", headers=world.bob.headers).json()["items"] == []
    run(client, world.mod_molenbeek)

    # Members do not see a scheduler proposal before a moderator approved it.
    assert client.get("/v1/me/proposals", headers=world.alice.headers).json()["items"] == []
    texts = {}
    for lang in ("nl", "fr", "en"):
        queue = client.get(QUEUE, headers={**world.mod_molenbeek.headers, "Accept-Language": lang})
        assert queue.status_code == 200, queue.text
        [item] = queue.json()["items"]
        assert item["origin"] == "scheduler" and item["request_id"] == request_id
        assert item["helper"]["id"] == world.bob.id and item["receiver"]["id"] == world.alice.id
        assert item["score"] > 0 and item["bridging"] is False  # neither declared a background
        texts[lang] = item["explanation"]
    assert len(set(texts.values())) == 3 and all(texts.values())
    proposal_id = item["id"]

    assert client.post(f"/v1/proposals/{proposal_id}/approve", headers=world.mod_molenbeek.headers).status_code == 200
    for member in (world.alice, world.bob):
        [mine] = client.get("/v1/me/proposals", headers=member.headers).json()["items"]
        assert mine["id"] == proposal_id and mine["state"] == "approved"
        # Members never see scores, explanations or anything about backgrounds.
        assert not {"score", "explanation", "bridging", "bridging_dimensions", "background"} & set(mine)
    first = client.post(f"/v1/proposals/{proposal_id}/accept", headers=world.alice.headers)
    assert first.status_code == 200 and first.json()["exchange_id"] is None
    second = client.post(f"/v1/proposals/{proposal_id}/accept", headers=world.bob.headers)
    assert second.status_code == 200, second.text
    exchange_id = second.json()["exchange_id"]
    assert exchange_id is not None
    exchange = client.get(f"/v1/exchanges/{exchange_id}", headers=world.alice.headers)
    assert exchange.status_code == 200 and exchange.json()["state"] == "planned"

    # The request found its helper: the next round leaves it alone.
    assert run(client, world.mod_molenbeek)["summary"]["requests_seen"] == 0  # type: ignore[index]


def test_a_rejection_feeds_back_into_later_runs(client: TestClient, world: World) -> None:
    request_id = post_request(client, world.alice)
    post_offer(client, world.bob)
    run(client, world.mod_molenbeek)
    [item] = client.get(QUEUE, headers=world.mod_molenbeek.headers).json()["items"]
    rejected = client.post(
        f"/v1/proposals/{item['id']}/reject", json={"reason": "Bob helpt Alice al"}, headers=world.mod_molenbeek.headers
    )
    assert rejected.status_code == 200, rejected.text

    summary = run(client, world.mod_molenbeek)["summary"]

    assert summary["requests_seen"] == 1  # type: ignore[index]
    assert summary["proposals"] == 0  # type: ignore[index]
    assert summary["unmatched_request_ids"] == [request_id]  # type: ignore[index]
    assert client.get(QUEUE, headers=world.mod_molenbeek.headers).json()["items"] == []


def test_the_openapi_document_describes_match_runs_and_notifications(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    post = paths["/v1/antennas/{slug}/match-runs"]["post"]
    assert {"201", "401", "403", "404"} <= set(post["responses"])
    assert "get" in paths["/v1/antennas/{slug}/match-runs"]
    assert {"401", "404"} <= set(paths["/v1/me/notifications/{notification_id}/read"]["post"]["responses"])
