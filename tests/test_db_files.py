"""The embedded database is private to the account that runs the platform."""

import stat
from pathlib import Path

from sqlalchemy import text

from civicgrid.db import create_db_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_folder_are_readable_by_the_owner_only(tmp_path: Path):
    database = tmp_path / "var" / "civicgrid.db"
    engine = create_db_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('13800138000')"))

    assert mode(database.parent) == 0o700
    assert mode(database) == 0o600
    assert mode(database.with_name("civicgrid.db-wal")) == 0o600
    engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path):
    database = tmp_path / "civicgrid.db"
    database.touch(mode=0o644)
    database.chmod(0o644)

    create_db_engine(f"sqlite:///{database}").dispose()

    assert mode(database) == 0o600
