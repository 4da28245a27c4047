"""`civicgrid backup` and `civicgrid restore`: a round trip on each engine, counts and chains
checked after restoring, and clear refusals for bad files and occupied databases."""

import stat
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from civicgrid.audit.log import verify_changes
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role, User
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.service import verify_history
from civicgrid.cases.states import Status
from civicgrid.cases.workflow import Change, transition
from civicgrid.db import create_db_engine
from tests.factories import CONSOLE, OWN_STREET, PASSWORD, actor, new_case, run


def _some_history(db: Session, city) -> None:
    """A case with a few steps and an administrator's change: two chains to carry over."""
    case = new_case(db, city)
    transition(db, case_id=case.id, change=Change(to=Status.ACCEPTED), actor=actor(Role.DISPATCHER))
    auth_service.register_user(
        db,
        CONSOLE,
        username="backup-check",
        password=PASSWORD,
        role=Role.DISPATCHER,
        scope_code=OWN_STREET,
    )
    db.commit()


def _counts(db: Session) -> tuple[int, int, int]:
    assert verify_history(db) == []
    assert verify_changes(db).problems == []
    return (
        db.scalar(select(func.count()).select_from(User)) or 0,
        db.scalar(select(func.count()).select_from(Case)) or 0,
        db.scalar(select(func.count()).select_from(CaseAction)) or 0,
    )


def test_a_backup_restores_into_an_empty_database_with_counts_and_chains_checked(
    cli_env, db, city, empty_database, use_database
):
    _some_history(db, city)
    before = _counts(db)
    file = cli_env.parent / "civicgrid.backup"

    backed_up = run("backup", str(file))
    assert backed_up.exit_code == 0, backed_up.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    use_database(empty_database)
    restored = run("restore", str(file))

    assert restored.exit_code == 0, restored.output
    assert "恢复完成" in restored.output
    assert "1 件案件历史，1 条管理变更" in restored.output
    engine = create_db_engine(empty_database)
    with Session(engine) as restored_db:
        assert _counts(restored_db) == before
    engine.dispose()


def test_restore_refuses_a_database_holding_data_unless_forced(cli_env, db, city, database_url):
    _some_history(db, city)
    file = cli_env.parent / "civicgrid.backup"
    assert run("backup", str(file)).exit_code == 0
    auth_service.create_user(
        db, username="after-backup", password=PASSWORD, role=Role.LEADER, scope_code=OWN_STREET
    )
    db.commit()
    db.close()

    refused = run("restore", str(file))
    forced = run("restore", "--force", str(file))

    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert forced.exit_code == 0, forced.output
    engine = create_db_engine(database_url)
    with Session(engine) as check:
        names = set(check.scalars(select(User.username)))
    engine.dispose()
    assert "after-backup" not in names
    assert "backup-check" in names


def test_restore_refuses_missing_foreign_and_damaged_files(cli_env, db, city, tmp_path: Path):
    db.close()
    file = tmp_path / "civicgrid.backup"
    assert run("backup", str(file)).exit_code == 0
    damaged = tmp_path / "damaged.backup"
    content = file.read_bytes()
    damaged.write_bytes(content[: len(content) // 3])
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database", encoding="utf-8")

    missing = run("restore", str(tmp_path / "nowhere.backup"))
    wrong = run("restore", str(foreign))
    broken = run("restore", "--force", str(damaged))

    assert (missing.exit_code, wrong.exit_code, broken.exit_code) == (2, 2, 2)
    assert "不存在" in missing.output
    assert "既不是" in wrong.output
    assert "已损坏" in broken.output
    for result in (missing, wrong, broken):
        assert "Traceback" not in result.output


def test_a_backup_of_the_other_engine_is_refused(cli_env, db, tmp_path: Path, database_url):
    db.close()
    file = tmp_path / "other.backup"
    other = b"PGDMP" if database_url.startswith("sqlite") else b"SQLite format 3\x00"
    file.write_bytes(other + b"\x00" * 64)

    result = run("restore", "--force", str(file))

    assert result.exit_code == 2
    assert "同类数据库" in result.output


def test_restore_reports_an_edited_history_in_the_backup(
    cli_env, db, city, empty_database, use_database
):
    _some_history(db, city)
    db.execute(update(CaseAction).where(CaseAction.sequence == 1).values(note="改过"))
    db.commit()
    file = cli_env.parent / "civicgrid.backup"
    assert run("backup", str(file)).exit_code == 0
    use_database(empty_database)

    restored = run("restore", str(file))

    assert restored.exit_code == 1
    assert "action 1 altered" in restored.output
    assert "恢复校验失败" in restored.output
