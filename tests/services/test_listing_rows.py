"""A page of listings is read as columns (store.listings.OfferRow / RequestRow), not ORM rows: the same values,
with the antenna's slug and the member's name read in the same query."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date

from sqlmodel import Session, col, select

from services.factories import Factory
from store.listings import JOINED_FIELDS, HelpRequest, ListingStatus, Offer, OfferRow, RequestRow, list_listings


def test_page_rows_carry_every_column_of_the_orm_rows(session: Session) -> None:
    build = Factory(session)
    hanne = build.member("hanne@example.org", name="Hanne")
    build.offer(hanne, title="Fietsen herstellen", availability=["tue-evening", "mon-morning"])
    build.offer(hanne, category="gardening", title="Tuinieren")
    build.request(hanne, title="Verhuizen", minutes=90, needed_by=date(2030, 5, 1))
    build.request(hanne, title="Boodschappen", minutes=None)
    session.commit()
    antenna = build.antenna()
    assert antenna.id is not None
    for model, row_type in ((Offer, OfferRow), (HelpRequest, RequestRow)):
        rows = list_listings(
            session,
            model,
            antenna_ids={antenna.id},
            category=None,
            member_id=None,
            statuses=(ListingStatus.OPEN,),
            bbox=None,
            before_id=None,
            limit=10,
        )
        orm = list(session.exec(select(model).order_by(col(model.id).desc())))
        assert len(rows) == len(orm) == 2
        assert all(type(row) is row_type for row in rows)
        names = [field.name for field in fields(row_type) if field.name not in JOINED_FIELDS]
        assert set(names) == set(model.model_fields)  # no column left out
        for row, listing in zip(rows, orm, strict=True):
            own = {name: value for name, value in asdict(row).items() if name not in JOINED_FIELDS}
            assert own == {name: getattr(listing, name) for name in names}
            assert (row.antenna_slug, row.member_name) == (antenna.slug, "Hanne")
            assert isinstance(row.status, ListingStatus) and row.created_at.tzinfo is not None
