"""The member's export shaped with the API's own presenters: each part reads as the endpoint that shows it.

`services.gdpr.collect_export` gathers the rows (and leaves the background out when a moderator acts for
the member); this module only shapes them, through the same functions the endpoints use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from api.presenters import (
    audit_outs,
    exchange_outs,
    listing_distances,
    listing_outs,
    membership_outs,
    proposal_outs,
    statement_out,
)
from api.routes.conversations import messages_out
from api.routes.devices import device_out, quiet_out
from api.routes.notifications import notification_out
from api.routes.safety import blocks_out, reports_out
from api.schemas.antennas import MembershipOut
from api.schemas.export import (
    BackgroundExportOut,
    ConversationExportOut,
    DeskAccountOut,
    ExportOut,
    ListingsExportOut,
    NeighboursExportOut,
)
from api.schemas.listings import OfferOut, RequestOut
from api.schemas.members import MeOut
from api.schemas.neighbours import FeedbackOut, ReportOut
from services.actors import Actor
from services.conversations import Thread
from services.gdpr import MemberData
from services.gdpr_neighbours import NeighbourData
from services.read_side import gather
from store.antennas import Antenna
from store.conversations import Message
from store.listings import Listing
from store.memberships import Membership
from store.safety import Report


def export_out(session: Session, actor: Actor, data: MemberData, *, profile: MeOut, lang: str) -> ExportOut:
    background = data.background
    statement = data.exchanges.statement
    return ExportOut(
        generated_at=data.generated_at,
        profile=profile,
        background=BackgroundExportOut(
            languages=background.languages,
            origin=background.origin,
            age_band=background.age_band,
            circle=background.circle,
            consented_at=background.consented_at,
        )
        if background is not None
        else None,
        memberships=_memberships(session, data.memberships),
        listings=ListingsExportOut(
            offers=_listings(session, actor, data.offers, OfferOut),
            requests=_listings(session, actor, data.requests, RequestOut),
        ),
        proposals=proposal_outs(session, actor, data.exchanges.proposals),
        exchanges=exchange_outs(session, data.exchanges.exchanges, actor.member_id),
        ledger=statement_out(statement, next_cursor=None),
        notifications=[notification_out(row, lang) for row in data.exchanges.notifications],
        neighbours=_neighbours(session, actor, data.neighbours, lang=lang),
        audit_about_me=audit_outs(session, data.audit),
        desk_account=DeskAccountOut(
            member_number=data.desk_account.member_number,
            phone=data.desk_account.phone,
            managed=data.desk_account.managed,
            enrolled_at=data.desk_account.enrolled_at,
        )
        if data.desk_account is not None
        else None,
    )


def _listings(session: Session, actor: Actor, rows: Sequence[Listing], out: type[BaseModel]) -> list[Any]:
    return listing_outs(session, actor, list(zip(rows, listing_distances(actor, rows), strict=True)), out)


def _memberships(session: Session, rows: list[tuple[Membership, Antenna]]) -> list[MembershipOut]:
    by_antenna: dict[int, list[Membership]] = defaultdict(list)
    antennas: dict[int, Antenna] = {}
    for membership, antenna in rows:
        by_antenna[antenna.id or 0].append(membership)
        antennas[antenna.id or 0] = antenna
    shaped = {
        m.id: out
        for antenna_id, memberships in by_antenna.items()
        for m, out in zip(
            memberships, membership_outs(session, memberships, antennas[antenna_id], with_desk=True), strict=True
        )
    }
    return [shaped[m.id] for m, _ in rows]


def _neighbours(session: Session, actor: Actor, data: NeighbourData, *, lang: str) -> NeighboursExportOut:
    # The member reads their own messages: as a party, or as the antenna when they wrote as its moderator.
    reader = Actor(member=actor.member, acting=actor.member)
    threads: dict[tuple[int, bool], list[Message]] = defaultdict(list)
    for message in data.messages:
        threads[(message.proposal_id, message.as_antenna)].append(message)
    exchanges = gather(session, proposal_ids=[proposal_id for proposal_id, _ in threads]).exchange_of_proposal
    by_antenna: dict[int, list[Report]] = defaultdict(list)
    for report in data.reports:
        by_antenna[report.antenna_id].append(report)
    reports: dict[int, ReportOut] = {}
    for antenna_id, rows in by_antenna.items():
        shaped = reports_out(session, rows, data.report_antennas[antenna_id])
        reports |= {row.id or 0: out for row, out in zip(rows, shaped, strict=True)}
    return NeighboursExportOut(
        conversations=[
            ConversationExportOut(
                proposal_id=proposal_id,
                exchange_id=exchanges.get(proposal_id),
                as_antenna=as_antenna,
                messages=messages_out(
                    session,
                    Thread(
                        proposal=data.threads[proposal_id],
                        exchange_id=exchanges.get(proposal_id),
                        as_antenna=as_antenna,
                    ),
                    rows,
                    actor=reader,
                    lang=lang,
                ),
            )
            for (proposal_id, as_antenna), rows in threads.items()
        ],
        devices=[device_out(d) for d in data.devices],
        quiet_hours=quiet_out(data.quiet_hours) if data.quiet_hours is not None else None,
        blocks=blocks_out(session, data.blocks),
        reports=[reports[row.id or 0] for row in data.reports],
        feedback=[
            FeedbackOut(exchange_id=f.exchange_id, thanks=f.thanks, met_someone_new=f.met_someone_new)
            for f in data.feedback
        ],
    )
