"""`buurtbank ledger check` and the append-only guarantee of the migrated schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from buurtbank import cli
from buurtbank.migrate import upgrade
from domain.ledger import TransferKind
from services.factories import Factory
from services.ledger import TransferRequest, ensure_member_account, execute_transfer
from tests.databases import on_postgres, throwaway_postgres


def _one_settlement(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        build = Factory(session)
        helper, receiver = build.member("helper@example.org"), build.member("receiver@example.org")
        execute_transfer(
            session,
            TransferRequest(
                kind=TransferKind.SETTLEMENT,
                debit=ensure_member_account(session, receiver.id),  # type: ignore[arg-type]
                credit=ensure_member_account(session, helper.id),  # type: ignore[arg-type]
                minutes=45,
                antenna=build.antenna(),
                created_by=helper.id,  # type: ignore[arg-type]
            ),
        )
        session.commit()


def test_check_passes_on_a_consistent_ledger_and_fails_on_drift(
    db: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUURTBANK_DATABASE_URL", database_url)
    _one_settlement(db)
    assert cli.main(["ledger", "check"]) == 0
    assert "ledger consistent" in capsys.readouterr().out
    with db.begin() as conn:
        conn.execute(
            text("UPDATE ledger_accounts SET balance = balance + 15 WHERE id = (SELECT MIN(id) FROM ledger_accounts)")
        )
    assert cli.main(["ledger", "check"]) == 1
    assert "LEDGER INCONSISTENT" in capsys.readouterr().out


@pytest.fixture
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database built by the Alembic migrations alone (not create_all)."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path_factory.mktemp('migrated') / 'migrated.db'}"
        return
    with throwaway_postgres(prefix="buurtbank_migrated") as url:
        yield url


def test_the_database_refuses_to_update_or_delete_ledger_rows(migrated_url: str) -> None:
    upgrade(migrated_url)
    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO antennas (slug, name_nl, name_fr, config, loaded_at) "
                "VALUES ('x', 'X', 'X', '{}', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO members (display_name, language, is_admin, is_analyst, paused, created_at) "
                "VALUES ('A', 'nl', false, false, false, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO ledger_accounts (kind, member_id, balance, created_at) "
                "VALUES ('member', 1, 0, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO ledger_transfers (id, kind, antenna_id, created_by, created_at) "
                "VALUES ('t1', 'adjustment', 1, 1, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO ledger_entries (transfer_id, account_id, minutes, created_at) "
                "VALUES ('t1', 1, 15, CURRENT_TIMESTAMP)"
            )
        )
    for statement in (
        "UPDATE ledger_entries SET minutes = 30",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transfers SET reason = 'changed'",
        "DELETE FROM ledger_transfers",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
