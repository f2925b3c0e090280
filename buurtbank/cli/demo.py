"""`buurtbank demo`: clearly fictional demo members, offers, requests and exchanges (idempotent)."""

from __future__ import annotations

import argparse

from buurtbank.db import make_engine, unit_of_work
from buurtbank.settings import Settings


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from services.demo import seed_demo

    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        summary = seed_demo(session, members_per_antenna=args.members)
    print(summary)
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="add clearly fictional demo members, offers and requests")
    demo.add_argument("--members", type=int, default=12, help="members per antenna")
    demo.set_defaults(handler=cmd_demo)
