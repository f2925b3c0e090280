"""The `buurtbank` command on a throw-away SQLite database: migrate, antennas, admin, demo, settings."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from buurtbank.cli import main
from buurtbank.settings import Environment, MissingSecretKey, Settings
from store.antennas import Antenna
from store.members import Member
from tests.conftest import ANTENNAS_DIR


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A working directory and database of its own; the process environment is restored afterwards."""
    monkeypatch.chdir(tmp_path)  # no stray .env or .buurtbank-secret from the repository
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("BUURTBANK_DATABASE_URL", url)
    monkeypatch.setenv("BUURTBANK_ANTENNAS_DIR", str(ANTENNAS_DIR))
    monkeypatch.setenv("BUURTBANK_ENVIRONMENT", "test")
    monkeypatch.setenv("BUURTBANK_SECRET_KEY", "cli-test-secret-that-is-long-enough-for-hs256")
    return url


def _count(url: str, model: type[Antenna] | type[Member]) -> int:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(model)).one())
    finally:
        engine.dispose()


def test_migrate_and_load_antennas_idempotently(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert main(["antennas", "load"]) == 0
    assert "antennas: 10 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["antennas", "load"]) == 0
    assert "antennas: 0 created, 0 updated, 10 unchanged" in capsys.readouterr().out

    edited = tmp_path / "antennas"
    shutil.copytree(ANTENNAS_DIR, edited)
    source = edited / "molenbeek.toml"
    source.write_text(source.read_text().replace('name_nl = "Molenbeek"', 'name_nl = "Molenbeek-centrum"'))
    monkeypatch.setenv("BUURTBANK_ANTENNAS_DIR", str(edited))
    assert main(["antennas", "load"]) == 0
    assert "antennas: 0 created, 1 updated, 9 unchanged" in capsys.readouterr().out
    assert _count(cli_env, Antenna) == 10
    engine = create_engine(cli_env)
    with Session(engine) as session:
        molenbeek = session.exec(select(Antenna).where(Antenna.slug == "molenbeek")).one()
        assert molenbeek.name_nl == "Molenbeek-centrum"
        assert molenbeek.declaration().name_nl == "Molenbeek-centrum"
    engine.dispose()


def test_admin_create_and_demo_are_idempotent(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert main(["antennas", "load"]) == 0
    assert main(["admin", "create", "--email", "Root@Example.org", "--password", "a long password"]) == 0
    assert "admin root@example.org ready" in capsys.readouterr().out
    # Again: refused, never a silent password change (tests/services/test_admin_create.py has the rest).
    assert main(["admin", "create", "--email", "root@example.org", "--password", "another password"]) == 1
    assert _count(cli_env, Member) == 1

    assert main(["demo", "--members", "2"]) == 0
    assert "20 fictional members" in capsys.readouterr().out
    members = _count(cli_env, Member)
    # the admin, the demo's set-up admin (it appoints the moderators), per antenna a moderator and two members,
    # the analyst
    assert members == 1 + 1 + 10 * (1 + 2) + 1
    assert main(["demo", "--members", "2"]) == 0
    assert "already present" in capsys.readouterr().out
    assert _count(cli_env, Member) == members


@pytest.mark.usefixtures("cli_env")
def test_production_without_a_secret_key_exits_2_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUURTBANK_ENVIRONMENT", "production")
    monkeypatch.delenv("BUURTBANK_SECRET_KEY")
    assert main(["serve", "--no-scheduler"]) == 2
    message = capsys.readouterr().err
    assert "BUURTBANK_SECRET_KEY is not set" in message
    with pytest.raises(MissingSecretKey):
        Settings(environment=Environment.PRODUCTION, secret_key=None).resolved_secret_key()


def test_development_makes_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    settings = Settings(environment=Environment.DEVELOPMENT, secret_key=None, secret_file=secret_file)
    first = settings.resolved_secret_key()
    assert len(first) >= 40
    assert secret_file.read_text().strip() == first
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = Settings(environment=Environment.DEVELOPMENT, secret_key=None, secret_file=secret_file)
    assert again.resolved_secret_key() == first
    other = Settings(environment=Environment.DEVELOPMENT, secret_key=None, secret_file=tmp_path / "other")
    assert other.resolved_secret_key() != first
