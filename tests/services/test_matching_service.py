"""The matching service on a real database: inputs loaded, proposals queued, feedback honoured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from domain.exchanges import Origin, ProposalState
from domain.matching.round import run_round
from services import proposals as proposal_service
from services.explanations import render
from services.matching import load_round_inputs, run_match_round
from store.base import utcnow
from store.match_runs import MatchRun, MatchTrigger
from store.memberships import Membership, MembershipStatus
from tests.services.matching_helpers import Town, actor, build_town


@pytest.fixture
def town(session: Session) -> Town:
    return build_town(session)


def _run(town: Town, **kwargs: object) -> MatchRun:
    run = run_match_round(town.session, antenna=town.antenna, trigger=MatchTrigger.SCHEDULER, **kwargs)  # type: ignore[arg-type]
    town.session.commit()
    return run


def test_a_round_queues_explained_scheduler_proposals_for_review(town: Town) -> None:
    ahmed = town.member("Ahmed", languages=["ar", "fr"], origin="Maghreb", age_band="65-79")
    marie = town.member("Marie", north_m=300, languages=["nl"], origin="BE", age_band="25-44")
    lucia = town.member("Lucia", north_m=-400, languages=["es"], origin="Latin America", age_band="45-64")
    jan = town.member("Jan", north_m=800)  # no consent: no background row
    first = town.request(ahmed, "shopping")
    second = town.request(lucia, "digital_help")
    town.offer(marie, "shopping")
    town.offer(jan, "digital_help")
    town.session.commit()

    declaration = town.antenna.declaration()
    expected = run_round(
        load_round_inputs(town.session, antenna=town.antenna, now=utcnow()),
        declaration.matching,
        radius_km=declaration.area.radius_km,
    )
    run = _run(town)

    rows = town.proposals()
    assert {(p.request_id, p.helper_id) for p in rows} == {(first.id, marie.id), (second.id, jan.id)}
    for row in rows:
        assert row.origin is Origin.SCHEDULER and row.initiator is None
        assert row.state is ProposalState.PENDING_REVIEW
        assert row.match_run_id == run.id
        assert row.score is not None and row.score > 0
        assert row.distance_m is not None and row.live_key is not None
        assert set(row.explanation or {}) == {"nl", "fr", "en"}
        texts = row.explanation or {}
        assert len({texts["nl"], texts["fr"], texts["en"]}) == 3, "three languages, three different texts"
        assert not row.helper_accepted and not row.receiver_accepted
    # The stored French text is the round's own explanation in French.
    assert {p.request_id: render(p.explanation, "fr") for p in expected.proposals} == {
        r.request_id: (r.explanation or {})["fr"] for r in rows
    }
    by_request = {p.request_id: p for p in rows}
    assert by_request[first.id].bridging is True
    assert set(by_request[first.id].bridging_dimensions or []) >= {"origin", "languages"}

    summary = run.summary or {}
    assert summary["requests_seen"] == 2 and summary["proposals"] == 2 and summary["unmatched"] == 0
    assert summary["candidates"] >= 2
    assert summary["mean_distance_m"] == pytest.approx(
        (by_request[first.id].distance_m + by_request[second.id].distance_m) / 2, abs=1
    )  # type: ignore[operator]
    assert run.finished_at is not None and run.trigger is MatchTrigger.SCHEDULER


def test_each_request_gets_at_most_one_proposal_and_unmatched_are_reported(town: Town) -> None:
    asker = town.member("Asker")
    helpers = [town.member(f"Helper{i}", north_m=100 * i) for i in range(3)]
    request = town.request(asker)
    lonely = town.request(town.member("Far", north_m=5_000), "gardening")  # nobody gardens, and too far anyway
    for helper in helpers:
        town.offer(helper)
    town.session.commit()

    run = _run(town)

    assert [p.request_id for p in town.proposals()] == [request.id]
    assert (run.summary or {})["unmatched_request_ids"] == [lonely.id]


def test_a_request_with_an_open_proposal_is_not_proposed_again(town: Town) -> None:
    asker, helper, other = town.member("Asker"), town.member("Helper", north_m=200), town.member("Other", north_m=300)
    request = town.request(asker)
    town.offer(helper)
    town.session.commit()
    _run(town)
    town.offer(other)  # a new helper appears: still no second proposal for the same request
    town.session.commit()

    again = _run(town)

    assert len(town.proposals(request_id=request.id)) == 1
    assert (again.summary or {})["requests_seen"] == 0


def test_a_member_proposal_on_a_request_keeps_the_scheduler_away(town: Town) -> None:
    asker, helper, volunteer = town.member("Asker"), town.member("Helper", north_m=200), town.member("Vol", north_m=10)
    request = town.request(asker)
    town.offer(helper)
    town.session.commit()
    proposal_service.respond_to_request(town.session, actor(volunteer), request_id=request.id, message=None)  # type: ignore[arg-type]
    town.session.commit()

    run = _run(town)

    assert (run.summary or {})["proposals"] == 0
    assert town.proposals(origin=Origin.SCHEDULER) == []


def test_a_pair_a_moderator_rejected_is_never_proposed_again(town: Town) -> None:
    asker, helper = town.member("Asker"), town.member("Helper", north_m=200)
    request = town.request(asker)
    town.offer(helper)
    town.session.commit()
    _run(town)
    [proposal] = town.proposals()
    proposal_service.decide(
        town.session,
        moderator=town.moderator,
        proposal_id=proposal.id,
        approve=False,
        reason="kennen elkaar niet",  # type: ignore[arg-type]
    )
    town.session.commit()

    later = _run(town)
    much_later = _run(town, now=utcnow() + timedelta(days=800))

    assert len(town.proposals()) == 1
    for run in (later, much_later):
        assert (run.summary or {})["requests_seen"] == 1
        assert (run.summary or {})["proposals"] == 0
        assert (run.summary or {})["unmatched_request_ids"] == [request.id]
        assert (run.summary or {})["excluded_pairs"] == 1
    # Another helper may still be proposed for the same request.
    newcomer = town.member("Newcomer", north_m=500)
    town.offer(newcomer)
    town.session.commit()
    _run(town)
    assert [p.helper_id for p in town.proposals(state=ProposalState.PENDING_REVIEW)] == [newcomer.id]


def test_a_declined_pair_rests_for_the_cooldown_then_may_meet_again(town: Town) -> None:
    asker, helper = town.member("Asker"), town.member("Helper", north_m=200)
    town.request(asker)
    town.offer(helper)
    town.session.commit()
    _run(town)
    [proposal] = town.proposals()
    proposal_service.decide(town.session, moderator=town.moderator, proposal_id=proposal.id, approve=True, reason=None)  # type: ignore[arg-type]
    proposal_service.answer(town.session, actor(helper), proposal_id=proposal.id, accept=False, note="geen tijd")  # type: ignore[arg-type]
    town.session.commit()
    cooldown = town.antenna.declaration().matching.decline_cooldown_days

    soon = _run(town, now=utcnow() + timedelta(days=cooldown - 1))
    assert (soon.summary or {})["proposals"] == 0

    after = _run(town, now=utcnow() + timedelta(days=cooldown + 1))
    assert (after.summary or {})["proposals"] == 1
    assert [p.helper_id for p in town.proposals(state=ProposalState.PENDING_REVIEW)] == [helper.id]


def test_a_paused_helper_is_left_out_until_they_resume(town: Town) -> None:
    asker, helper = town.member("Asker"), town.member("Helper", north_m=200, paused=True)
    town.request(asker)
    town.offer(helper)
    town.session.commit()

    assert (_run(town).summary or {})["proposals"] == 0

    helper.paused = False
    town.session.add(helper)
    town.session.commit()
    assert (_run(town).summary or {})["proposals"] == 1


def test_a_paused_requester_gets_no_proposals(town: Town) -> None:
    asker, helper = town.member("Asker", paused=True), town.member("Helper", north_m=200)
    town.request(asker)
    town.offer(helper)
    town.session.commit()

    assert (_run(town).summary or {})["requests_seen"] == 0


def test_a_helper_is_capped_at_the_antennas_load(town: Town) -> None:
    cap = town.antenna.declaration().matching.max_load_per_helper
    helper = town.member("Helper")
    town.offer(helper)
    for i in range(cap + 2):
        town.request(town.member(f"Asker{i}", north_m=50 * (i + 1)))
    town.session.commit()

    first = _run(town)
    assert (first.summary or {})["proposals"] == cap
    assert (first.summary or {})["unmatched"] == 2

    # Still loaded with its open proposals: the next round gives the helper nothing more.
    second = _run(town)
    assert (second.summary or {})["proposals"] == 0
    assert len(town.proposals(helper_id=helper.id)) == cap


def test_a_helper_whose_membership_is_not_approved_is_not_matched(town: Town) -> None:
    asker, helper = town.member("Asker"), town.member("Helper", north_m=200)
    town.request(asker)
    town.offer(helper)
    row = town.session.exec(select(Membership).where(Membership.member_id == helper.id)).one()
    row.status = MembershipStatus.PENDING
    town.session.add(row)
    town.session.commit()

    assert (_run(town).summary or {})["proposals"] == 0
