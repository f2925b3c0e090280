"""On-Behalf-Of stays narrow (issue 9, points 1-4): approved members of the moderator's own antennas only,
writes only inside those antennas, never for an account with a role, and never the member's background."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.exchange_helpers import exchange_between, post_request
from tests.api.helpers import Person, World, approve, join

BACKGROUND = {"languages": ["ar", "fr"], "origin": "Maghreb", "age_band": "65-79"}


def _for(moderator: Person, member_id: int) -> dict[str, str]:
    return {**moderator.headers, "On-Behalf-Of": str(member_id)}


def _problem_type(answer: object) -> str:
    return str(answer.json()["type"])  # type: ignore[attr-defined]


def test_a_pending_or_rejected_applicant_cannot_be_acted_for(client: TestClient, world: World) -> None:
    # Carol only applied to Molenbeek: her moderator cannot yet export, edit or erase her.
    for method, path in (("GET", "/v1/me"), ("GET", "/v1/me/export"), ("PATCH", "/v1/me"), ("DELETE", "/v1/me")):
        answer = client.request(
            method,
            path,
            headers=_for(world.mod_molenbeek, world.carol.id),
            json={"display_name": "Hacked"} if method == "PATCH" else None,
        )
        assert answer.status_code == 403, (method, path, answer.text)
    assert client.get("/v1/me", headers=world.carol.headers).json()["display_name"] == "Carol"

    memberships = client.get("/v1/antennas/molenbeek/memberships?status=pending", headers=world.mod_molenbeek.headers)
    carols = next(m for m in memberships.json()["items"] if m["member"]["id"] == world.carol.id)
    rejected = client.post(
        f"/v1/antennas/molenbeek/memberships/{carols['id']}/reject",
        json={"reason": "onbekend"},
        headers=world.mod_molenbeek.headers,
    )
    assert rejected.status_code == 200, rejected.text
    assert client.get("/v1/me", headers=_for(world.mod_molenbeek, world.carol.id)).status_code == 403


def test_an_admin_who_applied_cannot_be_acted_for(client: TestClient, world: World, db: Engine) -> None:
    # Even approved: an account with a role acts for itself only.
    admin = client.get("/v1/me", headers=world.admin).json()
    admin_person = Person(id=admin["id"], email=admin["email"], headers=world.admin)
    approve(client, world.mod_molenbeek, "molenbeek", join(client, admin_person, "molenbeek"))
    for target in (admin_person.id,):
        assert client.get("/v1/me/export", headers=_for(world.mod_molenbeek, target)).status_code == 403
        assert client.delete("/v1/me", headers=_for(world.mod_molenbeek, target)).status_code == 403
    assert client.get("/v1/me", headers=world.admin).status_code == 200


def test_analysts_and_other_moderators_cannot_be_acted_for(client: TestClient, world: World) -> None:
    for role_holder in (world.analyst, world.mod_jette):
        approve(client, world.mod_molenbeek, "molenbeek", join(client, role_holder, "molenbeek"))
        answer = client.get("/v1/me", headers=_for(world.mod_molenbeek, role_holder.id))
        assert answer.status_code == 403, answer.text
        assert _problem_type(answer) == "urn:buurtbank:problem:on_behalf:not_allowed"
    # A plain approved member still can be helped.
    assert client.get("/v1/me", headers=_for(world.mod_molenbeek, world.alice.id)).status_code == 200


def _alice_also_in_jette(client: TestClient, world: World) -> None:
    approve(client, world.mod_jette, "jette", join(client, world.alice, "jette"))


def test_on_behalf_writes_stay_inside_the_moderators_antennas(client: TestClient, world: World) -> None:
    _alice_also_in_jette(client, world)
    acting = _for(world.mod_molenbeek, world.alice.id)
    body = {"antenna": "jette", "category": "paperwork", "title": "Formulier invullen"}

    # Creating a listing in Jette for Alice: 403, though Alice may do it herself.
    answer = client.post("/v1/requests", json=body, headers=acting)
    assert answer.status_code == 403, answer.text
    assert _problem_type(answer) == "urn:buurtbank:problem:on_behalf:outside_antenna"
    assert client.post("/v1/offers", json=body, headers=acting).status_code == 403
    assert client.post("/v1/requests", json=body, headers=world.alice.headers).status_code == 201
    # In Molenbeek it works.
    assert client.post("/v1/requests", json={**body, "antenna": "molenbeek"}, headers=acting).status_code == 201

    # Editing or withdrawing Alice's own Jette request for her: 403.
    jette_request = post_request(client, world.alice, slug="jette")
    assert client.patch(f"/v1/requests/{jette_request}", json={"title": "Anders"}, headers=acting).status_code == 403
    assert client.delete(f"/v1/requests/{jette_request}", headers=acting).status_code == 403

    # Responding to Dave's Jette request for Alice: 403.
    daves = post_request(client, world.dave, slug="jette")
    assert client.post(f"/v1/requests/{daves}/respond", headers=acting).status_code == 403

    # Donating to Jette's pool for Alice: 403.
    donation = client.post("/v1/me/ledger/donations", json={"antenna": "jette", "minutes": 15}, headers=acting)
    assert donation.status_code == 403, donation.text


def test_on_behalf_join_of_another_antenna_is_403(client: TestClient, world: World) -> None:
    answer = client.post("/v1/antennas/jette/memberships", headers=_for(world.mod_molenbeek, world.alice.id))
    assert answer.status_code == 403, answer.text
    mine = client.get("/v1/me", headers=world.alice.headers).json()["memberships"]
    assert [m["antenna"] for m in mine] == ["molenbeek"]


def test_answering_confirming_and_disputing_in_another_antenna_is_403(client: TestClient, world: World) -> None:
    _alice_also_in_jette(client, world)
    acting = _for(world.mod_molenbeek, world.alice.id)
    # A proposal and an exchange in Jette between Dave (helper) and Alice (receiver).
    request_id = post_request(client, world.alice, slug="jette")
    proposal = client.post(f"/v1/requests/{request_id}/respond", headers=world.dave.headers).json()["id"]
    assert client.post(f"/v1/proposals/{proposal}/approve", headers=world.mod_jette.headers).status_code == 200
    assert client.post(f"/v1/proposals/{proposal}/accept", headers=acting).status_code == 403
    assert client.post(f"/v1/proposals/{proposal}/decline", headers=acting).status_code == 403
    accepted = client.post(f"/v1/proposals/{proposal}/accept", headers=world.alice.headers)
    exchange_id = accepted.json()["exchange_id"]
    assert exchange_id is not None

    confirm = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=acting)
    assert confirm.status_code == 403, confirm.text
    assert client.post(f"/v1/exchanges/{exchange_id}/dispute", headers=acting).status_code == 403
    assert client.post(f"/v1/exchanges/{exchange_id}/cancel", headers=acting).status_code == 403
    state = client.get(f"/v1/exchanges/{exchange_id}", headers=world.alice.headers).json()
    assert state["state"] == "planned" and state["receiver_minutes"] is None

    # In the moderator's own antenna the same steps work.
    molenbeek = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    assert client.post(f"/v1/exchanges/{molenbeek}/dispute", headers=acting).status_code == 200


def test_background_is_not_shown_to_a_moderator_acting_on_behalf(client: TestClient, world: World) -> None:
    saved = client.patch(
        "/v1/me", json={"background_consent": True, "background": BACKGROUND}, headers=world.alice.headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["background"]["origin"] == "Maghreb"
    acting = _for(world.mod_molenbeek, world.alice.id)

    me = client.get("/v1/me", headers=acting).json()
    assert me["background_consent"] is True and me["background"] is None
    patched = client.patch("/v1/me", json={"display_name": "Alice B."}, headers=acting)
    assert patched.status_code == 200 and patched.json()["background"] is None
    export = client.get("/v1/me/export", headers=acting).json()
    assert export["background"] is None and export["profile"]["background_consent"] is True
    assert "Maghreb" not in client.get("/v1/me/export", headers=acting).text
    # Nor can the moderator change it or the consent for her.
    for change in ({"background_consent": False}, {"background": {**BACKGROUND, "origin": "Europe"}}):
        assert client.patch("/v1/me", json=change, headers=acting).status_code == 403

    # The member herself still sees everything.
    assert client.get("/v1/me/export", headers=world.alice.headers).json()["background"]["origin"] == "Maghreb"


def test_a_member_without_background_shows_no_consent(client: TestClient, world: World) -> None:
    export = client.get("/v1/me/export", headers=_for(world.mod_molenbeek, world.bob.id)).json()
    assert export["background"] is None and export["profile"]["background_consent"] is False
