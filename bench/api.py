"""The request path against the framework's own ceiling: our service vs a bare FastAPI app, same payloads.

    python bench/api.py                       # SQLite file, 1 API process, 5 s per run, 3 rounds
    python bench/api.py --postgres            # a throw-away PostgreSQL database instead
    python bench/api.py --seconds 3 --rounds 2 --connections 8

In one run it builds a database through the services (members, 60 nearby offers, proposals, a 200-item
review queue, a ledger of settled exchanges; set-up is not measured), starts `buurtbank serve` on a free port, fetches
each scenario's answer from it, and starts a bare FastAPI app (this file with --bare) that answers the
same paths with those same payloads through the same pydantic response models (FastAPI validates the
payload into the model and serialises it: what any FastAPI endpoint pays, without a database, auth or
shaping). Both run one uvicorn process without access log. It then loads both alternately, round after
round (wrk if installed, otherwise a Python load generator), and prints requests/s and the ratio ours /
bare per scenario. The goal is a ratio of at least 0.60 for issue 10's four scenarios (nearby offers, my
proposals, the review queue of 200, my ledger); the unread count is printed as a probe of the fixed cost of a
signed-in request, not judged.

A scenario is one entry in SCENARIOS: a name, the path, who asks (a key of the people built in
`prepare`) and the response model. Adding one is one entry.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-bench-secret-key-bench"
PASSWORD = "bench-password"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    who: str  # a key of the people prepare() builds
    model: str  # the response model as "module:Name" or "module:Page[Name]"
    goal: bool = True  # one of issue 10's four scenarios (the others are probes, printed but not judged)


SCENARIOS = [
    Scenario(
        "nearby offers", "/v1/offers?near_km=3&antenna=molenbeek", "reader", "api.schemas.listings:Page[OfferOut]"
    ),
    Scenario("my proposals", "/v1/me/proposals", "reader", "api.schemas.proposals:Page[ProposalOut]"),
    Scenario(
        "review queue (200)",
        "/v1/antennas/molenbeek/proposals?limit=200",
        "moderator",
        "api.schemas.proposals:Page[ProposalReviewOut]",
    ),
    Scenario("my ledger", "/v1/me/ledger", "reader", "api.schemas.ledger:StatementOut"),
    # A probe of the fixed cost of a signed-in request (almost no payload for the bare app to validate).
    Scenario(
        "unread notifications",
        "/v1/me/notifications/unread-count",
        "reader",
        "api.schemas.neighbours:UnreadCountOut",
        goal=False,
    ),
]


def resolve_model(spec: str) -> Any:
    module_name, name = spec.split(":")
    module = importlib.import_module(module_name)
    paged = re.fullmatch(r"Page\[(\w+)\]", name)
    if paged:
        from api.pagination import Page

        return Page[getattr(module, paged.group(1))]  # type: ignore[misc]
    return getattr(module, name)


# --- the bare app (a process of its own: python bench/api.py --bare PAYLOADS --port P) ---------------------


def bare_app(payloads: dict[str, Any]) -> Any:
    from fastapi import FastAPI

    app = FastAPI()
    for scenario in SCENARIOS:
        payload = payloads[scenario.name]
        model = resolve_model(scenario.model)

        def endpoint(payload: Any = payload) -> Any:
            return payload  # FastAPI validates it into the response model and serialises it

        app.add_api_route(scenario.path.split("?")[0], endpoint, methods=["GET"], response_model=model)
    return app


def serve_bare(payload_file: str, port: int) -> None:
    import uvicorn

    payloads = json.loads(Path(payload_file).read_text())
    uvicorn.run(bare_app(payloads), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- set-up ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(database_url: str) -> dict[str, str]:
    """The data the scenarios read, built through the real services (services.factories); returns the
    e-mail of each person a scenario asks as."""
    from sqlmodel import Session

    from buurtbank import gazetteer
    from buurtbank.antenna_files import load_antenna_dir
    from buurtbank.db import make_engine
    from services.antenna_loader import load_antennas
    from services.factories import Factory
    from store.members import Member

    rng = random.Random(7)
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        load_antennas(session, load_antenna_dir(ROOT / "antennas"))
        build = Factory(session, password=PASSWORD, admin_email="admin@example.org")
        centre = gazetteer.postcode_centroid("1080")

        def person(n: int, name: str) -> Member:
            point = (centre[0] + rng.uniform(-0.015, 0.015), centre[1] + rng.uniform(-0.02, 0.02))
            return build.person(f"{name.lower().replace(' ', '.')}{n}@example.org", name=f"{name} {n}", point=point)

        reader, moderator = person(0, "Reader"), person(0, "Moderator")
        build.moderator_of("molenbeek", moderator)
        others = [person(n, "Neighbour") for n in range(1, 41)]
        for m in [reader, moderator, *others]:
            build.approved(m, "molenbeek", moderator=moderator)
        for n in range(60):
            build.offer(
                others[n % len(others)],
                category="shopping",
                title=f"Boodschappen doen voor de buren, ronde {n}",
                description="Ik ga elke week naar de markt en neem graag iets mee. " * 3,
                availability=["mon-morning", "wed-afternoon"],
            )
        # The reader's proposals: all approved by the moderator, every third accepted (with its exchange).
        for n in range(60):
            other = others[n % len(others)]
            helper, receiver = (reader, other) if n % 2 else (other, reader)
            if n % 3 == 0:
                build.planned_exchange(helper=helper, receiver=receiver, moderator=moderator)
            else:
                build.proposal(helper, build.request(receiver), moderator=moderator)
        # The moderators' queue: 200 members' proposals waiting for review.
        for n in range(200):
            build.proposal(others[n % 40], build.request(others[(n + 7) % 40]), review=False)
        # The reader's ledger: exchanges settled through the real service, both sides confirming.
        for n in range(60):
            other = others[n % len(others)]
            helper, receiver = (reader, other) if n % 2 else (other, reader)
            build.settled_exchange(helper=helper, receiver=receiver, minutes=30, moderator=moderator)
        session.commit()
        people = {"reader": reader.email, "moderator": moderator.email}
    engine.dispose()
    return {key: email for key, email in people.items() if email is not None}


# --- load --------------------------------------------------------------------------------------------------


def load_wrk(url: str, headers: dict[str, str], *, seconds: float, connections: int) -> tuple[float, int]:
    """(requests/s, non-2xx answers) from wrk."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, int(bad.group(1)) if bad else 0


def load_python(url: str, headers: dict[str, str], *, seconds: float, connections: int) -> tuple[float, int]:
    """The same measurement with threads of keep-alive httpx clients (when wrk is not installed)."""
    import httpx

    counts = [0] * connections
    bad = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            while time.monotonic() < stop:
                answer = client.get(url)
                counts[i] += 1
                bad[i] += answer.status_code >= 300

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(bad)


def wait_for(url: str, process: subprocess.Popen[bytes], *, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bare", metavar="PAYLOADS", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL database, not SQLite")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workers", type=int, default=1, help="API processes of our service (the bare app: 1)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one load run")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of bare and ours per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even with wrk")
    args = parser.parse_args()
    if args.bare:
        serve_bare(args.bare, args.port)
        return 0

    import httpx

    from bench.databases import throwaway_database
    from buurtbank.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="buurtbank-bench-api-"))
    databases = ExitStack()
    if args.postgres:
        name = f"buurtbank_bench_api_{os.getpid()}"
        database_url = databases.enter_context(throwaway_database(args.postgres_url, name))
    else:
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    processes: list[subprocess.Popen[bytes]] = []
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    load = load_wrk if use_wrk else load_python
    try:
        upgrade(database_url)
        people = prepare(database_url)
        ours_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "BUURTBANK_DATABASE_URL": database_url,
            "BUURTBANK_SECRET_KEY": SECRET,
            "BUURTBANK_ENVIRONMENT": "production",
            "BUURTBANK_ANTENNAS_DIR": str(ROOT / "antennas"),
        }
        command = [sys.executable, "-m", "buurtbank.cli", "serve", "--no-scheduler", "--no-access-log"]
        command += ["--port", str(ours_port), "--workers", str(args.workers)]
        processes.append(
            subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        ours = f"http://127.0.0.1:{ours_port}"
        wait_for(f"{ours}/v1/health", processes[0])
        tokens = {}
        for key, email in people.items():
            answer = httpx.post(f"{ours}/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=60)
            answer.raise_for_status()
            tokens[key] = answer.json()["access_token"]
        payloads = {}
        for scenario in SCENARIOS:
            answer = httpx.get(ours + scenario.path, headers={"Authorization": f"Bearer {tokens[scenario.who]}"})
            answer.raise_for_status()
            payloads[scenario.name] = answer.json()
            resolve_model(scenario.model).model_validate(payloads[scenario.name])  # the bare app will serve it
        payload_file = workdir / "payloads.json"
        payload_file.write_text(json.dumps(payloads))
        processes.append(
            subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--bare", str(payload_file), "--port", str(bare_port)],
                cwd=workdir,
            )
        )
        bare = f"http://127.0.0.1:{bare_port}"
        wait_for(f"{bare}/docs", processes[1])

        database = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"{database}, {args.workers} API process(es) vs a bare FastAPI app; {'wrk' if use_wrk else 'python'} "
            f"load, {args.connections} connections, {args.rounds} x {args.seconds:g} s each, alternating"
        )
        print(f"{'scenario':<22} {'items':>5} {'kB':>6} {'ours/s':>8} {'bare/s':>8} {'ratio':>6}")
        worst = 1.0
        for scenario in SCENARIOS:
            headers = {"Authorization": f"Bearer {tokens[scenario.who]}"}
            ours_total = bare_total = 0.0
            errors = 0
            for _ in range(args.rounds):
                rate, bad = load(bare + scenario.path, headers, seconds=args.seconds, connections=args.connections)
                bare_total += rate
                errors += bad
                rate, bad = load(ours + scenario.path, headers, seconds=args.seconds, connections=args.connections)
                ours_total += rate
                errors += bad
            ratio = ours_total / bare_total if bare_total else 0.0
            if scenario.goal:
                worst = min(worst, ratio)
            payload = payloads[scenario.name]
            items = len(payload.get("items", [])) if isinstance(payload, dict) else 0
            size = len(json.dumps(payload)) / 1000
            print(
                f"{scenario.name:<22} {items:>5} {size:>6.1f} {ours_total / args.rounds:>8.0f} "
                f"{bare_total / args.rounds:>8.0f} {ratio:>6.2f}"
                + ("" if scenario.goal else "  (probe, not a goal)")
                + (f"  ({errors} non-2xx answers)" if errors else "")
            )
        print(f"lowest ratio of the goal scenarios: {worst:.2f} (goal >= 0.60)")
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        databases.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
