"""`buurtbank migrate` and `buurtbank antennas load`; `serve` and `worker` do both before they start."""

from __future__ import annotations

import argparse

from buurtbank.db import make_engine, unit_of_work
from buurtbank.settings import Settings


def migrate_database(settings: Settings) -> None:
    from buurtbank.migrate import upgrade

    upgrade(settings.database_url)


def load_antenna_files(settings: Settings) -> None:
    from buurtbank.antenna_files import load_antenna_dir
    from services.antenna_loader import load_antennas

    configs = load_antenna_dir(settings.antennas_dir)
    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        report = load_antennas(session, configs)
    engine.dispose()
    print(f"antennas: {len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged")


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    migrate_database(settings)
    print("database migrated")
    return 0


def cmd_antennas_load(_args: argparse.Namespace, settings: Settings) -> int:
    load_antenna_files(settings)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(handler=cmd_migrate)

    antennas = sub.add_parser("antennas", help="antenna declarations").add_subparsers(dest="action", required=True)
    antennas.add_parser("load", help="load antennas/*.toml (idempotent)").set_defaults(handler=cmd_antennas_load)
