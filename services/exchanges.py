"""Exchanges: confirming, disputing, cancelling, a moderator's resolution, and expiry.

The exchange row is locked first, then (if minutes move) the two accounts: concurrent confirmations of one
exchange queue on its row, and the unique settles_exchange_id makes a second settlement impossible.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from domain import exchanges as rules
from domain.audit import AuditAction
from domain.errors import NotAllowed, NotFound
from domain.exchanges import ExchangeState
from domain.ledger import TransferKind
from services import events
from services.actors import Actor
from services.ledger import TransferRequest, execute_transfer, lock_member_accounts_for_transfer, pay_from_pool
from services.proposals import party_of
from services.read_side import ExchangeExtras, PageLookups, remember_exchange
from store import audit
from store.antennas import Antenna, get_antenna, is_moderator
from store.base import row_id, utcnow
from store.exchanges import (
    Exchange,
    LockedExchange,
    exchanges_still_planned,
    get_exchange,
    get_exchange_for_update,
    lock_exchange_with_antenna,
    write_state,
)
from store.listings import ListingStatus, set_request_status_if_open
from store.lookups import MemberCard
from store.members import Member


def to_rule(row: Exchange) -> rules.Exchange:
    return rules.Exchange(
        state=row.state,
        planned_at=row.planned_at,
        state_since=row.state_since,
        helper_minutes=row.helper_minutes,
        receiver_minutes=row.receiver_minutes,
        settled_minutes=row.settled_minutes,
        disputed_by=row.disputed_by,
        cancelled_by=row.cancelled_by,
        note=row.note,
    )


def _store(session: Session, row: Exchange, value: rules.Exchange) -> None:
    """The rules' new state of the exchange, written to its row (store.exchanges.write_state)."""
    settled = value.state in (ExchangeState.SETTLED, ExchangeState.RESOLVED)
    write_state(
        session,
        row,
        {
            "state": value.state,
            "state_since": value.state_since,
            "helper_minutes": value.helper_minutes,
            "receiver_minutes": value.receiver_minutes,
            "settled_minutes": value.settled_minutes,
            "note": value.note,
            "disputed_by": value.disputed_by,
            "cancelled_by": value.cancelled_by,
            "settled_at": value.state_since if settled else row.settled_at,
        },
    )


def visible_exchange(session: Session, actor: Actor, exchange_id: int, *, lock: bool = False) -> Exchange:
    row = get_exchange_for_update(session, exchange_id) if lock else get_exchange(session, exchange_id)
    if row is None:
        raise NotFound()
    return _visible(session, actor, row)


def _locked_with_antenna(session: Session, actor: Actor, exchange_id: int) -> LockedExchange:
    """The exchange (row-locked) and its antenna in one statement, if the actor may see it; the names, slug
    and meeting read with them are left for the answer (services.read_side.remember_exchange)."""
    found = lock_exchange_with_antenna(session, exchange_id)
    if found is None:
        raise NotFound()
    _visible(session, actor, found.exchange)  # raises NotFound for someone who may not see it
    cards = {member_id: MemberCard(member_id, *card) for member_id, card in found.names.items()}
    lookups = PageLookups(members=cards, antennas={found.antenna.id or 0: found.antenna.slug})
    remember_exchange(session, exchange_id, ExchangeExtras(lookups=lookups, meeting=found.meeting))
    return found


def _visible(session: Session, actor: Actor, row: Exchange) -> Exchange:
    if actor.member_id in (row.helper_id, row.receiver_id):
        actor.require_antenna(row.antenna_id)
        return row
    if not actor.on_behalf and is_moderator(session, member_id=actor.acting_id, antenna_id=row.antenna_id):
        return row
    raise NotFound()


def _antenna(session: Session, row: Exchange) -> Antenna:
    antenna = get_antenna(session, row.antenna_id)
    assert antenna is not None
    return antenna


def _settle(
    session: Session, row: Exchange, *, minutes: int, antenna: Antenna, by: int, on_behalf_of: int | None
) -> None:
    # Found and locked in one statement (ascending account id, the ledger's one lock order).
    accounts = lock_member_accounts_for_transfer(session, [row.receiver_id, row.helper_id])
    execute_transfer(
        session,
        TransferRequest(
            kind=TransferKind.SETTLEMENT,
            debit=accounts[row.receiver_id],
            credit=accounts[row.helper_id],
            minutes=minutes,
            antenna=antenna,
            created_by=by,
            on_behalf_of=on_behalf_of,
            exchange_id=row.id,
            settles_exchange=True,
            accounts_locked=True,
        ),
    )
    _set_request_status(session, row, ListingStatus.CLOSED)


def _set_request_status(session: Session, row: Exchange, status: ListingStatus) -> None:
    if row.request_id is not None:
        set_request_status_if_open(session, row.request_id, status)


def confirm(session: Session, actor: Actor, *, exchange_id: int, minutes: object) -> Exchange:
    found = _locked_with_antenna(session, actor, exchange_id)
    row, antenna = found.exchange, found.antenna
    party = party_of(row, actor.member_id)
    outcome = rules.confirm_exchange(
        to_rule(row), party=party, minutes=minutes, step=antenna.declaration().time_step_minutes, now=utcnow()
    )
    if not outcome.changed:
        return row
    if outcome.settle_minutes:
        _settle(
            session,
            row,
            minutes=outcome.settle_minutes,
            antenna=antenna,
            by=actor.acting_id,
            on_behalf_of=actor.member_id if actor.on_behalf else None,
        )
    # After the transfer, which needs nothing of the new state: the state's write waits for the next statement
    # (store.deferred), and written before the transfer it would go alone, ahead of the accounts' lock.
    _store(session, row, outcome.exchange)
    events.exchange_confirmed(session, row, by=party, with_devices=found.with_devices)
    session.flush()
    return row


def dispute(session: Session, actor: Actor, *, exchange_id: int, note: str | None) -> Exchange:
    row = visible_exchange(session, actor, exchange_id, lock=True)
    party = party_of(row, actor.member_id)
    outcome = rules.dispute_exchange(to_rule(row), party=party, now=utcnow(), note=note)
    _store(session, row, outcome.exchange)
    events.exchange_disputed(session, row, by=party)
    session.flush()
    return row


def cancel(session: Session, actor: Actor, *, exchange_id: int, note: str | None) -> Exchange:
    row = visible_exchange(session, actor, exchange_id, lock=True)
    party = party_of(row, actor.member_id)
    outcome = rules.cancel_exchange(to_rule(row), party=party, now=utcnow(), note=note)
    _store(session, row, outcome.exchange)
    _set_request_status(session, row, ListingStatus.OPEN)  # the need is still there
    events.exchange_cancelled(session, row, by=party)
    session.flush()
    return row


def resolve(
    session: Session, *, moderator: Member, exchange_id: int, minutes: object, reason: str | None, from_pool: bool
) -> Exchange:
    """A moderator settles a disputed (or stuck) exchange with the minutes they decide and a reason.

    `from_pool`: the antenna's solidarity pool pays the helper instead of the receiver, for a member who
    cannot give back.
    """
    row = get_exchange_for_update(session, exchange_id)
    if row is None:
        raise NotFound()
    assert moderator.id is not None
    if not is_moderator(session, member_id=moderator.id, antenna_id=row.antenna_id):
        if moderator.id in (row.helper_id, row.receiver_id):
            raise NotAllowed("error.moderator_only")  # a party sees it, but may not resolve it
        raise NotFound()  # another antenna's exchange answers exactly like a missing one
    antenna = _antenna(session, row)
    outcome = rules.resolve_exchange(
        to_rule(row), minutes=minutes, reason=reason, step=antenna.declaration().time_step_minutes, now=utcnow()
    )
    _store(session, row, outcome.exchange)
    row.resolved_by = moderator.id
    session.add(row)
    if outcome.settle_minutes:
        if from_pool:
            pay_from_pool(
                session,
                moderator=moderator,
                antenna=antenna,
                member_id=row.helper_id,
                minutes=outcome.settle_minutes,
                reason=reason,
                exchange_id=row.id,
                settles_exchange=True,
            )
            row.paid_by_pool = True
            _set_request_status(session, row, ListingStatus.CLOSED)
        else:
            _settle(session, row, minutes=outcome.settle_minutes, antenna=antenna, by=moderator.id, on_behalf_of=None)
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.EXCHANGE_RESOLVE,
        antenna_id=row.antenna_id,
        detail={"exchange_id": row.id, "minutes": row.settled_minutes, "reason": row.note, "from_pool": from_pool},
    )
    events.exchange_resolved(session, row)
    session.flush()
    return row


def expire_stale_exchanges(session: Session, *, antenna: Antenna, now: datetime) -> int:
    lifecycle = antenna.declaration().lifecycle
    horizon = now - timedelta(days=lifecycle.exchange_confirm_days)
    expired = 0
    for candidate in exchanges_still_planned(session, antenna_id=row_id(antenna), planned_at_or_before=horizon):
        row = get_exchange_for_update(session, row_id(candidate))
        if row is None or not rules.is_exchange_expired(to_rule(row), now=now, lifecycle=lifecycle):
            continue
        _store(session, row, rules.expire_exchange(to_rule(row), now=now, lifecycle=lifecycle).exchange)
        _set_request_status(session, row, ListingStatus.OPEN)
        expired += 1
    session.flush()
    return expired
