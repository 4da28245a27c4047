"""Alembic environment: runs against the engine the app hands over.

`alembic` on the command line works too; it builds the engine from settings.
"""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, Engine

from civicgrid.db import Base, UtcDateTime, create_db_engine, load_all_models
from civicgrid.settings import get_settings

load_all_models()
target_metadata = Base.metadata


def _engine() -> Engine:
    given = context.config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    return create_db_engine(get_settings().effective_database_url)


def _render_item(kind: str, item: Any, _context: AutogenContext) -> str | Literal[False]:
    """A new revision names the type the database holds, not the app's UTC wrapper of it."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a SQLite table (copy, drop, rename). With foreign
            # keys enforced, dropping a table other rows point at fails, so keys are off
            # while migrating (SQLite's own procedure for a rebuild) and checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _require_intact_keys(connection)
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def _require_intact_keys(connection: Connection) -> None:
    """Nothing a migration copied may point at a row that is not there."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")


run_migrations_online()
