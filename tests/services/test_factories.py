"""services.factories builds through the real services: what it makes obeys their rules and leaves their traces."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from domain.exchanges import ExchangeState, ProposalState
from services.factories import Factory
from services.ledger import ensure_member_account
from services.passwords import verify_password
from store.audit import AuditEntry
from store.base import row_id
from store.listings import HelpRequest, ListingStatus
from store.memberships import MembershipStatus, get_membership


def test_a_member_can_log_in_lives_at_their_postcode_and_was_approved_by_the_moderator(session: Session) -> None:
    build = Factory(session)
    moderator = build.moderator("molenbeek")
    alice = build.member("Alice@Example.org", "molenbeek", postcode="1080")
    assert alice.email == "alice@example.org"  # normalised by accounts.register
    assert verify_password(alice.password_hash, build.password)
    assert alice.location_postcode == "1080" and alice.location_lat is not None
    membership = get_membership(session, member_id=row_id(alice), antenna_id=row_id(build.antenna("molenbeek")))
    assert membership is not None and membership.status is MembershipStatus.APPROVED
    assert membership.decided_by == moderator.id
    actions = set(session.exec(select(AuditEntry.action)))
    assert {"moderator.assign", "membership.approve"} <= actions


def test_a_settled_exchange_moved_its_minutes_through_the_ledger(session: Session) -> None:
    build = Factory(session)
    helper, receiver = build.member("helper@example.org"), build.member("receiver@example.org")
    exchange = build.settled_exchange(helper=helper, receiver=receiver, minutes=45)
    assert exchange.state is ExchangeState.SETTLED and exchange.settled_minutes == 45
    assert ensure_member_account(session, row_id(helper)).balance == 45
    assert ensure_member_account(session, row_id(receiver)).balance == -45
    request = session.get(HelpRequest, exchange.request_id)
    assert request is not None and request.status is not ListingStatus.OPEN


def test_a_proposal_left_unreviewed_waits_in_the_queue_until_a_moderator_decides(session: Session) -> None:
    build = Factory(session)
    helper, receiver = build.member("helper@example.org"), build.member("receiver@example.org")
    proposal = build.proposal(helper, build.request(receiver), review=False)
    assert proposal.state is ProposalState.PENDING_REVIEW  # Molenbeek reviews members' proposals
    build.review(proposal, approve=False, reason="Not this week")
    assert proposal.state is ProposalState.REJECTED and proposal.reason == "Not this week"
    assert "proposal.reject" in set(session.exec(select(AuditEntry.action)))


def test_the_services_rules_hold_for_what_the_factory_builds(session: Session) -> None:
    build = Factory(session)
    alice = build.member("alice@example.org", "molenbeek")
    dave = build.member("dave@example.org", "jette", postcode="1090")
    with pytest.raises(Conflict):
        build.person("alice@example.org")  # the e-mail is taken
    with pytest.raises(NotFound):
        build.proposal(dave, build.request(alice))  # Dave is no member of Molenbeek
    with pytest.raises(InvalidInput):
        build.proposal(alice, build.request(alice))  # one's own request
    unlocated = build.person("nowhere@example.org")
    build.approved(unlocated, "molenbeek")
    with pytest.raises(InvalidInput):
        build.request(unlocated)  # a request needs its poster's location
    pending = build.person("pending@example.org", postcode="1080")
    build.join(pending, "molenbeek")
    with pytest.raises(NotAllowed):
        build.offer(pending)  # not approved yet
