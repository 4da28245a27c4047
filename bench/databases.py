"""A fresh database for one benchmark run: a SQLite file, or a database on PostgreSQL.

PostgreSQL is the server at `--pg-url` when given, else a throwaway cluster that
scripts/pg.sh starts for the run and stops afterwards.
"""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from civicgrid.db import normalise_url

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BenchPlace:
    """Where one benchmark keeps its databases: its folder, its cluster, its database name."""

    name: str
    work: Path
    pg_dir: Path
    pg_port: str


@contextmanager
def fresh_database(engine: str, pg_url: str | None, place: BenchPlace) -> Iterator[str]:
    if engine == "sqlite":
        for stale in place.work.glob(f"{place.name}.db*"):
            stale.unlink()
        yield f"sqlite:///{place.work / f'{place.name}.db'}"
        return
    if pg_url:
        yield _fresh_pg_database(pg_url, place.name)
        return
    env = {**os.environ, "CIVICGRID_PG_DIR": str(place.pg_dir), "CIVICGRID_PG_PORT": place.pg_port}
    started = subprocess.run(
        [str(ROOT / "scripts" / "pg.sh"), "start"], env=env, check=True, capture_output=True
    )
    try:
        yield _fresh_pg_database(started.stdout.decode().strip(), place.name)
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop"], env=env, check=False)


def _fresh_pg_database(url: str, name: str) -> str:
    parsed = make_url(normalise_url(url))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)
