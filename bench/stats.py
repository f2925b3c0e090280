"""Time of each analysts' statistics endpoint on a large database: 1M+ ledger entries, 5 years, 10 antennas.

    python bench/stats.py                                   # a SQLite file in a temporary directory
    python bench/stats.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_stats

The database is migrated with Alembic (so the indexes are the migrations'), filled with bulk Core inserts
(members, memberships, consented backgrounds, offers, requests, proposals, settled exchanges, and a
settlement transfer with its two entries per exchange, plus donations and pool payments), then each
endpoint is called through the real application (TestClient, an analyst's token) and timed:
- cold: the statistics cache (store/stats_cache.py) emptied first, as after a deploy that changes the
  formulas; the scheduler's start-up run normally pays this, not an analyst;
- warm: `--repeat` times with the blocks checked within stats_max_age (the steady state: the scheduler
  re-checks them every stats_refresh_minutes);
- re-checked: a request that checks the data itself (stats_max_age 0, as when no scheduler ran lately).
Then one settlement is added in the last quarter: a request is still served from the cache, the
scheduler's refresh recomputes that quarter only (timed), and a self-checking request is timed after a
second one. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from api.app import create_app  # noqa: E402
from buurtbank.db import make_engine  # noqa: E402
from buurtbank.migrate import upgrade  # noqa: E402
from buurtbank.settings import Environment, Settings  # noqa: E402
from domain.antenna_files import load_antenna_dir  # noqa: E402
from services.antenna_loader import load_antennas  # noqa: E402
from services.passwords import hash_password  # noqa: E402
from services.stats import warm_cache  # noqa: E402
from store.antennas import Antenna  # noqa: E402
from store.background import MemberBackground  # noqa: E402
from store.exchanges import Exchange  # noqa: E402
from store.ledger import LedgerAccount, LedgerEntry, LedgerTransfer  # noqa: E402
from store.listings import HelpRequest, Offer  # noqa: E402
from store.members import Member  # noqa: E402
from store.memberships import Membership  # noqa: E402
from store.proposals import Proposal  # noqa: E402
from store.stats_cache import clear  # noqa: E402

START = datetime(2021, 1, 1, tzinfo=UTC)
END = datetime(2025, 12, 31, tzinfo=UTC)
ORIGINS = ["BE", "BE", "BE", "Maghreb", "Maghreb", "EU", "Sub-Saharan Africa", "Turkey", "Latin America"]
LANGUAGES = [["nl"], ["fr"], ["fr", "nl"], ["ar", "fr"], ["fr", "tr"], ["en", "fr"], ["es", "fr"], ["ar", "nl"]]
AGES = ["<25", "25-44", "45-64", "65-79", "80+"]


def _moment(rng: random.Random, after: datetime) -> datetime:
    span = (END - after).total_seconds()
    return after + timedelta(seconds=rng.random() * span)


def _chunks(rows: list[dict], size: int = 20_000):  # type: ignore[no-untyped-def]
    """Rows in slices with the same keys (an executemany needs them), missing ones as NULL."""
    keys = {key for row in rows for key in row}
    for i in range(0, len(rows), size):
        yield [{key: row.get(key) for key in keys} for row in rows[i : i + size]]


def fill(url: str, *, members_per_antenna: int, exchanges: int, seed: int) -> None:
    rng = random.Random(seed)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_antennas(session, load_antenna_dir(ROOT / "antennas"))
        session.commit()
        antennas = {a.id: a for a in session.exec(select(Antenna))}
    began = time.perf_counter()
    with engine.begin() as conn:
        now = datetime.now(UTC)
        members, memberships, backgrounds, accounts = [], [], [], []
        by_antenna: dict[int, list[tuple[int, datetime]]] = {}
        member_id = 0
        for antenna_id, antenna in antennas.items():
            circles = [c.key for c in antenna.declaration().circles] or [None]
            for _ in range(members_per_antenna):
                member_id += 1
                joined = START + timedelta(days=rng.random() * 1500)
                members.append(
                    {
                        "id": member_id,
                        "display_name": f"bench {member_id}",
                        "language": "nl",
                        "is_admin": False,
                        "is_analyst": False,
                        "paused": False,
                        "created_at": joined,
                    }
                )
                memberships.append(
                    {
                        "member_id": member_id,
                        "antenna_id": antenna_id,
                        "status": "approved",
                        "requested_at": joined,
                        "decided_at": joined + timedelta(days=2),
                    }
                )
                accounts.append(
                    {"id": member_id, "kind": "member", "member_id": member_id, "balance": 0, "created_at": joined}
                )
                if rng.random() < 0.6:
                    backgrounds.append(
                        {
                            "member_id": member_id,
                            "languages": rng.choice(LANGUAGES),
                            "origin": rng.choice(ORIGINS),
                            "age_band": rng.choice(AGES) if rng.random() < 0.8 else None,
                            "circle": rng.choice(circles) if rng.random() < 0.5 else None,
                            "consented_at": joined,
                        }
                    )
                by_antenna.setdefault(antenna_id, []).append((member_id, joined + timedelta(days=2)))
        analyst = member_id + 1
        members.append(
            {
                "id": analyst,
                "email": "analyst@bench.example",
                "password_hash": hash_password("bench-password"),
                "display_name": "analyst",
                "language": "en",
                "is_admin": False,
                "is_analyst": True,
                "paused": False,
                "created_at": now,
            }
        )
        pools = {a: member_id + 10 + i for i, a in enumerate(antennas)}
        accounts += [
            {"id": pid, "kind": "pool", "pool_antenna_id": a, "balance": 0, "created_at": START}
            for a, pid in pools.items()
        ]
        for table, rows in (
            (Member, members),
            (Membership, memberships),
            (MemberBackground, backgrounds),
            (LedgerAccount, accounts),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
        offers, requests, proposals, exchange_rows, transfers, entries = [], [], [], [], [], []
        antenna_ids = list(antennas)
        for n in range(1, exchanges + 1):
            antenna_id = rng.choice(antenna_ids)
            people = by_antenna[antenna_id]
            i = rng.randrange(len(people))
            # Members mostly help a few regular neighbours, so pairs repeat.
            j = (i + rng.choice((1, 2, 3, 5, 8, 13, -1, -2))) % len(people)
            (helper, h_joined), (receiver, r_joined) = people[i], people[j]
            settled = _moment(rng, max(h_joined, r_joined))
            minutes = 15 * rng.randint(1, 12)
            request_id = None
            if n % 3 == 0:
                request_id = len(requests) + 1
                posted = settled - timedelta(days=rng.random() * 20)
                requests.append(
                    {
                        "id": request_id,
                        "antenna_id": antenna_id,
                        "member_id": receiver,
                        "category": "shopping",
                        "title": "r",
                        "description": "",
                        "status": "closed",
                        "created_at": posted,
                        "updated_at": posted,
                    }
                )
            if n % 10 == 0:
                offers.append(
                    {
                        "antenna_id": antenna_id,
                        "member_id": helper,
                        "category": "shopping",
                        "title": "o",
                        "description": "",
                        "status": "open",
                        "created_at": settled,
                        "updated_at": settled,
                    }
                )
            proposed = settled - timedelta(days=rng.random() * 5)
            proposals.append(
                {
                    "id": n,
                    "antenna_id": antenna_id,
                    "request_id": request_id,
                    "helper_id": helper,
                    "receiver_id": receiver,
                    "category": "shopping",
                    "origin": "member",
                    "state": "accepted",
                    "helper_accepted": True,
                    "receiver_accepted": True,
                    "created_at": proposed,
                    "state_since": proposed + timedelta(hours=3),
                }
            )
            exchange_rows.append(
                {
                    "id": n,
                    "proposal_id": n,
                    "antenna_id": antenna_id,
                    "helper_id": helper,
                    "receiver_id": receiver,
                    "category": "shopping",
                    "request_id": request_id,
                    "state": "settled",
                    "helper_minutes": minutes,
                    "receiver_minutes": minutes,
                    "settled_minutes": minutes,
                    "paid_by_pool": False,
                    "planned_at": proposed,
                    "state_since": settled,
                    "settled_at": settled,
                }
            )
            tid = str(uuid.UUID(int=rng.getrandbits(128)))
            transfers.append(
                {
                    "id": tid,
                    "kind": "settlement",
                    "antenna_id": antenna_id,
                    "exchange_id": n,
                    "settles_exchange_id": n,
                    "created_by": receiver,
                    "created_at": settled,
                }
            )
            entries.append({"transfer_id": tid, "account_id": receiver, "minutes": -minutes, "created_at": settled})
            entries.append({"transfer_id": tid, "account_id": helper, "minutes": minutes, "created_at": settled})
            if n % 8 == 0:  # a donation to the pool, and the pool paying a helper
                for kind in ("donation", "pool_payment"):
                    tid = str(uuid.UUID(int=rng.getrandbits(128)))
                    when = _moment(rng, max(h_joined, r_joined))
                    pool = pools[antenna_id]
                    debit, credit = (receiver, pool) if kind == "donation" else (pool, helper)
                    transfers.append(
                        {"id": tid, "kind": kind, "antenna_id": antenna_id, "created_by": receiver, "created_at": when}
                    )
                    entries.append({"transfer_id": tid, "account_id": debit, "minutes": -30, "created_at": when})
                    entries.append({"transfer_id": tid, "account_id": credit, "minutes": 30, "created_at": when})
        for table, rows in (
            (Offer, offers),
            (HelpRequest, requests),
            (Proposal, proposals),
            (Exchange, exchange_rows),
            (LedgerTransfer, transfers),
            (LedgerEntry, entries),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(LedgerEntry)).one()  # type: ignore[call-overload]
        exchanged = session.exec(select(func.count()).select_from(Exchange)).one()  # type: ignore[call-overload]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(
        f"filled in {time.perf_counter() - began:.0f} s: {count} ledger entries, {exchanged} exchanges, "
        f"{member_id} members in {len(antennas)} antennas, {START:%Y-%m} to {END:%Y-%m}"
    )
    engine.dispose()


CALLS = [
    ("reciprocity, 12 months by month", "/v1/stats/reciprocity", {"from": "2025-01-01", "to": "2025-12-31"}),
    (
        "reciprocity, 12 months by quarter",
        "/v1/stats/reciprocity",
        {"from": "2025-01-01", "to": "2025-12-31", "period": "quarter"},
    ),
    ("bridging, 12 months by month", "/v1/stats/bridging", {"from": "2025-01-01", "to": "2025-12-31"}),
    (
        "bridging, one antenna, origin",
        "/v1/stats/bridging",
        {"from": "2025-01-01", "to": "2025-12-31", "antenna": "molenbeek", "dimension": "origin"},
    ),
    ("export csv, 12 months", "/v1/stats/export", {"from": "2025-01-01", "to": "2025-12-31", "format": "csv"}),
    (
        "chart bridging-share, 12 months",
        "/v1/stats/charts/bridging-share.png",
        {"from": "2025-01-01", "to": "2025-12-31"},
    ),
    (
        "chart reciprocity-classes, 12 months",
        "/v1/stats/charts/reciprocity-classes.png",
        {"from": "2025-01-01", "to": "2025-12-31"},
    ),
    (
        "reciprocity, 5 years by quarter",
        "/v1/stats/reciprocity",
        {"from": "2021-01-01", "to": "2025-12-31", "period": "quarter"},
    ),
    ("export csv, 5 years", "/v1/stats/export", {"from": "2021-01-01", "to": "2025-12-31"}),
]


def _clear_cache(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        clear(session)
        session.commit()
    engine.dispose()


def _timed(client: TestClient, path: str, params: dict[str, str], headers: dict[str, str]) -> float:
    began = time.perf_counter()
    answer = client.get(path, params=params, headers=headers)
    elapsed = time.perf_counter() - began
    assert answer.status_code == 200, answer.text
    return elapsed


def _new_settlement(url: str) -> None:
    """One more settled exchange (with its settlement transfer and entries) on the last day of the data."""
    engine = make_engine(url)
    with engine.begin() as conn:
        row = conn.execute(select(Exchange.__table__).order_by(Exchange.settled_at.desc()).limit(1)).mappings().one()  # type: ignore[attr-defined]
        exchange_id = conn.execute(select(func.max(Exchange.id))).scalar_one() + 1
        proposal = conn.execute(select(Proposal.__table__).where(Proposal.id == row["proposal_id"])).mappings().one()  # type: ignore[attr-defined]
        proposal_id = conn.execute(select(func.max(Proposal.id))).scalar_one() + 1
        conn.execute(insert(Proposal), [{**proposal, "id": proposal_id, "live_key": None}])
        when = END - timedelta(hours=1)
        conn.execute(
            insert(Exchange),
            [{**row, "id": exchange_id, "proposal_id": proposal_id, "settled_at": when, "state_since": when}],
        )
        transfer = str(uuid.uuid4())
        conn.execute(
            insert(LedgerTransfer),
            [{"id": transfer, "kind": "settlement", "antenna_id": row["antenna_id"], "exchange_id": exchange_id,
              "settles_exchange_id": exchange_id, "created_by": row["receiver_id"], "created_at": when}],
        )  # fmt: skip
        minutes = row["settled_minutes"]
        conn.execute(
            insert(LedgerEntry),
            [{"transfer_id": transfer, "account_id": row["receiver_id"], "minutes": -minutes, "created_at": when},
             {"transfer_id": transfer, "account_id": row["helper_id"], "minutes": minutes, "created_at": when}],
        )  # fmt: skip
    engine.dispose()


def _refresh(url: str) -> tuple[float, dict[str, int]]:
    """The scheduler's stats_cache job body: re-check every quarter, recompute the changed ones."""
    engine = make_engine(url)
    with Session(engine) as session:
        began = time.perf_counter()
        counts = warm_cache(session, today=date.today())
        session.commit()
        elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, counts


def measure(url: str, *, repeat: int) -> None:
    upgrade(url)  # an older filled database gets the cache table
    settings = Settings(
        environment=Environment.TEST,
        database_url=url,
        secret_key="bench-" + "k" * 40,
        antennas_dir=ROOT / "antennas",
        scheduler_enabled=False,
    )
    checking = settings.model_copy(update={"stats_max_age_minutes": 0})
    with TestClient(create_app(settings)) as client:
        token = client.post("/v1/auth/token", data={"username": "analyst@bench.example", "password": "bench-password"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        print(
            f"{'endpoint':37} {'cold s':>7} {'warm median s':>14} {'warm max s':>11} {'re-checked s':>13}",
            flush=True,
        )
        for name, path, params in CALLS:
            _clear_cache(url)
            cold = _timed(client, path, params, headers)
            warm = [_timed(client, path, params, headers) for _ in range(repeat)]
            client.app.state.settings = checking  # type: ignore[attr-defined]
            checked = _timed(client, path, params, headers)
            client.app.state.settings = settings  # type: ignore[attr-defined]
            print(
                f"{name:37} {cold:7.3f} {statistics.median(warm):14.3f} {max(warm):11.3f} {checked:13.3f}", flush=True
            )

        print("\nwith every block cached and checked, one new settlement in the last quarter:")
        name, path, params = CALLS[0]
        _refresh(url)
        _new_settlement(url)
        print(f"  {name}, served from the cache: {_timed(client, path, params, headers):.3f} s")
        elapsed, counts = _refresh(url)
        print(f"  scheduler refresh (stats_cache job): {elapsed:.3f} s, {counts['recomputed']} of {counts['quarters']} "
              "quarters recomputed")  # fmt: skip
        print(f"  {name}, after the refresh: {_timed(client, path, params, headers):.3f} s")
        _new_settlement(url)
        client.app.state.settings = checking  # type: ignore[attr-defined]
        print(f"  another settlement, a request that re-checks itself: {_timed(client, path, params, headers):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--members-per-antenna", type=int, default=600)
    parser.add_argument("--exchanges", type=int, default=480_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-fill", action="store_true", help="time an already filled database")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='buurtbank-bench-')}/stats.db"
    print(f"database: {url.split('@')[-1]}")
    if not args.skip_fill:
        fill(url, members_per_antenna=args.members_per_antenna, exchanges=args.exchanges, seed=args.seed)
    measure(url, repeat=args.repeat)


if __name__ == "__main__":
    main()
