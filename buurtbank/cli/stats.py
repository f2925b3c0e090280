"""`buurtbank stats`: the analysts' figures from the command line (the same releases as the API)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from buurtbank.clock import today_in_brussels
from buurtbank.db import make_engine, unit_of_work
from buurtbank.i18n import for_terminal
from buurtbank.settings import Settings
from stats.rules.figures import CSV_COLUMNS, to_csv
from stats.rules.windows import Period


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from exc


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = sub.add_parser("stats", help="reciprocity and bridging statistics (differentially private releases)")
    stats.add_argument("--antenna", help="an antenna slug or `all` (default: every antenna and all)")
    stats.add_argument("--from", dest="start", type=_day, help="first day, YYYY-MM-DD (default: 12 months ago)")
    stats.add_argument("--to", dest="end", type=_day, help="last day, YYYY-MM-DD (default: today)")
    stats.add_argument("--period", choices=[p.value for p in Period], default=Period.MONTH.value)
    stats.add_argument("--format", choices=("table", "csv"), default="table")
    stats.set_defaults(handler=cmd_stats)


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from domain.errors import DomainError
    from stats import service

    default_start, default_end = service.default_range(today_in_brussels())
    start, end = args.start or default_start, args.end or default_end
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            table = service.statistics(
                session, start=start, end=end, period=Period(args.period), antenna=args.antenna,
                measures=service.ALL_MEASURES, params=service.parameters(settings),
                delay_days=settings.stats_release_delay_days,
            )  # fmt: skip
    except DomainError as exc:
        print(f"buurtbank stats: {for_terminal(exc.message_key, exc.params)}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.format == "csv":
        sys.stdout.write(to_csv(table.cells))
        return 0
    columns = CSV_COLUMNS
    rows = [[_show(v) for v in cell.as_row()] for cell in table.cells]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    return 0


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
