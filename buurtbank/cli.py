"""The `buurtbank` command: serve, worker, migrate, antennas load, admin create, demo, match, stats."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from buurtbank.db import make_engine, unit_of_work
from buurtbank.i18n import for_terminal
from buurtbank.settings import MissingSecretKey, Settings
from domain.errors import DomainError

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy.engine import Engine

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

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


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    print("database migrated")
    return 0


def cmd_antennas_load(_args: argparse.Namespace, settings: Settings) -> int:
    _load_antennas(settings)
    return 0


def cmd_admin_create(args: argparse.Namespace, settings: Settings) -> int:
    from buurtbank.i18n import translate
    from domain.errors import InvalidInput
    from services.roles import AdminRefused, create_admin

    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            admin = create_admin(
                session,
                email=args.email,
                password=args.password,
                promote=args.promote,
                reset_password=args.reset_password,
            )
            print(f"admin {admin.email} ready (id {admin.id})")
    except AdminRefused as exc:
        print(f"buurtbank: {exc}; nothing was changed", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        print(f"buurtbank: {translate(exc.message_key, 'en', **exc.params)} Nothing was changed.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from services.demo import seed_demo

    engine = make_engine(settings.database_url)
    with unit_of_work(engine) as session:
        summary = seed_demo(session, members_per_antenna=args.members)
    print(summary)
    return 0


# What `serve` hands to uvicorn: every API process builds its own app (and engine) from the environment.
APP_FACTORY = "api.app:app_from_environment"


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate and load once, then run N API processes behind one port; the scheduler runs in one process.

    With --workers 1 the API and the scheduler share this process. With N > 1, uvicorn's supervisor (this
    process) starts N API processes that each build their app from the environment (APP_FACTORY) and
    restarts any that die; the scheduler runs here, in the supervisor, exactly once (or, with
    --no-scheduler, in `buurtbank worker`). On SQLite several processes are safe (SQLite's file lock
    serialises the writers of every process) but only reads gain from them; PostgreSQL is the database
    for several processes in production.
    """
    import uvicorn

    settings.resolved_secret_key()
    _migrate(settings)
    _load_antennas(settings)
    if args.demo:
        cmd_demo(argparse.Namespace(members=args.demo_members), settings)
    if args.workers > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        log.warning(
            "serve: %d API processes on SQLite: safe, but writes are serialised by the database file; "
            "use PostgreSQL to scale writes",
            args.workers,
        )
    scheduler = None
    engine = None
    if settings.scheduler_enabled and not args.no_scheduler:
        engine = make_engine(settings.database_url)
        scheduler = _start_scheduler(settings, engine)
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="info",
            access_log=not args.no_access_log,
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if engine is not None:
            engine.dispose()
    return 0


def _start_scheduler(settings: Settings, engine: Engine) -> BackgroundScheduler:
    from scheduler.runner import start_background_scheduler

    return start_background_scheduler(settings, engine)


def cmd_worker(_args: argparse.Namespace, settings: Settings) -> int:
    from scheduler.runner import run_worker

    settings.resolved_secret_key()
    _migrate(settings)
    _load_antennas(settings)
    run_worker(settings)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def build_parser(extra: Sequence[Callable[[Subcommands], None]] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="buurtbank", description="BuurtBank timebank service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, load antennas, run the API (and the scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-scheduler", action="store_true", help="leave scheduled jobs to `buurtbank worker`")
    serve.add_argument("--demo", action="store_true", help="add synthetic demo data (idempotent)")
    serve.add_argument("--demo-members", type=int, default=12)
    serve.add_argument(
        "--workers", type=_positive, default=1, help="API processes behind the one port (default 1; see README)"
    )
    serve.add_argument("--no-access-log", action="store_true", help="leave out uvicorn's line per request")
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("worker", help="run the scheduler alone").set_defaults(handler=cmd_worker)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(handler=cmd_migrate)

    antennas = sub.add_parser("antennas", help="antenna declarations").add_subparsers(dest="action", required=True)
    antennas.add_parser("load", help="load antennas/*.toml (idempotent)").set_defaults(handler=cmd_antennas_load)

    admin = sub.add_parser("admin", help="administrators").add_subparsers(dest="action", required=True)
    create = admin.add_parser("create", help="create an admin (or, with --promote, make a member one)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="the new admin's password (not a common one, at least 8 characters)")
    create.add_argument("--promote", action="store_true", help="make an existing member an admin")
    create.add_argument(
        "--reset-password", action="store_true", help="replace the existing account's password with --password"
    )
    create.set_defaults(handler=cmd_admin_create)

    demo = sub.add_parser("demo", help="add clearly fictional demo members, offers and requests")
    demo.add_argument("--members", type=int, default=12, help="members per antenna")
    demo.set_defaults(handler=cmd_demo)

    for add in extra:
        add(sub)
    return parser


def _extra_commands() -> list[Callable[[Subcommands], None]]:
    """Commands that live with their feature: match (scheduler), ledger check, stats."""
    from scheduler.commands import add_commands as matching_commands
    from services.ledger_commands import add_commands as ledger_commands
    from stats.commands import add_commands as stats_commands

    return [matching_commands, ledger_commands, stats_commands]


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser(_extra_commands()).parse_args(argv)
    try:
        settings = Settings()
        from services import passwords

        passwords.configure(**settings.password_hashing()._asdict())
        return int(args.handler(args, settings))
    except MissingSecretKey as exc:
        print(f"buurtbank: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:  # a rule refused the command: say so in words, never as a message key
        print(f"buurtbank: {for_terminal(exc.message_key, exc.params)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
