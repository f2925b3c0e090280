"""The `buurtbank` command: serve, worker, migrate, antennas load, admin create, demo, match, stats."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from buurtbank.db import make_engine, unit_of_work
from buurtbank.i18n import for_terminal
from buurtbank.settings import MissingSecretKey, Settings
from domain.errors import DomainError

log = logging.getLogger("buurtbank")
Handler = Callable[[argparse.Namespace, Settings], int]


def _migrate(settings: Settings) -> None:
    from buurtbank.migrate import upgrade

    upgrade(settings.database_url)


def _load_antennas(settings: Settings) -> None:
    from domain.antenna_files import load_antenna_dir
    from services.antenna_loader import load_antennas

    configs = load_antenna_dir(settings.antennas_dir)
    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        report = load_antennas(session, configs)
    engine.dispose()
    print(f"antennas: {len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged")


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    print("database migrated")
    return 0


def cmd_antennas_load(args: argparse.Namespace, settings: Settings) -> int:
    _load_antennas(settings)
    return 0


def cmd_admin_create(args: argparse.Namespace, settings: Settings) -> int:
    from services.roles import create_admin

    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        admin = create_admin(session, email=args.email, password=args.password)
        print(f"admin {admin.email} ready (id {admin.id})")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from services.demo import seed_demo

    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        summary = seed_demo(session, members_per_antenna=args.members)
    print(summary)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app

    settings.resolved_secret_key()
    _migrate(settings)
    _load_antennas(settings)
    if args.demo:
        cmd_demo(argparse.Namespace(members=args.demo_members), settings)
    app = create_app(settings)
    scheduler = None
    if settings.scheduler_enabled and not args.no_scheduler:
        scheduler = _start_scheduler(settings, app.state.engine)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def _start_scheduler(settings: Settings, engine):  # type: ignore[no-untyped-def]
    from scheduler.runner import start_background_scheduler

    return start_background_scheduler(settings, engine)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from scheduler.runner import run_worker

    settings.resolved_secret_key()
    _migrate(settings)
    _load_antennas(settings)
    run_worker(settings)
    return 0


def build_parser(extra: Sequence[Callable[[argparse._SubParsersAction], None]] = ()) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = argparse.ArgumentParser(prog="buurtbank", description="BuurtBank timebank service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, load antennas, run the API (and the scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-scheduler", action="store_true", help="leave scheduled jobs to `buurtbank worker`")
    serve.add_argument("--demo", action="store_true", help="add synthetic demo data (idempotent)")
    serve.add_argument("--demo-members", type=int, default=12)
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("worker", help="run the scheduler alone").set_defaults(handler=cmd_worker)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(handler=cmd_migrate)

    antennas = sub.add_parser("antennas", help="antenna declarations").add_subparsers(dest="action", required=True)
    antennas.add_parser("load", help="load antennas/*.toml (idempotent)").set_defaults(handler=cmd_antennas_load)

    admin = sub.add_parser("admin", help="administrators").add_subparsers(dest="action", required=True)
    create = admin.add_parser("create", help="create or promote an admin")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.set_defaults(handler=cmd_admin_create)

    demo = sub.add_parser("demo", help="add clearly fictional demo members, offers and requests")
    demo.add_argument("--members", type=int, default=12, help="members per antenna")
    demo.set_defaults(handler=cmd_demo)

    for add in extra:
        add(sub)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    """Commands that live with their feature: match (scheduler), ledger check, stats."""
    from scheduler.commands import add_commands as matching_commands
    from services.ledger_commands import add_commands as ledger_commands
    from services.stats_commands import add_commands as stats_commands

    return [matching_commands, ledger_commands, stats_commands]


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser(_extra_commands()).parse_args(argv)
    try:
        settings = Settings()
        return int(args.handler(args, settings))
    except MissingSecretKey as exc:
        print(f"buurtbank: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:  # a rule refused the command: say so in words, never as a message key
        print(f"buurtbank: {for_terminal(exc.message_key, exc.params)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
