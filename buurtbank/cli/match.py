"""`buurtbank match --antenna SLUG`: run one matching round now and print its summary."""

from __future__ import annotations

import argparse
import json
import sys

from buurtbank.db import make_engine, unit_of_work
from buurtbank.settings import Settings


def cmd_match(args: argparse.Namespace, settings: Settings) -> int:
    from services.matching import run_match_round
    from store.antennas import get_antenna_by_slug
    from store.match_runs import MatchTrigger

    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            antenna = get_antenna_by_slug(session, args.antenna)
            if antenna is None:
                print(f"buurtbank: no antenna {args.antenna!r} (load antennas first)", file=sys.stderr)
                return 1
            run = run_match_round(session, antenna=antenna, trigger=MatchTrigger.MANUAL)
            summary = dict(run.summary or {})
            run_id = run.id
    finally:
        engine.dispose()
    print(json.dumps({"match_run_id": run_id, "antenna": args.antenna, **summary}, indent=2))
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    match = subparsers.add_parser("match", help="run the nearby-match scheduler for one antenna now")
    match.add_argument("--antenna", required=True, metavar="SLUG")
    match.set_defaults(handler=cmd_match)
