"""GET /v1/me/export is one typed model, and each part reads exactly as the endpoint that shows it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient

from store.base import utcnow
from tests.api.exchange_helpers import post_request
from tests.api.helpers import World

BACKGROUND = {"languages": ["fr"], "origin": "Maghreb", "age_band": "25-44", "circle": None}
FR = {"Accept-Language": "fr"}


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def _bob_with_data(client: TestClient, world: World) -> dict[str, int]:
    """Bob asks for help and helps Alice; along the way he uses every feature that keeps data about him."""
    bob, alice, mod = world.bob, world.alice, world.mod_molenbeek
    _ok(client.patch("/v1/me", json={"background_consent": True, "background": BACKGROUND}, headers=bob.headers))
    offer = _ok(
        client.post(
            "/v1/offers",
            json={"antenna": "molenbeek", "category": "cooking", "title": "Samen koken", "description": "Couscous"},
            headers=bob.headers,
        ),
        201,
    )["id"]
    request = post_request(client, bob)
    alices = post_request(client, alice)
    proposal = _ok(client.post(f"/v1/requests/{alices}/respond", json={"message": "Graag"}, headers=bob.headers), 201)
    _ok(client.post(f"/v1/proposals/{proposal['id']}/approve", headers=mod.headers))
    _ok(client.post(f"/v1/proposals/{proposal['id']}/messages", json={"text": "Van Alice"}, headers=alice.headers), 201)
    _ok(client.post(f"/v1/proposals/{proposal['id']}/messages", json={"text": "Merci Alice"}, headers=bob.headers), 201)
    exchange = _ok(client.post(f"/v1/proposals/{proposal['id']}/accept", headers=alice.headers))["exchange_id"]
    _ok(client.post(f"/v1/exchanges/{exchange}/messages", json={"text": "Van de antenne"}, headers=mod.headers), 201)
    starts = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    _ok(
        client.put(
            f"/v1/exchanges/{exchange}/meeting", json={"starts_at": starts.isoformat(), "place": "Aan de kerk"},
            headers=bob.headers,
        )
    )  # fmt: skip
    for who in (alice, bob):
        _ok(client.post(f"/v1/exchanges/{exchange}/confirm", json={"minutes": 60}, headers=who.headers))
    _ok(client.post(f"/v1/exchanges/{exchange}/feedback", json={"thanks": True, "met_someone_new": True},
                    headers=bob.headers))  # fmt: skip
    _ok(client.post("/v1/me/ledger/donations", json={"antenna": "molenbeek", "minutes": 15}, headers=bob.headers), 201)
    device = {"platform": "expo", "token": "ExponentPushToken[bob]"}
    _ok(client.post("/v1/me/devices", json=device, headers=bob.headers), 201)
    _ok(client.put("/v1/me/quiet-hours", json={"start": "21:30", "end": "07:00", "timezone": "Europe/Brussels"},
                   headers=bob.headers))  # fmt: skip
    report = _ok(client.post("/v1/reports", json={"about": "member", "id": alice.id, "reason": "Kwam te laat"},
                             headers=bob.headers), 201)  # fmt: skip
    _ok(client.post(f"/v1/reports/{report['id']}/close", json={"note": "Besproken met beiden"}, headers=mod.headers))
    _ok(client.post("/v1/me/blocks", json={"member_id": alice.id}, headers=bob.headers), 201)
    return {"offer": offer, "request": request, "proposal": proposal["id"], "exchange": exchange}


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def test_the_export_is_one_model_in_the_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    answer = document["paths"]["/v1/me/export"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/ExportOut"}
    export = document["components"]["schemas"]["ExportOut"]
    untyped = [
        name for name, prop in export["properties"].items() if prop.get("type") == "object" and "$ref" not in prop
    ]
    assert untyped == []
    parts = {name: str(prop) for name, prop in export["properties"].items()}
    for name, model in [
        ("profile", "MeOut"), ("memberships", "MembershipOut"), ("proposals", "ProposalOut"),
        ("exchanges", "ExchangeOut"), ("ledger", "StatementOut"), ("notifications", "NotificationOut"),
        ("audit_about_me", "AuditEntryOut"),
    ]:  # fmt: skip
        assert f"#/components/schemas/{model}" in parts[name], name


def test_a_live_export_matches_the_schema_and_every_endpoint(client: TestClient, world: World) -> None:
    ids = _bob_with_data(client, world)
    bob, mod = world.bob, world.mod_molenbeek
    headers = {**bob.headers, **FR}
    export = _ok(client.get("/v1/me/export", headers=headers))
    document = client.get("/openapi.json").json()
    errors = [str(e) for e in jsonschema_rs.validator_for(_schema(document, "ExportOut")).iter_errors(export)]
    assert errors == []

    assert export["profile"] == _ok(client.get("/v1/me", headers=headers))
    assert {k: export["background"][k] for k in BACKGROUND} == BACKGROUND and export["background"]["consented_at"]
    memberships = _ok(client.get("/v1/antennas/molenbeek/memberships", params={"limit": 100}, headers=mod.headers))
    assert export["memberships"] == [m for m in memberships["items"] if m["member"]["id"] == bob.id] != []
    assert export["listings"]["offers"] == [_ok(client.get(f"/v1/offers/{ids['offer']}", headers=headers))]
    assert export["listings"]["requests"] == [_ok(client.get(f"/v1/requests/{ids['request']}", headers=headers))]
    mine = _ok(client.get("/v1/me/proposals", headers=headers))["items"]
    assert export["proposals"] == sorted(mine, key=lambda p: p["id"]) != []
    assert export["exchanges"] == [_ok(client.get(f"/v1/exchanges/{ids['exchange']}", headers=headers))]
    assert export["exchanges"][0]["meeting"]["place"] == "Aan de kerk"
    ledger = _ok(client.get("/v1/me/ledger", params={"limit": 100}, headers=headers))
    assert export["ledger"] == ledger and [line["kind"] for line in ledger["items"]] == ["donation", "settlement"]
    notifications = _ok(client.get("/v1/me/notifications", params={"limit": 200}, headers=headers))["items"]
    assert export["notifications"] == list(reversed(notifications)) != []
    assert any("é" in n["message"] or "à" in n["message"] for n in export["notifications"])  # in French, as asked

    neighbours = export["neighbours"]
    [conversation] = neighbours["conversations"]
    thread = _ok(client.get(f"/v1/proposals/{ids['proposal']}/messages", headers=headers))["items"]
    assert conversation["proposal_id"] == ids["proposal"] and conversation["exchange_id"] == ids["exchange"]
    assert conversation["messages"] == [m for m in thread if m["mine"]] != []
    assert [m["text"] for m in conversation["messages"]] == ["Merci Alice"]  # the others' words are theirs
    assert neighbours["devices"] == _ok(client.get("/v1/me/devices", headers=headers)) != []
    assert neighbours["quiet_hours"] == _ok(client.get("/v1/me/quiet-hours", headers=headers))
    assert neighbours["blocks"] == _ok(client.get("/v1/me/blocks", headers=headers)) != []
    reports = _ok(client.get("/v1/antennas/molenbeek/reports", headers=mod.headers))["items"]
    assert neighbours["reports"] == [r for r in reports if r["reporter"]["id"] == bob.id] != []
    assert neighbours["feedback"] == [{"exchange_id": ids["exchange"], "thanks": True, "met_someone_new": True}]

    trail = _ok(client.get("/v1/antennas/molenbeek/audit", params={"limit": 100}, headers=mod.headers))["items"]
    about_bob = [e for e in reversed(trail) if e["subject"] and e["subject"]["id"] == bob.id]
    assert export["audit_about_me"] == about_bob != []
    assert export["desk_account"] is None
    text = str(export)
    assert "Van Alice" not in text and "Van de antenne" not in text and world.alice.email not in text


def test_a_moderator_acting_for_a_member_gets_the_same_export_without_the_background(
    client: TestClient, world: World
) -> None:
    _bob_with_data(client, world)
    own = _ok(client.get("/v1/me/export", headers={**world.bob.headers, **FR}))
    acting = {**world.mod_molenbeek.headers, **FR, "On-Behalf-Of": str(world.bob.id)}
    theirs = _ok(client.get("/v1/me/export", headers=acting))
    assert theirs["background"] is None and theirs["profile"]["background"] is None
    assert theirs["profile"]["background_consent"] is True and "Maghreb" not in str(theirs)
    same = ("memberships", "listings", "proposals", "exchanges", "ledger", "notifications", "neighbours")
    assert {k: theirs[k] for k in same} == {k: own[k] for k in same}
