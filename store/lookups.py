"""Batched look-ups for the read side: one query per kind of thing for a whole page, never one per row.

Each function takes the ids a page refers to and answers a dict keyed by id; an id that is not found is
simply absent (the caller decides what to show). Rows the session already holds (the caller, the antenna
of the route) are read from its identity map; only the others are queried. Empty input runs no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import bindparam
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from store.antennas import Antenna
from store.base import read_columns
from store.exchanges import Exchange
from store.ledger import LedgerAccount, LedgerEntry
from store.members import Member


class MemberCard(NamedTuple):
    """What a page may show of another member: the name, and the coarse point for a distance band."""

    id: int
    display_name: str
    lat: float | None
    lon: float | None


class EntrySide(NamedTuple):
    """One entry of a transfer with the owner of its account (a member, or an antenna's pool)."""

    transfer_id: str
    account_id: int
    member_id: int | None
    pool_antenna_id: int | None


def _ids(values: Iterable[int | None]) -> set[int]:
    return {v for v in values if v is not None}


def _loaded(session: Session, model: type[Any], ids: set[int]) -> dict[int, Any]:
    """Rows of `model` this session already holds (no query), for the ids asked."""
    found = {}
    for id_ in ids:
        row = session.identity_map.get(identity_key(model, id_))
        if row is not None:
            found[id_] = row
    return found


# Built once, each with an expanding IN parameter: a statement made per call costs its construction and
# cache key on every page (read_columns in store/base.py).
_MEMBER_CARDS = select(Member.id, Member.display_name, Member.location_lat, Member.location_lon).where(
    col(Member.id).in_(bindparam("ids", expanding=True))
)
_ANTENNA_SLUGS = select(Antenna.id, Antenna.slug).where(col(Antenna.id).in_(bindparam("ids", expanding=True)))
_EXCHANGES_OF_PROPOSALS = select(Exchange.proposal_id, Exchange.id).where(
    col(Exchange.proposal_id).in_(bindparam("ids", expanding=True))
)


def member_cards(session: Session, ids: Iterable[int | None]) -> dict[int, MemberCard]:
    wanted = _ids(ids)
    cards = {
        i: MemberCard(i, m.display_name, m.location_lat, m.location_lon)
        for i, m in _loaded(session, Member, wanted).items()
    }
    missing = wanted - cards.keys()
    if missing:
        rows = read_columns(session, _MEMBER_CARDS, {"ids": sorted(missing)})
        cards |= {i: MemberCard(i, name, lat, lon) for i, name, lat, lon in rows if i is not None}
    return cards


def antenna_slugs(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = _ids(ids)
    slugs = {i: a.slug for i, a in _loaded(session, Antenna, wanted).items()}
    missing = wanted - slugs.keys()
    if missing:
        rows = read_columns(session, _ANTENNA_SLUGS, {"ids": sorted(missing)})
        slugs |= {i: slug for i, slug in rows if i is not None}
    return slugs


def exchange_ids_by_proposal(session: Session, proposal_ids: Iterable[int | None]) -> dict[int, int]:
    wanted = _ids(proposal_ids)
    if not wanted:
        return {}
    rows = read_columns(session, _EXCHANGES_OF_PROPOSALS, {"ids": sorted(wanted)})
    return {int(p): int(e) for p, e in rows if e is not None}


def exchange_categories(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = _ids(ids)
    if not wanted:
        return {}
    return {
        i: c
        for i, c in session.exec(select(Exchange.id, Exchange.category).where(col(Exchange.id).in_(wanted)))
        if i is not None
    }


def transfer_sides(session: Session, transfer_ids: Iterable[str]) -> dict[str, list[EntrySide]]:
    """Both entries of each transfer with their accounts' owners, so a line can name its counterparty."""
    wanted = set(transfer_ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(LedgerEntry.transfer_id, LedgerEntry.account_id, LedgerAccount.member_id, LedgerAccount.pool_antenna_id)
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .where(col(LedgerEntry.transfer_id).in_(wanted))
    )
    sides: dict[str, list[EntrySide]] = {}
    for transfer_id, account_id, member_id, pool_antenna_id in rows:
        sides.setdefault(transfer_id, []).append(EntrySide(transfer_id, int(account_id), member_id, pool_antenna_id))
    return sides
