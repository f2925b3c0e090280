"""Instructions per confirmation, counted by valgrind's callgrind: a figure that does not move with whatever
else the machine is doing, against a bare FastAPI app's on the same path, counted the same way.

    python bench/instructions.py                    # 40 exchanges to warm up, 40 measured (80 confirmations)
    python bench/instructions.py --measured 100
    python bench/instructions.py --reads            # bench/api.py's GET scenarios instead, per request

On a shared machine the rates of bench/ledger.py moved by a third from one run to the next for the same code
(other tenants, steal time), so a change of a few per cent could not be seen; an instruction count can
(the same count, to the digit, for the same code twice in a row). It counts the API process only.

It creates a throw-away PostgreSQL database next to `test` on 127.0.0.1:5432, prepares members and planned
exchanges through the services (bench/ledger.py's prepare: exchange k between member k and the member
halfway round the ring), starts `buurtbank serve --workers 1 --no-scheduler` under `valgrind
--tool=callgrind` with counting off, confirms the warm-up exchanges from both sides (statements compiled and
prepared, every member's account opened), switches counting on (`callgrind_control -i on`), confirms the
measured exchanges one request at a time over one keep-alive connection, switches it off and divides.
Then the same for a bare FastAPI app (this file with --bare, under the same uvicorn protocol and loop)
that answers `POST /v1/exchanges/{id}/confirm` by validating the same body (ConfirmIn) and returning a
recorded answer through the same response model (ExchangeOut): bare / ours is the share of our request the
framework needs at least. PostgreSQL's side is not counted here; its statements per confirmation are in
tests/services/test_fast_paths.py (CONFIRM_STATEMENTS). Needs valgrind (apt-get install valgrind).

With --reads it counts bench/api.py's scenarios instead (its data, built by its prepare; its bare app, serving
the same payloads through the same response models): each scenario's GETs one at a time over one connection,
after a warm-up, counted per scenario in one server process. One request at a time, so this is the work of a
request alone: what bench/api.py's rates add under load (threads taking turns, waits on the database while
others run) is not in it.
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.schemas.exchanges import ConfirmIn, ExchangeOut  # noqa: E402
from bench.api import wait_for  # noqa: E402
from bench.databases import throwaway_database  # noqa: E402
from bench.ledger import free_port, login_all, prepare  # noqa: E402
from buurtbank.migrate import upgrade  # noqa: E402

CALLGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]


def bare_app(answer: dict[str, Any]) -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/v1/exchanges/{exchange_id}/confirm", response_model=ExchangeOut)
    def confirm(exchange_id: int, body: ConfirmIn) -> Any:  # noqa: ARG001  # parsed and validated, as ours are
        return answer  # FastAPI validates it into the response model and serialises it

    return app


def serve_bare(answer_file: str, port: int) -> None:
    import uvicorn

    answer = json.loads(Path(answer_file).read_text())
    uvicorn.run(bare_app(answer), host="127.0.0.1", port=port, http="httptools", loop="uvloop", access_log=False)


def _counted(
    server: subprocess.Popen[bytes], out: str, warm: Callable[[], object], measured: Callable[[], int]
) -> float:
    """Instructions per request of `measured()` (which answers how many requests it sent), after `warm()`."""
    try:
        warm()
        subprocess.run(["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True)
        requests = measured()
        subprocess.run(["callgrind_control", "-i", "off", str(server.pid)], check=True, capture_output=True)
    finally:
        server.terminate()
        server.wait(timeout=120)
    totals = [
        int(line.split()[1])
        for name in glob.glob(out + "*")
        for line in Path(name).read_text().splitlines()
        if line.startswith(("summary:", "totals:"))
    ]
    return max(totals) / requests


def _confirmations(client: httpx.Client, work: list[tuple[int, str, str]], tokens: dict[str, str]) -> int:
    for exchange_id, helper, receiver in work:
        for email in (helper, receiver):
            answer = client.post(
                f"/v1/exchanges/{exchange_id}/confirm",
                json={"minutes": 30},
                headers={"Authorization": f"Bearer {tokens[email]}", "Idempotency-Key": f"{exchange_id}-{email}"},
            )
            assert answer.status_code == 200, answer.text
    return 2 * len(work)


def measure_ours(database_url: str, folder: str, *, warm: int, measured: int) -> tuple[float, dict[str, Any]]:
    # As many members as warm-up exchanges: the warm-up opens every account (bench/ledger.py's ring pairs
    # member k with member k + members / 2).
    work = prepare(database_url, members=max(2, warm), exchanges=warm + measured, slug="molenbeek")
    port, out = free_port(), f"{folder}/ours.callgrind"
    server = _ours_under_callgrind(database_url, out, port)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/v1/health", server, timeout=600)  # under valgrind the start takes a minute or more
    tokens = login_all(url, {email for _, helper, receiver in work for email in (helper, receiver)})
    last: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=300) as client:

        def warming() -> None:
            _confirmations(client, work[:warm], tokens)
            exchange_id = work[warm - 1][0]
            last.update(client.get(f"/v1/exchanges/{exchange_id}", headers=_bearer(tokens[work[warm - 1][1]])).json())

        per_request = _counted(server, out, warming, lambda: _confirmations(client, work[warm:], tokens))
    return per_request, last


def _ours_under_callgrind(database_url: str, out: str, port: int) -> subprocess.Popen[bytes]:
    """`buurtbank serve` (one process, no scheduler) under callgrind with counting off."""
    env = {
        **os.environ,
        "BUURTBANK_DATABASE_URL": database_url,
        "BUURTBANK_SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
        "BUURTBANK_ENVIRONMENT": "production",
        "BUURTBANK_ANTENNAS_DIR": str(ROOT / "antennas"),
        "PYTHONHASHSEED": "0",
    }
    command = [sys.executable, "-m", "buurtbank.cli", "serve", "--no-scheduler", "--no-access-log", "--workers", "1"]
    return subprocess.Popen(
        [*CALLGRIND, f"--callgrind-out-file={out}", *command, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _counted_each(
    server: subprocess.Popen[bytes], out: str, steps: list[tuple[str, Callable[[], object], Callable[[], int]]]
) -> dict[str, float]:
    """Instructions per request of each step's `measured()` after its `warm()`, in one server process: the
    counters are zeroed before each and dumped after it (callgrind_control -z, -d)."""

    def control(*options: str) -> None:
        subprocess.run(["callgrind_control", *options, str(server.pid)], check=True, capture_output=True)

    counts: dict[str, float] = {}
    try:
        for name, warm, measured in steps:
            warm()
            control("-z")
            control("-i", "on")
            requests = measured()
            control("-i", "off")
            control("-d")
            dumps = [path for path in glob.glob(out + "*") if not path.endswith(".done")]
            totals = [
                int(line.split()[1])
                for path in dumps
                for line in Path(path).read_text(errors="replace").splitlines()
                if line.startswith(("summary:", "totals:"))
            ]
            for path in dumps:  # read: the next step's dump is the only one left
                Path(path).rename(path + ".done")
            counts[name] = max(totals) / requests
    finally:
        server.terminate()
        server.wait(timeout=120)
    return counts


def _gets(client: httpx.Client, path: str, headers: dict[str, str], count: int) -> int:
    for _ in range(count):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
    return count


def measure_reads(database_url: str, folder: str, *, measured: int) -> dict[str, tuple[float, float]]:
    """(ours, bare) instructions per GET of each of bench/api.py's scenarios."""
    from bench import api

    people = api.prepare(database_url)
    port, out = free_port(), f"{folder}/reads.callgrind"
    server = _ours_under_callgrind(database_url, out, port)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/v1/health", server, timeout=600)
    payloads: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=300) as client:
        by_email = login_all(url, set(people.values()))
        tokens = {key: by_email[email] for key, email in people.items()}

        def step(scenario: api.Scenario) -> tuple[str, Callable[[], object], Callable[[], int]]:
            headers = _bearer(tokens[scenario.who])

            def warm() -> None:
                _gets(client, scenario.path, headers, 10)
                payloads[scenario.name] = client.get(scenario.path, headers=headers).json()

            return scenario.name, warm, lambda: _gets(client, scenario.path, headers, measured)

        ours = _counted_each(server, out, [step(scenario) for scenario in api.SCENARIOS])
    payload_file, port, out = f"{folder}/payloads.json", free_port(), f"{folder}/bare-reads.callgrind"
    Path(payload_file).write_text(json.dumps(payloads))
    command = [sys.executable, str(ROOT / "bench" / "api.py"), "--bare", payload_file, "--port", str(port)]
    server, url = _bare_under_callgrind(command, out, port)
    with httpx.Client(base_url=url, timeout=300) as client:
        steps: list[tuple[str, Callable[[], object], Callable[[], int]]] = [
            (
                scenario.name,
                functools.partial(_gets, client, scenario.path, {}, 10),
                functools.partial(_gets, client, scenario.path, {}, measured),
            )
            for scenario in api.SCENARIOS
        ]
        bare = _counted_each(server, out, steps)
    return {name: (ours[name], bare[name]) for name in ours}


def _bare_under_callgrind(command: list[str], out: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """A bare app's `command` under callgrind with counting off, once it answers: (its process, its URL)."""
    server = subprocess.Popen(
        [*CALLGRIND, f"--callgrind-out-file={out}", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/docs", server, timeout=600)
    return server, url


def measure_bare(answer: dict[str, Any], folder: str, *, warm: int, measured: int) -> float:
    answer_file, port, out = f"{folder}/answer.json", free_port(), f"{folder}/bare.callgrind"
    Path(answer_file).write_text(json.dumps(answer))
    command = [sys.executable, __file__, "--bare", answer_file, "--port", str(port)]
    server, url = _bare_under_callgrind(command, out, port)
    with httpx.Client(base_url=url, timeout=300) as client:

        def confirmations(count: int) -> int:
            for number in range(count):
                answer = client.post(f"/v1/exchanges/{number + 1}/confirm", json={"minutes": 30})
                assert answer.status_code == 200, answer.text
            return count

        return _counted(server, out, lambda: confirmations(2 * warm), lambda: confirmations(2 * measured))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bare", metavar="ANSWER", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=int, default=40, help="exchanges confirmed before counting")
    parser.add_argument("--measured", type=int, default=40, help="exchanges confirmed while counting")
    parser.add_argument("--reads", action="store_true", help="bench/api.py's GET scenarios, not confirmations")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.bare:
        serve_bare(args.bare, args.port)
        return 0
    name = f"buurtbank_instructions_{os.getpid()}"
    with throwaway_database(args.postgres, name) as database_url, tempfile.TemporaryDirectory() as folder:
        upgrade(database_url)
        if args.reads:
            counts = measure_reads(database_url, folder, measured=args.measured)
            print(f"instructions per GET (callgrind), {args.measured} of each after 10, one at a time:")
            print(f"  {'scenario':<22} {'ours':>8} {'bare':>8} {'bare/ours':>10}")
            for scenario, (ours_count, bare_count) in counts.items():
                ratio = bare_count / ours_count
                print(f"  {scenario:<22} {ours_count / 1e6:7.2f}M {bare_count / 1e6:7.2f}M {ratio:10.2f}")
            return 0
        ours, answer = measure_ours(database_url, folder, warm=args.warm, measured=args.measured)
        bare = measure_bare(answer, folder, warm=args.warm, measured=args.measured)
    print(f"instructions per request (callgrind), {2 * args.measured} confirmations after {2 * args.warm}:")
    print(f"  ours: POST /v1/exchanges/{{id}}/confirm on PostgreSQL   {ours / 1e6:8.2f} M")
    print(f"  bare: the same path, body model and answer model        {bare / 1e6:8.2f} M")
    print(f"  ratio bare / ours                                      {bare / ours:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
