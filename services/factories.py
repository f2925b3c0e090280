"""People, memberships, listings, proposals and exchanges built through the real services.

The one set of builders shared by the tests (service and API tests build their worlds with it), the
benchmarks (bench/api.py, bench/ledger.py) and the demo (services.demo). Every row is made by the service a
person's action would call (accounts.register, profile.update_profile, memberships.request_membership and
decide_membership, roles, listings.create_listing, proposals.respond_to_request, decide and answer,
exchanges.confirm), so what is built obeys the same rules, writes the same audit entries and ledger
transfers, and raises the same errors as the real thing. Like every service it flushes and never commits.

    build = Factory(session)
    mod = build.moderator_of("molenbeek", build.person("mod@example.org"))
    alice = build.member("alice@example.org", "molenbeek", postcode="1080")
    bob = build.member("bob@example.org", "molenbeek", postcode="1080")
    exchange = build.settled_exchange(helper=alice, receiver=bob, minutes=60)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from domain import geo
from domain.exchanges import ProposalState
from services import accounts, memberships, profile, roles
from services import exchanges as exchange_service
from services import listings as listing_service
from services import proposals as proposal_service
from services.actors import Actor
from services.passwords import hash_password
from store.antennas import Antenna, antenna_moderator_ids, get_antenna, get_antenna_by_slug
from store.base import row_id
from store.exchanges import Exchange
from store.listings import HelpRequest, Offer
from store.members import Member, get_member, get_member_by_email
from store.memberships import Membership, MembershipStatus, get_membership
from store.proposals import Proposal

DEFAULT_PASSWORD = "correct horse battery"


class _NoGeocoder:
    """Locations given to the factory are postcodes or points; an address would need a real geocoder."""

    def geocode(self, text: str) -> geo.LatLon | None:  # noqa: ARG002  # the Geocoder protocol's signature
        return None


def actor(member: Member) -> Actor:
    """The member acting for themselves."""
    return Actor(member=member, acting=member)


@dataclass
class Factory:
    """Builders over one session. Everyone it registers gets `password` (hashed once, at the current cost).

    `admin_email` names the admin who assigns moderators and analysts when the caller names none; that
    account is made on first need, with `admin_password` (default: `password`)."""

    session: Session
    password: str = DEFAULT_PASSWORD
    admin_email: str = "admin@example.org"
    admin_password: str | None = None
    _password_hash: str | None = field(default=None, init=False, repr=False)

    # --- people and roles ----------------------------------------------------------------------------

    def antenna(self, slug: str = "molenbeek") -> Antenna:
        found = get_antenna_by_slug(self.session, slug)
        if found is None:
            raise LookupError(f"no antenna {slug!r} is loaded")
        return found

    def _hash(self) -> str:
        if self._password_hash is None:
            self._password_hash = hash_password(self.password)
        return self._password_hash

    def person(
        self,
        email: str,
        *,
        name: str | None = None,
        language: str = "nl",
        postcode: str | None = None,
        point: geo.LatLon | None = None,
    ) -> Member:
        """A registered account (accounts.register), living at `postcode`'s centroid or at `point`'s cell."""
        member = accounts.register(
            self.session,
            email=email,
            password=self.password,
            display_name=name or email.split("@")[0],
            language=language,
            password_hash=self._hash(),
        )
        if postcode is not None or point is not None:
            self.move(member, postcode=postcode, point=point)
        return member

    def move(self, member: Member, *, postcode: str | None = None, point: geo.LatLon | None = None) -> Member:
        """The member sets their location in their profile (a postcode, or a point that is coarsened)."""
        location = profile.LocationInput(
            postcode=postcode, lat=point[0] if point else None, lon=point[1] if point else None
        )
        return profile.update_profile(
            self.session, actor(member), changes={"location": location}, geocoder=_NoGeocoder()
        )

    def declare_background(self, member: Member, background: profile.BackgroundInput) -> Member:
        """The member consents to and declares their background (languages, origin, age band, circle)."""
        return profile.update_profile(
            self.session,
            actor(member),
            changes={"background": background, "background_consent": True},
            geocoder=_NoGeocoder(),
        )

    def admin(self, email: str | None = None) -> Member:
        """An admin (roles.create_admin, as `buurtbank admin create` does); the existing one if already made."""
        email = email or self.admin_email
        existing = get_member_by_email(self.session, email)
        if existing is not None and existing.is_admin:
            return existing
        password = self.admin_password or self.password
        return roles.create_admin(self.session, email=email, password=password, promote=existing is not None)

    def moderator_of(self, slug: str, member: Member, *, admin: Member | None = None) -> Member:
        """An admin makes `member` a moderator of the antenna (roles.assign_moderator)."""
        return roles.assign_moderator(
            self.session, admin=admin or self.admin(), antenna=self.antenna(slug), email=member.email or ""
        )

    def analyst(self, member: Member, *, admin: Member | None = None) -> Member:
        """An admin grants `member` the analyst role (roles.grant_analyst)."""
        return roles.grant_analyst(self.session, admin=admin or self.admin(), email=member.email or "")

    def moderator(self, slug: str) -> Member:
        """The antenna's first moderator; one is registered and assigned if it has none."""
        antenna = self.antenna(slug)
        ids = antenna_moderator_ids(self.session, row_id(antenna))
        if ids:
            found = get_member(self.session, ids[0])
            assert found is not None
            return found
        return self.moderator_of(slug, self.person(f"moderator.{slug}@example.org", name=f"Moderator {slug}"))

    # --- memberships ---------------------------------------------------------------------------------

    def join(self, member: Member, slug: str) -> Membership:
        """The member asks to join the antenna (pending until a moderator decides)."""
        return memberships.request_membership(self.session, actor(member), self.antenna(slug))

    def approve(self, membership: Membership, *, moderator: Member | None = None) -> Membership:
        antenna = get_antenna(self.session, membership.antenna_id)
        assert antenna is not None
        return memberships.decide_membership(
            self.session,
            moderator=moderator or self.moderator(antenna.slug),
            antenna=antenna,
            membership_id=row_id(membership),
            approve=True,
            reason=None,
        )

    def approved(self, member: Member, slug: str, *, moderator: Member | None = None) -> Member:
        """`member` joins the antenna and its moderator approves them."""
        existing = get_membership(self.session, member_id=row_id(member), antenna_id=row_id(self.antenna(slug)))
        if existing is not None and existing.status is MembershipStatus.APPROVED:
            return member
        pending = existing if existing is not None and existing.status is MembershipStatus.PENDING else None
        self.approve(pending or self.join(member, slug), moderator=moderator)
        return member

    def member(
        self,
        email: str,
        slug: str = "molenbeek",
        *,
        name: str | None = None,
        language: str = "nl",
        postcode: str | None = "1080",
        point: geo.LatLon | None = None,
        moderator: Member | None = None,
    ) -> Member:
        """A located person, approved in the antenna (by `moderator`, or the antenna's first moderator)."""
        who = self.person(email, name=name, language=language, postcode=None if point else postcode, point=point)
        return self.approved(who, slug, moderator=moderator)

    # --- listings, proposals, exchanges --------------------------------------------------------------

    def offer(
        self,
        member: Member,
        slug: str = "molenbeek",
        *,
        category: str = "shopping",
        title: str = "Ik help graag",
        description: str = "",
        availability: list[str] | None = None,
    ) -> Offer:
        data = listing_service.ListingInput(
            antenna=self.antenna(slug),
            category=category,
            title=title,
            description=description,
            availability=availability,
        )
        return listing_service.create_listing(self.session, actor(member), Offer, data)

    def request(
        self,
        member: Member,
        slug: str = "molenbeek",
        *,
        category: str = "shopping",
        title: str = "Boodschappen doen",
        description: str = "",
        availability: list[str] | None = None,
        minutes: int | None = 60,
        needed_by: date | None = None,
    ) -> HelpRequest:
        data = listing_service.ListingInput(
            antenna=self.antenna(slug),
            category=category,
            title=title,
            description=description,
            availability=availability,
            minutes=minutes,
            needed_by=needed_by,
        )
        return listing_service.create_listing(self.session, actor(member), HelpRequest, data)

    def proposal(
        self,
        helper: Member,
        request: HelpRequest,
        *,
        message: str | None = "Ik help graag",
        review: bool = True,
        moderator: Member | None = None,
    ) -> Proposal:
        """`helper` responds to the request; if the antenna reviews members' proposals and `review` is set,
        `moderator` (or the antenna's first moderator) approves; otherwise it waits in the review queue."""
        proposal = proposal_service.respond_to_request(
            self.session, actor(helper), request_id=row_id(request), message=message
        )
        if review and proposal.state is ProposalState.PENDING_REVIEW:
            self.review(proposal, approve=True, moderator=moderator)
        return proposal

    def review(
        self, proposal: Proposal, *, approve: bool, reason: str | None = None, moderator: Member | None = None
    ) -> Proposal:
        """`moderator` (or the antenna's first moderator) approves or rejects a proposal waiting for review."""
        antenna = get_antenna(self.session, proposal.antenna_id)
        assert antenna is not None
        return proposal_service.decide(
            self.session,
            moderator=moderator or self.moderator(antenna.slug),
            proposal_id=row_id(proposal),
            approve=approve,
            reason=reason,
        )

    def planned_exchange(
        self,
        *,
        helper: Member,
        receiver: Member,
        slug: str = "molenbeek",
        request: HelpRequest | None = None,
        minutes: int | None = 60,
        helper_minutes: int | None = None,
        moderator: Member | None = None,
    ) -> Exchange:
        """The receiver asks (or `request`), the helper responds, the moderator approves, the receiver
        accepts: a planned exchange. With `helper_minutes` the helper has already confirmed that much."""
        request = request or self.request(receiver, slug, minutes=minutes)
        proposal = self.proposal(helper, request, moderator=moderator)
        _, exchange = proposal_service.answer(self.session, actor(receiver), proposal_id=row_id(proposal), accept=True)
        if exchange is None:
            raise RuntimeError("the receiver's acceptance should have started the exchange")
        self.session.flush()
        if helper_minutes is not None:
            exchange_service.confirm(self.session, actor(helper), exchange_id=row_id(exchange), minutes=helper_minutes)
        return exchange

    def settled_exchange(
        self,
        *,
        helper: Member,
        receiver: Member,
        minutes: int = 60,
        slug: str = "molenbeek",
        request: HelpRequest | None = None,
        moderator: Member | None = None,
    ) -> Exchange:
        """A planned exchange both confirmed with `minutes`: settled, its minutes moved in the ledger."""
        exchange = self.planned_exchange(
            helper=helper, receiver=receiver, slug=slug, request=request, minutes=minutes, moderator=moderator
        )
        for who in (helper, receiver):
            exchange_service.confirm(self.session, actor(who), exchange_id=row_id(exchange), minutes=minutes)
        return exchange
