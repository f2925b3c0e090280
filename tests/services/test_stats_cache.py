"""The per-quarter cache of published statistics: same cells as a fresh computation, invalidated by any
change to a block's inputs, warmed by a job that runs once per slot."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import TransferKind
from domain.stats.privacy import assert_publishable
from domain.stats.windows import Period, windows
from scheduler import jobs
from services.stats import (
    BRIDGING_MEASURES,
    _quarter_bounds,
    protected_table,
    read_blocks,
    statistics,
)
from store.background import MemberBackground
from store.job_runs import JobRun
from store.members import Member
from store.memberships import MembershipStatus
from store.stats_cache import StatsCacheBlock
from store.stats_fingerprint import fingerprints, fingerprints_per_quarter
from tests.services.stats_network import Network, at

BACKGROUNDS = [
    {"origin": "BE", "languages": ["nl"], "age_band": "25-44"},
    {"origin": "Maghreb", "languages": ["ar", "fr"], "age_band": "45-64"},
    {"origin": "EU", "languages": ["fr"], "age_band": "25-44"},
]
START, END = date(2026, 1, 1), date(2026, 6, 30)


@pytest.fixture
def town(session: Session) -> Network:
    """Sixty members in two antennas, most consenting, a few hundred exchanges in the first half of 2026."""
    rng = random.Random(5)
    net = Network(session)
    people: dict[str, list[int]] = {"molenbeek": [], "jette": []}
    for i in range(60):
        slug = "molenbeek" if i % 3 else "jette"
        background = rng.choice(BACKGROUNDS) if rng.random() < 0.8 else None
        people[slug].append(net.member(slug=slug, background=background, joined=at(2025, 12, 1 + i % 20)))
    for _ in range(400):
        slug = rng.choice(list(people))
        helper, receiver = rng.sample(people[slug], 2)
        when = at(2026, 1, 1) + timedelta(days=rng.randint(0, 178), hours=rng.randint(0, 8))
        net.exchange(helper, receiver, 15 * rng.randint(1, 8), when, slug=slug)
    session.commit()
    return net


def _blocks(session: Session) -> dict[tuple[str, str], str]:
    return {(b.quarter, b.family): b.fingerprint for b in session.exec(select(StatsCacheBlock))}


def _fresh(session: Session, *, bridging: bool = True) -> tuple:
    cells = protected_table(session, start=START, end=END, bridging=bridging)
    return cells if bridging else tuple(c for c in cells if c.measure not in BRIDGING_MEASURES)


def test_cached_cells_are_the_fresh_ones(town: Network) -> None:
    session = town.session
    fresh = _fresh(session)
    assert any(not c.suppressed and c.value for c in fresh if c.measure in BRIDGING_MEASURES)  # a real test
    assert read_blocks(session, start=START, end=END, bridging=True).cells == fresh  # cold: computed and stored
    assert set(_blocks(session)) == {(q, f) for q in ("2026-Q1", "2026-Q2") for f in ("reciprocity", "bridging")}
    assert read_blocks(session, start=START, end=END, bridging=True).cells == fresh  # warm: read back
    assert read_blocks(session, start=START, end=END, bridging=False).cells == _fresh(session, bridging=False)
    # A range of one month reads the blocks of its quarter: same cells as protecting the quarter afresh.
    one = statistics(session, start=date(2026, 2, 1), end=date(2026, 2, 28), period=Period.MONTH)
    assert {c.period for c in one.cells} == {"2026-02"}
    assert set(one.cells) <= set(fresh)
    assert_publishable(one.cells)


def test_reciprocity_alone_is_the_same_as_with_bridging(town: Network) -> None:
    session = town.session
    alone = read_blocks(session, start=START, end=END, bridging=False).cells
    session.execute(delete(StatsCacheBlock))
    both = read_blocks(session, start=START, end=END, bridging=True).cells
    assert alone == tuple(c for c in both if c.measure not in BRIDGING_MEASURES)


def test_a_new_exchange_invalidates_its_quarter_only(town: Network) -> None:
    session = town.session
    a, b = town.member(background=BACKGROUNDS[0]), town.member(background=BACKGROUNDS[1])
    # New members (joined in 2025) change the memberships of both quarters; see the exchange on its own:
    read_blocks(session, start=START, end=END, bridging=True)
    before = _blocks(session)
    quarters = [_quarter_bounds(w) for w in windows(START, END, Period.QUARTER)]
    prints = fingerprints(session, quarters)
    town.exchange(a, b, 60, at(2026, 5, 3))
    after = fingerprints(session, quarters)
    assert after["2026-Q1"] == prints["2026-Q1"] == before[("2026-Q1", "bridging")]
    assert after["2026-Q2"] != prints["2026-Q2"]
    assert read_blocks(session, start=START, end=END, bridging=True).cells == _fresh(session)
    assert _blocks(session)[("2026-Q2", "bridging")] == after["2026-Q2"]


def test_a_recently_checked_block_is_served_without_a_check_until_it_is_too_old(town: Network) -> None:
    session = town.session
    checked = datetime(2026, 7, 2, 10, 0, tzinfo=UTC)
    first = read_blocks(session, start=START, end=END, bridging=True, now=checked)  # computed and stored
    assert first.as_of == checked and first.cells == _fresh(session)
    a, b = town.member(background=BACKGROUNDS[0]), town.member(background=BACKGROUNDS[1])
    town.exchange(a, b, 60, at(2026, 5, 3))
    session.flush()
    age = timedelta(minutes=15)

    # Within max_age the blocks are trusted as they are: the figures say how old they are.
    soon = read_blocks(session, start=START, end=END, bridging=True, max_age=age, now=checked + timedelta(minutes=14))
    assert soon.cells == first.cells and soon.as_of == checked
    # max_age 0 (the scheduler's job, the command line) always checks.
    exact = read_blocks(session, start=START, end=END, bridging=True, now=checked + timedelta(minutes=14))
    assert exact.cells == _fresh(session) != first.cells and exact.as_of == checked + timedelta(minutes=14)

    # After max_age a request checks again; unchanged blocks are only marked as checked.
    later = checked + timedelta(minutes=14) + age
    counts: dict[str, int] = {}
    again = read_blocks(session, start=START, end=END, bridging=True, max_age=age, now=later, counts=counts)
    assert again.cells == exact.cells and again.as_of == later and counts == {"quarters": 2, "recomputed": 0}
    assert {b.checked_at for b in session.exec(select(StatsCacheBlock))} == {later}


def test_a_block_from_other_formulas_is_never_trusted_unchecked(town: Network) -> None:
    session = town.session
    checked = datetime(2026, 7, 2, 10, 0, tzinfo=UTC)
    read_blocks(session, start=START, end=END, bridging=False, now=checked)
    for block in session.exec(select(StatsCacheBlock)):  # as if stored by code with an older CACHE_VERSION
        block.fingerprint = "v0:" + block.fingerprint.split(":", 1)[1]
        session.add(block)
    session.flush()
    counts: dict[str, int] = {}
    soon = checked + timedelta(minutes=1)
    again = read_blocks(
        session, start=START, end=END, bridging=False, max_age=timedelta(hours=1), now=soon, counts=counts
    )
    assert counts == {"quarters": 2, "recomputed": 2} and again.as_of == soon
    assert again.cells == _fresh(session, bridging=False)


def test_an_answer_is_as_old_as_its_oldest_block(town: Network) -> None:
    session = town.session
    t0 = datetime(2026, 7, 2, 10, 0, tzinfo=UTC)
    read_blocks(session, start=START, end=date(2026, 3, 31), bridging=False, now=t0)
    read_blocks(session, start=date(2026, 4, 1), end=END, bridging=False, now=t0 + timedelta(minutes=5))
    both = read_blocks(
        session, start=START, end=END, bridging=False, max_age=timedelta(hours=1), now=t0 + timedelta(minutes=6)
    )
    assert both.as_of == t0
    # A table asked for through statistics() carries the same moment.
    table = statistics(
        session, start=START, end=END, period=Period.QUARTER, max_age=timedelta(hours=1), now=t0 + timedelta(minutes=6)
    )
    assert table.as_of == t0


@pytest.mark.parametrize("change", ["consent_withdrawn", "origin_changed", "exchange_deleted", "member_joined"])
def test_any_change_to_the_inputs_is_seen(town: Network, change: str) -> None:
    session = town.session
    quarters = [_quarter_bounds(w) for w in windows(START, END, Period.QUARTER)]
    read_blocks(session, start=START, end=END, bridging=True)
    prints = fingerprints(session, quarters)
    consenting = session.exec(select(MemberBackground).order_by(MemberBackground.member_id)).first()
    assert consenting is not None
    if change == "consent_withdrawn":
        session.delete(consenting)
    elif change == "origin_changed":
        consenting.origin = "Turkey" if consenting.origin != "Turkey" else "BE"
        session.add(consenting)
    elif change == "exchange_deleted":
        from store.exchanges import Exchange

        first = session.exec(select(Exchange).order_by(Exchange.settled_at)).first()
        session.delete(first)
    else:
        town.member(joined=at(2026, 2, 10))
    session.flush()
    after = fingerprints(session, quarters)
    assert after["2026-Q1"] != prints["2026-Q1"]
    assert after["2026-Q2"] != prints["2026-Q2"]  # every change reaches Q2 too (history, members, consent)
    assert read_blocks(session, start=START, end=END, bridging=True).cells == _fresh(session)


def _busy_town(session: Session, seed: int) -> None:
    """Every input a fingerprint reads, at random times from 2024 to 2026 (some on quarter and month edges):
    requests with proposals and exchanges (some settled later, some unsettled), offers, moderators' decisions,
    members' answers, pool transfers, memberships pending and decided, backgrounds, an erased member."""
    rng = random.Random(seed)
    net = Network(session)
    edges = [at(y, m, 1, 0) - timedelta(hours=1) for y in (2024, 2025, 2026) for m in (1, 4, 7, 10)]

    def moment() -> datetime:
        if rng.random() < 0.15:
            return rng.choice(edges) + timedelta(seconds=rng.choice((-1, 0, 1)))
        return at(2024, 1, 1) + timedelta(days=rng.randint(0, 1000), minutes=rng.randint(0, 1439))

    slugs = ["molenbeek", "jette"]
    people = [
        net.member(slug=rng.choice(slugs), joined=moment(), background=rng.choice([*BACKGROUNDS, None]))
        for _ in range(30)
    ]
    net.member(joined=moment(), status=rng.choice(list(MembershipStatus)))
    for _ in range(150):
        helper, receiver = rng.sample(people, 2)
        slug = rng.choice(slugs)
        kind = rng.random()
        if kind < 0.3:
            request = net.request(receiver, moment(), slug=slug)
            for _ in range(rng.randint(0, 2)):
                net.proposal(helper, receiver, moment(), request_id=request, slug=slug,
                             state=rng.choice(list(ProposalState)), decided=rng.choice([None, moment()]),
                             answered=moment())  # fmt: skip
            if rng.random() < 0.6:
                state = rng.choice([ExchangeState.SETTLED, ExchangeState.RESOLVED, ExchangeState.PLANNED])
                net.exchange(helper, receiver, rng.choice((0, 30, 60)), moment(), request_id=request, state=state)
        elif kind < 0.7:
            net.exchange(helper, receiver, 15 * rng.randint(1, 8), moment(), slug=slug)
        elif kind < 0.8:
            net.offer(helper, moment(), slug=slug)
        elif kind < 0.9:
            net.proposal(helper, receiver, moment(), state=rng.choice(list(ProposalState)),
                         decided=rng.choice([None, moment()]), answered=moment(), slug=slug)  # fmt: skip
        else:
            net.pool_transfer(rng.choice([TransferKind.DONATION, TransferKind.POOL_PAYMENT]), helper, 30, moment())
    erased = session.get(Member, people[0])
    assert erased is not None
    erased.erased_at = moment()
    session.add(erased)
    session.flush()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batched_fingerprints_are_the_per_quarter_ones(session: Session, seed: int) -> None:
    _busy_town(session, seed)
    rng = random.Random(seed)
    all_quarters = [_quarter_bounds(w) for w in windows(date(2023, 10, 1), date(2026, 12, 31), Period.QUARTER)]
    ranges = [all_quarters, all_quarters[5:6], all_quarters[2:9], rng.sample(all_quarters, 5)]
    for quarters in ranges:  # consecutive quarters, a single one, and some with gaps in any order
        batched = fingerprints(session, quarters)
        assert batched == fingerprints_per_quarter(session, quarters)
        assert len(set(batched.values())) == len(quarters)
    before = fingerprints(session, all_quarters)
    # A change in one quarter moves that quarter and the ones after it (cumulative history) only.
    town = Network(session)
    a, b = town.member(joined=at(2023, 1, 5)), town.member(joined=at(2023, 1, 5))
    after_members = fingerprints(session, all_quarters)
    assert after_members == fingerprints_per_quarter(session, all_quarters)
    town.exchange(a, b, 45, at(2025, 5, 3))
    after = fingerprints(session, all_quarters)
    assert after == fingerprints_per_quarter(session, all_quarters)
    labels = [x.label for x in all_quarters]
    changed = [label for label in labels if after[label] != after_members[label]]
    assert changed == labels[labels.index("2025-Q2") :]
    assert all(before[label] != after_members[label] for label in labels)  # memberships: every quarter


def test_the_warm_up_job_runs_once_per_slot(town: Network, db: Engine) -> None:
    now = datetime(2026, 7, 2, 10, 5, tzinfo=UTC)
    result = jobs.warm_stats_cache(db, interval_minutes=60, now=now)
    assert result is not None and result["recomputed"] == result["quarters"] == 4  # 2025-Q4 (joining) to 2026-Q3
    assert jobs.warm_stats_cache(db, interval_minutes=60, now=now + timedelta(minutes=30)) is None  # same hour: skipped
    again = jobs.warm_stats_cache(db, interval_minutes=60, now=now + timedelta(hours=1))
    assert again == {"quarters": 4, "recomputed": 0}  # nothing changed: every block still valid
    with Session(db) as s:
        runs = sorted(s.exec(select(JobRun.slot).where(JobRun.job == "stats_cache")))
        blocks = _blocks(s)
    assert runs == ["2026-07-02T10:00:00+00:00", "2026-07-02T11:00:00+00:00"]
    assert ("2026-Q1", "bridging") in blocks and ("2026-Q3", "reciprocity") in blocks
