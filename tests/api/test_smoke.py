from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import World


def test_health_reports_the_database(client: TestClient) -> None:
    answer = client.get("/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_world_builds(world: World, client: TestClient) -> None:
    me = client.get("/v1/me", headers=world.alice.headers).json()
    assert me["memberships"][0]["status"] == "approved"
    assert me["location"]["postcode"] == "1080"
