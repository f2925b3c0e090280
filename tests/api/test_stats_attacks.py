"""The six attacks of issue 11, as a curious analyst would try them through the API.

Each one succeeded against the rounded and suppressed statistics (the code before the releases) and must fail
against the differentially private releases. They only use fields both versions have (value, lower, upper,
suppressed, reason, periods), so running this file on the old code shows every test failing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.background import MemberBackground
from tests.api.helpers import World
from tests.services.stats_network import Network, at

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
Z_95 = 1.959963984540054


@contextmanager
def epsilon(client: TestClient, value: float) -> Iterator[None]:
    """A larger epsilon than the default, so that figures are published and can be attacked at all."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    update = {"stats_epsilon_month": value, "stats_epsilon_quarter": value, "stats_budget_per_quarter": 10 * value}
    client.app.state.settings = settings.model_copy(update=update)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        client.app.state.settings = settings  # type: ignore[attr-defined]


def mixed_antenna(engine: Engine, *, members: int = 40, month: int = 3, year: int = 2026) -> list[int]:
    """Members of two origins in pairs (BE, BE, EU, EU, ...), each giving 60 or 90 minutes to the next two and
    the previous member: about half the exchanges cross origins. Every fifth member has no background."""
    with Session(engine) as session:
        net = Network(session)
        ids = []
        for i in range(members):
            background = None if i % 5 == 4 else {"origin": "BE" if i % 4 < 2 else "EU", "languages": ["fr"]}
            ids.append(net.member(background=background))
        for i, helper in enumerate(ids):
            for k in (1, 2, members - 1):
                day = min(28, 1 + (i + k) % 27)
                net.exchange(helper, ids[(i + k) % members], 60 if (i + k) % 2 else 90, at(year, month, day))
        session.commit()
    return ids


def _rows(body: dict[str, Any]) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    return {(r["antenna"], r["period"], r.get("dimension")): r for r in body["rows"]}


def _wilson(k: int, n: int) -> tuple[float, float]:
    p, z2 = k / n, Z_95 * Z_95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def test_1_rounding_and_intervals_do_not_give_back_the_exact_counts(
    client: TestClient, world: World, db: Engine
) -> None:
    mixed_antenna(db)
    # A generous epsilon: at 40 the noise often withheld every share as too noisy (about one run in six),
    # leaving nothing to attack; less noise only makes the attack easier.
    with epsilon(client, 400):
        body = client.get("/v1/stats/bridging", params=MARCH, headers=world.analyst.headers).json()
        recip = client.get("/v1/stats/reciprocity", params=MARCH, headers=world.analyst.headers).json()
        quarter = client.get("/v1/stats/reciprocity", params={**MARCH, "period": "quarter"},
                             headers=world.analyst.headers).json()  # fmt: skip
    shares = [r["external_share"] for r in body["rows"] if r["external_share"]["value"] is not None]
    assert shares, "the attack needs published shares"
    recovered = []
    for share in shares:
        for n in range(1, 400):
            k = round(share["value"] * n)
            if k <= n and abs(k / n - share["value"]) < 1e-12:
                lower, upper = _wilson(k, n)
                if abs(lower - share["lower"]) < 1e-9 and abs(upper - share["upper"]) < 1e-9:
                    recovered.append((k, n))
    assert recovered == []
    # Exchanges of 60 and 90 minutes: exact minutes are multiples of 30, and rounding to 5 keeps them so.
    minutes = [r["minutes"]["value"] for r in (*recip["rows"], *quarter["rows"]) if r["minutes"]["value"]]
    assert len(minutes) >= 4
    assert not all(m % 30 == 0 for m in minutes)


def test_2_the_open_quarter_is_not_published(client: TestClient, world: World, db: Engine) -> None:
    today = datetime.now(UTC).date()
    mixed_antenna(db, members=12, month=today.month, year=today.year)
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    params = {"from": (quarter_start - timedelta(days=100)).isoformat(), "to": today.isoformat()}
    headers = world.analyst.headers
    for period in ("quarter", "month"):
        body = client.get("/v1/stats/reciprocity", params={**params, "period": period}, headers=headers).json()
        current = f"{today.year}-Q{(today.month - 1) // 3 + 1}" if period == "quarter" else f"{today:%Y-%m}"
        assert current not in body["periods"]
        assert all(r["period"] != current for r in body["rows"])


def test_3_suppression_reveals_nothing_about_exact_values(client: TestClient, world: World, db: Engine) -> None:
    # A big antenna and a tiny one (three exchanges in Jette): the old rules hid Jette's cells because they
    # were small, hid others so sums would not give them away, and said so, which a linear program solves.
    mixed_antenna(db)
    with Session(db) as session:
        net = Network(session, slug="jette")
        a, b = net.member(slug="jette"), net.member(slug="jette")
        for day in (3, 4, 5):
            net.exchange(a, b, 60, at(2026, 3, day), slug="jette")
        session.commit()
    with epsilon(client, 10):
        body = client.get("/v1/stats/reciprocity", params=MARCH, headers=world.analyst.headers).json()
    reasons = {f["reason"] for r in body["rows"] for f in r.values() if isinstance(f, dict)}
    # No reason that says "the exact value is small" or "hidden to protect another cell".
    assert not reasons & {"small_count", "small_base", "small_antenna", "secondary"}
    # Even knowing every other antenna's exact figures, `all` minus them gives Jette's noisy release, not its
    # exact three exchanges and 180 minutes: `all` is the sum of the antennas' noisy figures.
    molenbeek = {"exchanges": 120, "minutes": sum(60 if (i + k) % 2 else 90 for i in range(40) for k in (1, 2, 39))}
    everyone = _rows(body)[("all", "2026-03", None)]
    guesses = [
        everyone[measure]["value"] - molenbeek[measure] == exact
        for measure, exact in (("exchanges", 3), ("minutes", 180))
        if everyone[measure]["value"] is not None
    ]
    assert guesses and not all(guesses)


def test_4_no_figure_over_a_tiny_group(client: TestClient, world: World, db: Engine) -> None:
    # Thirteen members: one of them gave every minute, in one circle, to each of the twelve others.
    with Session(db) as session:
        net = Network(session)
        ids = [net.member() for _ in range(13)]
        for day, receiver in enumerate(ids[1:], start=1):
            net.exchange(ids[0], receiver, 60, at(2026, 3, day))
        session.commit()
    with epsilon(client, 40):
        body = client.get("/v1/stats/reciprocity", params={**MARCH, "antenna": "molenbeek"},
                          headers=world.analyst.headers).json()  # fmt: skip
    march = _rows(body)[("molenbeek", "2026-03", None)]
    assert march["gini_given"]["value"] is None  # was 12/13: one member gave everything
    for measure in ("cycle_minutes_share", "median_days_to_first_giving", "median_days_to_settlement"):
        assert march[measure]["value"] is None


def test_5_asking_twice_isolates_nothing(client: TestClient, world: World, db: Engine) -> None:
    ids = mixed_antenna(db)
    headers = world.analyst.headers
    with epsilon(client, 40):
        first = client.get("/v1/stats/reciprocity", params=MARCH, headers=headers).json()
        bridging = client.get("/v1/stats/bridging", params=MARCH, headers=headers).json()
        # One more 90-minute exchange in the released month (a late settlement), then ask again.
        with Session(db) as session:
            Network(session).exchange(ids[0], ids[20], 90, at(2026, 3, 30))
            session.commit()
        second = client.get("/v1/stats/reciprocity", params=MARCH, headers=headers).json()
        bridging_again = client.get("/v1/stats/bridging", params=MARCH, headers=headers).json()
    assert second["rows"] == first["rows"]
    assert bridging_again["rows"] == bridging["rows"]


def test_6_consent_withdrawal_does_not_rewrite_the_past(client: TestClient, world: World, db: Engine) -> None:
    ids = mixed_antenna(db)
    headers = world.analyst.headers
    with epsilon(client, 40):
        before = client.get("/v1/stats/bridging", params=MARCH, headers=headers).json()
        with Session(db) as session:  # ten members withdraw their consent: their background is deleted
            session.execute(delete(MemberBackground).where(MemberBackground.member_id.in_(ids[:10])))  # type: ignore[attr-defined]
            session.commit()
            assert session.execute(select(MemberBackground).where(MemberBackground.member_id == ids[0])).first() is None
        after = client.get("/v1/stats/bridging", params=MARCH, headers=headers).json()
    assert after["rows"] == before["rows"]
