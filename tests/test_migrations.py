"""The schema comes only from migrations, and they match the models on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from civicgrid.db import Base, load_all_models, upgrade_database


def test_migrations_produce_exactly_the_models_schema(engine: Engine):
    load_all_models()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine):
    before = set(inspect(engine).get_table_names())
    upgrade_database(engine)
    assert set(inspect(engine).get_table_names()) == before
    assert {"regions", "users", "alembic_version"} <= before
