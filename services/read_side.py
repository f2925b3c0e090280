"""The read side: a page of rows and everything it shows, loaded in a fixed handful of queries.

Pages are shaped in two steps, the same for the API and the console:

1. the caller has a page of rows (listings, proposals, exchanges, memberships, audit entries, ledger
   lines) from a `store/` query;
2. `gather(session, member_ids=..., antenna_ids=..., proposal_ids=...)` answers a `PageLookups` with the
   names, coarse points, antenna slugs and exchange ids those rows refer to: one query per kind of thing,
   whatever the page size (`WHERE id IN (...)`, see store/lookups.py);
3. the presenters in api/presenters.py turn rows + lookups into response models (the console renders
   the same models in its templates).

Distances for a page are computed in one numpy pass (domain.geo.distances_km / pair_distances_km).
Nothing here writes; no per-row select() or session.get() anywhere on this path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from domain import geo
from store.lookups import MemberCard, antenna_slugs, exchange_ids_by_proposal, member_cards


@dataclass(frozen=True, slots=True)
class PageLookups:
    members: dict[int, MemberCard] = field(default_factory=dict)
    antennas: dict[int, str] = field(default_factory=dict)
    exchange_of_proposal: dict[int, int] = field(default_factory=dict)
    # Presenters keep the member references they built here, one per member and page.
    refs: dict[int, Any] = field(default_factory=dict)

    def name(self, member_id: int) -> str:
        """A member's display name ('' for an id that no longer exists, as the single-row path answered)."""
        card = self.members.get(member_id)
        return card.display_name if card is not None else ""

    def slug(self, antenna_id: int) -> str:
        return self.antennas.get(antenna_id, "")

    def point(self, member_id: int) -> geo.LatLon | None:
        card = self.members.get(member_id)
        if card is None or card.lat is None or card.lon is None:
            return None
        return (card.lat, card.lon)

    def bands_between(self, pairs: list[tuple[int, int]]) -> list[str | None]:
        """The distance band between each pair of members (None when either has no location)."""
        distances = geo.pair_distances_km([self.point(a) for a, _ in pairs], [self.point(b) for _, b in pairs])
        return [geo.distance_band(km) if km is not None else None for km in distances]


# session.info key: what a service already read for the answer about one exchange (see remember_exchange).
_REMEMBERED = "buurtbank_exchange_answer"


@dataclass(frozen=True, slots=True)
class ExchangeExtras:
    """The answer about one exchange besides its row: names, the antenna's slug, the meeting."""

    lookups: PageLookups
    meeting: Any  # store.meetings.Meeting | None


def remember_exchange(session: Session, exchange_id: int, extras: ExchangeExtras) -> None:
    """A service that read the answer's names, slug and meeting together with the exchange (in the query that
    locked it) leaves them for the presenter, which then queries nothing more. Used once."""
    session.info.setdefault(_REMEMBERED, {})[exchange_id] = extras


def remembered_exchange(session: Session, exchange_id: int) -> ExchangeExtras | None:
    remembered: dict[int, ExchangeExtras] = session.info.get(_REMEMBERED, {})
    return remembered.pop(exchange_id, None)


def gather(
    session: Session,
    *,
    member_ids: Iterable[int | None] = (),
    antenna_ids: Iterable[int | None] = (),
    proposal_ids: Iterable[int | None] = (),
) -> PageLookups:
    """Everything a page refers to, one query per kind (none for a kind that is not asked for)."""
    return PageLookups(
        members=member_cards(session, member_ids),
        antennas=antenna_slugs(session, antenna_ids),
        exchange_of_proposal=exchange_ids_by_proposal(session, proposal_ids),
    )
