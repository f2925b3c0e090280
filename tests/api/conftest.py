from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import World, build_world


@pytest.fixture
def world(client: TestClient, db: Engine) -> World:
    return build_world(client, db)
