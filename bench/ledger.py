"""Settlement throughput against the running service on PostgreSQL, next to pgbench, and the books proven.

    python bench/ledger.py --exchanges 2000 --clients 16              # 1 and cores + 1 API processes, and pgbench
    python bench/ledger.py --exchanges 2000 --clients 16 --workers 1,2,4 --pgbench-seconds 15

By default it creates a throw-away PostgreSQL database next to `test` on 127.0.0.1:5432, migrates it,
starts `buurtbank serve --no-scheduler` on a free local port, prepares members and planned exchanges
through the services (services.factories; set-up is not what is measured), then has C concurrent HTTP clients confirm
every exchange from both sides (2N confirmations, so N settlements) and prints settlements per second.
Finally it proves the books: the sum of all entries is zero, every cached balance equals its entries,
every exchange settled exactly once (no lost or duplicated transfer). Use --url and --database-url to
point it at a service you started yourself. This is a benchmark, not a test: it prints numbers.

The load generator is wrk (apt-get install wrk) with a Lua script (WRK_SCRIPT) that sends every
confirmation with its Idempotency-Key and counts the answers by status; without wrk, or with
--python-load, C threads of httpx clients. It prints the CPU seconds the API processes, the load generator
and PostgreSQL's backends of the bench database spent during the run, and the load average, because the
machine is shared by all three (set BUURTBANK_MAX_CONCURRENT_REQUESTS to try another cap per process).

For scale, the same run also has `pgbench -b tpcb-like` (TPC-B: three updates, a select and an insert per
transaction, about the size of one settlement) run on the same PostgreSQL server with the same number of
clients and a scale factor of the client count (as pgbench's documentation asks, --pgbench-scale), in a
throw-away database of its own, and prints the settlements per second over HTTP as a share of pgbench's
transactions per second, for each number of API processes (--workers, default 1 and one more
than the cores).
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import throwaway_database  # noqa: E402
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
    """Members in one antenna and planned exchanges around a ring (balances stay small), built through the
    real services (services.factories): each receiver asks, the helper responds, the antenna's moderator
    approves, the receiver accepts.

    Exchange k is between member k and the member halfway round the ring, so that the exchanges confirmed at
    the same moment (consecutive ones: see wrk_lists) share no member, as in a real network. Between
    neighbours (k and k + 1, as until 2026-12-02) every settlement of a block of 16 waited on the row locks
    of the one before it: a chain of lock waits that made the figure swing with timing (65-130/s for the same
    code on one machine) rather than measure the service."""
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
            helper, receiver = people[number % members], people[(number + members // 2) % members]
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


def run_python(
    url: str, work: list[tuple[int, str, str]], tokens: dict[str, str], clients: int
) -> tuple[float, dict[int, int]]:
    """The fallback without wrk: C threads of keep-alive httpx clients (they take most of a core themselves)."""
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


# wrk walks one list of confirmations per thread. A connection cannot keep its own state in wrk's Lua, so
# the list is ordered instead: the first confirmations of a block of exchanges (one per connection, in
# random order of the two sides), then their second confirmations, then the next block. The two
# confirmations of an exchange go out on different connections about one block apart, racing the
# other exchanges' confirmations (and, when the first is slow, each other, on the exchange's row lock).
WRK_SCRIPT = r"""
local list, reserved, sent, total, answered, statuses = {}, 0, 0, 0, 0, {}

function setup(thread)
  thread:set("id", setup_count or 0)
  setup_count = (setup_count or 0) + 1
end

local function finished()
  local counts = {}
  for status, count in pairs(statuses) do table.insert(counts, status .. ":" .. count) end
  io.write("finished ", id, " ", table.concat(counts, ","), "\n")
  io.stdout:flush()
end

function init(args)
  for line in io.lines(args[1] .. "." .. id) do
    local path, token, key = line:match("^(%S+) (%S+) (%S+)$")
    local headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = key,
      ["Content-Type"] = "application/json",
    }
    table.insert(list, wrk.format("POST", path, headers, '{"minutes": 30}'))
  end
  total = #list
  if total == 0 then finished() end
end

-- wrk asks delay() before each request a connection sends, and calls request() once more on its own to check
-- the script: only a request delay() let through takes the next confirmation from the list.
function delay()
  if reserved < total then
    reserved = reserved + 1
    return 0
  end
  return 3600000  -- nothing left to send: this connection waits for the end
end

function request()
  if sent < reserved then
    sent = sent + 1
    return list[sent]
  end
  return wrk.format("GET", "/v1/health")
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if answered == total then finished() end
end
"""


def wrk_lists(
    work: list[tuple[int, str, str]], tokens: dict[str, str], *, threads: int, connections: int
) -> list[list[str]]:
    """One list of `path token key` lines per wrk thread (see WRK_SCRIPT for the order)."""
    rng = random.Random(1)
    per_thread = max(1, connections // threads)
    lists: list[list[str]] = [[] for _ in range(threads)]
    for number in range(threads):
        share = work[number::threads]
        for start in range(0, len(share), per_thread):
            block = share[start : start + per_thread]
            sides = [[helper, receiver] for _, helper, receiver in block]
            for order in sides:
                rng.shuffle(order)
            for turn in (0, 1):
                for (exchange_id, _, _), order in zip(block, sides, strict=True):
                    email = order[turn]
                    lists[number].append(f"/v1/exchanges/{exchange_id}/confirm {tokens[email]} {exchange_id}-{email}")
    return lists


def run_wrk(
    url: str, work: list[tuple[int, str, str]], tokens: dict[str, str], clients: int
) -> tuple[float, dict[int, int]]:
    """C wrk connections in one wrk thread confirming every exchange from both sides: a load generator that
    takes a small part of a core, so the API processes and PostgreSQL get more of the machine.

    One thread, because each wrk thread works through a list of its own: with two, the connections of the
    thread that finished first waited for the other, and when that took longer than the server's keep-alive
    time-out (uvicorn: 5 s) the server closed them, which wrk counted as 8 read errors although every
    confirmation had been answered (seen on slow runs, old code and new alike). One thread sends a few
    hundred requests a second with a fraction of a core."""
    threads = 1
    statuses: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        script, base = Path(folder, "confirm.lua"), Path(folder, "work")
        script.write_text(WRK_SCRIPT)
        for number, lines in enumerate(wrk_lists(work, tokens, threads=threads, connections=clients)):
            Path(f"{base}.{number}").write_text("".join(line + "\n" for line in lines))
        command = ["wrk", f"-t{threads}", f"-c{clients}", "-d3600s", "--timeout", "60s", "-s", str(script), url]
        started = time.perf_counter()
        wrk = subprocess.Popen([*command, "--", str(base)], stdout=subprocess.PIPE, text=True)
        assert wrk.stdout is not None
        finished = 0
        for line in wrk.stdout:
            if not line.startswith("finished "):
                continue
            for pair in line.split()[2].split(",") if len(line.split()) > 2 else []:
                status, count = pair.split(":")
                statuses[int(status)] = statuses.get(int(status), 0) + int(count)
            finished += 1
            if finished == threads:
                break
        elapsed = time.perf_counter() - started
        wrk.send_signal(signal.SIGINT)
        output = wrk.stdout.read()
        wrk.wait(timeout=60)
    errors = re.search(r"Socket errors: (.*)", output)
    if errors:
        print(f"  wrk socket errors: {errors.group(1)}")
        statuses[0] = statuses.get(0, 0) + sum(int(n) for n in re.findall(r"\d+", errors.group(1)))
    return elapsed, statuses


def find_pgbench() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def run_pgbench(postgres_url: str, *, clients: int, seconds: int, scale: int) -> float:
    """TPC-B-like transactions per second on a throw-away database of the same server.

    pgbench's documentation: the scale factor should be at least the number of clients, or what is measured
    is mostly update contention (every TPC-B transaction updates one of `scale` branch rows). Until
    2026-12-02 this ran at scale 1, where 16 clients queue on the one branch row: about half the
    transactions per second of scale 16 on the same machine (1,100-1,330 against 2,260-2,290)."""
    pgbench = find_pgbench()
    if pgbench is None:
        raise RuntimeError("pgbench not found: apt-get install postgresql-contrib (or postgresql-client)")
    url = make_url(postgres_url)
    name = f"buurtbank_pgbench_{os.getpid()}"
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    env["PGUSER"] = url.username or "postgres"
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    with throwaway_database(postgres_url, name):
        subprocess.run([pgbench, "-i", "-q", "-s", str(scale), name], env=env, check=True, capture_output=True)
        threads = max(1, min(clients, os.cpu_count() or 1))
        output = subprocess.run(
            [pgbench, "-b", "tpcb-like", "-n", "-c", str(clients), "-j", str(threads), "-T", str(seconds), name],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
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


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> list[int]:
    """The process and its descendants (uvicorn's supervisor and its API processes)."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            number, rest = Path(stat).read_text().split(" ", 1)
        except OSError:
            continue
        children.setdefault(int(rest.rsplit(")", 1)[1].split()[1]), []).append(int(number))
    found: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _backends(database_url: str) -> list[int]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalars()
        found = [int(pid) for pid in pids]
    engine.dispose()
    return found


class CpuMeter:
    """CPU seconds spent during the run by the API processes, the load generator and PostgreSQL's backends
    of this database (read from /proc: Linux only; elsewhere it prints nothing)."""

    def __init__(self, database_url: str, server: int | None) -> None:
        self.database_url, self.server = database_url, server
        self.enabled = Path("/proc/self/stat").exists()

    def __enter__(self) -> CpuMeter:
        if self.enabled:
            self.api = {pid: _cpu_seconds(pid) for pid in _process_tree(self.server)} if self.server else {}
            self.backends = {pid: _cpu_seconds(pid) for pid in _backends(self.database_url)}
            self.own = sum(os.times()[:4])  # this process (the Python generator's threads) and reaped children (wrk)
        return self

    def __exit__(self, *_: object) -> None:
        if not self.enabled:
            return
        own = sum(os.times()[:4]) - self.own
        api = sum(_cpu_seconds(p) - self.api.get(p, 0.0) for p in _process_tree(self.server)) if self.server else 0
        postgres = sum(_cpu_seconds(p) - self.backends.get(p, 0.0) for p in _backends(self.database_url))
        self.summary = f"CPU s: API processes {api:.1f}, load generator {own:.1f}, PostgreSQL backends {postgres:.1f}"


def measure(
    database_url: str, url: str, work: list[tuple[int, str, str]], clients: int, *, server: int | None, wrk: bool
) -> tuple[float, bool, int]:
    """(settlements/s, books proven, non-2xx answers) for one batch of exchanges."""
    tokens = login_all(url, {email for _, h, r in work for email in (h, r)})
    load = run_wrk if wrk else run_python
    with CpuMeter(database_url, server) as cpu:
        elapsed, statuses = load(url, work, tokens, clients)
    rate = len(work) / elapsed
    generator = "wrk" if wrk else "Python threads"
    print(f"  {len(work)} exchanges, {2 * len(work)} confirmations, {clients} concurrent clients ({generator})")
    print(f"  elapsed {elapsed:.2f} s: {rate:.0f} settlements/s, {2 * rate:.0f} requests/s")
    if cpu.enabled:
        print(f"  {cpu.summary}; load average {os.getloadavg()[0]:.2f}")
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
    # N: as many processes as cores, and one more. Since a confirmation runs on the event loop (its waits on
    # PostgreSQL awaited, api.deps.short_write), a process no longer sits idle while its requests wait: on this
    # 2-core machine 2 processes settled 15-45% more than 3 (docs/performance.md); with worker threads it was
    # the other way round.
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--workers", default=f"1,{cores},{cores + 1}", help="API processes, e.g. 1,2,4 (default 1, cores, cores + 1)"
    )
    parser.add_argument("--pgbench-seconds", type=int, default=10, help="0: do not run pgbench")
    parser.add_argument("--pgbench-scale", type=int, help="pgbench's scale factor (default: the client count)")
    parser.add_argument("--url", help="a running service; default: start one per --workers entry")
    parser.add_argument("--database-url", help="its database; default: a throw-away PostgreSQL database")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--python-load", action="store_true", help="the Python load generator even with wrk")
    args = parser.parse_args()
    wrk = shutil.which("wrk") is not None and not args.python_load

    with ExitStack() as stack:
        database_url = args.database_url
        if database_url is None:
            database_url = stack.enter_context(throwaway_database(args.postgres, f"buurtbank_bench_{os.getpid()}"))
            upgrade(database_url)
        results: list[tuple[str, float, bool, int]] = []
        if args.url is not None:
            work = prepare(database_url, members=args.members, exchanges=args.exchanges, slug=args.antenna)
            print(f"service at {args.url}:")
            results.append(
                ("the given service", *measure(database_url, args.url, work, args.clients, server=None, wrk=wrk))
            )
        else:
            for workers in [int(w) for w in args.workers.split(",")]:
                work = prepare(database_url, members=args.members, exchanges=args.exchanges, slug=args.antenna)
                server, url = start_service(database_url, workers=workers)
                try:
                    print(f"{workers} API process(es):")
                    measured = measure(database_url, url, work, args.clients, server=server.pid, wrk=wrk)
                    results.append((f"{workers} API process(es)", *measured))
                finally:
                    server.terminate()
                    server.wait(timeout=60)
        tps = 0.0
        scale = args.pgbench_scale or args.clients
        if args.pgbench_seconds:
            tps = run_pgbench(args.postgres, clients=args.clients, seconds=args.pgbench_seconds, scale=scale)
        if tps:
            print(f"pgbench -b tpcb-like -s {scale}, {args.clients} clients, {args.pgbench_seconds} s: {tps:.0f} tps")
        for label, rate, consistent, errors in results:
            share = f", {100 * rate / tps:.1f}% of pgbench" if tps else ""
            books = "books proven" if consistent else "BOOKS NOT PROVEN"
            print(f"{label}: {rate:.0f} settlements/s{share}; {errors} errors; {books}")
        return 0 if all(consistent and not errors for _, _, consistent, errors in results) else 1


if __name__ == "__main__":
    sys.exit(main())
