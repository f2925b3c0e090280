"""Each measure through the SQL path, on a hand-built network whose answers are worked out by hand.

March 2026 in Molenbeek, four members approved on 10 January (A, B, C with background, D without consent)
and E still pending. Settled exchanges (minutes): D->A 120 (5 Mar, answers request R1), A->B 60 (6 Mar),
B->A 30 (7 Mar), B->C 60 (8 Mar), C->A 30 (9 Mar); A->C cancelled.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import TransferKind
from domain.stats.cells import ALL_ANTENNAS, WindowMeasures
from services.stats import compute_measures
from store.memberships import MembershipStatus
from tests.services.stats_network import Network, at

A_BG = {"origin": "BE", "languages": ["nl", "fr"]}
B_BG = {"origin": "Maghreb", "languages": ["ar", "fr"]}
C_BG = {"origin": "BE", "languages": ["nl"]}


@pytest.fixture
def march(session: Session) -> Network:
    net = Network(session)
    a = net.member(background=A_BG)
    b = net.member(background=B_BG)
    c = net.member(background=C_BG)
    d = net.member()
    net.member(joined=at(2026, 2, 1), status=MembershipStatus.PENDING)
    r1 = net.request(a, at(2026, 3, 1))
    net.request(b, at(2026, 3, 2))
    net.offer(c, at(2026, 3, 3))
    net.proposal(d, a, at(2026, 3, 3), request_id=r1, decided=at(2026, 3, 3), answered=at(2026, 3, 4))
    net.proposal(b, c, at(2026, 3, 9), state=ProposalState.REJECTED, decided=at(2026, 3, 10))
    net.proposal(c, b, at(2026, 3, 9), state=ProposalState.DECLINED, decided=at(2026, 3, 10), answered=at(2026, 3, 12))
    net.exchange(d, a, 120, at(2026, 3, 5), request_id=r1)
    net.exchange(a, b, 60, at(2026, 3, 6))
    net.exchange(b, a, 30, at(2026, 3, 7))
    net.exchange(b, c, 60, at(2026, 3, 8))
    net.exchange(c, a, 30, at(2026, 3, 9))
    net.exchange(a, c, 45, at(2026, 3, 10), state=ExchangeState.CANCELLED)
    net.pool_transfer(TransferKind.DONATION, b, 30, at(2026, 3, 20))
    net.pool_transfer(TransferKind.POOL_PAYMENT, c, 60, at(2026, 3, 21))
    session.commit()
    return net


def _find(measures: list[WindowMeasures], antenna: str, label: str) -> WindowMeasures:
    return next(m for m in measures if m.antenna == antenna and m.window.label == label)


def test_participation(march: Network) -> None:
    measures = compute_measures(march.session, start=date(2026, 3, 1), end=date(2026, 3, 31))
    p = _find(measures, "molenbeek", "2026-03").participation
    assert (p.registered_members, p.approved_members, p.active_members) == (5, 4, 4)
    assert (p.exchanges, p.minutes) == (5, 300)
    assert (p.offers_posted, p.requests_posted, p.requests_matched) == (1, 2, 1)
    assert (p.days_to_proposal.value, p.days_to_proposal.sample_size) == (2.0, 1)
    assert (p.days_to_settlement.value, p.days_to_settlement.sample_size) == (4.0, 1)
    # Moderators: R1's proposal and the declined one approved, one rejected.
    assert (p.moderator_approval_rate.numerator, p.moderator_approval_rate.denominator) == (2, 3)
    # Members: six exchange proposals (the cancelled one too) and R1's accepted, one declined.
    assert (p.member_acceptance_rate.numerator, p.member_acceptance_rate.denominator) == (7, 8)
    # Nothing else happened in the quarter, and nowhere else: the quarter and `all` agree with March.
    for other in (_find(measures, "molenbeek", "2026-Q1"), _find(measures, ALL_ANTENNAS, "2026-03")):
        assert other.participation == p
    assert _find(measures, "jette", "2026-03").participation.active_members == 0
    assert _find(measures, "molenbeek", "2026-02").participation.registered_members == 5


def test_reciprocity(march: Network) -> None:
    r = _find(compute_measures(march.session, start=date(2026, 3, 1), end=date(2026, 3, 31)), "molenbeek", "2026-03")
    r = r.reciprocity
    assert (r.gave_and_received.numerator, r.gave_and_received.denominator) == (3, 4)
    # A: (60 - 180) / 240 = -0.5 receiver; B: 0.2 balanced; C: -1/3 balanced (boundary); D giver.
    assert (r.balance_classes.givers, r.balance_classes.balanced, r.balance_classes.receivers) == (1, 2, 1)
    assert (r.ties, r.reciprocated_ties, r.dyadic_reciprocity) == (5, 2, 0.4)
    assert r.weighted_reciprocity == pytest.approx(60 / 300)
    assert r.cycle_minutes_share == pytest.approx(180 / 300)  # the cycle A -> B -> C -> A and B -> A
    assert r.gini_given == pytest.approx(0.25)  # given 60, 90, 30, 120
    assert r.gini_received == pytest.approx(0.45)  # received 180, 60, 60, 0
    # Approved 10 January noon; first giving on 6, 7, 9 and 5 March; first receiving 5, 6 and 8 March.
    assert (r.days_to_first_giving.value, r.days_to_first_giving.sample_size) == (55.5, 4)
    assert (r.days_to_first_receiving.value, r.days_to_first_receiving.sample_size) == (55.0, 3)
    assert (r.pool_inflow.minutes, r.pool_inflow.transfers) == (30, 1)
    assert (r.pool_outflow.minutes, r.pool_outflow.transfers) == (60, 1)


def test_first_giving_only_counts_the_first_ever(march: Network) -> None:
    # April: the same people give again, nobody gives for the first time.
    measures = compute_measures(march.session, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert _find(measures, "molenbeek", "2026-04").reciprocity.days_to_first_giving.sample_size == 0


def test_bridging_leaves_members_without_consent_out(march: Network) -> None:
    measures = compute_measures(march.session, start=date(2026, 3, 1), end=date(2026, 3, 31))
    by_dimension = {b.dimension: b for b in _find(measures, "molenbeek", "2026-03").bridging}
    # D->A is not comparable (D gave no consent): four exchanges compared, D still counts as active.
    origin = by_dimension["origin"]
    assert (origin.external, origin.internal, origin.comparable_members) == (3, 1, 3)
    assert origin.blau == pytest.approx(1 - (2 / 3) ** 2 - (1 / 3) ** 2)
    languages = by_dimension["languages"]
    assert (languages.external, languages.internal) == (1, 3)  # only B {ar, fr} - C {nl} share nothing
    assert (by_dimension["any"].external, by_dimension["any"].internal) == (3, 1)
    assert by_dimension["age_band"].compared == 0


def test_bridging_cohort_six_months_after_joining(march: Network) -> None:
    measures = compute_measures(march.session, start=date(2026, 7, 1), end=date(2026, 7, 31))
    by_dimension = {b.dimension: b for b in _find(measures, "molenbeek", "2026-07").bridging}
    origin = by_dimension["origin"]
    assert (origin.cohort.numerator, origin.cohort.denominator) == (3, 3)
    assert origin.days_to_first_bridge.value == 55.0  # 55, 55, 57
    languages = by_dimension["languages"]
    assert (languages.cohort.numerator, languages.cohort.denominator) == (2, 3)
    assert languages.days_to_first_bridge.value == 57.0
    assert by_dimension["age_band"].cohort.denominator == 0
    # June is the wrong month for this cohort.
    june = {b.dimension: b for b in _find(
        compute_measures(march.session, start=date(2026, 6, 1), end=date(2026, 6, 30)), "molenbeek", "2026-06"
    ).bridging}  # fmt: skip
    assert june["origin"].cohort.denominator == 0


def test_all_antennas_count_a_member_once(march: Network) -> None:
    net = march
    e = net.member(slug="jette")
    net.join(e, slug="molenbeek", joined=at(2026, 1, 10))
    f = net.member(slug="jette")
    net.exchange(e, f, 60, at(2026, 3, 15), slug="jette")
    g = net.member()
    net.exchange(g, e, 30, at(2026, 3, 16))
    net.session.commit()
    measures = compute_measures(net.session, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert _find(measures, "jette", "2026-03").participation.active_members == 2
    assert _find(measures, "molenbeek", "2026-03").participation.active_members == 6
    everywhere = _find(measures, ALL_ANTENNAS, "2026-03")
    assert everywhere.participation.active_members == 7  # e is active in both, counted once
    assert everywhere.participation.exchanges == 7
    # e's given and received add up across antennas: 60 given, 30 received -> balanced? 2/3*... giver.
    assert everywhere.reciprocity.balance_classes.givers == 2  # D and e ((60 - 30) / 90 = 1/3 is balanced)


def test_cli_prints_the_same_cells(march: Network, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    import os
    from unittest import mock

    from buurtbank.cli import main

    environment = {"BUURTBANK_DATABASE_URL": database_url, "BUURTBANK_SECRET_KEY": "x" * 40}
    with mock.patch.dict(os.environ, environment):
        code = main(
            ["stats", "--antenna", "molenbeek", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv"]
        )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "antenna,period,measure,dimension,value,lower,upper,suppressed,reason"
    # Four active members: under 5, hidden, and said so.
    assert "molenbeek,2026-03,active_members,,,,,true,small_count" in lines
    with mock.patch.dict(os.environ, environment):
        assert main(["stats", "--from", "2026-03-01", "--to", "2026-01-01"]) == 2
