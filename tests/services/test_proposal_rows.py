"""Pages of proposals are read as columns (store.proposals.ProposalRow), not ORM rows: the same values."""

from __future__ import annotations

from dataclasses import asdict, fields

from sqlmodel import Session, col, select

from domain.exchanges import ProposalState
from services.factories import Factory
from store.proposals import Proposal, ProposalRow, list_antenna_proposals, list_member_proposals


def test_page_rows_carry_every_column_of_the_orm_rows(session: Session) -> None:
    build = Factory(session)
    hanne = build.member("hanne@example.org", name="Hanne")
    rachid = build.member("rachid@example.org", name="Rachid")
    sofie = build.member("sofie@example.org", name="Sofie")
    build.proposal(rachid, build.request(hanne, title="Verhuizen", minutes=90), message="Ik kom zaterdag")
    build.proposal(sofie, build.request(hanne, title="Boodschappen", minutes=None), message=None, review=False)
    session.commit()
    antenna = build.antenna()
    assert antenna.id is not None and hanne.id is not None
    names = [field.name for field in fields(ProposalRow)]
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
            assert asdict(row) == {field: getattr(by_id[row.id], field) for field in names}, name
            assert isinstance(row.state, ProposalState) and row.created_at.tzinfo is not None
