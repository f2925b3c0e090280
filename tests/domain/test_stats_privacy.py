"""Disclosure control: hand-built cases and hypothesis properties over whole families of tables."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.stats.bridging import BackgroundProfile, BridgingInput, ProfileCount, ProfilePairExchanges, compute_bridging
from domain.stats.cells import ALL_ANTENNAS, MEASURES, Cell, Kind, RawCell, WindowMeasures
from domain.stats.network import PairFlow
from domain.stats.participation import ParticipationInput, compute_participation
from domain.stats.privacy import (
    DisclosureRisk,
    _sums,
    assert_publishable,
    protect,
    publish,
    round_to_base,
    threshold,
)
from domain.stats.reciprocity import MemberTotals, ReciprocityInput, compute_reciprocity
from domain.stats.windows import Period, window_of

QUARTER = window_of(date(2026, 1, 1), Period.QUARTER)
MONTHS = QUARTER.months()


def _by_key(cells):
    return {(c.antenna, c.period, c.measure, c.dimension): c for c in cells}


def _raw(antenna, window, measure, value, dimension=None, bases=()):
    return RawCell(antenna=antenna, window=window, measure=measure, dimension=dimension, value=value, bases=bases)


def test_rounding():
    assert [round_to_base(v) for v in (0, 2, 3, 7, 8, 10, 12, 13)] == [0, 0, 5, 5, 10, 10, 10, 15]


def test_thresholds_by_dimension():
    assert threshold("origin") == threshold("languages") == threshold("any") == 10
    assert threshold("age_band") == threshold("circle") == threshold(None) == 5


def test_small_external_count_hides_its_partner_and_the_share():
    m = MONTHS[0]
    cells = _by_key(
        protect(
            [
                _raw("x", m, "active_members", 40),
                _raw("x", m, "compared_exchanges", 30, "origin"),
                _raw("x", m, "external_exchanges", 8, "origin"),
                _raw("x", m, "internal_exchanges", 22, "origin"),
                _raw("x", m, "external_share", 8 / 30, "origin"),
                _raw("x", m, "compared_exchanges", 30, "age_band"),
                _raw("x", m, "external_exchanges", 8, "age_band"),
                _raw("x", m, "internal_exchanges", 22, "age_band"),
            ]
        )
    )
    e, i = (
        cells[("x", "2026-01", "external_exchanges", "origin")],
        cells[("x", "2026-01", "internal_exchanges", "origin")],
    )
    assert (e.value, e.suppressed, e.reason) == (None, True, "small_count")  # 8 < 10 for origin
    assert (i.value, i.suppressed, i.reason) == (None, True, "secondary")  # else 30 - 22 = 8
    assert cells[("x", "2026-01", "external_share", "origin")].reason == "derived_from_suppressed"
    assert cells[("x", "2026-01", "compared_exchanges", "origin")].value == 30
    assert cells[("x", "2026-01", "external_exchanges", "age_band")].value == 10  # 8 >= 5, rounded


def test_small_antenna_gets_totals_only():
    m = MONTHS[0]
    cells = _by_key(
        protect(
            [
                _raw("x", m, "active_members", 9),
                _raw("x", m, "exchanges", 40),
                _raw("x", m, "members_giver", 5),
                _raw("x", m, "members_balanced", 2),
                _raw("x", m, "members_receiver", 2),
                _raw("x", m, "compared_exchanges", 40, "circle"),
            ]
        )
    )
    assert cells[("x", "2026-01", "active_members", None)].value == 10  # published: 9 >= 5, rounded
    assert cells[("x", "2026-01", "exchanges", None)].value == 40
    assert cells[("x", "2026-01", "members_giver", None)].reason == "small_antenna"
    assert cells[("x", "2026-01", "compared_exchanges", "circle")].reason == "small_antenna"


def test_partial_sum_protects_the_remainder():
    m = MONTHS[0]
    cells = _by_key(protect([_raw("x", m, "requests_posted", 40), _raw("x", m, "requests_matched", 38)]))
    assert cells[("x", "2026-01", "requests_posted", None)].value == 40
    assert cells[("x", "2026-01", "requests_matched", None)].reason == "secondary"  # only 2 unmatched


def test_month_hidden_inside_a_published_quarter_takes_a_second_month():
    cells = _by_key(
        protect(
            [_raw("x", QUARTER, "exchanges", 44)]
            + [_raw("x", month, "exchanges", v) for month, v in zip(MONTHS, (3, 20, 21), strict=True)]
        )
    )
    assert cells[("x", "2026-01", "exchanges", None)].reason == "small_count"
    assert cells[("x", "2026-02", "exchanges", None)].reason == "secondary"
    assert cells[("x", "2026-03", "exchanges", None)].value == 20


def test_publish_end_to_end_and_checker():
    flows = tuple(PairFlow(i, (i + 1) % 12, 60) for i in range(12))
    members = tuple(MemberTotals(60, 60) for _ in range(12))
    be, ma = BackgroundProfile(origin="BE"), BackgroundProfile(origin="Maghreb")
    measures = WindowMeasures(
        antenna="molenbeek",
        window=MONTHS[0],
        participation=compute_participation(
            ParticipationInput(
                registered_members=30,
                approved_members=25,
                active_members=12,
                exchanges=12,
                minutes=720,
                offers_posted=6,
                requests_posted=14,
                requests_matched=12,
            )  # fmt: skip
        ),
        reciprocity=compute_reciprocity(ReciprocityInput(members=members, flows=flows)),
        bridging=compute_bridging(
            BridgingInput(
                pair_exchanges=(ProfilePairExchanges(be, ma, 4), ProfilePairExchanges(be, be, 8)),
                active_profiles=(ProfileCount(be, 8), ProfileCount(ma, 4)),
            )
        ),
    )
    cells = publish([measures])
    table = _by_key(cells)
    assert table[("molenbeek", "2026-01", "minutes", None)].value == 720
    assert table[("molenbeek", "2026-01", "cycle_minutes_share", None)].value == 1.0
    assert table[("molenbeek", "2026-01", "external_exchanges", "origin")].suppressed
    assert table[("molenbeek", "2026-01", "blau", "origin")].suppressed  # 4 Maghreb members < 10
    assert all(c.value is None for c in cells if c.suppressed)
    with pytest.raises(DisclosureRisk):
        assert_publishable([Cell("molenbeek", "2026-01", "exchanges", None, 3, None, None, False, None)])
    with pytest.raises(DisclosureRisk):
        assert_publishable([Cell("molenbeek", "2026-01", "member_id", None, 5, None, None, False, None)])
    with pytest.raises(DisclosureRisk):
        assert_publishable([Cell("molenbeek", "2026-01", "exchanges", None, None, None, None, True, None)])


# --- properties ---------------------------------------------------------------------------------------

ANTENNAS = ("a", "b", "c")
DIMENSIONS = ("origin", "age_band")


@st.composite
def families(draw):
    """Every antenna plus `all`, a quarter plus its months, with sums that really add up."""
    small = st.integers(min_value=0, max_value=30)
    values: dict[tuple, int] = {}
    for antenna in ANTENNAS:
        for month in MONTHS:
            at = (antenna, month)
            active = draw(small)
            giver = draw(st.integers(0, active))
            balanced = draw(st.integers(0, active - giver))
            values[(*at, "active_members", None)] = active
            values[(*at, "members_giver", None)] = giver
            values[(*at, "members_balanced", None)] = balanced
            values[(*at, "members_receiver", None)] = active - giver - balanced
            values[(*at, "members_gave_and_received", None)] = draw(st.integers(0, active))
            posted = draw(small)
            values[(*at, "requests_posted", None)] = posted
            values[(*at, "requests_matched", None)] = draw(st.integers(0, posted))
            values[(*at, "exchanges", None)] = draw(small)
            values[(*at, "minutes", None)] = 15 * values[(*at, "exchanges", None)]
            for d in DIMENSIONS:
                e, i = draw(small), draw(small)
                values[(*at, "external_exchanges", d)] = e
                values[(*at, "internal_exchanges", d)] = i
                values[(*at, "compared_exchanges", d)] = e + i
    additive = {k[2:] for k in values}
    # Quarters add months up for flows; for distinct members a quarter holds at least its busiest month.
    for antenna in ANTENNAS:
        for measure, d in additive:
            months = [values[(antenna, m, measure, d)] for m in MONTHS]
            spec = MEASURES[measure]
            values[(antenna, QUARTER, measure, d)] = sum(months) if spec.additive_over_time else max(months)
        q = (antenna, QUARTER)
        if (
            values[(*q, "members_giver", None)] + values[(*q, "members_balanced", None)]
            > values[(*q, "active_members", None)]
        ):
            values[(*q, "active_members", None)] = (
                values[(*q, "members_giver", None)] + values[(*q, "members_balanced", None)]
            )
        values[(*q, "members_receiver", None)] = (
            values[(*q, "active_members", None)]
            - values[(*q, "members_giver", None)]
            - values[(*q, "members_balanced", None)]
        )
        values[(*q, "members_gave_and_received", None)] = min(
            values[(*q, "members_gave_and_received", None)], values[(*q, "active_members", None)]
        )
    for window in (QUARTER, *MONTHS):
        for measure, d in additive:
            values[(ALL_ANTENNAS, window, measure, d)] = sum(values[(a, window, measure, d)] for a in ANTENNAS)
    cells = [_raw(a, w, m, v, d) for (a, w, m, d), v in values.items()]
    for (a, w, m, d), v in list(values.items()):
        if m == "external_exchanges":
            total = values[(a, w, "compared_exchanges", d)]
            cells.append(_raw(a, w, "external_share", v / total if total else None, d))
        if m == "requests_matched":
            cells.append(_raw(a, w, "request_match_share", None))
    return cells


@settings(max_examples=60, deadline=None)
@given(families())
def test_published_tables_respect_every_rule(raw):
    published = protect(raw)
    assert_publishable(published)
    raw_by_key = {c.key: c for c in raw}
    table = _by_key(published)
    hidden = {k for k, c in table.items() if c.suppressed}

    for key, cell in table.items():
        exact = raw_by_key[key].value
        kind = MEASURES[cell.measure].kind
        if cell.suppressed:
            assert cell.value is None and cell.reason
        elif kind is not Kind.FIGURE:
            assert cell.value == round_to_base(exact) and cell.value % 5 == 0
            if kind is Kind.COUNT:
                assert exact >= threshold(cell.dimension)  # judged on the exact count, not the rounded one

    for s in _sums({k: c.window for k, c in raw_by_key.items()}):
        members = (s.total, *s.parts)
        count = sum(1 for k in members if k in hidden)
        if s.complete:
            assert count != 1, f"{[(k, raw_by_key[k].value) for k in members]} has one hidden cell"
        elif count == 0:
            remainder = raw_by_key[s.total].value - sum(raw_by_key[k].value for k in s.parts)
            assert remainder >= s.threshold

    for key, cell in table.items():
        for source in MEASURES[cell.measure].depends_on:
            if (key[0], key[1], source, key[3]) in hidden:
                assert cell.suppressed
