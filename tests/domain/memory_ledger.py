"""An in-memory ledger on the domain's rules (domain/ledger.py), for the domain and property tests."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from domain.antenna_config import Credit
from domain.errors import Conflict
from domain.ledger import Account, Entry, PlannedTransfer, TransferKind, plan_reversal, plan_transfer


class Ledger:
    """An append-only ledger in memory, built on the domain's functions: the oracle for the ledger tests.

    It appends only PlannedTransfers, and refuses a plan made against balances that have since changed:
    the same guarantee the service gets from re-reading balances under a lock.
    """

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._balances: dict[Account, int] = defaultdict(int)
        self._transfers: dict[UUID, tuple[Entry, Entry]] = {}
        self._reversed: set[UUID] = set()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(self._entries)

    def balance_of(self, account: Account) -> int:
        return self._balances.get(account, 0)

    def balances(self) -> dict[Account, int]:
        return dict(self._balances)

    def is_reversed(self, transfer_id: UUID) -> bool:
        return transfer_id in self._reversed

    def apply(self, planned: PlannedTransfer) -> None:
        if planned.transfer_id in self._transfers:
            raise Conflict("error.ledger.duplicate_transfer.detail", transfer_id=str(planned.transfer_id))
        if (
            self.balance_of(planned.debit) != planned.debit_balance_before
            or self.balance_of(planned.credit) != planned.credit_balance_before
        ):
            raise Conflict("error.ledger.stale_plan.detail", transfer_id=str(planned.transfer_id))
        if planned.kind is TransferKind.REVERSAL:
            self._reversed.add(self._check_reversal(planned))
        entries = planned.entries
        self._entries.extend(entries)
        self._transfers[planned.transfer_id] = entries
        for entry in entries:
            self._balances[entry.account] += entry.minutes

    def _check_reversal(self, planned: PlannedTransfer) -> UUID:
        undone = UUID(planned.reference or "")
        if undone not in self._transfers:
            raise ValueError(f"reversal of an unknown transfer {undone}")
        if undone in self._reversed:
            raise Conflict("error.ledger.already_reversed.detail", transfer_id=str(undone))
        debit, credit = sorted(self._transfers[undone], key=lambda e: e.minutes)
        mirrored = (credit.account, debit.account, credit.minutes)
        if (planned.debit, planned.credit, planned.minutes) != mirrored:
            raise ValueError("a reversal must negate its original exactly")
        return undone

    def transfer(
        self,
        *,
        kind: TransferKind,
        debit: Account,
        credit: Account,
        minutes: int,
        limits: Credit,
        reason: str | None = None,
        reference: str | None = None,
    ) -> PlannedTransfer:
        planned = plan_transfer(
            kind=kind,
            debit=debit,
            credit=credit,
            minutes=minutes,
            debit_balance=self.balance_of(debit),
            credit_balance=self.balance_of(credit),
            limits=limits,
            reason=reason,
            reference=reference,
        )
        self.apply(planned)
        return planned

    def reverse(self, transfer_id: UUID, *, limits: Credit, reason: str | None) -> PlannedTransfer:
        original = self._transfers[transfer_id]
        planned = plan_reversal(
            original,
            balances={e.account: self.balance_of(e.account) for e in original},
            limits=limits,
            reason=reason,
            already_reversed=transfer_id in self._reversed,
        )
        self.apply(planned)
        return planned
