"""Builds hand-made networks straight into the database (tests may): members, memberships, backgrounds,
listings, proposals, settled exchanges and pool transfers, with the times a test chooses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, select

from domain.exchanges import ExchangeState, Origin, ProposalState
from domain.ledger import AccountKind, TransferKind
from store.antennas import Antenna
from store.background import MemberBackground
from store.exchanges import Exchange
from store.ledger import LedgerAccount, LedgerEntry, LedgerTransfer
from store.listings import HelpRequest, Offer
from store.members import Member
from store.memberships import Membership, MembershipStatus
from store.proposals import Proposal


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


JANUARY_10 = at(2026, 1, 10)


class Network:
    def __init__(self, session: Session, slug: str = "molenbeek") -> None:
        self.session = session
        self.antennas = {a.slug: a.id for a in session.exec(select(Antenna))}
        self.slug = slug
        self._moderator: int | None = None

    def antenna_id(self, slug: str | None) -> int:
        return self.antennas[slug or self.slug]

    def member(
        self,
        *,
        joined: datetime = JANUARY_10,
        slug: str | None = None,
        background: dict | None = None,
        status: MembershipStatus = MembershipStatus.APPROVED,
    ) -> int:
        member = Member(display_name=f"m{uuid.uuid4().hex[:6]}", created_at=joined)
        self.session.add(member)
        self.session.flush()
        assert member.id is not None
        self.join(member.id, slug=slug, joined=joined, status=status)
        if background is not None:
            languages = background.get("languages")
            self.session.add(
                MemberBackground(
                    member_id=member.id,
                    languages=sorted(languages) if languages else None,
                    origin=background.get("origin"),
                    age_band=background.get("age_band"),
                    circle=background.get("circle"),
                )
            )
        self.session.flush()
        return member.id

    def join(
        self, member_id: int, *, slug: str | None = None, joined: datetime, status=MembershipStatus.APPROVED
    ) -> None:
        self.session.add(
            Membership(
                member_id=member_id,
                antenna_id=self.antenna_id(slug),
                status=status,
                requested_at=joined,
                decided_at=joined if status != MembershipStatus.PENDING else None,
            )
        )

    def moderator(self) -> int:
        if self._moderator is None:
            member = Member(display_name="moderator")
            self.session.add(member)
            self.session.flush()
            self._moderator = member.id
        assert self._moderator is not None
        return self._moderator

    def request(self, member_id: int, posted: datetime, *, slug: str | None = None) -> int:
        row = HelpRequest(antenna_id=self.antenna_id(slug), member_id=member_id, category="shopping", title="t",
                          created_at=posted, updated_at=posted)  # fmt: skip
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def offer(self, member_id: int, posted: datetime, *, slug: str | None = None) -> int:
        row = Offer(antenna_id=self.antenna_id(slug), member_id=member_id, category="shopping", title="t",
                    created_at=posted, updated_at=posted)  # fmt: skip
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def proposal(
        self,
        helper: int,
        receiver: int,
        created: datetime,
        *,
        request_id: int | None = None,
        state: ProposalState = ProposalState.ACCEPTED,
        decided: datetime | None = None,
        answered: datetime | None = None,
        slug: str | None = None,
    ) -> int:
        row = Proposal(
            antenna_id=self.antenna_id(slug), request_id=request_id, helper_id=helper, receiver_id=receiver,
            category="shopping", origin=Origin.SCHEDULER if decided else Origin.MEMBER, state=state,
            decided_by=self.moderator() if decided else None, decided_at=decided, created_at=created,
            state_since=answered or decided or created,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def exchange(
        self,
        helper: int,
        receiver: int,
        minutes: int,
        settled: datetime,
        *,
        request_id: int | None = None,
        state: ExchangeState = ExchangeState.SETTLED,
        slug: str | None = None,
    ) -> int:
        proposal = self.proposal(helper, receiver, settled, request_id=request_id, slug=slug)
        row = Exchange(
            proposal_id=proposal, antenna_id=self.antenna_id(slug), helper_id=helper, receiver_id=receiver,
            category="shopping", request_id=request_id, state=state, settled_minutes=minutes,
            helper_minutes=minutes, receiver_minutes=minutes, planned_at=settled, state_since=settled,
            settled_at=settled if state in (ExchangeState.SETTLED, ExchangeState.RESOLVED) else None,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def _account(self, *, member_id: int | None = None, antenna_id: int | None = None) -> int:
        query = select(LedgerAccount).where(
            LedgerAccount.member_id == member_id if member_id else LedgerAccount.pool_antenna_id == antenna_id
        )
        account = self.session.exec(query).first()
        if account is None:
            account = LedgerAccount(
                kind=AccountKind.MEMBER if member_id else AccountKind.POOL, member_id=member_id,
                pool_antenna_id=None if member_id else antenna_id,
            )  # fmt: skip
            self.session.add(account)
            self.session.flush()
        assert account.id is not None
        return account.id

    def pool_transfer(self, kind: TransferKind, member_id: int, minutes: int, when: datetime, slug: str | None = None):
        antenna = self.antenna_id(slug)
        pool = self._account(antenna_id=antenna)
        member = self._account(member_id=member_id)
        debit, credit = (member, pool) if kind is TransferKind.DONATION else (pool, member)
        transfer = LedgerTransfer(id=str(uuid.uuid4()), kind=kind, antenna_id=antenna, created_by=member_id,
                                  created_at=when)  # fmt: skip
        self.session.add(transfer)
        self.session.flush()
        self.session.add(LedgerEntry(transfer_id=transfer.id, account_id=debit, minutes=-minutes, created_at=when))
        self.session.add(LedgerEntry(transfer_id=transfer.id, account_id=credit, minutes=minutes, created_at=when))
        self.session.flush()
