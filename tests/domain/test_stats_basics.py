"""Windows, Wilson interval, Gini and participation figures against hand-computed values."""

from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.stats.inequality import gini
from domain.stats.intervals import median, ratio, wilson_interval
from domain.stats.participation import ParticipationInput, compute_participation
from domain.stats.windows import Period, window_from_label, windows


def test_month_windows_cover_whole_months():
    result = windows(date(2026, 1, 15), date(2026, 3, 2), Period.MONTH)
    assert [w.label for w in result] == ["2026-01", "2026-02", "2026-03"]
    assert result[0].start == date(2026, 1, 1) and result[-1].end == date(2026, 4, 1)


def test_quarter_windows_cross_a_year():
    result = windows(date(2025, 11, 30), date(2026, 1, 1), "quarter")
    assert [w.label for w in result] == ["2025-Q4", "2026-Q1"]
    assert result[0].end == date(2026, 1, 1)
    assert [m.label for m in result[1].months()] == ["2026-01", "2026-02", "2026-03"]


def test_labels_round_trip():
    for label in ("2026-03", "2026-Q1", "2025-12", "2025-Q4"):
        assert window_from_label(label).label == label
    with pytest.raises(InvalidInput):
        window_from_label("2026-Q5")


def test_reversed_or_huge_range_is_refused():
    with pytest.raises(InvalidInput):
        windows(date(2026, 2, 1), date(2026, 1, 1), Period.MONTH)
    with pytest.raises(InvalidInput):
        windows(date(1900, 1, 1), date(2026, 1, 1), Period.MONTH)


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3.
@pytest.mark.parametrize(
    ("k", "n", "lower", "upper"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_known_values(k, n, lower, upper):
    interval = wilson_interval(k, n)
    assert interval.lower == pytest.approx(lower, abs=5e-5)
    assert interval.upper == pytest.approx(upper, abs=5e-5)


def test_wilson_interval_edges():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(10, 10).upper == 1.0
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5, 5, 5, 5], 0.0),
        ([0, 0, 0, 1], 0.75),  # (n - 1) / n: one member did everything
        ([1, 2, 3, 4], 0.25),  # (-3 - 2 + 3 + 12) / (4 * 10)
        ([0, 30, 30, 65], 0.39),  # 195 / 500
    ],
)
def test_gini_known_values(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_gini_undefined_and_invalid():
    assert gini([]) is None
    assert gini([0, 0]) is None
    with pytest.raises(ValueError):
        gini([-1, 2])


def test_small_helpers():
    assert ratio(1, 0) is None and ratio(1, 4) == 0.25
    assert median([]) is None and median([3, 1, 2, 10]) == 2.5


def test_participation_rates_and_medians():
    measures = compute_participation(
        ParticipationInput(
            registered_members=50,
            approved_members=40,
            active_members=25,
            exchanges=30,
            minutes=900,
            offers_posted=12,
            requests_posted=20,
            requests_matched=15,
            days_to_proposal=(1, 2, 4),
            days_to_settlement=(3, 7, 8, 20),
            moderator_approved=18,
            moderator_rejected=2,
            member_accepted=9,
            member_declined=3,
        )
    )
    assert measures.request_match_share.value == 0.75
    assert measures.days_to_proposal.value == 2 and measures.days_to_proposal.sample_size == 3
    assert measures.days_to_settlement.value == 7.5
    assert measures.moderator_approval_rate.value == 0.9
    assert measures.member_acceptance_rate.value == 0.75


def test_participation_refuses_inconsistent_counts():
    base = dict(
        registered_members=5, approved_members=6, active_members=1, exchanges=1, minutes=15,
        offers_posted=0, requests_posted=0, requests_matched=0,
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        compute_participation(ParticipationInput(**base))
