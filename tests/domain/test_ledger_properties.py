"""Whatever sequence of transfers, corrections and reversals, the ledger stays double-entry and in limits."""

from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.antenna_config import Credit
from domain.errors import Conflict, CreditLimitExceeded
from domain.ledger import (
    Account,
    AccountKind,
    TransferKind,
    balances,
    consistency_problems,
    member_account,
    pool_account,
)
from tests.domain.memory_ledger import Ledger

MEMBERS = [member_account(n) for n in range(4)]
POOLS = [pool_account("schaerbeek"), pool_account("molenbeek")]
minutes_st = st.integers(min_value=1, max_value=900)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        # An oracle kept by hand, independent of the code under test.
        self.expected: dict[Account, int] = {}
        self.transfers: list[UUID] = []
        self.limits = Credit(lowest_balance_minutes=-600, highest_balance_minutes=1200)

    @initialize(lowest=st.integers(min_value=-1200, max_value=0), highest=st.integers(min_value=1, max_value=2400))
    def choose_limits(self, lowest: int, highest: int) -> None:
        self.limits = Credit(lowest_balance_minutes=lowest, highest_balance_minutes=highest)

    def _floor(self, account: Account) -> int:
        return 0 if account.kind is AccountKind.POOL else self.limits.lowest_balance_minutes

    def _allowed(self, debit: Account, credit: Account, minutes: int) -> bool:
        debit_ok = self.expected.get(debit, 0) - minutes >= self._floor(debit)
        credit_after = self.expected.get(credit, 0) + minutes
        credit_ok = credit.kind is AccountKind.POOL or credit_after <= self.limits.highest_balance_minutes
        return debit_ok and credit_ok

    def _move(self, *, kind: TransferKind, debit: Account, credit: Account, minutes: int) -> None:
        allowed = self._allowed(debit, credit, minutes)
        entries_before = self.ledger.entries
        try:
            planned = self.ledger.transfer(
                kind=kind,
                debit=debit,
                credit=credit,
                minutes=minutes,
                limits=self.limits,
                reason="property test",
                reference="exchange-1",
            )
        except CreditLimitExceeded:
            assert not allowed
            assert self.ledger.entries == entries_before
            return
        assert allowed
        self.transfers.append(planned.transfer_id)
        self.expected[debit] = self.expected.get(debit, 0) - minutes
        self.expected[credit] = self.expected.get(credit, 0) + minutes

    @rule(pair=st.permutations(MEMBERS), minutes=minutes_st)
    def settle(self, pair: list[Account], minutes: int) -> None:
        self._move(kind=TransferKind.SETTLEMENT, debit=pair[0], credit=pair[1], minutes=minutes)

    @rule(member=st.sampled_from(MEMBERS), pool=st.sampled_from(POOLS), minutes=minutes_st)
    def donate(self, member: Account, pool: Account, minutes: int) -> None:
        self._move(kind=TransferKind.DONATION, debit=member, credit=pool, minutes=minutes)

    @rule(pool=st.sampled_from(POOLS), member=st.sampled_from(MEMBERS), minutes=minutes_st)
    def pool_pays(self, pool: Account, member: Account, minutes: int) -> None:
        self._move(kind=TransferKind.POOL_PAYMENT, debit=pool, credit=member, minutes=minutes)

    @rule(pair=st.permutations(MEMBERS + POOLS), minutes=minutes_st)
    def adjust(self, pair: list[Account], minutes: int) -> None:
        self._move(kind=TransferKind.ADJUSTMENT, debit=pair[0], credit=pair[1], minutes=minutes)

    @precondition(lambda self: bool(self.transfers))
    @rule(data=st.data())
    def reverse_an_earlier_transfer(self, data: st.DataObject) -> None:
        transfer_id = data.draw(st.sampled_from(self.transfers))
        original = [e for e in self.ledger.entries if e.transfer_id == transfer_id]
        snapshot = self.ledger.balances()
        entries_before = self.ledger.entries
        try:
            reversal = self.ledger.reverse(transfer_id, limits=self.limits, reason="property test")
        except (Conflict, CreditLimitExceeded):
            assert self.ledger.entries == entries_before
            assert self.ledger.balances() == snapshot
            return
        # The reversal moves exactly the original's minutes back between exactly its two accounts.
        for entry in original:
            self.expected[entry.account] -= entry.minutes
            assert self.ledger.balance_of(entry.account) == snapshot[entry.account] - entry.minutes
        changed = {a for a, m in self.ledger.balances().items() if m != snapshot.get(a, 0)}
        assert changed <= {e.account for e in original}
        assert reversal.reference == str(transfer_id)
        self.transfers.append(reversal.transfer_id)

    @rule(pair=st.permutations(MEMBERS), minutes=minutes_st)
    def settle_then_reverse_restores_everything(self, pair: list[Account], minutes: int) -> None:
        before = self.ledger.balances()
        try:
            planned = self.ledger.transfer(
                kind=TransferKind.SETTLEMENT,
                debit=pair[0],
                credit=pair[1],
                minutes=minutes,
                limits=self.limits,
            )
        except CreditLimitExceeded:
            return
        # Undoing a legal step lands on a legal state, so the reversal can never be refused.
        self.ledger.reverse(planned.transfer_id, limits=self.limits, reason="undo")
        after = self.ledger.balances()
        assert {a: m for a, m in after.items() if m} == {a: m for a, m in before.items() if m}

    @invariant()
    def double_entry_holds(self) -> None:
        assert consistency_problems(self.ledger.entries) == []
        assert sum(e.minutes for e in self.ledger.entries) == 0
        assert len(self.ledger.entries) % 2 == 0

    @invariant()
    def balances_match_the_oracle_and_the_entries(self) -> None:
        derived = balances(self.ledger.entries)
        for account in MEMBERS + POOLS:
            assert self.ledger.balance_of(account) == self.expected.get(account, 0)
            assert derived.get(account, 0) == self.expected.get(account, 0)

    @invariant()
    def no_account_is_past_its_limit(self) -> None:
        for member in MEMBERS:
            balance = self.ledger.balance_of(member)
            assert self.limits.lowest_balance_minutes <= balance <= self.limits.highest_balance_minutes
        for pool in POOLS:
            assert self.ledger.balance_of(pool) >= 0


LedgerMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestLedgerProperties = LedgerMachine.TestCase
