"""A burst: N concurrent clients for T seconds against the service; answers by status and latency percentiles.

    python bench/burst.py --database sqlite --clients 300 --seconds 20
    python bench/burst.py --database postgres --clients 300 --seconds 20

By default it starts `buurtbank serve --no-scheduler` on a free loopback port over a fresh database (a
SQLite file in a temporary directory, or a throw-away PostgreSQL database next to `test` on 127.0.0.1),
prepares members directly in the database (set-up is not what is measured) and opens a session for each
through the service's own code, with the service's key (so login throttling does not shape the burst). Each
client loops, without pause, over a mix of anonymous `GET /v1/antennas` and `GET /v1/health`, signed-in
`GET /v1/me` and `GET /v1/offers`, and credit-moving `POST /v1/me/ledger/donations` (15 minutes to the
antenna's pool, with an Idempotency-Key).

Bounded: at most 1000 clients and 120 seconds, and only against a service on the loopback interface
(`--url http://127.0.0.1:PORT --database-url ... --secret-key ...` for one you started yourself). A
benchmark, not a test: it prints numbers, and exits 1 if any answer was a 5xx or a request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services import ledger as ledger_service  # noqa: E402
from services.sessions import SessionPolicy, open_session  # noqa: E402
from store.antennas import get_antenna_by_slug  # noqa: E402
from store.ledger import accounts_with_drift, total_of_all_entries  # noqa: E402
from store.members import Member  # noqa: E402
from store.memberships import Membership, MembershipStatus  # noqa: E402
from store.metadata import metadata as _every_table  # noqa: E402, F401 - every table known, for the foreign keys

MAX_CLIENTS = 1000
MAX_SECONDS = 120.0
SECRET = "burst-bench-secret-key-burst-bench-secret-key"
# What each client asks, in turn: reads dominate, as in the mobile app; one in five is a donation.
MIX = ("antennas", "me", "health", "offers", "donate")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise SystemExit(f"refusing to burst {url}: only a service on the loopback interface")


def prepare(database_url: str, *, members: int, slug: str, secret: str) -> list[str]:
    """Approved members in pairs: the first of each pair starts 600 minutes up (the second 600 down), so
    donations have minutes to give. Returns an access token for each member that donates and reads, each
    naming a session opened through the real service (the API refuses a token without a live session)."""
    engine = create_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        antenna = get_antenna_by_slug(session, slug)
        assert antenna is not None and antenna.id is not None, f"antenna {slug} not loaded"
        tag = uuid.uuid4().hex[:6]
        people = [Member(email=f"burst{n}-{tag}@example.org", display_name=f"Burst {n}") for n in range(2 * members)]
        session.add_all(people)
        session.flush()
        session.add_all(
            Membership(member_id=p.id, antenna_id=antenna.id, status=MembershipStatus.APPROVED)  # type: ignore[arg-type]
            for p in people
        )
        session.flush()
        donors = people[0::2]
        for donor, lender in zip(donors, people[1::2], strict=True):
            ledger_service.adjust(
                session,
                moderator=lender,
                antenna=antenna,
                from_member_id=lender.id,
                to_member_id=donor.id,
                minutes=600,
                reason="burst bench opening balance",
                corrects_transfer_id=None,
            )
        policy = SessionPolicy(secret=secret, access_lifetime=timedelta(hours=1), refresh_lifetime=timedelta(hours=1))
        tokens = [open_session(session, donor, policy=policy).access_token for donor in donors]
        session.commit()
    engine.dispose()
    return tokens


def books_balance(database_url: str) -> bool:
    engine = create_engine(database_url)
    with Session(engine) as session:
        ok = total_of_all_entries(session) == 0 and accounts_with_drift(session) == []
    engine.dispose()
    return ok


async def burst(
    url: str, *, tokens: list[str], clients: int, seconds: float, slug: str
) -> tuple[Counter[str], list[float], int]:
    answers: Counter[str] = Counter()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    # Reuse a connection only while the server still keeps it (uvicorn closes idle ones after 5 s): a
    # client starved past that would otherwise write into a closing connection and count a failure.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)

    async def client_loop(number: int, client: httpx.AsyncClient) -> None:
        token = tokens[number % len(tokens)]
        signed = {"Authorization": f"Bearer {token}"}
        step = number  # clients start at different points of the mix
        while time.perf_counter() < deadline:
            kind = MIX[step % len(MIX)]
            step += 1
            started = time.perf_counter()
            try:
                if kind == "antennas":
                    answer = await client.get("/v1/antennas")
                elif kind == "health":
                    answer = await client.get("/v1/health")
                elif kind == "me":
                    answer = await client.get("/v1/me", headers=signed)
                elif kind == "offers":
                    answer = await client.get("/v1/offers", headers=signed)
                else:
                    answer = await client.post(
                        "/v1/me/ledger/donations",
                        json={"antenna": slug, "minutes": 15},
                        headers={**signed, "Idempotency-Key": uuid.uuid4().hex},
                    )
                answers[str(answer.status_code)] += 1
            except httpx.HTTPError as exc:
                answers[f"failed ({type(exc).__name__})"] += 1
                waited = time.perf_counter() - started
                print(
                    f"  {kind} failed after {waited:.1f} s, "
                    f"{deadline - time.perf_counter():.1f} s before the end: {exc!r}"
                )
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(client_loop(n, client) for n in range(clients)))
    return answers, latencies, clients


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def start_server(database_url: str, log: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "BUURTBANK_DATABASE_URL": database_url,
        "BUURTBANK_SECRET_KEY": SECRET,
        "BUURTBANK_ENVIRONMENT": "production",
        "BUURTBANK_ANTENNAS_DIR": str(ROOT / "antennas"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "buurtbank.cli", "serve", "--no-scheduler", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb") if log else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the service did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=300, help=f"concurrent clients (at most {MAX_CLIENTS})")
    parser.add_argument("--seconds", type=float, default=20, help=f"how long (at most {MAX_SECONDS:.0f})")
    parser.add_argument("--members", type=int, default=100, help="signed-in members the clients act as")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--antenna", default="molenbeek")
    parser.add_argument("--url", help="a running service on the loopback interface; default: start one")
    parser.add_argument("--database-url", help="its database (with --url)")
    parser.add_argument("--secret-key", default=SECRET, help="its BUURTBANK_SECRET_KEY (with --url)")
    parser.add_argument("--server-log", type=Path, help="write the started service's log here")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--clients 1..{MAX_CLIENTS}, --seconds up to {MAX_SECONDS:.0f}")
    if args.url and not args.database_url:
        parser.error("--url needs --database-url (members are prepared in it)")

    admin_engine, name, workdir = None, None, None
    database_url = args.database_url
    if database_url is None and args.database == "postgres":
        loopback_only(f"http://{make_url(args.postgres).host or '127.0.0.1'}/")
        name = f"buurtbank_burst_{os.getpid()}"
        admin_engine = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    elif database_url is None:
        workdir = tempfile.TemporaryDirectory(prefix="buurtbank-burst-")
        database_url = f"sqlite:///{workdir.name}/burst.db"
    server = None
    try:
        if args.url:
            url = args.url
            loopback_only(url)
        else:
            server, url = start_server(database_url, args.server_log)  # migrates and loads the antennas
        tokens = prepare(database_url, members=args.members, slug=args.antenna, secret=args.secret_key)
        answers, latencies, clients = asyncio.run(
            burst(url, tokens=tokens, clients=args.clients, seconds=args.seconds, slug=args.antenna)
        )
        total = sum(answers.values())
        backend = make_url(database_url).get_backend_name()
        print(
            f"{backend}: {clients} concurrent clients for {args.seconds:.0f} s: "
            f"{total} requests, {total / args.seconds:.0f}/s"
        )
        print(f"answers by status: {dict(sorted(answers.items()))}")
        print(
            "latency ms: "
            + ", ".join(f"p{int(p * 100)} {percentile(latencies, p) * 1000:.0f}" for p in (0.5, 0.9, 0.99))
            + f", max {max(latencies, default=0) * 1000:.0f}"
        )
        failures = sum(n for status, n in answers.items() if status.startswith("5") or status.startswith("failed"))
        consistent = books_balance(database_url)
        print(f"5xx or failed: {failures}; books balance: {'yes' if consistent else 'NO'}")
        return 0 if failures == 0 and consistent else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()
        if workdir is not None:
            workdir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
