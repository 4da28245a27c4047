"""A planted archive (a spiking grid, a flat grid, background noise) and the engines' sessions."""

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from civicgrid.archive import compaction, store
from civicgrid.archive.events import ArchiveEvent
from civicgrid.diagnosis.definition import window
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.production import refresh_digests
from tests.factories import OTHER_GRID, OWN_COMMUNITY, OWN_GRID, archived_event

MONTH = "2026-11"
SPIKE_GRID = OWN_GRID
FLAT_GRID = f"{OWN_COMMUNITY}002"
NOISE_GRIDS = (f"{OWN_COMMUNITY}003", f"{OWN_COMMUNITY}004", OTHER_GRID)
NOISE_CLASSES = ("theft", "noise", "fire")


def _counts() -> dict[tuple[str, str, str], int]:
    """Events per (grid, class, month): the spike triples in the report month."""
    counts: dict[tuple[str, str, str], int] = {}
    for position, month in enumerate(window(MONTH)):
        last = month == MONTH
        counts[(SPIKE_GRID, "neighbour_disputes", month)] = 30 if last else 10
        counts[(FLAT_GRID, "neighbour_disputes", month)] = 10
        for g, grid in enumerate(NOISE_GRIDS):
            for c, risk in enumerate(NOISE_CLASSES):
                counts[(grid, risk, month)] = (g * 7 + c * 5 + position * 3) % 6
    return counts


def planted_events() -> list[ArchiveEvent]:
    events: list[ArchiveEvent] = []
    for (grid, risk, month), count in sorted(_counts().items(), key=lambda item: item[0][2]):
        when = datetime.fromisoformat(f"{month}-15T04:00:00+00:00")
        events.extend(archived_event(len(events) + n + 1, when, grid, risk) for n in range(count))
    return events


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ArchiveEvent]]:
    """The archive as the archiver writes it: a batch per month."""
    root = tmp_path_factory.mktemp("archive")
    events = planted_events()
    for month in window(MONTH):
        batch = [event for event in events if event.month == month]
        store.write_batch(root, "dispute", batch)
    return root, events


@pytest.fixture(scope="session")
def planted_with_rollups(planted: tuple[Path, list[ArchiveEvent]]) -> Path:
    """The same archive once its closed months got their rollups: the report month is
    still open, so a report reads the rollups and that month's events."""
    root = planted[0].with_name(f"{planted[0].name}-rollups")
    shutil.copytree(planted[0], root)
    for month in window(MONTH)[:-1]:
        compaction.compact_month(root, month, {"dispute": 10**12})
    return root


@pytest.fixture(scope="session")
def planted_digested(planted: tuple[Path, list[ArchiveEvent]]) -> Path:
    """The same archive once the report month closed too: every month compacted, and the
    report month's window digested."""
    root = planted[0].with_name(f"{planted[0].name}-digested")
    shutil.copytree(planted[0], root)
    for month in window(MONTH):
        compaction.compact_month(root, month, {"dispute": 10**12})
    assert MONTH in refresh_digests(DuckDBEngine(root), [MONTH])
    return root


@pytest.fixture(scope="session")
def postgres_engine(worker_id: str) -> Iterator[Engine]:
    """A database of its own for the archive table, on the test PostgreSQL server."""
    base = os.environ.get("CIVICGRID_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI requires PostgreSQL: CIVICGRID_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not available (set CIVICGRID_TEST_POSTGRES_URL)")
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"civicgrid_test_{os.environ.get('CIVICGRID_TEST_DB_TAG', '')}archive_{worker_id}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(url.set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark session (Debian's Java 17); under CI a missing Java fails the run."""
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("CI requires Java for the Spark engine (scripts/system-deps.sh)")
        pytest.skip("Java not installed: the Spark engine cannot start")
    from civicgrid.diagnosis.engines import spark_session  # noqa: PLC0415

    session = spark_session("local[*]", partitions=2)
    yield session
    session.stop()
