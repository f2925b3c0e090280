"""Leaving an antenna: open listings and proposals withdrawn, planned exchanges cancelled with a notice,
the ledger untouched; withdrawing a pending request; rejoining later."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.ledger import LedgerEntry
from store.proposals import Proposal
from tests.api.exchange_helpers import balance, exchange_between, post_request
from tests.api.helpers import World


def _offer(client: TestClient, who_headers: dict[str, str]) -> int:
    answer = client.post(
        "/v1/offers",
        json={"antenna": "molenbeek", "category": "shopping", "title": "Ik doe boodschappen"},
        headers=who_headers,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _entries(db: Engine) -> list[tuple[int, int]]:
    with Session(db) as session:
        return [(e.id or 0, e.minutes) for e in session.exec(select(LedgerEntry).order_by(LedgerEntry.id))]  # type: ignore[arg-type]


def test_leaving_ends_what_was_going_on_there_and_leaves_the_ledger_alone(
    client: TestClient, world: World, db: Engine
) -> None:
    alice, bob, mod = world.alice, world.bob, world.mod_molenbeek
    settled = exchange_between(client, helper=alice, receiver=bob, moderator=mod)
    for who in (alice, bob):
        assert (
            client.post(f"/v1/exchanges/{settled}/confirm", json={"minutes": 30}, headers=who.headers).status_code
            == 200
        )
    planned = exchange_between(client, helper=bob, receiver=alice, moderator=mod)
    offer_id = _offer(client, alice.headers)
    open_request = post_request(client, alice)
    proposal = client.post(f"/v1/offers/{_offer(client, bob.headers)}/respond", json={}, headers=alice.headers)
    assert proposal.status_code == 201, proposal.text
    balances, entries = (balance(client, alice), balance(client, bob)), _entries(db)

    left = client.delete("/v1/antennas/molenbeek/memberships/mine", headers=alice.headers)
    assert left.status_code == 200, left.text
    assert left.json() == {
        "antenna": "molenbeek",
        "was": "approved",
        "exchanges_cancelled": 1,
        "proposals_withdrawn": 1,
        "listings_withdrawn": 3,  # the offer, the open request, and the request of the planned exchange
    }
    assert client.get(f"/v1/exchanges/{planned}", headers=bob.headers).json()["state"] == "cancelled"
    assert client.get(f"/v1/exchanges/{settled}", headers=bob.headers).json()["state"] == "settled"
    with Session(db) as session:
        withdrawn = session.get(Proposal, proposal.json()["id"])
        assert withdrawn is not None and withdrawn.state == "withdrawn" and withdrawn.live_key is None
    assert client.get(f"/v1/offers/{offer_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/v1/requests/{open_request}", headers=bob.headers).status_code == 404
    assert (balance(client, alice), balance(client, bob)) == balances and _entries(db) == entries

    notices = client.get("/v1/me/notifications", headers=bob.headers).json()["items"]
    notice = next(n for n in notices if n["kind"] == "exchange_cancelled_left")
    assert notice["payload"]["exchange_id"] == planned and notice["message"]
    assert not any(
        n["kind"] == "exchange_cancelled_left"
        for n in client.get("/v1/me/notifications", headers=alice.headers).json()["items"]
    )

    listed = client.get("/v1/antennas/molenbeek/memberships?status=left", headers=mod.headers).json()["items"]
    assert [m["member"]["id"] for m in listed] == [alice.id]
    trail = client.get("/v1/antennas/molenbeek/audit", headers=mod.headers).json()["items"]
    assert any(e["action"] == "membership.leave" and e["subject"]["id"] == alice.id for e in trail)
    # She can no longer post there, and may ask to join again later.
    assert (
        client.post(
            "/v1/offers",
            json={"antenna": "molenbeek", "category": "shopping", "title": "Nog eens"},
            headers=alice.headers,
        ).status_code
        == 403
    )
    again = client.post("/v1/antennas/molenbeek/memberships", headers=alice.headers)
    assert again.status_code == 201 and again.json()["status"] == "pending"


def test_withdrawing_a_pending_request_to_join(client: TestClient, world: World) -> None:
    answer = client.delete("/v1/antennas/molenbeek/memberships/mine", headers=world.carol.headers)
    assert answer.status_code == 200 and answer.json()["was"] == "pending"
    assert client.delete("/v1/antennas/molenbeek/memberships/mine", headers=world.carol.headers).status_code == 404


def test_leaving_an_antenna_one_is_not_in_is_not_found(client: TestClient, world: World) -> None:
    for lang in ("nl", "fr", "en"):
        answer = client.delete(
            "/v1/antennas/molenbeek/memberships/mine", headers={**world.dave.headers, "Accept-Language": lang}
        )
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("application/problem+json")
    assert client.delete("/v1/antennas/nowhere/memberships/mine", headers=world.dave.headers).status_code == 404
    assert client.delete("/v1/antennas/molenbeek/memberships/mine").status_code == 401


def test_a_moderator_can_take_a_member_out_on_their_behalf(client: TestClient, world: World) -> None:
    headers = {**world.mod_molenbeek.headers, "On-Behalf-Of": str(world.bob.id)}
    assert client.delete("/v1/antennas/molenbeek/memberships/mine", headers=headers).status_code == 200
    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    entry = next(e for e in trail if e["action"] == "membership.leave")
    assert entry["on_behalf"] is True and entry["actor"]["id"] == world.mod_molenbeek.id
