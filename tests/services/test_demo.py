"""The demo data (`buurtbank demo`): distinct coarse homes, Dutch and French titles, planned and settled
exchanges that went through the real services and the ledger, and an analyst; idempotent."""

from __future__ import annotations

import itertools

from sqlmodel import Session, func, select

from buurtbank import gazetteer
from domain import geo
from domain.categories import CATEGORIES
from domain.exchanges import ExchangeState
from services.demo import ANALYST_EMAIL, DEMO_PASSWORD, seed_demo
from services.passwords import verify_password
from store.antennas import Antenna, Moderator
from store.exchanges import Exchange
from store.ledger import LedgerAccount, LedgerEntry, LedgerTransfer, accounts_with_drift, unbalanced_transfers
from store.listings import HelpRequest, Offer
from store.members import Member, get_member_by_email
from store.memberships import Membership


def _members_of(session: Session, antenna: Antenna) -> list[Member]:
    query = (
        select(Member)
        .join(Membership, Membership.member_id == Member.id)  # type: ignore[arg-type]  # SQLModel's id is optional
        .where(Membership.antenna_id == antenna.id)
    )
    return list(session.exec(query))


def test_every_demo_member_has_a_home_cell_of_their_own_inside_the_antenna(session: Session) -> None:
    seed_demo(session, members_per_antenna=6)
    for antenna in session.exec(select(Antenna)):
        members = _members_of(session, antenna)
        assert len(members) == 6
        homes = [(m.location_lat, m.location_lon) for m in members]
        assert len(set(homes)) == len(homes), f"{antenna.slug}: two members share a cell"
        for member in members:
            assert member.location_lat is not None and member.location_lon is not None
            assert geo.coarsen(member.location_lat, member.location_lon) == (member.location_lat, member.location_lon)
            # A point of its own (a home given as a point has no postcode), near one of the antenna's postcodes.
            home = (member.location_lat, member.location_lon)
            postcodes = antenna.declaration().area.postcodes
            nearest = min(geo.distance_km(home, gazetteer.postcode_centroid(p)) for p in postcodes)
            assert nearest <= 1.2 + 0.25, (antenna.slug, member.email, nearest)
        distances = {
            round(geo.distance_km(a, b), 3) for a, b in itertools.combinations(homes, 2) if None not in (*a, *b)
        }
        assert 0.0 not in distances and len(distances) > 1


def test_titles_are_dutch_or_french_in_the_members_language(session: Session) -> None:
    seed_demo(session, members_per_antenna=4)
    labels = {lang: {getattr(c, lang).lower() for c in CATEGORIES} for lang in ("nl", "fr")}
    listings: list[Offer | HelpRequest] = [*session.exec(select(Offer)), *session.exec(select(HelpRequest))]
    assert listings
    languages = set()
    for listing in listings:
        member = session.get(Member, listing.member_id)
        assert member is not None and member.language in ("nl", "fr")
        languages.add(member.language)
        assert any(label in listing.title for label in labels[member.language]), listing.title
        assert not listing.title.startswith("Demo:")
    assert languages == {"nl", "fr"}


def test_planned_and_settled_exchanges_went_through_the_ledger(session: Session) -> None:
    seed_demo(session, members_per_antenna=8)
    exchanges = list(session.exec(select(Exchange)))
    states = {e.state for e in exchanges}
    assert {ExchangeState.PLANNED, ExchangeState.SETTLED} <= states
    settled = [e for e in exchanges if e.state is ExchangeState.SETTLED]
    for exchange in settled:
        transfer = session.exec(select(LedgerTransfer).where(LedgerTransfer.settles_exchange_id == exchange.id)).one()
        entries = list(session.exec(select(LedgerEntry).where(LedgerEntry.transfer_id == transfer.id)))
        assert sorted(e.minutes for e in entries) == [-exchange.settled_minutes, exchange.settled_minutes]  # type: ignore[operator]  # settled: minutes set
    assert accounts_with_drift(session) == [] and unbalanced_transfers(session) == []
    balances = session.exec(select(func.sum(LedgerAccount.balance))).one()
    assert balances == 0


def test_demo_accounts_log_in_with_the_demo_password_and_include_an_analyst(session: Session) -> None:
    seed_demo(session, members_per_antenna=2)
    analyst = get_member_by_email(session, ANALYST_EMAIL)
    assert analyst is not None and analyst.is_analyst and not analyst.is_admin
    assert verify_password(analyst.password_hash, DEMO_PASSWORD)
    moderator = get_member_by_email(session, "moderator.molenbeek@demo.buurtbank.example")
    member = get_member_by_email(session, "member1.molenbeek@demo.buurtbank.example")
    assert moderator is not None and member is not None
    assert verify_password(member.password_hash, DEMO_PASSWORD)
    assert session.exec(select(Moderator).where(Moderator.member_id == moderator.id)).one()


def test_seeding_twice_adds_nothing(session: Session) -> None:
    first = seed_demo(session, members_per_antenna=2)
    counts = [session.exec(select(func.count()).select_from(model)).one() for model in (Member, Exchange)]
    second = seed_demo(session, members_per_antenna=2)
    assert "fictional members" in first and second == "demo data already present"
    assert [session.exec(select(func.count()).select_from(model)).one() for model in (Member, Exchange)] == counts
