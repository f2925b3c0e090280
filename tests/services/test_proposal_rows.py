"""Pages of proposals are read as columns (store.proposals.ProposalRow), not ORM rows: the same values, and
what a page shows beside them (antenna, exchange, both members) read in the same query."""

from __future__ import annotations

from sqlmodel import Session, col, select

from domain.exchanges import ProposalState
from services.factories import Factory
from store.antennas import Antenna
from store.exchanges import Exchange
from store.lookups import MemberCard
from store.members import Member
from store.proposals import JOINED_FIELDS, Proposal, ProposalRow, list_antenna_proposals, list_member_proposals


def test_page_rows_carry_every_column_of_the_orm_rows(session: Session) -> None:
    build = Factory(session)
    hanne = build.member("hanne@example.org", name="Hanne")
    rachid = build.member("rachid@example.org", name="Rachid")
    sofie = build.member("sofie@example.org", name="Sofie")
    build.proposal(rachid, build.request(hanne, title="Verhuizen", minutes=90), message="Ik kom zaterdag")
    build.proposal(sofie, build.request(hanne, title="Boodschappen", minutes=None), message=None, review=False)
    build.planned_exchange(helper=sofie, receiver=hanne)
    session.commit()
    antenna = build.antenna()
    assert antenna.id is not None and hanne.id is not None
    names = [name for name in ProposalRow._fields if name not in JOINED_FIELDS]
    assert set(names) < set(Proposal.model_fields)  # what the pages show, by Proposal's names
    pages = {
        "antenna": list_antenna_proposals(session, antenna_id=antenna.id, state=None, before_id=None, limit=10),
        "member": list_member_proposals(session, member_id=hanne.id, state=None, before_id=None, limit=10),
    }
    orm = list(session.exec(select(Proposal).order_by(col(Proposal.id).desc())))
    assert {row.state for row in orm} >= {ProposalState.APPROVED}
    for name, rows in pages.items():
        assert rows, name
        assert all(type(row) is ProposalRow for row in rows)
        by_id = {listing.id: listing for listing in orm}
        for row in rows:
            own = {field: value for field, value in row._asdict().items() if field not in JOINED_FIELDS}
            assert own == {field: getattr(by_id[row.id], field) for field in names}, name
            assert isinstance(row.state, ProposalState) and row.created_at.tzinfo is not None
            proposal = by_id[row.id]
            antenna = session.get(Antenna, proposal.antenna_id)
            exchange = session.exec(select(Exchange).where(Exchange.proposal_id == proposal.id)).first()
            assert antenna is not None and row.antenna_slug == antenna.slug
            assert row.exchange_id == (exchange.id if exchange else None)
            for card, member_id in ((row.helper_card, proposal.helper_id), (row.receiver_card, proposal.receiver_id)):
                member = session.get(Member, member_id)
                assert member is not None
                assert card == MemberCard(member_id, member.display_name, member.location_lat, member.location_lon)
    assert any(row.exchange_id is not None for rows in pages.values() for row in rows)
