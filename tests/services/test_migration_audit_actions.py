"""0013_contract: on-behalf audit rows recorded as "METHOD /path" become `member.act_for` with their route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from buurtbank.migrate import upgrade
from domain.audit import AuditAction
from tests.databases import on_postgres, throwaway_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        if not on_postgres():
            pytest.skip("BUURTBANK_TEST_DATABASE_URL does not point to PostgreSQL")
        with throwaway_postgres(prefix="buurtbank_audit_actions") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"


def _detail(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else json.loads(str(value))


def test_old_on_behalf_rows_get_the_enum_and_keep_their_route(fresh_url: str) -> None:
    upgrade(fresh_url, "0012_console")
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO members (id, display_name, language, is_admin, is_analyst, paused, created_at) "
                    "VALUES (1, 'Mod', 'nl', false, false, false, CURRENT_TIMESTAMP)"
                )
            )
            for id_, action, on_behalf, detail in [
                (1, "POST /v1/requests", True, {"path": "/v1/requests", "params": {}}),
                (2, "membership.approve", False, {}),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO audit_entries (id, actor_id, action, on_behalf, detail, at) "
                        "VALUES (:id, 1, :action, :on_behalf, :detail, CURRENT_TIMESTAMP)"
                    ),
                    {"id": id_, "action": action, "on_behalf": on_behalf, "detail": json.dumps(detail)},
                )
        upgrade(fresh_url)
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(text("SELECT id, action, detail FROM audit_entries"))}
    finally:
        engine.dispose()
    assert rows[1].action == AuditAction.ACT_FOR_MEMBER
    assert _detail(rows[1].detail) == {"route": "POST /v1/requests", "path": "/v1/requests", "params": {}}
    assert rows[2].action == AuditAction.MEMBERSHIP_APPROVE and _detail(rows[2].detail) == {}
    assert {AuditAction(r.action) for r in rows.values()}  # every row is an action of the enum now
