"""The schema comes only from migrations, and they match the models on both engines."""

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import ApiKey
from civicgrid.db import Base, alembic_config, load_all_models, upgrade_database
from tests.factories import OWN_STREET, build_city


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


def test_the_upgrade_to_0019_revokes_the_retired_device_api_keys(engine: Engine):
    """Keys of the old `device` kind name no device; integration keys are left alone."""
    config = alembic_config(engine)
    command.downgrade(config, "0014")
    try:
        with Session(bind=engine) as db:
            build_city(db)
            auth_service.create_api_key(db, name="hotline", scope_code=OWN_STREET)
            # The service can no longer make one: the row is what an old release left.
            db.execute(
                insert(ApiKey).values(
                    name="old sensor",
                    kind="device",
                    prefix="cgk_old",
                    key_hash="0" * 64,
                    scope_code=OWN_STREET,
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
            db.commit()
    finally:
        command.upgrade(config, "head")
    with Session(bind=engine) as db:
        revoked = dict(db.execute(select(ApiKey.kind, ApiKey.revoked_at)).all())
    assert revoked["device"] is not None
    assert revoked["integration"] is None
