"""Fixtures for operations: a second, empty database of the same engine to restore into."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from civicgrid.settings import get_settings


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A database nobody has written to: a new SQLite path, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'civicgrid.db'}"
        return
    base = make_url(database_url)
    name = f"civicgrid_test_{os.environ.get('CIVICGRID_TEST_DB_TAG', '')}restore_{worker_id}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Point the command line at another database for the commands that follow."""

    def point(url: str) -> None:
        monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()
