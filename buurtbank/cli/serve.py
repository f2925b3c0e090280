"""`buurtbank serve` (the API, and the scheduler unless told otherwise) and `buurtbank worker` (the scheduler)."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from buurtbank.cli.database import load_antenna_files, migrate_database
from buurtbank.cli.demo import cmd_demo
from buurtbank.db import make_engine
from buurtbank.settings import Settings

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy.engine import Engine

log = logging.getLogger("buurtbank")

# What `serve` hands to uvicorn: every API process builds its own app (and engine) from the environment.
APP_FACTORY = "api.app:app_from_environment"
# uvicorn's HTTP/1.1 protocol with its C parser, on connections that send small writes at once
# (buurtbank/http_protocol.py); the event loop is uvloop's where it is installed (not on Windows).
HTTP_PROTOCOL = "buurtbank.http_protocol:NoDelayHttpToolsProtocol"


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
    migrate_database(settings)
    load_antenna_files(settings)
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
            http=HTTP_PROTOCOL,
            loop="auto",
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
    migrate_database(settings)
    load_antenna_files(settings)
    run_worker(settings)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
