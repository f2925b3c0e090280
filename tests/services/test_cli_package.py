"""The `buurtbank` command lives in one package, buurtbank/cli/, one module per command group."""

from __future__ import annotations

import argparse
import ast
import json
import tomllib

import pytest

from buurtbank.cli import build_parser, main
from stats.rules.figures import CSV_COLUMNS
from tests.conftest import ROOT
from tests.services.test_cli import cli_env  # noqa: F401  (the fixture: a database and environment of its own)

CLI = ROOT / "buurtbank" / "cli"
# Where production code lives; bench/ and scripts/ have their own small argument parsers.
PRODUCTION = ("api", "buurtbank", "domain", "scheduler", "services", "stats", "store")
COMMANDS = {"serve", "worker", "migrate", "antennas", "admin", "demo", "match", "ledger", "stats"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def test_every_command_is_registered_by_a_module_of_the_package() -> None:
    commands = _subcommands(build_parser())
    assert set(commands) == COMMANDS
    assert set(_subcommands(commands["antennas"])) == {"load"}
    assert set(_subcommands(commands["admin"])) == {"create"}
    assert set(_subcommands(commands["ledger"])) == {"check"}
    for name, command in commands.items():
        handlers = [command] if name not in {"antennas", "admin", "ledger"} else _subcommands(command).values()
        for parser in handlers:
            handler = parser.get_default("handler")
            assert handler.__module__.startswith("buurtbank.cli."), (name, handler.__module__)


def test_the_console_script_points_at_the_package() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, function = scripts["buurtbank"].partition(":")
    assert module.split(".")[:2] == ["buurtbank", "cli"] and function == "main"
    assert (CLI / "__main__.py").is_file()  # `python -m buurtbank.cli` (bench/ and tests start it so)


def _argparse_users() -> set[str]:
    users = set()
    for package in PRODUCTION:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                imported = (
                    {alias.name for alias in node.names}
                    if isinstance(node, ast.Import)
                    else {node.module or ""}
                    if isinstance(node, ast.ImportFrom)
                    else set()
                )
                if "argparse" in imported:
                    users.add(str(path.relative_to(ROOT)))
    return users


def test_no_command_line_code_outside_the_package() -> None:
    assert _argparse_users() == {str(p.relative_to(ROOT)) for p in CLI.glob("*.py") if "argparse" in p.read_text()}
    assert all(user.startswith("buurtbank/cli/") for user in _argparse_users())


@pytest.mark.usefixtures("cli_env")
def test_match_and_stats_print_their_results(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert main(["antennas", "load"]) == 0
    capsys.readouterr()

    assert main(["match", "--antenna", "molenbeek"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["antenna"] == "molenbeek" and isinstance(summary["match_run_id"], int)
    assert main(["match", "--antenna", "atlantis"]) == 1
    assert "no antenna 'atlantis'" in capsys.readouterr().err

    window = ["--antenna", "molenbeek", "--from", "2025-01-01", "--to", "2025-03-31", "--period", "quarter"]
    assert main(["stats", *window, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) > 1 and all(line.startswith("molenbeek,2025-Q1,") for line in lines[1:])
    assert main(["stats", *window]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == list(CSV_COLUMNS) and len(table) == len(lines)
