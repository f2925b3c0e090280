"""The one state machine for proposals and the exchanges they lead to.

A proposal pairs a helper and a receiver. It comes from a member (respond endpoints) or from the nearby-match
scheduler. The scheduler's proposals always pass a moderator first; a member's do too unless the antenna
says otherwise (lifecycle.member_proposals_need_review). The member who proposes has said yes by proposing,
so their acceptance is recorded at once and only the other party still answers; a scheduler proposal needs
both answers. When both have accepted, the caller creates the exchange.

    pending_review --approve--> approved --accept (both)--> accepted
          |  reject (reason) -> rejected       | decline (either) -> declined
          |  withdraw (initiator) ------------ + -> withdrawn
          +  expire (stale) ------------------ + -> expired

An exchange is planned until both parties confirm how many minutes the help took. Equal confirmations settle
it: the outcome tells the caller to move exactly those minutes, receiver to helper, and only that one outcome
ever does, so the settlement happens once. Different confirmations, or a dispute by either party, send it to
a moderator, who resolves it with the minutes that count (0 when nothing happened) and a reason. A party
may confirm again before the other has: the same minutes change nothing (a retried request), other minutes
replace their own earlier figure (a typo fixed). Either party may cancel while planned, unless the OTHER
party has already confirmed that the help took place: cancelling would silently erase that claim, so the
way out is a dispute, which a moderator sees. Nobody confirms within lifecycle.exchange_confirm_days: expired.

    planned --confirm (both, equal)--> settled
       | confirm (both, different) / dispute --> disputed --resolve (reason)--> resolved
       | resolve (reason) --> resolved
       | cancel (before the other confirmed) --> cancelled
       | expire (stale) --> expired

Every function is pure: it takes the current value and an explicit `now` (timezone-aware, UTC), and returns
an outcome with the new value, or raises InvalidTransition (params `state`, `action`) leaving the input
untouched. Who may act (the two parties, the antenna's moderators) is checked by the caller: here a party is
HELPER or RECEIVER, and moderator steps take no party.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypedDict, Unpack

from domain.antenna_config import Lifecycle
from domain.errors import InvalidInput, InvalidTransition, NotAllowed
from domain.time_units import validate_minutes


class Party(StrEnum):
    HELPER = "helper"
    RECEIVER = "receiver"

    @property
    def other(self) -> Party:
        return Party.RECEIVER if self is Party.HELPER else Party.HELPER


class Origin(StrEnum):
    MEMBER = "member"
    SCHEDULER = "scheduler"


class ProposalState(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class ProposalAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


class ExchangeState(StrEnum):
    PLANNED = "planned"
    DISPUTED = "disputed"
    SETTLED = "settled"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ExchangeAction(StrEnum):
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    CANCEL = "cancel"
    RESOLVE = "resolve"
    EXPIRE = "expire"


# The whole machine in two tables: what may be tried in each state (a step may still be refused by a
# finer rule, such as accepting twice). States with no actions are terminal.
PROPOSAL_ACTIONS: dict[ProposalState, frozenset[ProposalAction]] = {
    ProposalState.PENDING_REVIEW: frozenset(
        {ProposalAction.APPROVE, ProposalAction.REJECT, ProposalAction.WITHDRAW, ProposalAction.EXPIRE}
    ),
    ProposalState.APPROVED: frozenset(
        {ProposalAction.ACCEPT, ProposalAction.DECLINE, ProposalAction.WITHDRAW, ProposalAction.EXPIRE}
    ),
    ProposalState.REJECTED: frozenset(),
    ProposalState.ACCEPTED: frozenset(),
    ProposalState.DECLINED: frozenset(),
    ProposalState.EXPIRED: frozenset(),
    ProposalState.WITHDRAWN: frozenset(),
}
EXCHANGE_ACTIONS: dict[ExchangeState, frozenset[ExchangeAction]] = {
    ExchangeState.PLANNED: frozenset(ExchangeAction),
    ExchangeState.DISPUTED: frozenset({ExchangeAction.RESOLVE}),
    ExchangeState.SETTLED: frozenset(),
    ExchangeState.RESOLVED: frozenset(),
    ExchangeState.CANCELLED: frozenset(),
    ExchangeState.EXPIRED: frozenset(),
}


def _refuse(state: StrEnum, action: StrEnum, key: str = "error.invalid_transition.detail") -> InvalidTransition:
    return InvalidTransition(key, state=state.value, action=action.value)


def _reason(reason: str | None) -> str:
    cleaned = reason.strip() if reason else ""
    if not cleaned:
        raise InvalidInput("error.reason_required.detail", field="reason")
    return cleaned


def _note(note: str | None) -> str | None:
    return (note.strip() or None) if note else None


# ---------------------------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Proposal:
    origin: Origin
    initiator: Party | None  # None for the scheduler
    state: ProposalState
    created_at: datetime
    state_since: datetime  # expiry counts from here: creation, or the moderator's approval
    accepted_by: frozenset[Party] = frozenset()
    declined_by: Party | None = None  # kept for the matcher's decline cool-down
    reason: str | None = None  # the moderator's rejection reason, or a member's note on declining


@dataclass(frozen=True)
class ProposalOutcome:
    proposal: Proposal
    create_exchange: bool = False  # true exactly once: on the step where the second party accepts


def new_proposal(*, origin: Origin, initiator: Party | None, lifecycle: Lifecycle, now: datetime) -> Proposal:
    if origin is Origin.SCHEDULER:
        if initiator is not None:
            raise ValueError("a scheduler proposal has no initiating party")
        return Proposal(Origin.SCHEDULER, None, ProposalState.PENDING_REVIEW, created_at=now, state_since=now)
    if initiator is None:
        raise ValueError("a member proposal names the party who made it")
    needs_review = lifecycle.member_proposals_need_review
    state = ProposalState.PENDING_REVIEW if needs_review else ProposalState.APPROVED
    return Proposal(origin, initiator, state, created_at=now, state_since=now, accepted_by=frozenset({initiator}))


def _check_proposal(proposal: Proposal, action: ProposalAction) -> None:
    if action not in PROPOSAL_ACTIONS[proposal.state]:
        raise _refuse(proposal.state, action)


class _ProposalChanges(TypedDict, total=False):
    accepted_by: frozenset[Party]
    declined_by: Party | None
    reason: str | None


def _move_proposal(
    proposal: Proposal, state: ProposalState, *, now: datetime, **changes: Unpack[_ProposalChanges]
) -> Proposal:
    return replace(proposal, state=state, state_since=now, **changes)


def approve_proposal(proposal: Proposal, *, now: datetime) -> ProposalOutcome:
    _check_proposal(proposal, ProposalAction.APPROVE)
    return ProposalOutcome(_move_proposal(proposal, ProposalState.APPROVED, now=now))


def reject_proposal(proposal: Proposal, *, reason: str | None, now: datetime) -> ProposalOutcome:
    _check_proposal(proposal, ProposalAction.REJECT)
    return ProposalOutcome(_move_proposal(proposal, ProposalState.REJECTED, now=now, reason=_reason(reason)))


def accept_proposal(proposal: Proposal, *, party: Party, now: datetime) -> ProposalOutcome:
    _check_proposal(proposal, ProposalAction.ACCEPT)
    if party in proposal.accepted_by:
        raise _refuse(proposal.state, ProposalAction.ACCEPT, "error.proposal.already_accepted.detail")
    accepted_by = proposal.accepted_by | {party}
    if accepted_by == frozenset(Party):
        accepted = _move_proposal(proposal, ProposalState.ACCEPTED, now=now, accepted_by=accepted_by)
        return ProposalOutcome(accepted, create_exchange=True)
    # Half an answer is not a new state: the expiry clock keeps running from the approval.
    return ProposalOutcome(replace(proposal, accepted_by=accepted_by))


def decline_proposal(proposal: Proposal, *, party: Party, now: datetime, note: str | None = None) -> ProposalOutcome:
    """Either party may say no until both have said yes, even after accepting: people change their mind."""
    _check_proposal(proposal, ProposalAction.DECLINE)
    declined = _move_proposal(proposal, ProposalState.DECLINED, now=now, declined_by=party, reason=_note(note))
    return ProposalOutcome(declined)


def withdraw_proposal(proposal: Proposal, *, party: Party, now: datetime) -> ProposalOutcome:
    """Only the member who made the proposal takes it back; the other one declines instead."""
    _check_proposal(proposal, ProposalAction.WITHDRAW)
    if proposal.initiator is not party:
        raise NotAllowed("error.proposal.not_initiator.detail", action=ProposalAction.WITHDRAW.value)
    return ProposalOutcome(_move_proposal(proposal, ProposalState.WITHDRAWN, now=now))


def end_with_listing(proposal: Proposal, *, now: datetime) -> ProposalOutcome:
    """The offer or request a proposal is about was withdrawn: an open proposal ends with it."""
    _check_proposal(proposal, ProposalAction.WITHDRAW)
    return ProposalOutcome(_move_proposal(proposal, ProposalState.WITHDRAWN, now=now))


def proposal_expires_at(proposal: Proposal, *, lifecycle: Lifecycle) -> datetime:
    return proposal.state_since + timedelta(days=lifecycle.proposal_expiry_days)


def is_proposal_expired(proposal: Proposal, *, now: datetime, lifecycle: Lifecycle) -> bool:
    waiting = ProposalAction.EXPIRE in PROPOSAL_ACTIONS[proposal.state]
    return waiting and now >= proposal_expires_at(proposal, lifecycle=lifecycle)


def expire_proposal(proposal: Proposal, *, now: datetime, lifecycle: Lifecycle) -> ProposalOutcome:
    _check_proposal(proposal, ProposalAction.EXPIRE)
    if not is_proposal_expired(proposal, now=now, lifecycle=lifecycle):
        raise _refuse(proposal.state, ProposalAction.EXPIRE, "error.lifecycle.not_due.detail")
    return ProposalOutcome(_move_proposal(proposal, ProposalState.EXPIRED, now=now))


# ---------------------------------------------------------------------------------------------- exchanges


@dataclass(frozen=True)
class Exchange:
    state: ExchangeState
    planned_at: datetime
    state_since: datetime
    helper_minutes: int | None = None  # the helper's confirmation, if given
    receiver_minutes: int | None = None
    settled_minutes: int | None = None  # what counts once settled or resolved (0: nothing happened)
    disputed_by: Party | None = None  # None when the dispute came from two different confirmations
    cancelled_by: Party | None = None
    note: str | None = None  # the dispute's note, the cancellation's note or the moderator's reason

    def confirmation_of(self, party: Party) -> int | None:
        return self.helper_minutes if party is Party.HELPER else self.receiver_minutes


@dataclass(frozen=True)
class ExchangeOutcome:
    exchange: Exchange
    changed: bool = True
    # Minutes to move now, receiver -> helper (or from a pool, the caller's choice); set on one step only.
    settle_minutes: int | None = None


def new_exchange(proposal: Proposal, *, now: datetime) -> Exchange:
    if proposal.state is not ProposalState.ACCEPTED:
        raise InvalidTransition("error.invalid_transition.detail", state=proposal.state.value, action="start_exchange")
    return Exchange(ExchangeState.PLANNED, planned_at=now, state_since=now)


def _check_exchange(exchange: Exchange, action: ExchangeAction) -> None:
    if action not in EXCHANGE_ACTIONS[exchange.state]:
        raise _refuse(exchange.state, action)


def _with_confirmation(exchange: Exchange, party: Party, minutes: int) -> Exchange:
    if party is Party.HELPER:
        return replace(exchange, helper_minutes=minutes)
    return replace(exchange, receiver_minutes=minutes)


def confirm_exchange(exchange: Exchange, *, party: Party, minutes: object, step: int, now: datetime) -> ExchangeOutcome:
    _check_exchange(exchange, ExchangeAction.CONFIRM)
    counted = validate_minutes(minutes, step=step)
    if exchange.confirmation_of(party) == counted:
        return ExchangeOutcome(exchange, changed=False)
    confirmed = _with_confirmation(exchange, party, counted)
    theirs = exchange.confirmation_of(party.other)
    if theirs is None:
        return ExchangeOutcome(confirmed)
    if theirs == counted:
        settled = replace(confirmed, state=ExchangeState.SETTLED, state_since=now, settled_minutes=counted)
        return ExchangeOutcome(settled, settle_minutes=counted)
    # Both figures stay on the exchange so the moderator sees what each party said.
    return ExchangeOutcome(replace(confirmed, state=ExchangeState.DISPUTED, state_since=now))


def dispute_exchange(exchange: Exchange, *, party: Party, now: datetime, note: str | None = None) -> ExchangeOutcome:
    _check_exchange(exchange, ExchangeAction.DISPUTE)
    disputed = replace(exchange, state=ExchangeState.DISPUTED, state_since=now, disputed_by=party, note=_note(note))
    return ExchangeOutcome(disputed)


def cancel_exchange(exchange: Exchange, *, party: Party, now: datetime, note: str | None = None) -> ExchangeOutcome:
    _check_exchange(exchange, ExchangeAction.CANCEL)
    if exchange.confirmation_of(party.other) is not None:
        raise _refuse(exchange.state, ExchangeAction.CANCEL, "error.exchange.cancel_after_confirmation.detail")
    cancelled = replace(exchange, state=ExchangeState.CANCELLED, state_since=now, cancelled_by=party, note=_note(note))
    return ExchangeOutcome(cancelled)


def resolve_exchange(
    exchange: Exchange, *, minutes: object, reason: str | None, step: int, now: datetime
) -> ExchangeOutcome:
    """A moderator's decision on a disputed (or stuck planned) exchange; 0 minutes: nothing happened."""
    _check_exchange(exchange, ExchangeAction.RESOLVE)
    counted = validate_minutes(minutes, step=step, allow_zero=True)
    resolved = replace(
        exchange, state=ExchangeState.RESOLVED, state_since=now, settled_minutes=counted, note=_reason(reason)
    )
    return ExchangeOutcome(resolved, settle_minutes=counted or None)


def exchange_expires_at(exchange: Exchange, *, lifecycle: Lifecycle) -> datetime:
    return exchange.planned_at + timedelta(days=lifecycle.exchange_confirm_days)


def is_exchange_expired(exchange: Exchange, *, now: datetime, lifecycle: Lifecycle) -> bool:
    """Only a planned exchange goes stale; a disputed one waits for its moderator."""
    waiting = ExchangeAction.EXPIRE in EXCHANGE_ACTIONS[exchange.state]
    return waiting and now >= exchange_expires_at(exchange, lifecycle=lifecycle)


def expire_exchange(exchange: Exchange, *, now: datetime, lifecycle: Lifecycle) -> ExchangeOutcome:
    _check_exchange(exchange, ExchangeAction.EXPIRE)
    if not is_exchange_expired(exchange, now=now, lifecycle=lifecycle):
        raise _refuse(exchange.state, ExchangeAction.EXPIRE, "error.lifecycle.not_due.detail")
    return ExchangeOutcome(replace(exchange, state=ExchangeState.EXPIRED, state_since=now))
