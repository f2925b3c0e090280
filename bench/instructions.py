"""Instructions per confirmation, counted by valgrind's callgrind: a figure that does not move with whatever
else the machine is doing, against a bare FastAPI app's on the same path, counted the same way.

    python bench/instructions.py                    # 40 exchanges to warm up, 40 measured (80 confirmations)
    python bench/instructions.py --measured 100

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
"""

from __future__ import annotations

import argparse
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
    env = {
        **os.environ,
        "BUURTBANK_DATABASE_URL": database_url,
        "BUURTBANK_SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
        "BUURTBANK_ENVIRONMENT": "production",
        "BUURTBANK_ANTENNAS_DIR": str(ROOT / "antennas"),
        "PYTHONHASHSEED": "0",
    }
    command = [sys.executable, "-m", "buurtbank.cli", "serve", "--no-scheduler", "--no-access-log", "--workers", "1"]
    server = subprocess.Popen(
        [*CALLGRIND, f"--callgrind-out-file={out}", *command, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def measure_bare(answer: dict[str, Any], folder: str, *, warm: int, measured: int) -> float:
    answer_file, port, out = f"{folder}/answer.json", free_port(), f"{folder}/bare.callgrind"
    Path(answer_file).write_text(json.dumps(answer))
    command = [sys.executable, __file__, "--bare", answer_file, "--port", str(port)]
    server = subprocess.Popen(
        [*CALLGRIND, f"--callgrind-out-file={out}", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/docs", server, timeout=600)
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
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.bare:
        serve_bare(args.bare, args.port)
        return 0
    name = f"buurtbank_instructions_{os.getpid()}"
    with throwaway_database(args.postgres, name) as database_url, tempfile.TemporaryDirectory() as folder:
        upgrade(database_url)
        ours, answer = measure_ours(database_url, folder, warm=args.warm, measured=args.measured)
        bare = measure_bare(answer, folder, warm=args.warm, measured=args.measured)
    print(f"instructions per request (callgrind), {2 * args.measured} confirmations after {2 * args.warm}:")
    print(f"  ours: POST /v1/exchanges/{{id}}/confirm on PostgreSQL   {ours / 1e6:8.2f} M")
    print(f"  bare: the same path, body model and answer model        {bare / 1e6:8.2f} M")
    print(f"  ratio bare / ours                                      {bare / ours:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
