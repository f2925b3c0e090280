"""`buurtbank ledger check`: proves the cached balances equal the sum of entries and the books add up."""

from __future__ import annotations

import argparse

from buurtbank.db import make_engine, unit_of_work
from buurtbank.settings import Settings
from store.ledger import accounts_with_drift, total_of_all_entries, unbalanced_transfers


def check_ledger(_args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        total = total_of_all_entries(session)
        drift = accounts_with_drift(session)
        unbalanced = unbalanced_transfers(session)
    engine.dispose()
    print(f"sum of all entries: {total} (must be 0)")
    for account_id, cached, summed in drift:
        print(f"account {account_id}: cached balance {cached} but entries sum to {summed}")
    for transfer_id in unbalanced:
        print(f"transfer {transfer_id}: its entries are not exactly -N and +N")
    healthy = total == 0 and not drift and not unbalanced
    print("ledger consistent" if healthy else "LEDGER INCONSISTENT")
    return 0 if healthy else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = sub.add_parser("ledger", help="the ledger").add_subparsers(dest="action", required=True)
    ledger.add_parser("check", help="prove balances equal the sum of entries; exit 1 if not").set_defaults(
        handler=check_ledger
    )
