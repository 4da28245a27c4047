"""Test fixtures: a real database on both engines, the ASGI app, fixed people.

Every test that touches the database runs twice, on SQLite and on the
throwaway PostgreSQL that `make test` starts (CIVICGRID_TEST_POSTGRES_URL).
Under CI a missing PostgreSQL fails the run instead of skipping.
"""

import os
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

os.environ.setdefault("CIVICGRID_ENVIRONMENT", "test")
# Cheap password hashing: the cost parameters are production's concern, not behaviour's.
os.environ.setdefault("CIVICGRID_PASSWORD_TIME_COST", "1")
os.environ.setdefault("CIVICGRID_PASSWORD_MEMORY_KIB", "1024")
os.environ.pop("CIVICGRID_DATABASE_URL", None)

from civicgrid.app import bind, create_app
from civicgrid.db import Base, create_db_engine, load_all_models, upgrade_database
from civicgrid.settings import Settings, get_settings
from tests.factories import City, People, build_city, build_people

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ENGINES = ["sqlite", "postgresql"]
RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
    " FROM pg_sequences WHERE schemaname = current_schema()"
)


def _postgres_base_url() -> str:
    url = os.environ.get("CIVICGRID_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("CI requires PostgreSQL: CIVICGRID_TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL not available (set CIVICGRID_TEST_POSTGRES_URL)")


def _worker_database(base_url: str, worker: str) -> str:
    """One database per xdist worker, created afresh for the session.

    CIVICGRID_TEST_DB_TAG keeps two test runs on one PostgreSQL server apart.
    """
    parsed = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"civicgrid_test_{os.environ.get('CIVICGRID_TEST_DB_TAG', '')}{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=ENGINES)
def migrated_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> str:
    """A database at the newest schema, once per engine and worker."""
    if request.param == "postgresql":
        url = _worker_database(_postgres_base_url(), worker_id)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'template.db'}"
    engine = create_db_engine(url)
    upgrade_database(engine)
    engine.dispose()
    return url


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    """A clean migrated database for one test: a copied SQLite file, or emptied tables."""
    if migrated_database.startswith("sqlite"):
        copy = tmp_path / "test.db"
        shutil.copy(make_url(migrated_database).database or "", copy)
        yield f"sqlite:///{copy}"
        return
    yield migrated_database
    _empty_tables(_cleaner(migrated_database))


@cache
def _cleaner(url: str) -> Engine:
    """One engine per worker database for emptying it between tests."""
    return create_db_engine(url)


def _empty_tables(engine: Engine) -> None:
    """Every row gone and every sequence back at 1, as on a fresh database.

    DELETE on a test's few rows is several times quicker than TRUNCATE, which
    swaps the files of every table; with foreign-key triggers off for
    the transaction, the order of the tables does not matter.
    """
    load_all_models()
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(RESTART_SEQUENCES)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    session = Session(bind=engine, expire_on_commit=False)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, environment="test", data_dir=tmp_path / "var")


# Where a test's settings point: a test's own database and folder, never part of the key.
PER_TEST = {"database_url", "data_dir"}
# One app per worker for each set of settings beyond the database and data folder: FastAPI
# analyses every route's dependencies on an app's first requests, about a quarter of a
# second, more than most tests take; `bind` points the app at each test's own database and
# folder with fresh look-ups and throttles.
_APPS: dict[str, FastAPI] = {}


@pytest.fixture
def app(settings: Settings, city: City, people: People) -> Iterator[FastAPI]:
    """The app on a database that already holds the small city and its people."""
    key = settings.model_dump_json(exclude=PER_TEST)
    application = _APPS.get(key)
    if application is None:
        application = _APPS[key] = create_app(settings)
    else:
        bind(application, settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def city(db: Session) -> City:
    return build_city(db)


@pytest.fixture
def people(db: Session, city: City) -> People:
    return build_people(db, city)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the command line at the test database and a scratch data folder, in Chinese."""
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", database_url)
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CIVICGRID_LANG", "zh-CN")
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


@pytest.fixture
def photo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Photos land in this test's own data directory."""
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data" / "photos"
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA
