"""Settlement throughput against the running service on PostgreSQL, next to pgbench, and the books proven.

    python bench/ledger.py --exchanges 2000 --clients 16              # 1 and 2 API processes, and pgbench
    python bench/ledger.py --exchanges 2000 --clients 16 --workers 1,2,4 --pgbench-seconds 15

By default it creates a throw-away PostgreSQL database next to `test` on 127.0.0.1:5432, migrates it,
starts `buurtbank serve --no-scheduler` on a free local port, prepares members and planned exchanges
through the services (services.factories; set-up is not what is measured), then has C concurrent HTTP clients confirm
every exchange from both sides (2N confirmations, so N settlements) and prints settlements per second.
Finally it proves the books: the sum of all entries is zero, every cached balance equals its entries,
every exchange settled exactly once (no lost or duplicated transfer). Use --url and --database-url to
point it at a service you started yourself. This is a benchmark, not a test: it prints numbers.

For scale, the same run also has `pgbench -b tpcb-like` (TPC-B: three updates, a select and an insert per
transaction, about the size of one settlement) run on the same PostgreSQL server with the same number of
clients, in a throw-away database of its own, and prints the settlements per second over HTTP as a share
of pgbench's transactions per second, for each number of API processes (--workers, default 1 and 2).
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buurtbank.antenna_files import load_antenna_dir  # noqa: E402
from buurtbank.migrate import upgrade  # noqa: E402
from services.antenna_loader import load_antennas  # noqa: E402
from services.factories import Factory  # noqa: E402
from store.base import row_id  # noqa: E402
from store.exchanges import Exchange  # noqa: E402
from store.ledger import LedgerTransfer, accounts_with_drift, total_of_all_entries, unbalanced_transfers  # noqa: E402

PASSWORD = "bench-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(database_url: str, *, members: int, exchanges: int, slug: str) -> list[tuple[int, str, str]]:
    """Members in one antenna and planned exchanges between neighbours in a ring (balances stay small), built
    through the real services (services.factories): each receiver asks, the helper responds, the antenna's
    moderator approves, the receiver accepts."""
    engine = create_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        load_antennas(session, load_antenna_dir(ROOT / "antennas"))
        build = Factory(session, password=PASSWORD, admin_email="bench-admin@example.org")
        moderator = build.moderator(slug)
        run = uuid.uuid4().hex[:6]  # several batches may be prepared in one database
        postcode = build.antenna(slug).declaration().area.postcodes[0]  # a request needs its poster's location
        people = [
            build.member(f"bench{n}-{run}@example.org", slug, name=f"Bench {n}", postcode=postcode, moderator=moderator)
            for n in range(members)
        ]
        work: list[tuple[int, str, str]] = []
        for number in range(exchanges):
            helper, receiver = people[number % members], people[(number + 1) % members]
            exchange = build.planned_exchange(helper=helper, receiver=receiver, slug=slug, moderator=moderator)
            assert helper.email is not None and receiver.email is not None
            work.append((row_id(exchange), helper.email, receiver.email))
        session.commit()
    engine.dispose()
    return work


def login_all(url: str, emails: set[str]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for email in emails:
            answer = client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
            answer.raise_for_status()
            tokens[email] = answer.json()["access_token"]
    return tokens


def run(
    url: str, work: list[tuple[int, str, str]], tokens: dict[str, str], clients: int
) -> tuple[float, dict[int, int]]:
    statuses: dict[int, int] = {}
    # Both confirmations of an exchange go to the same client in random order; clients race each other.
    jobs = [(exchange_id, [helper, receiver]) for exchange_id, helper, receiver in work]
    rng = random.Random(1)
    for _, order in jobs:
        rng.shuffle(order)

    def worker(share: list[tuple[int, list[str]]]) -> dict[int, int]:
        seen: dict[int, int] = {}
        with httpx.Client(base_url=url, timeout=60) as client:
            for exchange_id, order in share:
                for email in order:
                    answer = client.post(
                        f"/v1/exchanges/{exchange_id}/confirm",
                        json={"minutes": 30},
                        headers={
                            "Authorization": f"Bearer {tokens[email]}",
                            "Idempotency-Key": f"{exchange_id}-{email}",
                        },
                    )
                    seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
        return seen

    shares = [jobs[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for seen in pool.map(worker, shares):
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count
    return time.perf_counter() - started, statuses


def find_pgbench() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def run_pgbench(postgres_url: str, *, clients: int, seconds: int) -> float:
    """TPC-B-like transactions per second on a throw-away database of the same server."""
    pgbench = find_pgbench()
    if pgbench is None:
        raise RuntimeError("pgbench not found: apt-get install postgresql-contrib (or postgresql-client)")
    url = make_url(postgres_url)
    name = f"buurtbank_pgbench_{os.getpid()}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    env["PGUSER"] = url.username or "postgres"
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    try:
        subprocess.run([pgbench, "-i", "-q", "-s", "1", name], env=env, check=True, capture_output=True)
        threads = max(1, min(clients, os.cpu_count() or 1))
        output = subprocess.run(
            [pgbench, "-b", "tpcb-like", "-n", "-c", str(clients), "-j", str(threads), "-T", str(seconds), name],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    match = re.search(r"tps = ([\d.]+)", output)
    assert match is not None, output
    return float(match.group(1))


def start_service(database_url: str, *, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "BUURTBANK_DATABASE_URL": database_url,
        "BUURTBANK_SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
        "BUURTBANK_ENVIRONMENT": "production",
        "BUURTBANK_ANTENNAS_DIR": str(ROOT / "antennas"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "buurtbank.cli", "serve", "--no-scheduler", "--no-access-log"]
        + ["--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    return server, url


def check(database_url: str, exchange_ids: list[int]) -> bool:
    engine = create_engine(database_url)
    with Session(engine) as session:
        total = total_of_all_entries(session)
        drift = accounts_with_drift(session)
        unbalanced = unbalanced_transfers(session)
        settlements = session.exec(
            select(LedgerTransfer.settles_exchange_id, func.count()).group_by(LedgerTransfer.settles_exchange_id)
        ).all()
        settled_once = {eid for eid, count in settlements if eid is not None and count == 1}
        states = {s.value: n for s, n in session.exec(select(Exchange.state, func.count()).group_by(Exchange.state))}
    engine.dispose()
    lost = [e for e in exchange_ids if e not in settled_once]
    print(
        f"  sum of all entries: {total}; drifted cached balances: {len(drift)}; unbalanced transfers: {len(unbalanced)}"
    )
    print(
        f"  settled exactly once: {len(exchange_ids) - len(lost)} of this run's {len(exchange_ids)}; "
        f"lost: {len(lost)}; states in the database: {states}"
    )
    return total == 0 and not drift and not unbalanced and not lost


def measure(database_url: str, url: str, work: list[tuple[int, str, str]], clients: int) -> tuple[float, bool, int]:
    """(settlements/s, books proven, non-2xx answers) for one batch of exchanges."""
    tokens = login_all(url, {email for _, h, r in work for email in (h, r)})
    elapsed, statuses = run(url, work, tokens, clients)
    rate = len(work) / elapsed
    print(f"  {len(work)} exchanges, {2 * len(work)} confirmations, {clients} concurrent clients")
    print(f"  elapsed {elapsed:.2f} s: {rate:.0f} settlements/s, {2 * rate:.0f} requests/s")
    print(f"  answers by status: {dict(sorted(statuses.items()))}")
    consistent = check(database_url, [w[0] for w in work])
    print("  consistency: OK" if consistent else "  consistency: FAILED")
    errors = sum(count for status, count in statuses.items() if not 200 <= status < 300)
    return rate, consistent, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exchanges", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--antenna", default="molenbeek")
    parser.add_argument("--workers", default=f"1,{max(2, os.cpu_count() or 2)}", help="API processes, e.g. 1,2,4")
    parser.add_argument("--pgbench-seconds", type=int, default=10, help="0: do not run pgbench")
    parser.add_argument("--url", help="a running service; default: start one per --workers entry")
    parser.add_argument("--database-url", help="its database; default: a throw-away PostgreSQL database")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    admin_engine = None
    name = None
    database_url = args.database_url
    if database_url is None:
        name = f"buurtbank_bench_{os.getpid()}"
        admin_engine = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        upgrade(database_url)
    results: list[tuple[str, float, bool, int]] = []
    try:
        if args.url is not None:
            work = prepare(database_url, members=args.members, exchanges=args.exchanges, slug=args.antenna)
            print(f"service at {args.url}:")
            results.append(("the given service", *measure(database_url, args.url, work, args.clients)))
        else:
            for workers in [int(w) for w in args.workers.split(",")]:
                work = prepare(database_url, members=args.members, exchanges=args.exchanges, slug=args.antenna)
                server, url = start_service(database_url, workers=workers)
                try:
                    print(f"{workers} API process(es):")
                    results.append((f"{workers} API process(es)", *measure(database_url, url, work, args.clients)))
                finally:
                    server.terminate()
                    server.wait(timeout=60)
        tps = 0.0
        if args.pgbench_seconds:
            tps = run_pgbench(args.postgres, clients=args.clients, seconds=args.pgbench_seconds)
        if tps:
            print(f"pgbench -b tpcb-like, {args.clients} clients, {args.pgbench_seconds} s: {tps:.0f} tps")
        for label, rate, consistent, errors in results:
            share = f", {100 * rate / tps:.1f}% of pgbench" if tps else ""
            books = "books proven" if consistent else "BOOKS NOT PROVEN"
            print(f"{label}: {rate:.0f} settlements/s{share}; {errors} errors; {books}")
        return 0 if all(consistent and not errors for _, _, consistent, errors in results) else 1
    finally:
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
