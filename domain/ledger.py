"""The reciprocity ledger: double-entry, append-only, integer minutes.

Accounts. A member has ONE account for the whole network, not one per antenna: an hour earned helping in
Schaerbeek can be asked back from a neighbour in Anderlecht, which is the point of a timebank (and the way
BuurtPensioen-style networks count). Per-antenna accounts would strand credits at antenna borders and make a
member who moves lose their history. What stays local is the rule set: the credit limits checked for a
transfer are those of the antenna where it happens (the exchange's antenna, or the pool's antenna). Each
antenna has one solidarity POOL, fed by donations and paying for members who cannot give back; a pool may
never go below zero and has no upper limit.

Transfers. Every movement is a transfer of N > 0 minutes from a debit account to a credit account, written
as exactly two entries (-N, +N) sharing the transfer id, so the sum of the whole ledger is always zero.
Entries are never edited or deleted: a mistake is undone by a REVERSAL (the exact negation, referencing the
original) or fixed by an ADJUSTMENT (a moderator's move with a reason). Entries carry the transfer's kind,
reason and reference on both rows, like ledger rows in a table, so a statement needs no join.

Limits. A transfer is refused if it would take the debit side below its floor or the credit side above its
ceiling. Only the side that moves towards a limit is checked, so a transfer never makes a breach worse but
may always bring an account back (useful when an antenna tightens its limits). Corrections obey the limits
too: the ledger invariant holds whoever writes.

These functions only plan: they take balances the caller has read (under a row lock, in the service) and
return the entries to append, or raise. (tests/domain/memory_ledger.py builds an in-memory ledger on them.)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid4

from domain.antenna_config import Credit
from domain.errors import Conflict, CreditLimitExceeded, InvalidInput


class AccountKind(StrEnum):
    MEMBER = "member"
    POOL = "pool"


class TransferKind(StrEnum):
    SETTLEMENT = "settlement"  # an exchange settles: the receiver pays the helper
    DONATION = "donation"  # a member gives to their antenna's pool
    POOL_PAYMENT = "pool_payment"  # the pool pays the helper for a member who cannot give back
    REVERSAL = "reversal"  # the exact negation of an earlier transfer
    ADJUSTMENT = "adjustment"  # a moderator's correction between two accounts


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class Limit(StrEnum):
    LOWEST = "lowest"
    HIGHEST = "highest"
    POOL_EMPTY = "pool_empty"


# Kinds that a person must explain: they are decisions about someone else's minutes.
REASON_REQUIRED = frozenset({TransferKind.POOL_PAYMENT, TransferKind.REVERSAL, TransferKind.ADJUSTMENT})
# Kinds that point at what they undo or correct (a transfer id, or an exchange for an adjustment).
REFERENCE_REQUIRED = frozenset({TransferKind.REVERSAL, TransferKind.ADJUSTMENT})
# Which accounts each kind may move between; None means any (corrections follow what they correct).
_ACCOUNT_KINDS: dict[TransferKind, tuple[AccountKind, AccountKind] | None] = {
    TransferKind.SETTLEMENT: (AccountKind.MEMBER, AccountKind.MEMBER),
    TransferKind.DONATION: (AccountKind.MEMBER, AccountKind.POOL),
    TransferKind.POOL_PAYMENT: (AccountKind.POOL, AccountKind.MEMBER),
    TransferKind.REVERSAL: None,
    TransferKind.ADJUSTMENT: None,
}


@dataclass(frozen=True)
class Account:
    """`key` is the member id for a MEMBER account and the antenna slug for a POOL."""

    kind: AccountKind
    key: Hashable


def member_account(member_id: Hashable) -> Account:
    return Account(AccountKind.MEMBER, member_id)


def pool_account(antenna_slug: str) -> Account:
    return Account(AccountKind.POOL, antenna_slug)


@dataclass(frozen=True)
class Entry:
    """One row of the ledger: `minutes` is signed (negative on the debit side)."""

    transfer_id: UUID
    kind: TransferKind
    account: Account
    minutes: int
    reason: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class PlannedTransfer:
    """What to append. The balances it was planned against let an applier detect a stale plan."""

    transfer_id: UUID
    kind: TransferKind
    debit: Account
    credit: Account
    minutes: int
    reason: str | None
    reference: str | None
    debit_balance_before: int
    credit_balance_before: int

    @property
    def entries(self) -> tuple[Entry, Entry]:
        return (
            Entry(self.transfer_id, self.kind, self.debit, -self.minutes, self.reason, self.reference),
            Entry(self.transfer_id, self.kind, self.credit, self.minutes, self.reason, self.reference),
        )

    @property
    def debit_balance_after(self) -> int:
        return self.debit_balance_before - self.minutes

    @property
    def credit_balance_after(self) -> int:
        return self.credit_balance_before + self.minutes


def _clean_text(value: str | None) -> str | None:
    stripped = value.strip() if value is not None else ""
    return stripped or None


def _check_limit(*, side: Side, account: Account, balance: int, minutes: int, limits: Credit) -> None:
    after = balance - minutes if side is Side.DEBIT else balance + minutes
    if side is Side.DEBIT:
        floor = 0 if account.kind is AccountKind.POOL else limits.lowest_balance_minutes
        if after < floor:
            limit = Limit.POOL_EMPTY if account.kind is AccountKind.POOL else Limit.LOWEST
            raise CreditLimitExceeded(
                f"error.credit_limit.{limit}.detail",
                side=side.value,
                account_kind=account.kind.value,
                limit=limit.value,
                limit_minutes=floor,
                balance_minutes=balance,
                minutes=minutes,
            )
    elif account.kind is AccountKind.MEMBER and after > limits.highest_balance_minutes:
        raise CreditLimitExceeded(
            "error.credit_limit.highest.detail",
            side=side.value,
            account_kind=account.kind.value,
            limit=Limit.HIGHEST.value,
            limit_minutes=limits.highest_balance_minutes,
            balance_minutes=balance,
            minutes=minutes,
        )


def plan_transfer(
    *,
    kind: TransferKind,
    debit: Account,
    credit: Account,
    minutes: int,
    debit_balance: int,
    credit_balance: int,
    limits: Credit,
    reason: str | None = None,
    reference: str | None = None,
    transfer_id: UUID | None = None,
) -> PlannedTransfer:
    """Check one transfer against the rules and the current balances; return what to append.

    Minutes are only required to be a positive int here: the time step is checked where a person types
    minutes (see domain.time_units), so that an old transfer can always be reversed after a step change.
    A REVERSAL is planned with plan_reversal only, so that it can only ever be an exact negation.
    """
    if kind is TransferKind.REVERSAL:
        raise ValueError("plan a reversal with plan_reversal()")
    return _plan(
        kind=kind,
        debit=debit,
        credit=credit,
        minutes=minutes,
        debit_balance=debit_balance,
        credit_balance=credit_balance,
        limits=limits,
        reason=reason,
        reference=reference,
        transfer_id=transfer_id,
    )


def _plan(
    *,
    kind: TransferKind,
    debit: Account,
    credit: Account,
    minutes: int,
    debit_balance: int,
    credit_balance: int,
    limits: Credit,
    reason: str | None,
    reference: str | None,
    transfer_id: UUID | None,
) -> PlannedTransfer:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise InvalidInput("error.minutes.not_positive.detail", field="minutes")
    if debit == credit:
        raise InvalidInput("error.ledger.same_account.detail", field="account")
    allowed = _ACCOUNT_KINDS[kind]
    if allowed is not None and (debit.kind, credit.kind) != allowed:
        raise InvalidInput(
            "error.ledger.wrong_accounts.detail",
            field="account",
            kind=kind.value,
            debit_kind=debit.kind.value,
            credit_kind=credit.kind.value,
        )
    reason = _clean_text(reason)
    reference = _clean_text(reference)
    if kind in REASON_REQUIRED and reason is None:
        raise InvalidInput("error.reason_required.detail", field="reason")
    if kind in REFERENCE_REQUIRED and reference is None:
        raise InvalidInput("error.ledger.reference_required.detail", field="reference")
    _check_limit(side=Side.DEBIT, account=debit, balance=debit_balance, minutes=minutes, limits=limits)
    _check_limit(side=Side.CREDIT, account=credit, balance=credit_balance, minutes=minutes, limits=limits)
    return PlannedTransfer(
        transfer_id=transfer_id or uuid4(),
        kind=kind,
        debit=debit,
        credit=credit,
        minutes=minutes,
        reason=reason,
        reference=reference,
        debit_balance_before=debit_balance,
        credit_balance_before=credit_balance,
    )


def _split(original: Sequence[Entry]) -> tuple[Entry, Entry]:
    """The (debit, credit) entries of one well-formed transfer; anything else is a caller's bug."""
    if len(original) != 2 or len({e.transfer_id for e in original}) != 1:
        raise ValueError("a transfer is exactly two entries sharing one transfer id")
    debit, credit = sorted(original, key=lambda e: e.minutes)
    if debit.minutes >= 0 or debit.minutes + credit.minutes != 0:
        raise ValueError("a transfer's entries are -N and +N")
    return debit, credit


def plan_reversal(
    original: Sequence[Entry],
    *,
    balances: Mapping[Account, int],
    limits: Credit,
    reason: str | None,
    already_reversed: bool,
    transfer_id: UUID | None = None,
) -> PlannedTransfer:
    """Plan the exact negation of `original` (its two entries); the caller says if it was reversed before.

    A reversal is never reversed: redoing a transfer is a new transfer, so the history reads plainly.
    """
    debit, credit = _split(original)
    if debit.kind is TransferKind.REVERSAL:
        raise Conflict("error.ledger.reversal_of_reversal.detail", transfer_id=str(debit.transfer_id))
    if already_reversed:
        raise Conflict("error.ledger.already_reversed.detail", transfer_id=str(debit.transfer_id))
    # The minutes go back the way they came: the original credit side now pays.
    return _plan(
        kind=TransferKind.REVERSAL,
        debit=credit.account,
        credit=debit.account,
        minutes=credit.minutes,
        debit_balance=balances[credit.account],
        credit_balance=balances[debit.account],
        limits=limits,
        reason=reason,
        reference=str(debit.transfer_id),
        transfer_id=transfer_id,
    )


def balance(entries: Iterable[Entry]) -> int:
    """The sum of the given entries: one account's balance when given that account's entries."""
    return sum(e.minutes for e in entries)


def balances(entries: Iterable[Entry]) -> dict[Account, int]:
    totals: dict[Account, int] = defaultdict(int)
    for entry in entries:
        totals[entry.account] += entry.minutes
    return dict(totals)


def consistency_problems(entries: Iterable[Entry]) -> list[str]:
    """Everything that breaks double entry; an empty list means the ledger is consistent."""
    problems: list[str] = []
    sums: Counter[UUID] = Counter()
    counts: Counter[UUID] = Counter()
    total = 0
    for entry in entries:
        total += entry.minutes
        sums[entry.transfer_id] += entry.minutes
        counts[entry.transfer_id] += 1
        if entry.minutes == 0:
            problems.append(f"transfer {entry.transfer_id}: an entry of zero minutes")
    if total != 0:
        problems.append(f"the ledger sums to {total}, not 0")
    for transfer_id, count in counts.items():
        if count != 2:
            problems.append(f"transfer {transfer_id}: {count} entries, not 2")
        if sums[transfer_id] != 0:
            problems.append(f"transfer {transfer_id}: entries sum to {sums[transfer_id]}, not 0")
    return problems


def anchors_crossed(*, before: int, after: int, limits: Credit) -> list[Limit]:
    """The anchors a member account just went past (towards the limit); crossing back flags nothing."""
    crossed: list[Limit] = []
    low, high = limits.low_anchor_minutes, limits.high_anchor_minutes
    if low is not None and after < low <= before:
        crossed.append(Limit.LOWEST)
    if high is not None and after > high >= before:
        crossed.append(Limit.HIGHEST)
    return crossed


def beyond_anchor(balance: int, limits: Credit) -> bool:
    low, high = limits.low_anchor_minutes, limits.high_anchor_minutes
    return (low is not None and balance < low) or (high is not None and balance > high)
