"""The analysts' endpoints: access, validation, released shapes, CSV, PNG, the privacy report."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from matplotlib.text import Text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from buurtbank.i18n import LANGUAGES, translate
from stats import charts
from stats import endpoints as stats_endpoints
from stats.rules.figures import BRIDGING_MEASURES, CSV_COLUMNS, RECIPROCITY_MEASURES
from stats.rules.windows import Period
from stats.schemas import MEASURE_DOCS, BridgingRow, Figure, ReciprocityRow
from tests.api.helpers import World
from tests.services.stats_network import Network, at

RANGE = {"from": "2026-01-01", "to": "2026-06-30"}
BACKGROUNDS = [
    {"origin": "BE", "languages": ["nl", "fr"], "age_band": "65-79"},
    {"origin": "Maghreb", "languages": ["ar", "fr"], "age_band": "25-44"},
    {"origin": "EU", "languages": ["fr"], "age_band": "45-64"},
    None,  # no consent
]


def busy_antenna(engine: Engine, *, members: int = 24, seed: int = 1, month: int = 3) -> None:
    """Molenbeek with `members` active members in a month of 2026 (each gives to the next two and the previous)."""
    rng = random.Random(seed)
    with Session(engine) as session:
        net = Network(session)
        ids = [net.member(background=BACKGROUNDS[i % len(BACKGROUNDS)]) for i in range(members)]
        for i, helper in enumerate(ids):
            for k in (1, 2, members - 1):
                receiver = ids[(i + k) % members]
                net.exchange(helper, receiver, 15 * rng.randint(1, 8), at(2026, month, 1 + (i + k) % 27))
        session.commit()


@contextmanager
def generous(client: TestClient, **changes: Any) -> Iterator[None]:
    """Settings with a large epsilon (little noise), to check the plumbing against exact figures."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    defaults = {"stats_epsilon_month": 400.0, "stats_epsilon_quarter": 400.0, "stats_budget_per_quarter": 2000.0}
    client.app.state.settings = settings.model_copy(update={**defaults, **changes})  # type: ignore[attr-defined]
    try:
        yield
    finally:
        client.app.state.settings = settings  # type: ignore[attr-defined]


PATHS = (
    "/v1/stats/reciprocity",
    "/v1/stats/bridging",
    "/v1/stats/export?format=csv",
    "/v1/stats/charts/bridging-share.png",
    "/v1/stats/privacy",
)
BAD_PARAMS = (
    {"from": "2026-05-01", "to": "2026-04-01"},
    {"from": "2000-01-01", "to": "2026-04-01"},
    {"period": "week"},
    {"dimension": "religion"},
    {"from": "yesterday"},
)


def test_analysts_only_and_bad_input(client: TestClient, world: World) -> None:
    # One test for all of them: building the world of accounts is the slow part.
    for path in PATHS:
        assert client.get(path).status_code == 401
        answer = client.get(path, headers=world.alice.headers)
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert client.get(path, headers=world.mod_molenbeek.headers).status_code == 403
    for params in BAD_PARAMS:
        answer = client.get("/v1/stats/bridging", params=params, headers=world.analyst.headers)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"]
    headers = world.analyst.headers
    assert client.get("/v1/stats/reciprocity", params={"antenna": "atlantis"}, headers=headers).status_code == 404
    assert client.get("/v1/stats/charts/pie.png", headers=headers).status_code == 404
    assert client.get("/v1/stats/privacy", params={"antenna": "atlantis"}, headers=headers).status_code == 404


def test_released_figures_are_noisy_near_the_truth(client: TestClient, world: World, db: Engine) -> None:
    busy_antenna(db)
    with generous(client):
        answer = client.get("/v1/stats/reciprocity", params=RANGE, headers=world.analyst.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["periods"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    rows = {(r["antenna"], r["period"]): r for r in body["rows"]}
    march = rows[("molenbeek", "2026-03")]
    # 24 givers (the 4 test world members took no part): exact 24 active, 72 exchanges; the noise is small here.
    assert abs(march["active_members"]["value"] - 24) <= 3
    assert abs(march["exchanges"]["value"] - 72) <= 3
    figure = march["exchanges"]
    assert figure["noise_sd"] > 0 and figure["epsilon"] > 0
    assert figure["lower"] < figure["value"] < figure["upper"]
    assert march["gini_given"] == {
        "value": None, "lower": None, "upper": None, "suppressed": True, "reason": "not_released", "noise_sd": None,
        "epsilon": None,
    }  # fmt: skip
    # `all` is the sum of the antennas' releases: derived, no epsilon of its own.
    everyone = rows[("all", "2026-03")]["exchanges"]
    assert everyone["epsilon"] is None and everyone["noise_sd"] > figure["noise_sd"]
    one = client.get(
        "/v1/stats/reciprocity", params={**RANGE, "antenna": "molenbeek", "period": "quarter"},
        headers=world.analyst.headers,
    ).json()  # fmt: skip
    assert [(r["antenna"], r["period"]) for r in one["rows"]] == [("molenbeek", "2026-Q1"), ("molenbeek", "2026-Q2")]


def test_defaults_withhold_what_is_too_noisy_for_a_small_antenna(client: TestClient, world: World, db: Engine) -> None:
    busy_antenna(db)
    body = client.get("/v1/stats/reciprocity", params=RANGE, headers=world.analyst.headers).json()
    rows = {(r["antenna"], r["period"]): r for r in body["rows"]}
    # At the default epsilon one member may move the active count by up to 4 (month bounds): its noise is
    # larger than Molenbeek's 24 active members of March...
    assert rows[("molenbeek", "2026-03")]["active_members"]["noise_sd"] > 24
    # ... and the antennas where nobody was active show noise, withheld as too noisy, never a 0.
    empty = [r["active_members"] for (antenna, _), r in rows.items() if antenna not in ("molenbeek", "all")]
    assert len(empty) == 54
    assert sum(f["reason"] == "too_noisy" for f in empty) >= 50
    assert all(f["value"] != 0 for f in empty)


def test_bridging_rows(client: TestClient, world: World, db: Engine) -> None:
    busy_antenna(db, members=40)
    params = {**RANGE, "antenna": "molenbeek", "dimension": "origin"}
    with generous(client):
        body = client.get("/v1/stats/bridging", params=params, headers=world.analyst.headers).json()
    march = next(r for r in body["rows"] if r["period"] == "2026-03")
    assert march["dimension"] == "origin"
    # 30 consenting members of three origins in turn; exchanges to the next, the one after and the previous
    # member: 60 join two consenting members, all of different origins.
    assert abs(march["compared_exchanges"]["value"] - 60) <= 4
    assert march["external_share"]["value"] > 0.9
    assert march["blau"]["reason"] == "not_released"
    assert abs(march["active_members"]["value"] - 40) <= 3


def test_export_csv(client: TestClient, world: World, db: Engine) -> None:
    busy_antenna(db)
    with generous(client):
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
    assert abs(int(active["value"]) - 24) <= 3 and float(active["noise_sd"]) > 0
    assert client.get("/v1/stats/export", params={"format": "xlsx"}, headers=world.analyst.headers).status_code == 422


def test_charts_are_png(client: TestClient, world: World, db: Engine) -> None:
    busy_antenna(db)
    for name in ("bridging-share", "reciprocity-classes"):
        with generous(client):
            answer = client.get(f"/v1/stats/charts/{name}.png", params=RANGE, headers=world.analyst.headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "image/png"
        assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert answer.headers["Data-As-Of"]


def test_privacy_report_shows_the_parameters_and_the_budget_spent(client: TestClient, world: World, db: Engine) -> None:
    busy_antenna(db)
    headers = world.analyst.headers
    before = client.get("/v1/stats/privacy", headers=headers).json()
    assert before["spent"] == [] and before["delta"] == 0
    assert before["epsilon_month"] == 1.0 and before["epsilon_quarter"] == 2.0 and before["budget_per_quarter"] == 5.0
    assert before["quarter_bounds"]["exchanges"] == 12 and before["month_bounds"]["exchanges"] == 6
    client.get("/v1/stats/reciprocity", params={"from": "2026-01-01", "to": "2026-03-31"}, headers=headers)
    client.get("/v1/stats/reciprocity", params={"from": "2026-01-01", "period": "quarter", "to": "2026-03-31"},
               headers=headers)  # fmt: skip
    report = client.get("/v1/stats/privacy", params={"antenna": "molenbeek"}, headers=headers).json()
    [quarter] = report["spent"]
    assert quarter["antenna"] == "molenbeek" and quarter["quarter"] == "2026-Q1"
    assert [r["period"] for r in quarter["releases"]] == ["2026-01", "2026-02", "2026-03", "2026-Q1"]
    assert quarter["spent"] == pytest.approx(5.0) and quarter["remaining"] == pytest.approx(0.0)
    assert len(client.get("/v1/stats/privacy", headers=headers).json()["spent"]) == 10  # every antenna


def test_openapi_explains_each_figure_and_its_privacy(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    rows = components["ReciprocityRow"]["properties"]
    assert "min(w_ij, w_ji)" in str(components)
    assert "Released with noise" in rows["exchanges"]["description"]
    assert "not_released" in rows["gini_given"]["description"]
    assert "noise_sd" in components["Figure"]["properties"]
    for path in ("/v1/stats/reciprocity", "/v1/stats/bridging", "/v1/stats/export", "/v1/stats/privacy"):
        assert {"401", "403"} <= set(schema["paths"][path]["get"]["responses"])


def test_the_row_models_name_every_measure_in_the_rules_order() -> None:
    """The rows are written out as classes (grep and mypy see them); they must not drift from the rules."""
    assert list(ReciprocityRow.model_fields) == ["antenna", "period", *RECIPROCITY_MEASURES]
    assert list(BridgingRow.model_fields) == ["antenna", "period", "dimension", "active_members", *BRIDGING_MEASURES]
    for row in (ReciprocityRow, BridgingRow):
        for name, field in row.model_fields.items():
            if name not in {"antenna", "period", "dimension"}:
                assert field.annotation is Figure and field.description == MEASURE_DOCS[name], name


def _texts(figure: Any) -> set[str]:
    """Every text a person reads on the chart: title, axis labels, tick labels, legend and note."""
    texts = {t.get_text() for t in figure.findobj(Text)}
    return {t for t in texts if t and not t.replace(".", "").replace("−", "").isdigit()}


@pytest.mark.parametrize("name", ["bridging-share", "reciprocity-classes"])
def test_charts_follow_accept_language(client: TestClient, world: World, db: Engine, name: str) -> None:
    busy_antenna(db)
    with generous(client):
        pngs = {
            lang: client.get(
                f"/v1/stats/charts/{name}.png", params=RANGE, headers={**world.analyst.headers, "Accept-Language": lang}
            ).content
            for lang in LANGUAGES
        }
    assert len(set(pngs.values())) == 3  # the same figures, drawn three times with different words
    with Session(db) as session, generous(client):
        settings = client.app.state.settings  # type: ignore[attr-defined]
        table = stats_endpoints._table(
            session, settings, start=date(2026, 1, 1), end=date(2026, 6, 30), period=Period.MONTH,
            antenna=None if name == "bridging-share" else "molenbeek",
            measures=("external_share",) if name == "bridging-share" else tuple(m for m, _ in charts.CLASSES),
            dimension="any" if name == "bridging-share" else None,
        )  # fmt: skip
    texts = {lang: _texts(charts.figure(name, table, lang)) for lang in LANGUAGES}
    prefix = "chart.bridging." if name == "bridging-share" else "chart.reciprocity."
    for lang, shown in texts.items():
        title_key = prefix + "title"
        expected = {
            translate("chart.note", lang),
            translate("chart.x_label", lang),
            translate(prefix + "y_label", lang),
        }
        if name == "reciprocity-classes":
            expected |= {translate(key, lang) for _, key in charts.CLASSES}
            expected.add(translate(title_key, lang, antenna="molenbeek"))
        else:
            expected.add(translate(title_key, lang, dimension=translate("chart.dimension.any", lang)))
            expected.add(translate("chart.all_antennas", lang))
        assert expected <= shown, (lang, expected - shown)
        assert not any(key.startswith("chart.") for key in shown)  # no message key left untranslated
        for other, theirs in texts.items():
            if other != lang:  # apart from names and periods, no word is shared with another language
                assert expected.isdisjoint(theirs - {"molenbeek"}), (lang, other, expected & theirs)
