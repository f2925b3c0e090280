from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from api.deps import CurrentActor, GeocoderDep, SessionDep
from api.export import export_out
from api.problems import problem_responses
from api.routes.notifications import ReaderLanguage
from api.schemas.common import LanguageCode
from api.schemas.export import ExportOut
from api.schemas.members import (
    BackgroundOut,
    LocationOut,
    MembershipSummary,
    MeOut,
    MePatch,
    RolesOut,
)
from services import gdpr, profile
from store.accounts import get_desk_account
from store.antennas import moderated_slugs
from store.background import get_background
from store.members import Member
from store.memberships import MembershipStatus, memberships_with_slugs

router = APIRouter(prefix="/me", tags=["me"])


def me_out(session: Session, member: Member, *, show_background: bool = True) -> MeOut:
    """`show_background=False` for a moderator acting on behalf: they learn whether consent was given, no more."""
    assert member.id is not None
    background = get_background(session, member.id)
    desk = get_desk_account(session, member.id)
    memberships = memberships_with_slugs(session, member.id)
    moderator_of = moderated_slugs(session, member.id)
    location = None
    if member.location_lat is not None:
        location = LocationOut(postcode=member.location_postcode, lat=member.location_lat, lon=member.location_lon)
    return MeOut(
        id=member.id,
        email=member.email,
        member_number=desk.member_number if desk else None,
        managed=desk.managed if desk else False,
        display_name=member.display_name,
        language=cast(LanguageCode, member.language),  # validated on the way in
        location=location,
        background_consent=background is not None,
        background=BackgroundOut(
            languages=background.languages,
            origin=background.origin,
            age_band=background.age_band,
            circle=background.circle,
        )
        if background is not None and show_background
        else None,
        paused=member.paused,
        roles=RolesOut(admin=member.is_admin, analyst=member.is_analyst, moderator_of=list(moderator_of)),
        memberships=[
            MembershipSummary(
                id=m.id or 0,
                antenna=slug,
                status=m.status,
                reason=m.reason if m.status is MembershipStatus.REJECTED else None,
            )
            for m, slug in memberships
        ],
        created_at=member.created_at,
    )


_AUTH_ERRORS = (401, 403, 422)


@router.get("", response_model=MeOut, responses=problem_responses(*_AUTH_ERRORS))
def read_me(actor: CurrentActor, session: SessionDep) -> MeOut:
    """Read my profile

    For the signed-in member: name, language, coarse location (never shown to anyone else), background and consent,
    roles, memberships. A moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of:
    <member id>` (audited). A moderator acting for a member sees whether background consent was given, never the
    background itself.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    return me_out(session, actor.member, show_background=not actor.on_behalf)


@router.patch("", response_model=MeOut, responses=problem_responses(*_AUTH_ERRORS))
def patch_me(body: MePatch, actor: CurrentActor, session: SessionDep, geocoder: GeocoderDep) -> MeOut:
    """Change my profile: name, language, location, background, consent or pause

    For the signed-in member; send only the fields to change. A location is a Brussels postcode, a device position
    or an address (geocoded, then only a coarse point is kept). Background is kept only with `background_consent`;
    withdrawing consent deletes it. `paused` stops new proposals. A moderator may call it for a member of an antenna
    they moderate by adding `On-Behalf-Of: <member id>` (audited). A moderator may not see or change the background
    or the consent.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or a moderator
      acting for a member tried to change the background or the consent
    - 422: invalid input: e.g. a postcode outside Brussels, an address not found, background without consent
    """
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name == "location" and value is not None:
            value = profile.LocationInput(**value.model_dump())
        elif name == "background" and value is not None:
            value = profile.BackgroundInput(**value.model_dump())
        changes[name] = value
    if "paused" in changes:
        actor.member.paused = bool(changes.pop("paused"))
    member = profile.update_profile(session, actor, changes=changes, geocoder=geocoder)
    return me_out(session, member, show_background=not actor.on_behalf)


@router.get("/export", response_model=ExportOut, responses=problem_responses(*_AUTH_ERRORS))
def export_me(actor: CurrentActor, session: SessionDep, lang: ReaderLanguage) -> ExportOut:
    """Download everything the service holds about me

    For the signed-in member (the GDPR right of access). Answers one `ExportOut`: each part in the model of the
    endpoint that shows it (profile, memberships, listings, proposals, exchanges, ledger, notifications in the
    language asked for, the member's own messages, devices, quiet hours, blocks, reports, feedback, the audit trail
    about them, the desk account). A moderator may call it for a member of an antenna they moderate by adding
    `On-Behalf-Of: <member id>` (audited). The export then leaves the background out.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    data = gdpr.collect_export(session, actor)
    profile = me_out(session, actor.member, show_background=not actor.on_behalf)
    return export_out(session, actor, data, profile=profile, lang=lang)


@router.delete(
    "", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=problem_responses(*_AUTH_ERRORS)
)
def erase_me(actor: CurrentActor, session: SessionDep) -> Response:
    """Erase my account

    For the signed-in member. Personal data is removed (e-mail, name, location, background, listings' text,
    messages, devices); open proposals are withdrawn and planned exchanges cancelled; the ledger keeps every entry
    under an anonymous shell so all other balances stay right. Answers 204; the account's sessions end. A moderator
    may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    """
    gdpr.erase_member(session, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
