"""A member's rights: a copy of everything held about them, and erasure that leaves an anonymous shell."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.background import MemberBackground
from store.listings import HelpRequest, Offer
from store.members import Member
from tests.api.helpers import PASSWORD, World

BACKGROUND = {"languages": ["fr"], "origin": "Maghreb", "age_band": "25-44", "circle": "dienstencentrum"}
OFFER = {"antenna": "molenbeek", "category": "cooking", "title": "Samen koken", "description": "Couscous"}


def _fill_alice(client: TestClient, world: World) -> tuple[int, int]:
    answer = client.patch(
        "/v1/me", json={"background_consent": True, "background": BACKGROUND}, headers=world.alice.headers
    )
    assert answer.status_code == 200, answer.text
    offer = client.post("/v1/offers", json=OFFER, headers=world.alice.headers).json()["id"]
    request = client.post("/v1/requests", json=OFFER | {"minutes": 60}, headers=world.alice.headers).json()["id"]
    return offer, request


def test_export_holds_profile_background_memberships_and_listings(client: TestClient, world: World) -> None:
    offer, request = _fill_alice(client, world)
    answer = client.get("/v1/me/export", headers=world.alice.headers)
    assert answer.status_code == 200
    data = answer.json()
    assert data["profile"]["email"] == "alice@example.org"
    assert data["profile"]["location"]["postcode"] == "1080"
    assert data["background"]["origin"] == "Maghreb" and data["background"]["circle"] == "dienstencentrum"
    assert [(m["antenna"], m["status"]) for m in data["memberships"]] == [("molenbeek", "approved")]
    assert [o["id"] for o in data["listings"]["offers"]] == [offer]
    assert [r["id"] for r in data["listings"]["requests"]] == [request]
    assert data["listings"]["offers"][0]["description"] == "Couscous"
    assert any(e["action"] == "membership.approve" for e in data["audit_about_me"])
    # Only Alice's own data.
    assert "bob@example.org" not in answer.text and "Bob" not in answer.text


def test_erasure_leaves_an_anonymous_shell(client: TestClient, world: World, db: Engine) -> None:
    offer, request = _fill_alice(client, world)
    bob_offer = client.post("/v1/offers", json=OFFER, headers=world.bob.headers).json()["id"]

    assert client.delete("/v1/me", headers=world.alice.headers).status_code == 204

    assert client.get("/v1/me", headers=world.alice.headers).status_code == 401
    answer = client.post("/v1/auth/token", data={"username": world.alice.email, "password": PASSWORD})
    assert answer.status_code == 401
    with Session(db) as session:
        shell = session.get(Member, world.alice.id)
        assert shell is not None and shell.erased_at is not None
        assert (shell.email, shell.password_hash) == (None, None)
        assert "Alice" not in shell.display_name
        assert (shell.location_postcode, shell.location_lat, shell.location_lon) == (None, None, None)
        assert session.get(MemberBackground, world.alice.id) is None
        for model, listing_id in ((Offer, offer), (HelpRequest, request)):
            listing = session.get(model, listing_id)
            assert listing is not None
            assert (listing.status.value, listing.title, listing.description) == ("withdrawn", "", "")
            assert (listing.lat, listing.lon) == (None, None)
        bob = session.exec(select(Member).where(Member.email == world.bob.email)).one()
        assert bob.display_name == "Bob" and bob.location_postcode == "1080"

    # Others are unaffected; Alice's listings are gone from their view.
    offers = client.get("/v1/offers", headers=world.bob.headers).json()["items"]
    assert [o["id"] for o in offers] == [bob_offer]
    assert client.get(f"/v1/offers/{offer}", headers=world.bob.headers).status_code == 404
    assert client.get("/v1/me", headers=world.bob.headers).status_code == 200
    # The e-mail is free again.
    again = client.post(
        "/v1/auth/register", json={"email": world.alice.email, "password": PASSWORD, "display_name": "Alice 2"}
    )
    assert again.status_code == 201
    assert again.json()["id"] != world.alice.id


def test_an_erased_moderator_moderates_nothing(client: TestClient, world: World) -> None:
    assert client.delete("/v1/me", headers=world.mod_molenbeek.headers).status_code == 204
    answer = client.post(
        "/v1/antennas/molenbeek/moderators", json={"email": world.mod_molenbeek.email}, headers=world.admin
    )
    assert answer.status_code == 404
