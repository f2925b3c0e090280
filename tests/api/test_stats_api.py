"""The analysts' endpoints: access, validation, the published shapes, CSV, PNG, and privacy on random networks."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.stats.cells import CSV_COLUMNS, Cell
from domain.stats.privacy import assert_publishable
from tests.api.helpers import World
from tests.services.stats_network import Network, at

RANGE = {"from": "2026-01-01", "to": "2026-06-30"}
BACKGROUNDS = [
    {"origin": "BE", "languages": ["nl", "fr"], "age_band": "65-79"},
    {"origin": "Maghreb", "languages": ["ar", "fr"], "age_band": "25-44"},
    {"origin": "EU", "languages": ["fr"], "age_band": "45-64"},
    None,  # no consent
]


def _busy_antenna(engine: Engine, *, members: int = 24, seed: int = 1) -> None:
    """Molenbeek with enough active members in March 2026 for figures to be published."""
    rng = random.Random(seed)
    with Session(engine) as session:
        net = Network(session)
        ids = [net.member(background=BACKGROUNDS[i % len(BACKGROUNDS)]) for i in range(members)]
        for i, helper in enumerate(ids):
            for k in (1, 2, members - 1):  # k = members - 1 returns the k = 1 tie
                receiver = ids[(i + k) % members]
                net.exchange(helper, receiver, 15 * rng.randint(1, 8), at(2026, 3, 1 + (i + k) % 27))
        session.commit()


def _cells(answer: dict, *, dimension: bool) -> list[Cell]:
    cells = []
    skip = {"antenna", "period", "dimension"}
    for row in answer["rows"]:
        for measure, figure in row.items():
            if measure in skip or (dimension and measure == "active_members"):
                continue
            cells.append(
                Cell(antenna=row["antenna"], period=row["period"], measure=measure,
                     dimension=row.get("dimension") if dimension else None, **figure)
            )  # fmt: skip
        if dimension:
            cells.append(Cell(antenna=row["antenna"], period=row["period"], measure="active_members",
                              dimension=None, **row["active_members"]))  # fmt: skip
    return cells


@pytest.mark.parametrize(
    "path",
    [
        "/v1/stats/reciprocity",
        "/v1/stats/bridging",
        "/v1/stats/export?format=csv",
        "/v1/stats/charts/bridging-share.png",
    ],
)
def test_analysts_only(client: TestClient, world: World, path: str) -> None:
    assert client.get(path).status_code == 401
    answer = client.get(path, headers=world.alice.headers)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.get(path, headers=world.mod_molenbeek.headers).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-05-01", "to": "2026-04-01"},
        {"from": "2000-01-01", "to": "2026-04-01"},
        {"period": "week"},
        {"dimension": "religion"},
        {"from": "yesterday"},
    ],
)
def test_invalid_input_is_a_422_problem(client: TestClient, world: World, params: dict) -> None:
    answer = client.get("/v1/stats/bridging", params=params, headers=world.analyst.headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"]


def test_unknown_antenna_and_chart_are_404(client: TestClient, world: World) -> None:
    headers = world.analyst.headers
    assert client.get("/v1/stats/reciprocity", params={"antenna": "atlantis"}, headers=headers).status_code == 404
    assert client.get("/v1/stats/charts/pie.png", headers=headers).status_code == 404


def test_reciprocity_published_and_suppressed(client: TestClient, world: World, db: Engine) -> None:
    _busy_antenna(db)
    answer = client.get("/v1/stats/reciprocity", params=RANGE, headers=world.analyst.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["periods"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    rows = {(r["antenna"], r["period"]): r for r in body["rows"]}
    march = rows[("molenbeek", "2026-03")]
    assert march["active_members"] == {"value": 25, "lower": None, "upper": None, "suppressed": False, "reason": None}
    assert march["exchanges"]["value"] == 70  # 72 exchanges, rounded to 5
    assert march["dyadic_reciprocity"]["value"] is not None
    # Jette had nobody active: a count under 5 is hidden, never shown as 0.
    jette = rows[("jette", "2026-03")]["active_members"]
    assert jette == {"value": None, "lower": None, "upper": None, "suppressed": True, "reason": "small_count"}
    assert_publishable(_cells(body, dimension=False))
    # One antenna only, by quarter.
    one = client.get(
        "/v1/stats/reciprocity", params={**RANGE, "antenna": "molenbeek", "period": "quarter"},
        headers=world.analyst.headers,
    ).json()  # fmt: skip
    assert [(r["antenna"], r["period"]) for r in one["rows"]] == [("molenbeek", "2026-Q1"), ("molenbeek", "2026-Q2")]


def test_bridging_breakdown_leaves_non_consenting_members_out(client: TestClient, world: World, db: Engine) -> None:
    _busy_antenna(db, members=40)
    params = {**RANGE, "antenna": "molenbeek", "dimension": "origin"}
    body = client.get("/v1/stats/bridging", params=params, headers=world.analyst.headers).json()
    march = next(r for r in body["rows"] if r["period"] == "2026-03")
    assert march["dimension"] == "origin"
    # 40 members active, 30 consenting (background i % 4, the fourth without consent); 120 exchanges, to the
    # next, the one after and the previous member: 20 of each kind join two consenting members.
    assert march["active_members"]["value"] == 40
    assert march["compared_exchanges"]["value"] == 60
    # All 60 cross origins, so I = 0 is hidden (under 10) and E with it: explicitly, not as zeros.
    assert march["internal_exchanges"] == {
        "value": None, "lower": None, "upper": None, "suppressed": True, "reason": "small_count"
    }  # fmt: skip
    assert march["external_exchanges"]["suppressed"] and march["external_share"]["value"] is None
    assert march["blau"]["value"] == pytest.approx(2 / 3)
    assert_publishable(_cells(body, dimension=True))


def test_export_csv(client: TestClient, world: World, db: Engine) -> None:
    _busy_antenna(db)
    answer = client.get("/v1/stats/export", params={**RANGE, "format": "csv"}, headers=world.analyst.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert {r["suppressed"] for r in records} == {"true", "false"}
    assert all(r["value"] == "" for r in records if r["suppressed"] == "true")
    assert {r["measure"] for r in records} >= {"exchanges", "external_share", "gini_given"}
    active = next(
        r for r in records if (r["antenna"], r["period"], r["measure"]) == ("molenbeek", "2026-03", "active_members")
    )
    assert active["value"] == "25"
    assert client.get("/v1/stats/export", params={"format": "xlsx"}, headers=world.analyst.headers).status_code == 422


def test_answers_say_how_current_they_are(client: TestClient, world: World, db: Engine) -> None:
    _busy_antenna(db)
    headers = world.analyst.headers
    began = datetime.now(UTC)
    body = client.get("/v1/stats/reciprocity", params=RANGE, headers=headers).json()
    assert began <= datetime.fromisoformat(body["as_of"]) <= datetime.now(UTC)
    export = client.get("/v1/stats/export", params=RANGE, headers=headers)
    checked = datetime.fromisoformat(export.headers["Data-As-Of"])
    assert datetime.fromisoformat(body["as_of"]) <= checked <= datetime.now(UTC)
    chart = client.get("/v1/stats/charts/reciprocity-classes.png", params=RANGE, headers=headers)
    assert datetime.fromisoformat(chart.headers["Data-As-Of"]) >= checked

    # With a maximum age, blocks checked that recently are served without a new check: same moment.
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update={"stats_max_age_minutes": 15})  # type: ignore[attr-defined]
    try:
        again = client.get("/v1/stats/reciprocity", params=RANGE, headers=headers).json()
    finally:
        client.app.state.settings = settings  # type: ignore[attr-defined]
    assert datetime.fromisoformat(again["as_of"]) == datetime.fromisoformat(chart.headers["Data-As-Of"])
    assert again["rows"] == body["rows"]


@pytest.mark.parametrize("name", ["bridging-share", "reciprocity-classes"])
def test_charts_are_png(client: TestClient, world: World, db: Engine, name: str) -> None:
    _busy_antenna(db)
    answer = client.get(f"/v1/stats/charts/{name}.png", params=RANGE, headers=world.analyst.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_openapi_documents_the_figures(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    rows = schema["components"]["schemas"]["ReciprocityRow"]["properties"]
    assert "min(w_ij, w_ji)" in str(schema["components"]["schemas"])
    assert "dyadic_reciprocity" in rows
    for path in ("/v1/stats/reciprocity", "/v1/stats/bridging", "/v1/stats/export"):
        assert {"401", "403", "422"} <= set(schema["paths"][path]["get"]["responses"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    members=st.integers(2, 30),
    exchanges=st.integers(0, 120),
    consent=st.floats(0, 1),
)
def test_random_networks_never_publish_a_small_cell(
    client: TestClient, world: World, db: Engine, seed: int, members: int, exchanges: int, consent: float
) -> None:
    rng = random.Random(seed)
    with Session(db) as session:
        net = Network(session)
        slugs = ["molenbeek", "jette"]
        ids = []
        for _ in range(members):
            background = rng.choice(BACKGROUNDS[:3]) if rng.random() < consent else None
            joined = at(2026, 1, 1) + timedelta(days=rng.randint(0, 60))
            ids.append((net.member(background=background, slug=rng.choice(slugs), joined=joined), joined))
        for _ in range(exchanges):
            (helper, j1), (receiver, j2) = rng.sample(ids, 2) if len(ids) > 1 else (ids[0], ids[0])
            if helper == receiver:
                continue
            when = max(j1, j2) + timedelta(days=rng.randint(0, 150), hours=rng.randint(0, 23))
            net.exchange(helper, receiver, 15 * rng.randint(1, 8), min(when, datetime(2026, 8, 30, tzinfo=UTC)))
        session.commit()
    try:
        headers = world.analyst.headers
        for period in ("month", "quarter"):
            params = {"from": "2026-01-01", "to": "2026-08-31", "period": period}
            recip = client.get("/v1/stats/reciprocity", params=params, headers=headers)
            bridging = client.get("/v1/stats/bridging", params=params, headers=headers)
            assert recip.status_code == bridging.status_code == 200, recip.text + bridging.text
            published = _cells(recip.json(), dimension=False)
            assert_publishable(published)
            assert_publishable(_cells(bridging.json(), dimension=True))
            for cell in published:
                if not cell.suppressed and cell.value is not None and cell.measure.endswith("members"):
                    assert cell.value >= 5
    finally:
        _wipe_network(db)


def _wipe_network(engine: Engine) -> None:
    """Remove what one example added, keeping the World (hypothesis reuses the function's fixtures)."""
    from sqlalchemy import delete, select

    from store.background import MemberBackground
    from store.exchanges import Exchange
    from store.members import Member
    from store.memberships import Membership
    from store.proposals import Proposal

    with Session(engine) as session:
        session.execute(delete(Exchange))
        session.execute(delete(Proposal))
        extra = select(Member.id).where(Member.email.is_(None))  # the network's members have no e-mail
        session.execute(delete(MemberBackground).where(MemberBackground.member_id.in_(extra)))
        session.execute(delete(Membership).where(Membership.member_id.in_(extra)))
        session.execute(delete(Member).where(Member.id.in_(extra)))
        session.commit()
