"""`buurtbank admin create` never changes an existing account silently; production refuses a short secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from buurtbank.cli import main
from buurtbank.settings import Environment, MissingSecretKey, Settings
from services.passwords import verify_password
from store.members import Member
from tests.conftest import ANTENNAS_DIR


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("BUURTBANK_DATABASE_URL", url)
    monkeypatch.setenv("BUURTBANK_ANTENNAS_DIR", str(ANTENNAS_DIR))
    monkeypatch.setenv("BUURTBANK_ENVIRONMENT", "test")
    monkeypatch.setenv("BUURTBANK_SECRET_KEY", "cli-test-secret-that-is-long-enough-for-hs256")
    assert main(["migrate"]) == 0
    return url


def _member(url: str, email: str) -> Member | None:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(Member).where(Member.email == email)).first()
    finally:
        engine.dispose()


def _add_member(url: str, email: str, password_hash: str) -> None:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            session.add(Member(email=email, display_name="Eva", password_hash=password_hash))
            session.commit()
    finally:
        engine.dispose()


def test_an_existing_admins_password_is_replaced_only_when_asked(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "create", "--email", "root@example.org", "--password", "first long password"]) == 0
    assert main(["admin", "create", "--email", "root@example.org", "--password", "x"]) == 1
    assert "--reset-password" in capsys.readouterr().err
    admin = _member(cli_env, "root@example.org")
    assert admin is not None and verify_password(admin.password_hash, "first long password")

    argv = ["admin", "create", "--email", "root@example.org", "--password", "second long password", "--reset-password"]
    assert main(argv) == 0
    admin = _member(cli_env, "root@example.org")
    assert admin is not None and verify_password(admin.password_hash, "second long password")


def test_promoting_a_member_needs_the_flag_and_keeps_their_password(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.passwords import hash_password

    _add_member(cli_env, "eva@example.org", hash_password("eva's own password"))
    assert main(["admin", "create", "--email", "eva@example.org", "--password", "a takeover password"]) == 1
    assert "--promote" in capsys.readouterr().err
    eva = _member(cli_env, "eva@example.org")
    assert eva is not None and not eva.is_admin

    assert main(["admin", "create", "--email", "Eva@example.org", "--promote"]) == 0
    eva = _member(cli_env, "eva@example.org")
    assert eva is not None and eva.is_admin and verify_password(eva.password_hash, "eva's own password")


@pytest.mark.parametrize("email", ["not-an-email", "root@localhost", "a@b", "two@@example.org"])
def test_the_email_is_validated(cli_env: str, email: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "create", "--email", email, "--password", "a long password"]) == 1
    assert "not a valid e-mail address" in capsys.readouterr().err


@pytest.mark.parametrize("password", ["x", "        ", "password1", "qwertyuiop"])
def test_weak_admin_passwords_are_refused(cli_env: str, password: str) -> None:
    assert main(["admin", "create", "--email", "root@example.org", "--password", password]) == 1
    assert _member(cli_env, "root@example.org") is None


def test_production_refuses_a_short_secret_key_at_start(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUURTBANK_ENVIRONMENT", "production")
    monkeypatch.setenv("BUURTBANK_SECRET_KEY", "s" * 31)
    assert main(["serve", "--no-scheduler"]) == 2
    assert "shorter than 32 bytes" in capsys.readouterr().err
    with pytest.raises(MissingSecretKey):
        Settings(environment=Environment.PRODUCTION, secret_key="s" * 31).resolved_secret_key()
    assert Settings(environment=Environment.PRODUCTION, secret_key="s" * 32).resolved_secret_key() == "s" * 32
