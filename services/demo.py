"""Synthetic demo data: clearly fictional people (names say so), for trying the service out.

Idempotent: running it twice adds nothing the second time. Every demo account uses DEMO_PASSWORD.
"""

from __future__ import annotations

import random

from sqlmodel import Session

from domain import geo
from domain.background import AGE_BANDS, AVAILABILITY_SLOTS, ORIGINS
from domain.categories import CATEGORIES
from services.passwords import hash_password
from store.antennas import Moderator, list_antennas
from store.background import MemberBackground
from store.base import utcnow
from store.listings import HelpRequest, Offer
from store.members import Member, get_member_by_email
from store.memberships import Membership, MembershipStatus

DEMO_PASSWORD = "demo-password"
_FIRST = ("Fictief", "Demo", "Voorbeeld", "Exemple", "Sample", "Test")
_LAST = ("Anna", "Bram", "Chloé", "Driss", "Elif", "Fatou", "Gert", "Hind", "Ivo", "Jana", "Karim", "Lies")


def _demo_member(
    session: Session, *, email: str, name: str, postcode: str, password_hash: str, rng: random.Random
) -> Member:
    lat, lon = geo.postcode_centroid(postcode)
    member = Member(
        email=email,
        password_hash=password_hash,
        display_name=name,
        language=rng.choice(("nl", "fr", "en")),
        location_lat=lat,
        location_lon=lon,
        location_postcode=postcode,
    )
    session.add(member)
    session.flush()
    return member


def seed_demo(session: Session, *, members_per_antenna: int = 12, seed: int = 7) -> str:
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    created = 0
    for antenna in list_antennas(session):
        config = antenna.declaration()
        moderator_email = f"moderator.{antenna.slug}@demo.buurtbank.example"
        if get_member_by_email(session, moderator_email) is not None:
            continue
        moderator = Member(
            email=moderator_email,
            password_hash=password_hash,
            display_name=f"Demo moderator {config.name_nl}",
            language="nl",
        )
        session.add(moderator)
        session.flush()
        session.add(Moderator(member_id=moderator.id, antenna_id=antenna.id))  # type: ignore[arg-type]
        for number in range(members_per_antenna):
            postcode = rng.choice(config.area.postcodes)
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} ({antenna.slug} {number + 1})"
            member = _demo_member(
                session,
                email=f"member{number + 1}.{antenna.slug}@demo.buurtbank.example",
                name=name,
                postcode=postcode,
                password_hash=password_hash,
                rng=rng,
            )
            session.add(
                Membership(
                    member_id=member.id,  # type: ignore[arg-type]
                    antenna_id=antenna.id,  # type: ignore[arg-type]
                    status=MembershipStatus.APPROVED,
                    decided_at=utcnow(),
                    decided_by=moderator.id,
                )
            )
            if rng.random() < 0.7:
                session.add(
                    MemberBackground(
                        member_id=member.id,  # type: ignore[arg-type]
                        languages=sorted(set(rng.sample(config.languages, k=min(2, len(config.languages))))),
                        origin=rng.choice(ORIGINS[:8]),
                        age_band=rng.choice(AGE_BANDS),
                        circle=rng.choice(config.circles).key if config.circles else None,
                    )
                )
            slots = sorted(rng.sample(AVAILABILITY_SLOTS, k=4))
            offered = rng.choice(CATEGORIES)
            session.add(
                Offer(
                    antenna_id=antenna.id,  # type: ignore[arg-type]
                    member_id=member.id,  # type: ignore[arg-type]
                    category=offered.key,
                    title=f"Demo: {offered.en.lower()}",
                    description="Synthetic demo offer.",
                    availability=slots,
                    lat=member.location_lat,
                    lon=member.location_lon,
                )
            )
            if rng.random() < 0.6:
                needed = rng.choice(CATEGORIES)
                session.add(
                    HelpRequest(
                        antenna_id=antenna.id,  # type: ignore[arg-type]
                        member_id=member.id,  # type: ignore[arg-type]
                        category=needed.key,
                        title=f"Demo: need {needed.en.lower()}",
                        description="Synthetic demo request.",
                        availability=sorted(rng.sample(AVAILABILITY_SLOTS, k=5)),
                        minutes=config.time_step_minutes * rng.randint(2, 8),
                        lat=member.location_lat,
                        lon=member.location_lon,
                    )
                )
            created += 1
    session.flush()
    if created == 0:
        return "demo data already present"
    return (
        f"demo: {created} fictional members added; log in as member1.<antenna-slug>@demo.buurtbank.example "
        f"or moderator.<antenna-slug>@demo.buurtbank.example with password '{DEMO_PASSWORD}'"
    )
