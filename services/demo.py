"""Synthetic demo data: clearly fictional people (names say so), for trying the service out.

Per antenna: a moderator, members who each live in their own ~250 m grid cell around the antenna's
postcodes (so distances between them differ), offers and requests titled in Dutch or French, and a few
exchanges made through the real services: planned ones, and settled ones whose minutes went through the
ledger. One analyst account sees the statistics. Every demo account uses DEMO_PASSWORD.

Idempotent: an antenna that already has its demo moderator is left alone, and the analyst is made once.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sqlmodel import Session

from buurtbank import gazetteer
from domain import geo
from domain.antenna_config import AntennaConfig
from domain.background import AGE_BANDS, AVAILABILITY_SLOTS, ORIGINS
from domain.categories import CATEGORIES, Category
from domain.exchanges import ProposalState
from services import exchanges as exchange_service
from services import proposals as proposal_service
from services.actors import Actor
from services.passwords import hash_password
from store.antennas import Antenna, Moderator, list_antennas
from store.background import MemberBackground
from store.base import row_id, utcnow
from store.listings import HelpRequest, Offer
from store.members import Member, get_member_by_email
from store.memberships import Membership, MembershipStatus

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.buurtbank.example"
ANALYST_EMAIL = f"analyst@{DEMO_DOMAIN}"
_FIRST = ("Fictief", "Demo", "Voorbeeld", "Exemple", "Sample", "Test")
_LAST = ("Anna", "Bram", "Chloé", "Driss", "Elif", "Fatou", "Gert", "Hind", "Ivo", "Jana", "Karim", "Lies")
# Members live between these distances (metres) from one of the antenna's postcode centroids.
_NEAREST_M, _FARTHEST_M = 150.0, 1200.0
_METRES_PER_DEGREE_LAT = 111_195.0


@dataclass(frozen=True, slots=True)
class _Titles:
    offer: str
    request: str
    offer_text: str
    request_text: str


_TITLES = {
    "nl": _Titles(
        offer="Ik help graag: {label}",
        request="Gezocht: hulp bij {label}",
        offer_text="Fictief demo-aanbod.",
        request_text="Fictieve demo-vraag.",
    ),
    "fr": _Titles(
        offer="Je peux aider : {label}",
        request="Je cherche de l'aide : {label}",
        offer_text="Offre de démonstration fictive.",
        request_text="Demande de démonstration fictive.",
    ),
}


def _title(template: str, category: Category, lang: str) -> str:
    label = getattr(category, lang).lower()
    return template.format(label=label)[:120]


def _home(config: AntennaConfig, taken: set[geo.LatLon], rng: random.Random) -> tuple[str, geo.LatLon]:
    """A postcode of the antenna and a grid cell near its centroid that no other demo member has."""
    for _ in range(200):
        postcode = rng.choice(config.area.postcodes)
        lat, lon = gazetteer.postcode_centroid(postcode)
        distance, bearing = rng.uniform(_NEAREST_M, _FARTHEST_M), rng.uniform(0.0, 2.0 * math.pi)
        north, east = distance * math.cos(bearing), distance * math.sin(bearing)
        point = (
            lat + north / _METRES_PER_DEGREE_LAT,
            lon + east / (_METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))),
        )
        if not geo.in_brussels(*point):
            continue
        cell = geo.coarsen(*point)
        if cell not in taken:
            taken.add(cell)
            return postcode, cell
    raise RuntimeError(f"no free grid cell left for a demo member of {config.slug}")


def _member(session: Session, *, email: str, name: str, lang: str, password_hash: str) -> Member:
    member = Member(email=email, password_hash=password_hash, display_name=name, language=lang)
    session.add(member)
    session.flush()
    return member


def _analyst(session: Session, password_hash: str) -> bool:
    if get_member_by_email(session, ANALYST_EMAIL) is not None:
        return False
    analyst = _member(session, email=ANALYST_EMAIL, name="Demo analyst", lang="nl", password_hash=password_hash)
    analyst.is_analyst = True
    session.add(analyst)
    return True


def _seed_antenna(
    session: Session, antenna: Antenna, moderator: Member, *, count: int, password_hash: str, rng: random.Random
) -> list[tuple[Member, HelpRequest | None]]:
    config = antenna.declaration()
    antenna_id = row_id(antenna)
    taken: set[geo.LatLon] = set()
    seeded: list[tuple[Member, HelpRequest | None]] = []
    for number in range(count):
        lang = rng.choice(("nl", "fr"))
        postcode, (lat, lon) = _home(config, taken, rng)
        member = _member(
            session,
            email=f"member{number + 1}.{antenna.slug}@{DEMO_DOMAIN}",
            name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)} ({antenna.slug} {number + 1})",
            lang=lang,
            password_hash=password_hash,
        )
        member.location_postcode, member.location_lat, member.location_lon = postcode, lat, lon
        session.add(member)
        member_id = row_id(member)
        session.add(
            Membership(
                member_id=member_id,
                antenna_id=antenna_id,
                status=MembershipStatus.APPROVED,
                decided_at=utcnow(),
                decided_by=moderator.id,
            )
        )
        if rng.random() < 0.7:
            session.add(
                MemberBackground(
                    member_id=member_id,
                    languages=sorted(set(rng.sample(config.languages, k=min(2, len(config.languages))))),
                    origin=rng.choice(ORIGINS[:8]),
                    age_band=rng.choice(AGE_BANDS),
                    circle=rng.choice(config.circles).key if config.circles else None,
                )
            )
        titles = _TITLES[lang]
        offered = rng.choice(CATEGORIES)
        session.add(
            Offer(
                antenna_id=antenna_id,
                member_id=member_id,
                category=offered.key,
                title=_title(titles.offer, offered, lang),
                description=titles.offer_text,
                availability=sorted(rng.sample(AVAILABILITY_SLOTS, k=4)),
                lat=lat,
                lon=lon,
            )
        )
        request = None
        if rng.random() < 0.6:
            needed = rng.choice(CATEGORIES)
            request = HelpRequest(
                antenna_id=antenna_id,
                member_id=member_id,
                category=needed.key,
                title=_title(titles.request, needed, lang),
                description=titles.request_text,
                availability=sorted(rng.sample(AVAILABILITY_SLOTS, k=5)),
                minutes=config.time_step_minutes * rng.randint(2, 8),
                lat=lat,
                lon=lon,
            )
            session.add(request)
        seeded.append((member, request))
    session.flush()
    return seeded


def _exchanges(
    session: Session, moderator: Member, seeded: list[tuple[Member, HelpRequest | None]], *, pairs: int
) -> tuple[int, int]:
    """Neighbours answer each other's requests: every second exchange is settled, the others stay planned.

    Each member takes part in one demo exchange at most, so no helper reaches the matcher's load limit."""
    used: set[int] = set()
    planned = settled = 0
    for receiver, request in seeded:
        if planned + settled == pairs:
            break
        if request is None or row_id(receiver) in used:
            continue
        helper = next((m for m, _ in reversed(seeded) if row_id(m) not in used and m is not receiver), None)
        if helper is None:
            break
        used |= {row_id(receiver), row_id(helper)}
        helper_actor, receiver_actor = Actor(member=helper, acting=helper), Actor(member=receiver, acting=receiver)
        proposal = proposal_service.respond_to_request(session, helper_actor, request_id=row_id(request), message=None)
        if proposal.state is ProposalState.PENDING_REVIEW:
            proposal_service.decide(
                session, moderator=moderator, proposal_id=row_id(proposal), approve=True, reason=None
            )
        _, exchange = proposal_service.answer(session, receiver_actor, proposal_id=row_id(proposal), accept=True)
        if exchange is None:
            raise RuntimeError("the receiver's acceptance should have started the exchange")
        if (planned + settled) % 2 == 1:
            planned += 1
            continue
        for actor in (helper_actor, receiver_actor):
            exchange_service.confirm(session, actor, exchange_id=row_id(exchange), minutes=request.minutes or 60)
        settled += 1
    return planned, settled


def seed_demo(session: Session, *, members_per_antenna: int = 12, seed: int = 7) -> str:
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    created = planned = settled = 0
    for antenna in list_antennas(session):
        config = antenna.declaration()
        moderator_email = f"moderator.{antenna.slug}@{DEMO_DOMAIN}"
        if get_member_by_email(session, moderator_email) is not None:
            continue
        moderator = _member(
            session,
            email=moderator_email,
            name=f"Demo moderator {config.name_nl}",
            lang="nl",
            password_hash=password_hash,
        )
        session.add(Moderator(member_id=row_id(moderator), antenna_id=row_id(antenna)))
        seeded = _seed_antenna(
            session, antenna, moderator, count=members_per_antenna, password_hash=password_hash, rng=rng
        )
        antenna_planned, antenna_settled = _exchanges(session, moderator, seeded, pairs=min(4, len(seeded) // 2))
        created, planned, settled = created + len(seeded), planned + antenna_planned, settled + antenna_settled
    analyst = _analyst(session, password_hash)
    session.flush()
    if created == 0 and not analyst:
        return "demo data already present"
    return (
        f"demo: {created} fictional members, {planned} planned and {settled} settled exchanges added; log in as "
        f"member1.<antenna-slug>@{DEMO_DOMAIN}, moderator.<antenna-slug>@{DEMO_DOMAIN} or {ANALYST_EMAIL} "
        f"with password '{DEMO_PASSWORD}'"
    )
