"""Indexes the analysts' statistics need (stats/queries.py), attached to the existing tables.

Declared here rather than in each table module so the statistics' needs stay in one place; store/metadata.py
imports this module (through stats/tables.py), so the metadata (tests, autogenerate) and migration 0004 agree.
"""

from __future__ import annotations

from sqlalchemy import Index

from store.exchanges import Exchange
from store.ledger import LedgerTransfer
from store.proposals import Proposal

_exchanges = Exchange.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only
_transfers = LedgerTransfer.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only
_proposals = Proposal.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only

STATS_INDEXES = (
    # "Requests that found a helper" and "days to settlement" look exchanges up by their request.
    Index("ix_exchanges_request_id", _exchanges.c.request_id),
    # A member's earlier giving / receiving (first participation) without scanning the history.
    Index("ix_exchanges_helper_settled", _exchanges.c.helper_id, _exchanges.c.settled_at),
    Index("ix_exchanges_receiver_settled", _exchanges.c.receiver_id, _exchanges.c.settled_at),
    # Pool inflows and outflows: two kinds of transfer in a date range.
    Index("ix_ledger_transfers_kind_created", _transfers.c.kind, _transfers.c.created_at),
    # Moderators' decisions and members' answers in a date range.
    Index("ix_proposals_decided_at", _proposals.c.decided_at),
    Index("ix_proposals_state_since", _proposals.c.state, _proposals.c.state_since),
    # Covering indexes (migration 0005): pair activity reads settled exchanges, and what hangs off a request,
    # from the index alone.
    Index(
        "ix_exchanges_settled_cover",
        _exchanges.c.settled_at,
        _exchanges.c.state,
        _exchanges.c.settled_minutes,
        _exchanges.c.antenna_id,
        _exchanges.c.helper_id,
        _exchanges.c.receiver_id,
        _exchanges.c.state_since,
        _exchanges.c.id,
    ),  # fmt: skip
    Index(
        "ix_exchanges_request_cover",
        _exchanges.c.request_id,
        _exchanges.c.state,
        _exchanges.c.settled_minutes,
        _exchanges.c.settled_at,
        _exchanges.c.state_since,
        _exchanges.c.id,
    ),  # fmt: skip
    Index(
        "ix_proposals_request_cover",
        _proposals.c.request_id,
        _proposals.c.created_at,
        _proposals.c.state_since,
        _proposals.c.id,
    ),  # fmt: skip
)
