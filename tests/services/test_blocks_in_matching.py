"""A block keeps the pair apart in the nearby-match scheduler, whichever of the two blocked, for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler import jobs
from services import safety
from store.base import utcnow
from tests.services.matching_helpers import Town, actor, build_town


@pytest.fixture
def town(session: Session) -> Town:
    return build_town(session)


@pytest.mark.parametrize("who_blocks", ["asker", "helper"])
def test_a_blocked_pair_is_never_proposed(town: Town, db: Engine, who_blocks: str) -> None:
    asker, helper = town.member("Asker"), town.member("Helper", north_m=200)
    request = town.request(asker)
    town.offer(helper)
    blocker, blocked = (asker, helper) if who_blocks == "asker" else (helper, asker)
    safety.block(town.session, actor(blocker), member_id=blocked.id)  # type: ignore[arg-type]
    town.session.commit()

    # The scheduler's own job, at several of its slots, long after the block too.
    start = utcnow()
    for days in (0, 1, 30, 800):
        summary = jobs.match_round(db, antenna_slug="molenbeek", now=start + timedelta(days=days))
        assert summary is not None
        assert summary["requests_seen"] == 1 and summary["proposals"] == 0
        assert summary["unmatched_request_ids"] == [request.id]
    assert town.proposals() == []

    # Another helper is still proposed for the same request; and lifting the block lets the pair meet.
    newcomer = town.member("Newcomer", north_m=500)
    town.offer(newcomer)
    town.session.commit()
    summary = jobs.match_round(db, antenna_slug="molenbeek", now=start + timedelta(days=801))  # type: ignore[arg-type]
    assert summary is not None and summary["proposals"] == 1
    assert [p.helper_id for p in town.proposals()] == [newcomer.id]
