from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from tests.api.helpers import World, build_world
from tests.conftest import suite_settings
from tests.fakes import FakeGeocoder


@pytest.fixture
def world(client: TestClient, db: Engine) -> World:
    return build_world(client, db)


@pytest.fixture(scope="session")
def openapi_document(engine: Engine, database_url: str) -> dict[str, Any]:
    """/openapi.json as the suite's app serves it, fetched once per session: the document follows from the
    code and the settings, not from the data (generating it costs about a second)."""
    app = create_app(suite_settings(database_url), engine=engine, geocoder=FakeGeocoder())
    with TestClient(app) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


@pytest.fixture
def document(openapi_document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document, a copy a test may change."""
    return copy.deepcopy(openapi_document)
