"""The ledger's tables: accounts, transfers and their entries; and the queries that touch them.

Append-only: rows of ledger_transfers and ledger_entries are inserted, never updated or deleted (the
migration adds database triggers that refuse it). The only mutable ledger column is the cached balance on
ledger_accounts, changed in the same transaction as the entries and checked by `buurtbank ledger check`.
Unique columns make double effects impossible even under concurrency: one settlement per exchange, one
reversal per transfer.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    CheckConstraint,
    Integer,
    Select,
    UniqueConstraint,
    bindparam,
    case,
    func,
    insert,
    null,
    update,
)
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, Session, SQLModel, col, select

from domain.ledger import AccountKind, TransferKind
from store.antennas import Antenna
from store.base import core_connection, enum_column, read_columns, utc_field, utcnow
from store.driver import driver_rows, entity_columns
from store.exchanges import Exchange
from store.members import Member
from store.memberships import Membership, MembershipStatus


class LedgerAccount(SQLModel, table=True):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'member' AND member_id IS NOT NULL AND pool_antenna_id IS NULL) OR "
            "(kind = 'pool' AND pool_antenna_id IS NOT NULL AND member_id IS NULL)",
            name="one_owner",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: AccountKind = enum_column(AccountKind, default=AccountKind.MEMBER)
    member_id: int | None = Field(default=None, foreign_key="members.id", unique=True)
    pool_antenna_id: int | None = Field(default=None, foreign_key="antennas.id", unique=True)
    # Cache of sum(entries.minutes), updated with every transfer under the account's row lock.
    balance: int = 0
    created_at: datetime = utc_field()


class LedgerTransfer(SQLModel, table=True):
    __tablename__ = "ledger_transfers"

    id: str = Field(primary_key=True, max_length=36, description="a UUID, shared by the two entries")
    kind: TransferKind = enum_column(TransferKind, default=TransferKind.SETTLEMENT, index=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True, description="where it happened")
    exchange_id: int | None = Field(default=None, foreign_key="exchanges.id", index=True)
    # Set only on the transfer that settles an exchange: the unique index lets it happen once.
    settles_exchange_id: int | None = Field(default=None, foreign_key="exchanges.id", unique=True)
    # Set only on a reversal: a transfer can be reversed once.
    reverses_transfer_id: str | None = Field(default=None, max_length=36, unique=True)
    # An adjustment's reference: the transfer it corrects, if any.
    corrects_transfer_id: str | None = Field(default=None, max_length=36, index=True)
    reason: str | None = Field(default=None, max_length=500)
    created_by: int = Field(foreign_key="members.id", description="who wrote it (a moderator, or the member)")
    on_behalf_of: int | None = Field(default=None, foreign_key="members.id")
    created_at: datetime = utc_field(index=True)


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("transfer_id", "account_id", name="uq_ledger_entries_transfer_account"),
        CheckConstraint("minutes <> 0", name="not_zero"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(foreign_key="ledger_transfers.id", max_length=36, index=True)
    account_id: int = Field(foreign_key="ledger_accounts.id", index=True)
    minutes: int = Field(description="signed integer minutes: negative on the debit side")
    created_at: datetime = utc_field(index=True)


def member_account(session: Session, member_id: int) -> LedgerAccount | None:
    return session.exec(select(LedgerAccount).where(LedgerAccount.member_id == member_id)).first()


_MEMBER_BALANCE = select(LedgerAccount.id, LedgerAccount.balance).where(
    col(LedgerAccount.member_id) == bindparam("member_id")
)


def member_account_balance(session: Session, member_id: int) -> tuple[int, int] | None:
    """The member's account id and cached balance, as columns (a statement page reads nothing else of it)."""
    rows = read_columns(session, _MEMBER_BALANCE, {"member_id": member_id})
    return (int(rows[0][0]), int(rows[0][1])) if rows else None


def pool_account(session: Session, antenna_id: int) -> LedgerAccount | None:
    return session.exec(select(LedgerAccount).where(LedgerAccount.pool_antenna_id == antenna_id)).first()


def lock_accounts(session: Session, account_ids: list[int]) -> dict[int, LedgerAccount]:
    """Row-lock the accounts in ascending id order (one global order: no deadlocks) and return them fresh.

    One statement: PostgreSQL locks the rows of `ORDER BY id ... FOR UPDATE` one by one in that order.
    """
    wanted = sorted(set(account_ids))
    rows = session.exec(
        select(LedgerAccount)
        .where(col(LedgerAccount.id).in_(wanted))
        .order_by(col(LedgerAccount.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    locked = {row.id: row for row in rows if row.id is not None}
    if sorted(locked) != wanted:
        raise LookupError(f"ledger accounts {sorted(set(wanted) - set(locked))} do not exist")
    return locked


# Read past the ORM (store.driver): a settlement's accounts, a transfer's two members (the same one twice for one).
_ACCOUNT_COLUMNS = entity_columns(LedgerAccount)
_LOCK_MEMBER_ACCOUNTS = (
    select_columns(*_ACCOUNT_COLUMNS.columns)
    .where(col(LedgerAccount.member_id).in_([bindparam("member_0"), bindparam("member_1")]))
    .order_by(col(LedgerAccount.id))
    .with_for_update()
)


def lock_member_accounts(session: Session, member_ids: list[int]) -> dict[int, LedgerAccount]:
    """Find and row-lock the accounts of a transfer's members (one or two) in one statement (built once), in
    ascending account id order (the one global order of lock_accounts), fresh; by member id. Members without
    an account are absent."""
    ids = sorted(set(member_ids))
    if not 1 <= len(ids) <= 2:
        raise ValueError("a transfer's accounts belong to one or two members")
    rows = read_columns(session, _LOCK_MEMBER_ACCOUNTS, {"member_0": ids[0], "member_1": ids[-1]})
    accounts = [_ACCOUNT_COLUMNS.entity(session, row) for row in rows]
    return {account.member_id: account for account in accounts if account.member_id is not None}


def total_of_all_entries(session: Session) -> int:
    return int(session.exec(select(func.coalesce(func.sum(LedgerEntry.minutes), 0))).one())


def get_transfer(session: Session, transfer_id: str) -> LedgerTransfer | None:
    return session.get(LedgerTransfer, transfer_id)


def reversal_of(session: Session, transfer_id: str) -> LedgerTransfer | None:
    return session.exec(select(LedgerTransfer).where(LedgerTransfer.reverses_transfer_id == transfer_id)).first()


def entries_of_transfer(session: Session, transfer_id: str) -> list[LedgerEntry]:
    return list(
        session.exec(select(LedgerEntry).where(LedgerEntry.transfer_id == transfer_id).order_by(col(LedgerEntry.id)))
    )


def statement(
    session: Session, *, account_id: int, before_id: int | None, limit: int
) -> list[tuple[LedgerEntry, LedgerTransfer]]:
    query = (
        select(LedgerEntry, LedgerTransfer)
        .join(LedgerTransfer, col(LedgerTransfer.id) == LedgerEntry.transfer_id)
        .where(LedgerEntry.account_id == account_id)
    )
    if before_id is not None:
        query = query.where(col(LedgerEntry.id) < before_id)
    return list(session.exec(query.order_by(col(LedgerEntry.id).desc()).limit(limit)))


def antenna_entries(
    session: Session, *, antenna_id: int, before_id: int | None, limit: int
) -> list[tuple[LedgerEntry, LedgerTransfer]]:
    query = (
        select(LedgerEntry, LedgerTransfer)
        .join(LedgerTransfer, col(LedgerTransfer.id) == LedgerEntry.transfer_id)
        .where(LedgerTransfer.antenna_id == antenna_id)
    )
    if before_id is not None:
        query = query.where(col(LedgerEntry.id) < before_id)
    return list(session.exec(query.order_by(col(LedgerEntry.id).desc()).limit(limit)))


class StatementRow(NamedTuple):
    """One entry of a statement with what it shows, read in a single query (see statement_rows)."""

    entry_id: int
    account_id: int
    minutes: int
    created_at: datetime
    transfer_id: str
    kind: TransferKind
    exchange_id: int | None
    reason: str | None
    counterparty_id: int | None
    counterparty_name: str | None
    counterparty_pool: str | None
    category: str | None
    # The account's cached balance, read with its entries when they were asked for by member (None otherwise).
    balance: int | None


@cache
def _statement_query(
    *,
    by_member: bool,
    by_account: bool,
    by_antenna: bool,
    before: bool,
    since: bool,
    until: bool,
    after: bool,
    limited: bool,
) -> Select[*tuple[Any, ...]]:
    """The statement query for one combination of filters, built once (bound parameters, not values): its
    construction (four aliases, six joins) and cache key cost more than running it.

    The page first, then what it shows: the entries (with their transfer, and the account's balance when
    asked by member) are filtered, ordered and cut in a subquery, and only its rows are joined to the other
    side of their transfer and to the exchange. PostgreSQL runs a prepared statement on a generic plan, which
    expects about three entries per account (the table's average); with the six joins above the cut it
    planned nested loops over whole tables for them, about twice the cost of this shape on the bench's
    member of 60 entries (docs/performance.md)."""
    owner = aliased(LedgerAccount)
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    entries: Select[*tuple[Any, ...]] = select_columns(
        col(LedgerEntry.id).label("entry_id"),
        col(LedgerEntry.account_id),
        col(LedgerEntry.minutes),
        col(LedgerEntry.created_at),
        col(LedgerTransfer.id).label("transfer_id"),
        col(LedgerTransfer.kind),
        col(LedgerTransfer.exchange_id),
        col(LedgerTransfer.reason),
        (col(owner.balance) if by_member else null()).label("balance"),
    ).join(LedgerTransfer, col(LedgerTransfer.id) == LedgerEntry.transfer_id)
    if by_member:
        entries = entries.join(owner, col(owner.id) == LedgerEntry.account_id).where(
            col(owner.member_id) == bindparam("member_id")
        )
    if by_account:
        entries = entries.where(col(LedgerEntry.account_id) == bindparam("account_id"))
    if by_antenna:
        entries = entries.where(col(LedgerTransfer.antenna_id) == bindparam("antenna_id"))
    if before:
        entries = entries.where(col(LedgerEntry.id) < bindparam("before_id"))
    if since:
        entries = entries.where(col(LedgerEntry.created_at) >= bindparam("since"))
    if until:
        entries = entries.where(col(LedgerEntry.created_at) < bindparam("until"))
    if after:
        entries = entries.where(col(LedgerEntry.id) > bindparam("after_id"))
    newest_first = not after  # `after` reads oldest first: the entries just newer than it
    entries = entries.order_by(col(LedgerEntry.id).desc() if newest_first else col(LedgerEntry.id))
    if limited:
        entries = entries.limit(bindparam("limit", type_=Integer))
    page = entries.subquery("page")
    other = aliased(LedgerEntry)
    other_account = aliased(LedgerAccount)
    pool_antenna = aliased(Antenna)
    return (
        select_columns(
            page.c.entry_id,
            page.c.account_id,
            page.c.minutes,
            page.c.created_at,
            page.c.transfer_id,
            page.c.kind,
            page.c.exchange_id,
            page.c.reason,
            col(other_account.member_id),
            col(Member.display_name),
            col(pool_antenna.slug),
            col(Exchange.category),
            page.c.balance,
        )
        .select_from(page)
        .outerjoin(
            other,
            (col(other.transfer_id) == page.c.transfer_id) & (col(other.account_id) != page.c.account_id),
        )
        .outerjoin(other_account, col(other_account.id) == other.account_id)
        .outerjoin(Member, col(Member.id) == other_account.member_id)
        .outerjoin(pool_antenna, col(pool_antenna.id) == other_account.pool_antenna_id)
        .outerjoin(Exchange, col(Exchange.id) == page.c.exchange_id)
        .order_by(page.c.entry_id.desc() if newest_first else page.c.entry_id)
    )


def statement_rows(
    session: Session,
    *,
    member_id: int | None = None,
    account_id: int | None = None,
    antenna_id: int | None = None,
    before_id: int | None,
    limit: int | None,
    after_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[StatementRow]:
    """Newest first: the entries of a member's account (or of an account, or of an antenna's transfers)
    with, in the same query, the other side of each transfer (a member's name or a pool's antenna slug) and
    the exchange's category; asked by `member_id`, each row also carries the account's cached balance.

    `after_id` reads the other way (oldest first, the entries just newer than it: a previous page);
    `since`/`until` keep the entries made in [since, until); `limit=None` reads them all.
    Columns only, no entities: run on the session's connection, past the ORM's result machinery."""
    given: dict[str, Any] = {
        "member_id": member_id,
        "account_id": account_id,
        "antenna_id": antenna_id,
        "before_id": before_id,
        "since": since,
        "until": until,
        "after_id": after_id,
        "limit": limit,
    }
    params = {name: value for name, value in given.items() if value is not None}
    query = _statement_query(
        by_member="member_id" in params,
        by_account="account_id" in params,
        by_antenna="antenna_id" in params,
        before="before_id" in params,
        since="since" in params,
        until="until" in params,
        after="after_id" in params,
        limited="limit" in params,
    )
    return list(map(StatementRow._make, read_columns(session, query, params)))


_TRANSFERS = LedgerTransfer.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by table=True
_ENTRIES = LedgerEntry.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by table=True
_ACCOUNTS = LedgerAccount.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by table=True


def _insert_once_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {column.name: bindparam(column.name, type_=column.type) for column in _TRANSFERS.columns}
    # RETURNING, not the row count: drivers do not all count an ON CONFLICT DO NOTHING as 0 rows.
    return insert(_TRANSFERS).values(values).on_conflict_do_nothing().returning(_TRANSFERS.c.id)


_INSERT_ONCE = {dialect: _insert_once_statement(dialect) for dialect in ("postgresql", "sqlite")}


def open_member_accounts(session: Session, member_ids: list[int]) -> None:
    """Open an account for each of these members that has none, in one `INSERT .. ON CONFLICT DO NOTHING`
    (no savepoint): an account another transaction opened meanwhile is left as it is (unique member_id)."""
    if not member_ids:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [
        {"kind": AccountKind.MEMBER, "member_id": member_id, "balance": 0, "created_at": now}
        for member_id in sorted(set(member_ids))
    ]
    core_connection(session).execute(
        insert(_ACCOUNTS).values(rows).on_conflict_do_nothing(index_elements=["member_id"])
    )


def insert_transfer_once(session: Session, transfer: LedgerTransfer) -> bool:
    """Insert the transfer unless its effect already happened: `INSERT .. ON CONFLICT DO NOTHING` on its
    unique columns (the id, settles_exchange_id, reverses_transfer_id), one statement built once per
    dialect, and no savepoint.

    True when it was inserted: the object is then a persistent row of the session, as if flushed. False
    when a row with the same unique value exists (the settlement or reversal was done once already).
    """
    statement = _INSERT_ONCE[session.get_bind().dialect.name]
    if core_connection(session).execute(statement, _transfer_values(transfer)).scalar_one_or_none() is None:
        return False
    _as_flushed(session, transfer)
    return True


def _transfer_values(transfer: LedgerTransfer, *, prefix: str = "") -> dict[str, Any]:
    """The transfer's row as statement parameters, named like its columns (after `prefix`)."""
    return {f"{prefix}{column.name}": getattr(transfer, column.key) for column in _TRANSFERS.columns}


def _as_flushed(session: Session, transfer: LedgerTransfer) -> None:
    """A transfer inserted past the ORM becomes a persistent row of the session, as if flushed."""
    make_transient_to_detached(transfer)
    session.add(transfer)  # detached to persistent: no second INSERT


# Parameter names that are no column name of the ledger's tables: SQLAlchemy makes a parameter named
# like a column of an UPDATE's table a SET of that column.
_AT = bindparam("at", type_=_ENTRIES.c.created_at.type)
# A transfer is two entries (domain.ledger): both in one INSERT, both balances in one UPDATE, built once.
_INSERT_ENTRIES = insert(_ENTRIES).values(
    [
        {
            "transfer_id": bindparam("the_transfer"),
            "account_id": bindparam(f"account_{n}"),
            "minutes": bindparam(f"minutes_{n}"),
            "created_at": _AT,
        }
        for n in (0, 1)
    ]
)
_MOVE_BALANCES = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id.in_([bindparam("account_0"), bindparam("account_1")]))
    .values(
        balance=_ACCOUNTS.c.balance
        + case(
            (_ACCOUNTS.c.id == bindparam("account_0"), bindparam("minutes_0", type_=Integer)),
            else_=bindparam("minutes_1", type_=Integer),
        )
    )
)


def _move_params(moves: list[tuple[LedgerAccount, int]]) -> dict[str, Any]:
    (first, first_minutes), (second, second_minutes) = moves  # two entries, on two accounts (domain.ledger)
    if first.id == second.id:
        raise ValueError("a transfer's two entries are on two accounts")  # the UPDATE's CASE relies on it
    return {
        "account_0": first.id,
        "minutes_0": first_minutes,
        "account_1": second.id,
        "minutes_1": second_minutes,
    }


def _append_on_postgres() -> Any:
    """One statement on PostgreSQL: the transfer inserted unless its effect already happened, and only if it
    was, its two entries and both balances (data-modifying CTEs, run once each whether read or not)."""
    inserted = (
        postgresql.insert(_TRANSFERS)
        .values({column.name: bindparam(f"new_{column.name}", type_=column.type) for column in _TRANSFERS.columns})
        .on_conflict_do_nothing()
        .returning(_TRANSFERS.c.id)
        .cte("inserted")
    )
    entries = [
        select_columns(
            inserted.c.id, bindparam(f"account_{n}", type_=Integer), bindparam(f"minutes_{n}", type_=Integer), _AT
        )
        for n in (0, 1)
    ]
    written = (
        insert(_ENTRIES)
        .from_select(["transfer_id", "account_id", "minutes", "created_at"], entries[0].union_all(entries[1]))
        .cte("written")
    )
    moved = _MOVE_BALANCES.where(select_columns(inserted.c.id).exists()).cte("moved")
    return select_columns(inserted.c.id).add_cte(written, moved)


_APPEND_ON_POSTGRES = _append_on_postgres()


def append_transfer(session: Session, transfer: LedgerTransfer, moves: list[tuple[LedgerAccount, int]]) -> bool:
    """Append a transfer with its two entries (each a locked account and its signed minutes) and move both
    accounts' cached balances, unless the transfer's effect already happened (insert_transfer_once): then
    nothing is written and this answers False.

    On PostgreSQL one statement; elsewhere three (the transfer, both entries, both balances). Past the ORM's
    unit of work: the transfer becomes a persistent row of the session and the account objects take their
    new balance as the stored one, as if flushed."""
    moved = _move_params(moves)
    if session.get_bind().dialect.name == "postgresql":
        values = _transfer_values(transfer, prefix="new_")
        params = {**values, **moved, "at": transfer.created_at}
        if not driver_rows(core_connection(session), _APPEND_ON_POSTGRES, params):
            return False
        _as_flushed(session, transfer)
    else:
        if not insert_transfer_once(session, transfer):
            return False
        connection = core_connection(session)
        connection.execute(_INSERT_ENTRIES, {**moved, "the_transfer": transfer.id, "at": transfer.created_at})
        connection.execute(_MOVE_BALANCES, moved)
    for account, minutes in moves:
        set_committed_value(account, "balance", account.balance + minutes)
    return True


def entries_total(session: Session, *, account_id: int, since: datetime) -> int:
    """The sum of an account's entries made at or after `since` (what happened after a printed period)."""
    query = select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
        col(LedgerEntry.account_id) == account_id, col(LedgerEntry.created_at) >= since
    )
    return int(session.exec(query).one())


def other_entry(session: Session, *, transfer_id: str, account_id: int) -> LedgerEntry | None:
    return session.exec(
        select(LedgerEntry).where(LedgerEntry.transfer_id == transfer_id, LedgerEntry.account_id != account_id)
    ).first()


def accounts_with_drift(session: Session) -> list[tuple[int, int, int]]:
    """(account id, cached balance, sum of entries) for every account whose cache disagrees."""
    sums = (
        select(LedgerEntry.account_id, func.sum(LedgerEntry.minutes).label("total"))
        .group_by(col(LedgerEntry.account_id))
        .subquery()
    )
    rows = session.exec(
        select(col(LedgerAccount.id), LedgerAccount.balance, func.coalesce(sums.c.total, 0)).outerjoin(
            sums, sums.c.account_id == LedgerAccount.id
        )
    )
    # `a is not None`: a stored row always has its id; SQLModel types the column as optional.
    return [(a, int(b), int(t)) for a, b, t in rows if a is not None and int(b) != int(t)]


def unbalanced_transfers(session: Session) -> list[str]:
    rows = session.exec(
        select(LedgerEntry.transfer_id)
        .group_by(col(LedgerEntry.transfer_id))
        .having((func.sum(LedgerEntry.minutes) != 0) | (func.count() != 2))
    )
    return list(rows)


def approved_member_balances(session: Session, antenna_id: int) -> list[tuple[Member, int | None]]:
    """The antenna's approved members by id with their cached balance (None: no account yet)."""
    query = (
        select(Member, LedgerAccount.balance)
        .join(Membership, col(Membership.member_id) == Member.id)
        .outerjoin(LedgerAccount, col(LedgerAccount.member_id) == Member.id)
        .where(Membership.antenna_id == antenna_id, Membership.status == MembershipStatus.APPROVED)
        .order_by(col(Member.id))
    )
    return list(session.exec(query))
