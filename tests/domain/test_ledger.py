import re
import string
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from buurtbank.i18n import LANGUAGES, has_message, translate
from domain.antenna_config import Credit
from domain.errors import Conflict, CreditLimitExceeded, InvalidInput
from domain.ledger import (
    Account,
    AccountKind,
    Entry,
    TransferKind,
    balance,
    balances,
    consistency_problems,
    member_account,
    plan_reversal,
    plan_transfer,
    pool_account,
)
from tests.domain.memory_ledger import Ledger

LIMITS = Credit(lowest_balance_minutes=-600, highest_balance_minutes=1200)
ANN = member_account(1)
BEN = member_account(2)
POOL = pool_account("schaerbeek")


def _plan(kind: TransferKind = TransferKind.SETTLEMENT, **overrides: object):
    args: dict[str, object] = {
        "kind": kind,
        "debit": ANN,
        "credit": BEN,
        "minutes": 60,
        "debit_balance": 0,
        "credit_balance": 0,
        "limits": LIMITS,
    }
    args.update(overrides)
    return plan_transfer(**args)  # type: ignore[arg-type]


def test_accounts_are_network_wide_members_and_one_pool_per_antenna() -> None:
    assert member_account(7) == Account(AccountKind.MEMBER, 7)
    assert pool_account("molenbeek") == Account(AccountKind.POOL, "molenbeek")
    assert pool_account("molenbeek") != pool_account("schaerbeek")
    assert member_account("molenbeek") != pool_account("molenbeek")


def test_a_settlement_is_two_opposite_entries_sharing_one_id() -> None:
    tid = uuid4()
    planned = _plan(minutes=90, transfer_id=tid, reference="exchange-12")
    debit, credit = planned.entries
    assert debit == Entry(tid, TransferKind.SETTLEMENT, ANN, -90, None, "exchange-12")
    assert credit == Entry(tid, TransferKind.SETTLEMENT, BEN, 90, None, "exchange-12")
    assert (planned.debit_balance_after, planned.credit_balance_after) == (-90, 90)


def test_each_plan_gets_a_fresh_id_unless_given() -> None:
    assert _plan().transfer_id != _plan().transfer_id
    assert isinstance(_plan().transfer_id, UUID)


@pytest.mark.parametrize("minutes", [0, -15, True, 1.5, "60"])
def test_minutes_must_be_a_positive_int(minutes: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        _plan(minutes=minutes)
    assert caught.value.field == "minutes"


def test_the_ledger_itself_does_not_enforce_the_time_step() -> None:
    # Old transfers must stay reversible after an antenna changes its step; the step is checked on input.
    assert _plan(minutes=7).minutes == 7


def test_same_account_on_both_sides_is_invalid() -> None:
    with pytest.raises(InvalidInput) as caught:
        _plan(credit=ANN)
    assert caught.value.message_key == "error.ledger.same_account.detail"


@pytest.mark.parametrize(
    ("kind", "debit", "credit"),
    [
        (TransferKind.SETTLEMENT, ANN, POOL),
        (TransferKind.SETTLEMENT, POOL, BEN),
        (TransferKind.DONATION, ANN, BEN),
        (TransferKind.DONATION, POOL, ANN),
        (TransferKind.POOL_PAYMENT, ANN, BEN),
        (TransferKind.POOL_PAYMENT, ANN, POOL),
    ],
)
def test_each_kind_moves_between_its_own_account_kinds(kind, debit, credit) -> None:
    with pytest.raises(InvalidInput) as caught:
        _plan(kind, debit=debit, credit=credit, debit_balance=600, reason="why", reference="ref")
    assert caught.value.message_key == "error.ledger.wrong_accounts.detail"
    assert caught.value.params["kind"] == kind.value


def test_donation_and_pool_payment_between_the_right_accounts() -> None:
    donation = _plan(TransferKind.DONATION, credit=POOL, minutes=30)
    assert [e.minutes for e in donation.entries] == [-30, 30]
    payment = _plan(TransferKind.POOL_PAYMENT, debit=POOL, debit_balance=30, minutes=30, reason="Ann is ill")
    assert payment.reason == "Ann is ill"
    assert payment.debit_balance_after == 0


@pytest.mark.parametrize("kind", [TransferKind.POOL_PAYMENT, TransferKind.ADJUSTMENT])
@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_reason_is_required_for_decisions_about_other_peoples_minutes(kind, reason) -> None:
    debit = POOL if kind is TransferKind.POOL_PAYMENT else ANN
    with pytest.raises(InvalidInput) as caught:
        _plan(kind, debit=debit, debit_balance=600, reason=reason, reference="t-1")
    assert caught.value.field == "reason"
    assert caught.value.message_key == "error.reason_required.detail"


def test_reason_and_reference_are_trimmed() -> None:
    planned = _plan(TransferKind.ADJUSTMENT, reason="  typo in minutes ", reference=" t-1 ")
    assert (planned.reason, planned.reference) == ("typo in minutes", "t-1")


def test_adjustment_must_reference_what_it_corrects() -> None:
    with pytest.raises(InvalidInput) as caught:
        _plan(TransferKind.ADJUSTMENT, reason="typo", reference=" ")
    assert caught.value.field == "reference"


def test_adjustment_may_move_between_any_two_accounts() -> None:
    planned = _plan(
        TransferKind.ADJUSTMENT,
        debit=POOL,
        credit=pool_account("ixelles"),
        debit_balance=60,
        reason="pool merge",
        reference="t-9",
    )
    assert planned.credit == pool_account("ixelles")


def test_reversals_are_only_planned_by_plan_reversal() -> None:
    with pytest.raises(ValueError):
        _plan(TransferKind.REVERSAL, reason="x", reference=str(uuid4()))


def test_member_may_reach_but_not_pass_the_lowest_balance() -> None:
    assert _plan(debit_balance=-540, minutes=60).debit_balance_after == -600
    with pytest.raises(CreditLimitExceeded) as caught:
        _plan(debit_balance=-540, minutes=75)
    assert caught.value.message_key == "error.credit_limit.lowest.detail"
    assert caught.value.params == {
        "side": "debit",
        "account_kind": "member",
        "limit": "lowest",
        "limit_minutes": -600,
        "balance_minutes": -540,
        "minutes": 75,
    }


def test_member_may_reach_but_not_pass_the_highest_balance() -> None:
    assert _plan(credit_balance=1140, minutes=60).credit_balance_after == 1200
    with pytest.raises(CreditLimitExceeded) as caught:
        _plan(credit_balance=1140, minutes=75)
    assert caught.value.message_key == "error.credit_limit.highest.detail"
    assert caught.value.params["side"] == "credit"
    assert caught.value.params["limit_minutes"] == 1200


def test_pool_never_goes_below_zero_and_has_no_ceiling() -> None:
    with pytest.raises(CreditLimitExceeded) as caught:
        _plan(TransferKind.POOL_PAYMENT, debit=POOL, debit_balance=45, minutes=60, reason="help")
    assert caught.value.message_key == "error.credit_limit.pool_empty.detail"
    assert caught.value.params["limit_minutes"] == 0
    assert caught.value.params["account_kind"] == "pool"
    big = _plan(TransferKind.DONATION, credit=POOL, credit_balance=10**6, minutes=60)
    assert big.credit_balance_after == 10**6 + 60


def test_a_transfer_may_always_move_back_towards_the_limits() -> None:
    # After an antenna tightens its limits, members outside them can still pay back or be paid.
    assert _plan(debit_balance=5000, minutes=60).debit_balance_after == 4940
    assert _plan(credit_balance=-5000, minutes=60).credit_balance_after == -4940


def test_the_limits_are_those_of_the_antenna_of_the_transfer() -> None:
    strict = Credit(lowest_balance_minutes=0, highest_balance_minutes=120)
    with pytest.raises(CreditLimitExceeded):
        _plan(limits=strict)
    assert _plan(limits=LIMITS).debit_balance_after == -60


def _settled(ledger: Ledger, minutes: int = 60):
    return ledger.transfer(kind=TransferKind.SETTLEMENT, debit=ANN, credit=BEN, minutes=minutes, limits=LIMITS)


def test_reversal_negates_exactly_and_references_the_original() -> None:
    original = _plan(minutes=45, debit_balance=100, credit_balance=-20)
    planned = plan_reversal(
        original.entries,
        balances={ANN: 55, BEN: 25},
        limits=LIMITS,
        reason="entered twice",
        already_reversed=False,
    )
    assert planned.kind is TransferKind.REVERSAL
    assert (planned.debit, planned.credit, planned.minutes) == (BEN, ANN, 45)
    assert planned.reference == str(original.transfer_id)
    assert (planned.debit_balance_after, planned.credit_balance_after) == (-20, 100)


def test_reversal_requires_a_reason() -> None:
    original = _plan()
    with pytest.raises(InvalidInput):
        plan_reversal(original.entries, balances={ANN: -60, BEN: 60}, limits=LIMITS, reason=" ", already_reversed=False)


def test_reversing_twice_is_a_conflict() -> None:
    original = _plan()
    with pytest.raises(Conflict) as caught:
        plan_reversal(original.entries, balances={ANN: -60, BEN: 60}, limits=LIMITS, reason="x", already_reversed=True)
    assert caught.value.message_key == "error.ledger.already_reversed.detail"
    assert caught.value.params == {"transfer_id": str(original.transfer_id)}


def test_reversing_a_reversal_is_a_conflict() -> None:
    ledger = Ledger()
    original = _settled(ledger)
    reversal = ledger.reverse(original.transfer_id, limits=LIMITS, reason="mistake")
    with pytest.raises(Conflict) as caught:
        ledger.reverse(reversal.transfer_id, limits=LIMITS, reason="undo the undo")
    assert caught.value.message_key == "error.ledger.reversal_of_reversal.detail"


def test_reversal_obeys_the_limits_too() -> None:
    ledger = Ledger()
    original = _settled(ledger, minutes=600)
    ledger.transfer(kind=TransferKind.DONATION, debit=BEN, credit=POOL, minutes=600, limits=LIMITS)
    ledger.transfer(kind=TransferKind.SETTLEMENT, debit=BEN, credit=ANN, minutes=60, limits=LIMITS)
    # Ben gave the minutes away and asked for help: taking them back would put Ben at -660.
    before = ledger.balances()
    with pytest.raises(CreditLimitExceeded) as caught:
        ledger.reverse(original.transfer_id, limits=LIMITS, reason="never happened")
    assert caught.value.params["side"] == "debit"
    assert ledger.balances() == before
    assert not ledger.is_reversed(original.transfer_id)


@pytest.mark.parametrize(
    "entries",
    [
        [],
        [Entry(uuid4(), TransferKind.SETTLEMENT, ANN, -60)],
        [Entry(uuid4(), TransferKind.SETTLEMENT, ANN, -60), Entry(uuid4(), TransferKind.SETTLEMENT, BEN, 60)],
    ],
)
def test_reversal_of_something_that_is_not_one_transfer_is_a_bug(entries) -> None:
    with pytest.raises(ValueError):
        plan_reversal(entries, balances={ANN: 0, BEN: 0}, limits=LIMITS, reason="x", already_reversed=False)


def test_balance_and_balances() -> None:
    ledger = Ledger()
    _settled(ledger, minutes=60)
    ledger.transfer(kind=TransferKind.DONATION, debit=BEN, credit=POOL, minutes=15, limits=LIMITS)
    assert balance(e for e in ledger.entries if e.account == BEN) == 45
    assert balances(ledger.entries) == {ANN: -60, BEN: 45, POOL: 15}
    assert ledger.balances() == {ANN: -60, BEN: 45, POOL: 15}
    assert balance(ledger.entries) == 0
    assert balance([]) == 0


def test_consistency_problems_names_every_breach() -> None:
    ledger = Ledger()
    _settled(ledger)
    assert consistency_problems(ledger.entries) == []
    lonely = uuid4()
    broken = [*ledger.entries, Entry(lonely, TransferKind.ADJUSTMENT, ANN, 15, "x", "y")]
    problems = consistency_problems(broken)
    assert f"transfer {lonely}: 1 entries, not 2" in problems
    assert f"transfer {lonely}: entries sum to 15, not 0" in problems
    assert "the ledger sums to 15, not 0" in problems
    three = uuid4()
    unbalanced_three = [
        Entry(three, TransferKind.SETTLEMENT, ANN, -30),
        Entry(three, TransferKind.SETTLEMENT, BEN, 15),
        Entry(three, TransferKind.SETTLEMENT, BEN, 15),
    ]
    assert consistency_problems(unbalanced_three) == [f"transfer {three}: 3 entries, not 2"]
    zero = uuid4()
    zeros = [Entry(zero, TransferKind.SETTLEMENT, ANN, 0), Entry(zero, TransferKind.SETTLEMENT, BEN, 0)]
    assert consistency_problems(zeros) == [f"transfer {zero}: an entry of zero minutes"] * 2


def test_ledger_refuses_a_stale_plan_and_a_replayed_plan() -> None:
    ledger = Ledger()
    stale = plan_transfer(
        kind=TransferKind.SETTLEMENT,
        debit=ANN,
        credit=BEN,
        minutes=60,
        debit_balance=0,
        credit_balance=0,
        limits=LIMITS,
    )
    applied = _settled(ledger)
    with pytest.raises(Conflict) as caught:
        ledger.apply(stale)
    assert caught.value.message_key == "error.ledger.stale_plan.detail"
    with pytest.raises(Conflict) as caught:
        ledger.apply(applied)
    assert caught.value.message_key == "error.ledger.duplicate_transfer.detail"
    assert ledger.balances() == {ANN: -60, BEN: 60}
    assert len(ledger.entries) == 2


def test_ledger_reverse_restores_balances_and_marks_the_original() -> None:
    ledger = Ledger()
    _settled(ledger, minutes=30)
    before = ledger.balances()
    second = _settled(ledger, minutes=90)
    ledger.reverse(second.transfer_id, limits=LIMITS, reason="entered twice")
    assert ledger.balances() == before
    assert ledger.is_reversed(second.transfer_id)
    assert len(ledger.entries) == 6  # append-only: the mistake stays visible
    with pytest.raises(Conflict):
        ledger.reverse(second.transfer_id, limits=LIMITS, reason="again")
    assert ledger.balances() == before


def test_ledger_apply_rejects_a_forged_reversal() -> None:
    ledger = Ledger()
    original = _settled(ledger, minutes=60)
    planned = plan_reversal(
        original.entries, balances={ANN: -60, BEN: 60}, limits=LIMITS, reason="x", already_reversed=False
    )
    forged = type(planned)(**{**planned.__dict__, "minutes": 30})
    with pytest.raises(ValueError):
        ledger.apply(forged)
    assert ledger.balances() == {ANN: -60, BEN: 60}


def _message_keys() -> set[str]:
    root = Path(__file__).resolve().parents[2] / "domain"
    sources = [(root / name).read_text() for name in ("ledger.py", "exchanges.py", "time_units.py")]
    keys = {key for text in sources for key in re.findall(r'"(error\.[a-z_.]+)"', text)}
    # Keys built with an f-string from the Limit enum.
    return keys | {"error.credit_limit.lowest.detail", "error.credit_limit.pool_empty.detail"}


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_message_key_is_translated_with_the_same_placeholders() -> None:
    keys = _message_keys()
    assert "error.invalid_transition.detail" in keys
    assert len(keys) >= 18
    for key in sorted(keys):
        assert all(has_message(key, lang) for lang in LANGUAGES), key
        # Without params, translate() hands back the raw template.
        english = translate(key, "en")
        for lang in ("nl", "fr"):
            assert translate(key, lang) != english, (lang, key)
            assert _placeholders(translate(key, lang)) == _placeholders(english), (lang, key)
