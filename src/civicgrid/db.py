"""Engine, sessions and the declarative base.

SQLite is the embedded default (one file, WAL so readers never block the
writer, foreign keys enforced); PostgreSQL is chosen by URL for production.
"""

import os
import threading
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import Field
from sqlalchemy import (
    DateTime,
    Dialect,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# Stable constraint names, so Alembic migrations can name what they alter on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The widest whole number SQLite's INTEGER or PostgreSQL's BIGINT holds. Past it the
# driver raises an overflow mid-query (a 500); a field typed with it answers 422.
MAX_SQL_INTEGER = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_SQL_INTEGER)]
"""A row's id as a path, query or body field: one no column can hold names no row."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back aware, in UTC, on either engine.

    SQLite has no zone: SQLAlchemy writes an aware time's wall clock as it is
    (09:00+08:00 became 09:00) and reads it back naive, so a page took it for
    local time. PostgreSQL's timestamptz answers in the session's zone. Here
    every moment is turned to UTC on the way in, in comparisons too, and marked
    UTC on the way out. A naive time is refused: nobody can tell which zone it
    meant. The column stays `DateTime(timezone=True)`, so no migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive datetime cannot be stored as UTC: {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back what was written, which was UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


DatabaseKind = Literal["sqlite", "postgresql"]


T = TypeVar("T")
_MEMO = "civicgrid.transaction_memo"


def transaction_memo(db: Session, key: Hashable, load: Callable[[], T]) -> T:
    """A look-up that holds for the rest of this transaction, asked once.

    A batch of a thousand reports needs the same departments, webhooks and
    taxonomy stamp a thousand times; the answers are forgotten when the
    transaction ends (see `forget`), so no request ever sees another's.
    """
    memo: dict[Hashable, Any] = db.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def remember(db: Session, key: Hashable, value: Any) -> None:
    """Hold an answer loaded together with others (one query for a batch) for this
    transaction, as `transaction_memo` would have after asking for it alone."""
    db.info.setdefault(_MEMO, {})[key] = value


def forget(db: Session, key: Hashable) -> None:
    """Drop one remembered answer, when this transaction has just changed it."""
    db.info.get(_MEMO, {}).pop(key, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_all(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_MEMO, None)


def reserve_ids(db: Session, model: type[Base], count: int) -> list[int] | None:
    """`count` ids drawn from the table's sequence on PostgreSQL; None on SQLite or for one.

    Rows that carry their ids go to the server as one prepared executemany.
    Without them every id must come back through RETURNING, which SQLAlchemy
    writes as multi-row INSERTs that psycopg parses character by character:
    about a second for a batch of 500 cases. SQLite has no such cost.
    """
    if count < 2 or db.get_bind().dialect.name != "postgresql":
        return None  # one row's RETURNING is cheap: a reservation would be a round trip more
    sequence = func.nextval(func.pg_get_serial_sequence(model.__tablename__, "id"))
    drawn = db.scalars(select(sequence).select_from(func.generate_series(1, count)))
    return [int(each) for each in drawn]


_side_engines: dict[str, Engine] = {}
_side_engines_lock = threading.Lock()


def side_engine(db: Session) -> Engine:
    """A small engine beside the session's, for a statement that commits on its own at once.

    Its own pool: a second connection taken from the session's pool could wait
    for ever once every connection is held by a request waiting for its second.
    """
    url = db.get_bind().engine.url
    key = url.render_as_string(hide_password=False)
    with _side_engines_lock:
        if key not in _side_engines:
            _side_engines[key] = create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=8)
        return _side_engines[key]


def normalise_url(url: str) -> str:
    """Let operators write plain postgresql:// URLs; we drive them with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, parsed.database)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _create_sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        _private_file(Path(database))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _private_file(path: Path) -> None:
    """The database holds personal data: only its owner may read it (600 in a 700 folder).

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    A folder made here is private; an existing one is the operator's choice.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def database_kind(engine: Engine) -> DatabaseKind:
    return "postgresql" if engine.dialect.name == "postgresql" else "sqlite"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_database(engine: Engine) -> None:
    """Bring an empty or older database to the newest schema (run on every start).

    A database already at the newest revision is left alone without starting
    Alembic's environment: that re-reads every migration file and, on SQLite,
    checks every foreign key of the whole file, on each start of each process.
    """
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    if current == (_newest_revision(),):
        return
    command.upgrade(alembic_config(engine), "head")


@cache
def _newest_revision() -> str | None:
    """The head of the migration chain this code carries, read once per process."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
    finally:
        session.close()


def load_all_models() -> None:
    """Import every domain's tables so Alembic sees one complete metadata."""
    from civicgrid.alarms import models as alarm_models  # noqa: F401, PLC0415
    from civicgrid.archive import models as archive_models  # noqa: F401, PLC0415
    from civicgrid.audit import models as audit_models  # noqa: F401, PLC0415
    from civicgrid.auth import models as auth_models  # noqa: F401, PLC0415
    from civicgrid.cases import models as case_models  # noqa: F401, PLC0415
    from civicgrid.categories import models as category_models  # noqa: F401, PLC0415
    from civicgrid.components import models as component_models  # noqa: F401, PLC0415
    from civicgrid.consult import models as consult_models  # noqa: F401, PLC0415
    from civicgrid.demo import models as demo_models  # noqa: F401, PLC0415
    from civicgrid.diagnosis import models as diagnosis_models  # noqa: F401, PLC0415
    from civicgrid.disputes import models as dispute_models  # noqa: F401, PLC0415
    from civicgrid.fieldwork import models as fieldwork_models  # noqa: F401, PLC0415
    from civicgrid.geo import models as geo_models  # noqa: F401, PLC0415
    from civicgrid.notify import models as notify_models  # noqa: F401, PLC0415
    from civicgrid.registry import models as registry_models  # noqa: F401, PLC0415
    from civicgrid.resources import models as resource_models  # noqa: F401, PLC0415
    from civicgrid.roster import models as roster_models  # noqa: F401, PLC0415
    from civicgrid.safeplaces import models as safeplaces_models  # noqa: F401, PLC0415
    from civicgrid.sources import models as source_models  # noqa: F401, PLC0415
