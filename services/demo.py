"""Synthetic demo data: clearly fictional people (names say so), for trying the service out.

Per antenna: a moderator, members who each live in their own ~250 m grid cell around the antenna's
postcodes (so distances between them differ), offers and requests titled in Dutch or French, and a few
exchanges: planned ones, and settled ones whose minutes went through the ledger. One analyst account sees
the statistics. Every demo account uses DEMO_PASSWORD. Everything is made through the real services
(services.factories): members register, set their home as a point (kept as its grid cell, like a point a
member gives in their profile), join and are approved by their antenna's moderator, post listings, propose,
accept and confirm.

Idempotent: an antenna that already has its demo moderator is left alone, and the analyst is made once.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from buurtbank import gazetteer
from domain import geo
from domain.antenna_config import AntennaConfig
from domain.background import AGE_BANDS, AVAILABILITY_SLOTS, ORIGINS
from domain.categories import CATEGORIES, Category
from services.factories import Factory
from services.profile import BackgroundInput
from store.antennas import Antenna, list_antennas
from store.base import row_id
from store.listings import HelpRequest
from store.members import Member, get_member_by_email

DEMO_PASSWORD = "demo-password"
DEMO_DOMAIN = "demo.buurtbank.example"
ANALYST_EMAIL = f"analyst@{DEMO_DOMAIN}"
SETUP_EMAIL = f"setup@{DEMO_DOMAIN}"  # the admin who appoints the demo's moderators and analyst; cannot log in
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


def _home(config: AntennaConfig, taken: set[geo.LatLon], rng: random.Random) -> geo.LatLon:
    """A grid cell near one of the antenna's postcode centroids that no other demo member has."""
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
            return cell
    raise RuntimeError(f"no free grid cell left for a demo member of {config.slug}")


def _seed_antenna(
    build: Factory, antenna: Antenna, moderator: Member, *, count: int, rng: random.Random
) -> list[tuple[Member, HelpRequest | None]]:
    config = antenna.declaration()
    taken: set[geo.LatLon] = set()
    seeded: list[tuple[Member, HelpRequest | None]] = []
    for number in range(count):
        lang = rng.choice(("nl", "fr"))
        home = _home(config, taken, rng)
        member = build.person(
            f"member{number + 1}.{antenna.slug}@{DEMO_DOMAIN}",
            name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)} ({antenna.slug} {number + 1})",
            language=lang,
            point=home,
        )
        build.approved(member, antenna.slug, moderator=moderator)
        if rng.random() < 0.7:
            background = BackgroundInput(
                languages=sorted(set(rng.sample(config.languages, k=min(2, len(config.languages))))),
                origin=rng.choice(ORIGINS[:8]),
                age_band=rng.choice(AGE_BANDS),
                circle=rng.choice(config.circles).key if config.circles else None,
            )
            build.declare_background(member, background)
        titles = _TITLES[lang]
        offered = rng.choice(CATEGORIES)
        build.offer(
            member,
            antenna.slug,
            category=offered.key,
            title=_title(titles.offer, offered, lang),
            description=titles.offer_text,
            availability=sorted(rng.sample(AVAILABILITY_SLOTS, k=4)),
        )
        request = None
        if rng.random() < 0.6:
            needed = rng.choice(CATEGORIES)
            request = build.request(
                member,
                antenna.slug,
                category=needed.key,
                title=_title(titles.request, needed, lang),
                description=titles.request_text,
                availability=sorted(rng.sample(AVAILABILITY_SLOTS, k=5)),
                minutes=config.time_step_minutes * rng.randint(2, 8),
            )
        seeded.append((member, request))
    return seeded


def _exchanges(
    build: Factory, moderator: Member, seeded: list[tuple[Member, HelpRequest | None]], *, pairs: int
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
        if (planned + settled) % 2 == 1:
            build.planned_exchange(helper=helper, receiver=receiver, request=request, moderator=moderator)
            planned += 1
        else:
            build.settled_exchange(
                helper=helper, receiver=receiver, request=request, minutes=request.minutes or 60, moderator=moderator
            )
            settled += 1
    return planned, settled


def seed_demo(session: Session, *, members_per_antenna: int = 12, seed: int = 7) -> str:
    rng = random.Random(seed)
    # Moderators and the analyst are appointed by a set-up admin whose password nobody knows (it cannot log in).
    build = Factory(session, password=DEMO_PASSWORD, admin_email=SETUP_EMAIL, admin_password=secrets.token_urlsafe(32))
    created = planned = settled = 0
    for antenna in list_antennas(session):
        config = antenna.declaration()
        moderator_email = f"moderator.{antenna.slug}@{DEMO_DOMAIN}"
        if get_member_by_email(session, moderator_email) is not None:
            continue
        moderator = build.moderator_of(
            antenna.slug, build.person(moderator_email, name=f"Demo moderator {config.name_nl}", language="nl")
        )
        seeded = _seed_antenna(build, antenna, moderator, count=members_per_antenna, rng=rng)
        antenna_planned, antenna_settled = _exchanges(build, moderator, seeded, pairs=min(4, len(seeded) // 2))
        created, planned, settled = created + len(seeded), planned + antenna_planned, settled + antenna_settled
    analyst = get_member_by_email(session, ANALYST_EMAIL) is None
    if analyst:
        build.analyst(build.person(ANALYST_EMAIL, name="Demo analyst", language="nl"))
    session.flush()
    if created == 0 and not analyst:
        return "demo data already present"
    return (
        f"demo: {created} fictional members, {planned} planned and {settled} settled exchanges added; log in as "
        f"member1.<antenna-slug>@{DEMO_DOMAIN}, moderator.<antenna-slug>@{DEMO_DOMAIN} or {ANALYST_EMAIL} "
        f"with password '{DEMO_PASSWORD}'"
    )
