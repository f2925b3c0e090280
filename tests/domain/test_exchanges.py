from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.antenna_config import Lifecycle
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.exchanges import (
    EXCHANGE_ACTIONS,
    PROPOSAL_ACTIONS,
    Exchange,
    ExchangeAction,
    ExchangeOutcome,
    ExchangeState,
    Origin,
    Party,
    Proposal,
    ProposalAction,
    ProposalOutcome,
    ProposalState,
    accept_proposal,
    approve_proposal,
    cancel_exchange,
    confirm_exchange,
    decline_proposal,
    dispute_exchange,
    exchange_expires_at,
    expire_exchange,
    expire_proposal,
    is_exchange_expired,
    is_proposal_expired,
    new_exchange,
    new_proposal,
    proposal_expires_at,
    reject_proposal,
    resolve_exchange,
    withdraw_proposal,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=2)
FAR = T0 + timedelta(days=365)
REVIEWED = Lifecycle(member_proposals_need_review=True, proposal_expiry_days=14, exchange_confirm_days=21)
UNREVIEWED = Lifecycle(member_proposals_need_review=False, proposal_expiry_days=14, exchange_confirm_days=21)
STEP = 15
HELPER, RECEIVER = Party.HELPER, Party.RECEIVER


# --------------------------------------------------------------------------------------------- proposals


def _proposal(state: ProposalState, **changes: object) -> Proposal:
    """A member (helper) proposal in `state`; the helper accepted by proposing."""
    base = Proposal(Origin.MEMBER, HELPER, state, created_at=T0, state_since=T0, accepted_by=frozenset({HELPER}))
    return replace(base, **changes)  # type: ignore[arg-type]


PROPOSAL_STEPS: dict[ProposalAction, Callable[[Proposal], ProposalOutcome]] = {
    ProposalAction.APPROVE: lambda p: approve_proposal(p, now=LATER),
    ProposalAction.REJECT: lambda p: reject_proposal(p, reason="too far apart", now=LATER),
    ProposalAction.ACCEPT: lambda p: accept_proposal(p, party=RECEIVER, now=LATER),
    ProposalAction.DECLINE: lambda p: decline_proposal(p, party=RECEIVER, now=LATER),
    ProposalAction.WITHDRAW: lambda p: withdraw_proposal(p, party=HELPER, now=LATER),
    ProposalAction.EXPIRE: lambda p: expire_proposal(p, now=FAR, lifecycle=REVIEWED),
}
# Written out by hand, independently of the module's own table.
PROPOSAL_MOVES: dict[tuple[ProposalState, ProposalAction], ProposalState] = {
    (ProposalState.PENDING_REVIEW, ProposalAction.APPROVE): ProposalState.APPROVED,
    (ProposalState.PENDING_REVIEW, ProposalAction.REJECT): ProposalState.REJECTED,
    (ProposalState.PENDING_REVIEW, ProposalAction.WITHDRAW): ProposalState.WITHDRAWN,
    (ProposalState.PENDING_REVIEW, ProposalAction.EXPIRE): ProposalState.EXPIRED,
    (ProposalState.APPROVED, ProposalAction.ACCEPT): ProposalState.ACCEPTED,
    (ProposalState.APPROVED, ProposalAction.DECLINE): ProposalState.DECLINED,
    (ProposalState.APPROVED, ProposalAction.WITHDRAW): ProposalState.WITHDRAWN,
    (ProposalState.APPROVED, ProposalAction.EXPIRE): ProposalState.EXPIRED,
}
ALL_PROPOSAL_PAIRS = [(s, a) for s in ProposalState for a in ProposalAction]


@pytest.mark.parametrize(("state", "action"), ALL_PROPOSAL_PAIRS)
def test_every_proposal_state_and_action(state: ProposalState, action: ProposalAction) -> None:
    before = _proposal(state)
    if (state, action) in PROPOSAL_MOVES:
        outcome = PROPOSAL_STEPS[action](before)
        assert outcome.proposal.state is PROPOSAL_MOVES[state, action]
        assert outcome.proposal.state_since == (FAR if action is ProposalAction.EXPIRE else LATER)
        assert outcome.create_exchange is (action is ProposalAction.ACCEPT)
    else:
        with pytest.raises(InvalidTransition) as caught:
            PROPOSAL_STEPS[action](before)
        assert caught.value.message_key == "error.invalid_transition.detail"
        assert caught.value.params == {"state": state.value, "action": action.value}
    assert before == _proposal(state)  # the input is never changed


def test_the_modules_proposal_table_matches_the_hand_written_one() -> None:
    table = {(s, a) for s, actions in PROPOSAL_ACTIONS.items() for a in actions}
    assert table == set(PROPOSAL_MOVES)
    assert set(PROPOSAL_ACTIONS) == set(ProposalState)


def test_scheduler_proposals_always_start_in_review() -> None:
    for lifecycle in (REVIEWED, UNREVIEWED):
        proposal = new_proposal(origin=Origin.SCHEDULER, initiator=None, lifecycle=lifecycle, now=T0)
        assert proposal.state is ProposalState.PENDING_REVIEW
        assert proposal.accepted_by == frozenset()
        assert (proposal.created_at, proposal.state_since) == (T0, T0)


def test_member_proposals_skip_review_only_when_the_antenna_says_so() -> None:
    reviewed = new_proposal(origin=Origin.MEMBER, initiator=RECEIVER, lifecycle=REVIEWED, now=T0)
    assert reviewed.state is ProposalState.PENDING_REVIEW
    unreviewed = new_proposal(origin=Origin.MEMBER, initiator=RECEIVER, lifecycle=UNREVIEWED, now=T0)
    assert unreviewed.state is ProposalState.APPROVED
    assert unreviewed.accepted_by == frozenset({RECEIVER}) == reviewed.accepted_by


def test_origin_and_initiator_must_agree() -> None:
    with pytest.raises(ValueError):
        new_proposal(origin=Origin.SCHEDULER, initiator=HELPER, lifecycle=REVIEWED, now=T0)
    with pytest.raises(ValueError):
        new_proposal(origin=Origin.MEMBER, initiator=None, lifecycle=REVIEWED, now=T0)


def test_scheduler_path_needs_review_and_both_answers() -> None:
    proposal = new_proposal(origin=Origin.SCHEDULER, initiator=None, lifecycle=UNREVIEWED, now=T0)
    proposal = approve_proposal(proposal, now=T0 + timedelta(days=1)).proposal
    first = accept_proposal(proposal, party=RECEIVER, now=T0 + timedelta(days=2))
    assert first.proposal.state is ProposalState.APPROVED
    assert first.proposal.accepted_by == frozenset({RECEIVER})
    assert first.proposal.state_since == T0 + timedelta(days=1)  # half an answer restarts no clock
    assert not first.create_exchange
    second = accept_proposal(first.proposal, party=HELPER, now=T0 + timedelta(days=3))
    assert second.proposal.state is ProposalState.ACCEPTED
    assert second.proposal.accepted_by == frozenset(Party)
    assert second.create_exchange


def test_member_path_without_review_needs_only_the_other_answer() -> None:
    proposal = new_proposal(origin=Origin.MEMBER, initiator=HELPER, lifecycle=UNREVIEWED, now=T0)
    outcome = accept_proposal(proposal, party=RECEIVER, now=LATER)
    assert outcome.create_exchange
    assert outcome.proposal.state is ProposalState.ACCEPTED


@pytest.mark.parametrize("origin", list(Origin))
def test_accepting_twice_is_an_invalid_transition(origin: Origin) -> None:
    if origin is Origin.MEMBER:
        proposal = new_proposal(origin=origin, initiator=HELPER, lifecycle=UNREVIEWED, now=T0)
    else:
        proposal = new_proposal(origin=origin, initiator=None, lifecycle=UNREVIEWED, now=T0)
        proposal = accept_proposal(approve_proposal(proposal, now=T0).proposal, party=HELPER, now=T0).proposal
    with pytest.raises(InvalidTransition) as caught:
        accept_proposal(proposal, party=HELPER, now=LATER)
    assert caught.value.message_key == "error.proposal.already_accepted.detail"
    assert caught.value.params == {"state": "approved", "action": "accept"}


def test_accepting_after_both_accepted_is_refused() -> None:
    accepted = _proposal(ProposalState.ACCEPTED, accepted_by=frozenset(Party))
    for party in Party:
        with pytest.raises(InvalidTransition):
            accept_proposal(accepted, party=party, now=LATER)


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_rejection_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        reject_proposal(_proposal(ProposalState.PENDING_REVIEW), reason=reason, now=LATER)
    assert caught.value.field == "reason"
    assert caught.value.message_key == "error.reason_required.detail"


def test_rejection_keeps_the_reason() -> None:
    outcome = reject_proposal(_proposal(ProposalState.PENDING_REVIEW), reason="  same family ", now=LATER)
    assert outcome.proposal.reason == "same family"


def test_a_party_may_decline_even_after_accepting() -> None:
    outcome = decline_proposal(_proposal(ProposalState.APPROVED), party=HELPER, now=LATER, note=" ill ")
    assert outcome.proposal.state is ProposalState.DECLINED
    assert outcome.proposal.declined_by is HELPER
    assert outcome.proposal.reason == "ill"
    assert not outcome.create_exchange


def test_only_the_initiator_withdraws() -> None:
    with pytest.raises(NotAllowed) as caught:
        withdraw_proposal(_proposal(ProposalState.APPROVED), party=RECEIVER, now=LATER)
    assert caught.value.message_key == "error.proposal.not_initiator.detail"
    scheduled = _proposal(ProposalState.APPROVED, origin=Origin.SCHEDULER, initiator=None, accepted_by=frozenset())
    for party in Party:
        with pytest.raises(NotAllowed):
            withdraw_proposal(scheduled, party=party, now=LATER)


def test_proposal_expiry_counts_from_the_last_decision() -> None:
    approved = _proposal(ProposalState.APPROVED, state_since=T0 + timedelta(days=5))
    due = T0 + timedelta(days=19)
    assert proposal_expires_at(approved, lifecycle=REVIEWED) == due
    assert not is_proposal_expired(approved, now=due - timedelta(seconds=1), lifecycle=REVIEWED)
    assert is_proposal_expired(approved, now=due, lifecycle=REVIEWED)
    short = Lifecycle(proposal_expiry_days=1)
    assert is_proposal_expired(approved, now=T0 + timedelta(days=6), lifecycle=short)


@pytest.mark.parametrize("state", [s for s in ProposalState if not PROPOSAL_ACTIONS[s]])
def test_a_closed_proposal_is_never_expired(state: ProposalState) -> None:
    assert not is_proposal_expired(_proposal(state), now=FAR, lifecycle=REVIEWED)


def test_expiring_a_fresh_proposal_is_refused() -> None:
    fresh = _proposal(ProposalState.PENDING_REVIEW)
    with pytest.raises(InvalidTransition) as caught:
        expire_proposal(fresh, now=T0 + timedelta(days=13), lifecycle=REVIEWED)
    assert caught.value.message_key == "error.lifecycle.not_due.detail"
    assert caught.value.params == {"state": "pending_review", "action": "expire"}


# --------------------------------------------------------------------------------------------- exchanges


def _exchange(state: ExchangeState = ExchangeState.PLANNED, **changes: object) -> Exchange:
    return replace(Exchange(state, planned_at=T0, state_since=T0), **changes)  # type: ignore[arg-type]


EXCHANGE_STEPS: dict[ExchangeAction, Callable[[Exchange], ExchangeOutcome]] = {
    ExchangeAction.CONFIRM: lambda e: confirm_exchange(e, party=HELPER, minutes=60, step=STEP, now=LATER),
    ExchangeAction.DISPUTE: lambda e: dispute_exchange(e, party=RECEIVER, now=LATER),
    ExchangeAction.CANCEL: lambda e: cancel_exchange(e, party=RECEIVER, now=LATER),
    ExchangeAction.RESOLVE: lambda e: resolve_exchange(e, minutes=45, reason="talked", step=STEP, now=LATER),
    ExchangeAction.EXPIRE: lambda e: expire_exchange(e, now=FAR, lifecycle=REVIEWED),
}
EXCHANGE_MOVES: dict[tuple[ExchangeState, ExchangeAction], ExchangeState] = {
    (ExchangeState.PLANNED, ExchangeAction.CONFIRM): ExchangeState.PLANNED,
    (ExchangeState.PLANNED, ExchangeAction.DISPUTE): ExchangeState.DISPUTED,
    (ExchangeState.PLANNED, ExchangeAction.CANCEL): ExchangeState.CANCELLED,
    (ExchangeState.PLANNED, ExchangeAction.RESOLVE): ExchangeState.RESOLVED,
    (ExchangeState.PLANNED, ExchangeAction.EXPIRE): ExchangeState.EXPIRED,
    (ExchangeState.DISPUTED, ExchangeAction.RESOLVE): ExchangeState.RESOLVED,
}
ALL_EXCHANGE_PAIRS = [(s, a) for s in ExchangeState for a in ExchangeAction]


@pytest.mark.parametrize(("state", "action"), ALL_EXCHANGE_PAIRS)
def test_every_exchange_state_and_action(state: ExchangeState, action: ExchangeAction) -> None:
    before = _exchange(state)
    if (state, action) in EXCHANGE_MOVES:
        outcome = EXCHANGE_STEPS[action](before)
        assert outcome.exchange.state is EXCHANGE_MOVES[state, action]
        assert outcome.changed
        assert outcome.settle_minutes == (45 if action is ExchangeAction.RESOLVE else None)
    else:
        with pytest.raises(InvalidTransition) as caught:
            EXCHANGE_STEPS[action](before)
        assert caught.value.message_key == "error.invalid_transition.detail"
        assert caught.value.params == {"state": state.value, "action": action.value}
    assert before == _exchange(state)


def test_the_modules_exchange_table_matches_the_hand_written_one() -> None:
    table = {(s, a) for s, actions in EXCHANGE_ACTIONS.items() for a in actions}
    assert table == set(EXCHANGE_MOVES)
    assert set(EXCHANGE_ACTIONS) == set(ExchangeState)


def test_an_exchange_starts_only_from_an_accepted_proposal() -> None:
    exchange = new_exchange(_proposal(ProposalState.ACCEPTED, accepted_by=frozenset(Party)), now=LATER)
    assert exchange == Exchange(ExchangeState.PLANNED, planned_at=LATER, state_since=LATER)
    with pytest.raises(InvalidTransition) as caught:
        new_exchange(_proposal(ProposalState.APPROVED), now=LATER)
    assert caught.value.params == {"state": "approved", "action": "start_exchange"}


@pytest.mark.parametrize("first", list(Party))
def test_equal_confirmations_settle_exactly_once(first: Party) -> None:
    one = confirm_exchange(_exchange(), party=first, minutes=90, step=STEP, now=LATER)
    assert one.exchange.state is ExchangeState.PLANNED
    assert one.exchange.confirmation_of(first) == 90
    assert one.exchange.confirmation_of(first.other) is None
    assert one.settle_minutes is None
    both = confirm_exchange(one.exchange, party=first.other, minutes=90, step=STEP, now=FAR)
    assert both.exchange.state is ExchangeState.SETTLED
    assert both.exchange.settled_minutes == 90
    assert both.exchange.state_since == FAR
    assert both.settle_minutes == 90
    for party in Party:
        with pytest.raises(InvalidTransition):
            confirm_exchange(both.exchange, party=party, minutes=90, step=STEP, now=FAR)


def test_confirming_the_same_minutes_again_changes_nothing() -> None:
    once = confirm_exchange(_exchange(), party=HELPER, minutes=60, step=STEP, now=LATER).exchange
    again = confirm_exchange(once, party=HELPER, minutes=60, step=STEP, now=FAR)
    assert again == ExchangeOutcome(once, changed=False, settle_minutes=None)


def test_a_party_may_correct_its_figure_before_the_other_confirms() -> None:
    once = confirm_exchange(_exchange(), party=RECEIVER, minutes=600, step=STEP, now=LATER).exchange
    fixed = confirm_exchange(once, party=RECEIVER, minutes=60, step=STEP, now=LATER)
    assert fixed.changed
    assert fixed.exchange.receiver_minutes == 60
    assert fixed.exchange.state is ExchangeState.PLANNED
    settled = confirm_exchange(fixed.exchange, party=HELPER, minutes=60, step=STEP, now=LATER)
    assert settled.settle_minutes == 60


def test_different_confirmations_go_to_the_moderator_with_both_figures() -> None:
    once = confirm_exchange(_exchange(), party=HELPER, minutes=120, step=STEP, now=LATER).exchange
    outcome = confirm_exchange(once, party=RECEIVER, minutes=60, step=STEP, now=LATER)
    assert outcome.exchange.state is ExchangeState.DISPUTED
    assert (outcome.exchange.helper_minutes, outcome.exchange.receiver_minutes) == (120, 60)
    assert outcome.exchange.disputed_by is None
    assert outcome.settle_minutes is None
    resolved = resolve_exchange(outcome.exchange, minutes=90, reason=" met halfway ", step=STEP, now=FAR)
    assert resolved.exchange.state is ExchangeState.RESOLVED
    assert resolved.exchange.settled_minutes == 90
    assert resolved.exchange.note == "met halfway"
    assert resolved.settle_minutes == 90


def test_resolving_with_zero_means_nothing_happened() -> None:
    outcome = resolve_exchange(_exchange(ExchangeState.DISPUTED), minutes=0, reason="no show", step=STEP, now=LATER)
    assert outcome.exchange.state is ExchangeState.RESOLVED
    assert outcome.exchange.settled_minutes == 0
    assert outcome.settle_minutes is None


@pytest.mark.parametrize(
    ("minutes", "reason", "field"), [(60, " ", "reason"), (50, "ok", "minutes"), (-15, "ok", "minutes")]
)
def test_resolution_needs_a_reason_and_valid_minutes(minutes: int, reason: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_exchange(_exchange(ExchangeState.DISPUTED), minutes=minutes, reason=reason, step=STEP, now=LATER)
    assert caught.value.field == field


@pytest.mark.parametrize("minutes", [0, 20, 60.0, True, 735])
def test_confirmation_minutes_follow_the_antennas_step(minutes: object) -> None:
    before = _exchange()
    with pytest.raises(InvalidInput) as caught:
        confirm_exchange(before, party=HELPER, minutes=minutes, step=STEP, now=LATER)
    assert caught.value.field == "minutes"
    assert before == _exchange()


def test_minutes_in_another_antennas_step() -> None:
    assert confirm_exchange(_exchange(), party=HELPER, minutes=20, step=10, now=LATER).exchange.helper_minutes == 20


def test_dispute_records_who_and_why() -> None:
    outcome = dispute_exchange(_exchange(), party=HELPER, now=LATER, note=" never came ")
    assert outcome.exchange.disputed_by is HELPER
    assert outcome.exchange.note == "never came"
    with pytest.raises(InvalidTransition):
        dispute_exchange(outcome.exchange, party=RECEIVER, now=LATER)


def test_cancel_before_anyone_confirmed_by_either_party() -> None:
    for party in Party:
        outcome = cancel_exchange(_exchange(), party=party, now=LATER)
        assert outcome.exchange.state is ExchangeState.CANCELLED
        assert outcome.exchange.cancelled_by is party
        assert outcome.settle_minutes is None


def test_a_party_may_cancel_over_its_own_confirmation() -> None:
    mine = confirm_exchange(_exchange(), party=HELPER, minutes=60, step=STEP, now=LATER).exchange
    assert cancel_exchange(mine, party=HELPER, now=LATER).exchange.state is ExchangeState.CANCELLED


def test_no_cancel_once_the_other_party_confirmed() -> None:
    theirs = confirm_exchange(_exchange(), party=HELPER, minutes=60, step=STEP, now=LATER).exchange
    with pytest.raises(InvalidTransition) as caught:
        cancel_exchange(theirs, party=RECEIVER, now=LATER)
    assert caught.value.message_key == "error.exchange.cancel_after_confirmation.detail"
    assert caught.value.params == {"state": "planned", "action": "cancel"}
    assert dispute_exchange(theirs, party=RECEIVER, now=LATER).exchange.state is ExchangeState.DISPUTED


def test_a_planned_exchange_expires_after_the_confirm_days() -> None:
    planned = _exchange(helper_minutes=60)  # half a confirmation is not a settlement
    due = T0 + timedelta(days=21)
    assert exchange_expires_at(planned, lifecycle=REVIEWED) == due
    assert not is_exchange_expired(planned, now=due - timedelta(seconds=1), lifecycle=REVIEWED)
    assert is_exchange_expired(planned, now=due, lifecycle=REVIEWED)
    outcome = expire_exchange(planned, now=due, lifecycle=REVIEWED)
    assert outcome.exchange.state is ExchangeState.EXPIRED
    assert outcome.settle_minutes is None
    with pytest.raises(InvalidTransition) as caught:
        expire_exchange(planned, now=due - timedelta(days=1), lifecycle=REVIEWED)
    assert caught.value.message_key == "error.lifecycle.not_due.detail"


def test_a_disputed_exchange_waits_for_its_moderator() -> None:
    assert not is_exchange_expired(_exchange(ExchangeState.DISPUTED), now=FAR, lifecycle=REVIEWED)


_steps = st.lists(
    st.one_of(
        st.tuples(st.just("confirm"), st.sampled_from(list(Party)), st.sampled_from([15, 30, 60])),
        st.tuples(st.sampled_from(["dispute", "cancel"]), st.sampled_from(list(Party)), st.just(0)),
        st.tuples(st.just("resolve"), st.just(HELPER), st.sampled_from([0, 15, 45])),
        st.tuples(st.just("expire"), st.just(HELPER), st.just(0)),
    ),
    max_size=8,
)


def _step(exchange: Exchange, name: str, party: Party, minutes: int) -> ExchangeOutcome:
    if name == "confirm":
        return confirm_exchange(exchange, party=party, minutes=minutes, step=STEP, now=LATER)
    if name == "dispute":
        return dispute_exchange(exchange, party=party, now=LATER)
    if name == "cancel":
        return cancel_exchange(exchange, party=party, now=LATER)
    if name == "resolve":
        return resolve_exchange(exchange, minutes=minutes, reason="r", step=STEP, now=LATER)
    return expire_exchange(exchange, now=FAR, lifecycle=REVIEWED)


@settings(max_examples=300, deadline=None)
@given(steps=_steps)
def test_whatever_happens_an_exchange_settles_at_most_once(steps: list[tuple[str, Party, int]]) -> None:
    exchange = _exchange()
    settlements: list[int] = []
    for name, party, minutes in steps:
        try:
            outcome = _step(exchange, name, party, minutes)
        except InvalidTransition:
            continue
        if outcome.settle_minutes is not None:
            settlements.append(outcome.settle_minutes)
        exchange = outcome.exchange
    assert len(settlements) <= 1
    if settlements:
        assert exchange.state in {ExchangeState.SETTLED, ExchangeState.RESOLVED}
        assert settlements == [exchange.settled_minutes]
    else:
        assert not exchange.settled_minutes
