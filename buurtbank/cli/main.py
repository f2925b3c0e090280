"""The `buurtbank` command's parser and entry point; each command group lives in its own module here."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from buurtbank.cli import admin, database, demo, ledger, match, serve, stats
from buurtbank.i18n import for_terminal
from buurtbank.settings import MissingSecretKey, Settings
from domain.errors import DomainError

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

Handler = Callable[[argparse.Namespace, Settings], int]

# In the order `buurtbank --help` lists them.
COMMAND_GROUPS: tuple[Callable[[Subcommands], None], ...] = (
    serve.add_commands,  # serve, worker
    database.add_commands,  # migrate, antennas load
    admin.add_commands,  # admin create
    demo.add_commands,  # demo
    match.add_commands,  # match
    ledger.add_commands,  # ledger check
    stats.add_commands,  # stats
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="buurtbank", description="BuurtBank timebank service")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMAND_GROUPS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        from services import passwords

        passwords.configure(**settings.password_hashing()._asdict())
        handler: Handler = args.handler
        return int(handler(args, settings))
    except MissingSecretKey as exc:
        print(f"buurtbank: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:  # a rule refused the command: say so in words, never as a message key
        print(f"buurtbank: {for_terminal(exc.message_key, exc.params)}", file=sys.stderr)
        return 2
