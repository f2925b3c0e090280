"""`buurtbank admin create`: admins are made from the command line only, never over the API."""

from __future__ import annotations

import argparse
import sys

from buurtbank.db import make_engine, unit_of_work
from buurtbank.settings import Settings


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


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="administrators").add_subparsers(dest="action", required=True)
    create = admin.add_parser("create", help="create an admin (or, with --promote, make a member one)")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="the new admin's password (not a common one, at least 8 characters)")
    create.add_argument("--promote", action="store_true", help="make an existing member an admin")
    create.add_argument(
        "--reset-password", action="store_true", help="replace the existing account's password with --password"
    )
    create.set_defaults(handler=cmd_admin_create)
