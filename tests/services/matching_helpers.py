"""A hand-built Molenbeek for matching tests: members with locations and backgrounds, requests and offers."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from services.actors import Actor
from store.antennas import Antenna, Moderator, get_antenna_by_slug
from store.background import MemberBackground
from store.listings import HelpRequest, Offer
from store.members import Member
from store.memberships import Membership, MembershipStatus
from store.proposals import Proposal

CENTRE = (50.8555, 4.3330)  # Molenbeek's declared centre; its radius is 2 km


@dataclass
class Town:
    session: Session
    antenna: Antenna
    moderator: Member
    _count: int = field(default=0)

    def member(
        self,
        name: str,
        *,
        north_m: float = 0.0,
        paused: bool = False,
        languages: list[str] | None = None,
        origin: str | None = None,
        age_band: str | None = None,
    ) -> Member:
        lat = CENTRE[0] + north_m / 111_000
        row = Member(
            email=f"{name.lower()}@example.org",
            display_name=name,
            location_lat=lat,
            location_lon=CENTRE[1],
            paused=paused,
        )
        self.session.add(row)
        self.session.flush()
        self.session.add(
            Membership(member_id=row.id, antenna_id=self.antenna.id, status=MembershipStatus.APPROVED)  # type: ignore[arg-type]
        )
        if languages or origin or age_band:
            self.session.add(MemberBackground(member_id=row.id, languages=languages, origin=origin, age_band=age_band))  # type: ignore[arg-type]
        self.session.flush()
        return row

    def request(self, member: Member, category: str = "shopping", *, minutes: int | None = 60) -> HelpRequest:
        row = HelpRequest(
            antenna_id=self.antenna.id,  # type: ignore[arg-type]
            member_id=member.id,  # type: ignore[arg-type]
            category=category,
            title="Hulp gezocht",
            lat=member.location_lat,
            lon=member.location_lon,
            minutes=minutes,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def offer(self, member: Member, category: str = "shopping") -> Offer:
        row = Offer(
            antenna_id=self.antenna.id,  # type: ignore[arg-type]
            member_id=member.id,  # type: ignore[arg-type]
            category=category,
            title="Ik help graag",
            lat=member.location_lat,
            lon=member.location_lon,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def proposals(self, **where: object) -> list[Proposal]:
        query = select(Proposal).where(Proposal.antenna_id == self.antenna.id)
        for name, value in where.items():
            query = query.where(getattr(Proposal, name) == value)
        return list(self.session.exec(query.order_by(Proposal.id)))  # type: ignore[arg-type]


def actor(member: Member) -> Actor:
    return Actor(member=member, acting=member)


def build_town(session: Session) -> Town:
    antenna = get_antenna_by_slug(session, "molenbeek")
    assert antenna is not None
    moderator = Member(email="mod@example.org", display_name="Moderator")
    session.add(moderator)
    session.flush()
    session.add(Moderator(member_id=moderator.id, antenna_id=antenna.id))  # type: ignore[arg-type]
    session.flush()
    return Town(session=session, antenna=antenna, moderator=moderator)
