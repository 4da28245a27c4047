"""No reporter's phone or name lies in clear in the cases table, before or after the upgrade."""

from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from civicgrid.cases.reporters import Reporter, reporter_of
from civicgrid.cli import main
from civicgrid.db import alembic_config
from civicgrid.registry.protection import FieldCipher
from tests.factories import City, report

PHONE = "13912345678"
NAME = "李四"


def every_stored_value(db: Session, number: str) -> bytes:
    row = db.execute(select(Case.__table__).where(Case.number == number)).one()
    return b"|".join(value if isinstance(value, bytes) else str(value).encode() for value in row)


def test_the_reporter_s_phone_and_name_are_stored_sealed(client, db: Session, city: City):
    number = report(client, city, reporter_phone=PHONE, reporter_name=NAME).json()["number"]

    stored = every_stored_value(db, number)

    assert PHONE.encode() not in stored
    assert NAME.encode() not in stored
    case = db.scalars(select(Case).where(Case.number == number)).one()
    assert reporter_of(case) == Reporter(phone=PHONE, name=NAME)


def test_the_upgrade_seals_reporters_stored_in_clear_and_tracking_still_finds_them(
    client, db: Session, engine: Engine, city: City
):
    number = report(client, city).json()["number"]
    db.rollback()
    command.downgrade(alembic_config(engine), "0009")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE cases SET reporter_phone = :phone, reporter_name = :name"),
            {"phone": "+86 139-1234-5678", "name": NAME},
        )

    command.upgrade(alembic_config(engine), "head")

    db.expire_all()
    case = db.scalars(select(Case).where(Case.number == number)).one()
    assert reporter_of(case) == Reporter(phone="+86 139-1234-5678", name=NAME)
    tracked = client.get("/api/v1/cases/track", params={"number": number, "phone": PHONE})
    assert tracked.status_code == 200


def test_rotating_the_keys_reseals_reporters_and_tracking_still_finds_them(
    cli_env, client, db: Session, city: City
):
    number = report(client, city, reporter_phone=PHONE, reporter_name=NAME).json()["number"]

    rotated = CliRunner().invoke(main, ["registry", "rotate-keys"])

    assert rotated.exit_code == 0, rotated.output
    db.expire_all()
    case = db.scalars(select(Case).where(Case.number == number)).one()
    assert FieldCipher.key_id_of(case.reporter_phone_token or b"") == 2
    assert FieldCipher.key_id_of(case.reporter_name_token or b"") == 2
    assert reporter_of(case) == Reporter(phone=PHONE, name=NAME)
    tracked = client.get("/api/v1/cases/track", params={"number": number, "phone": PHONE})
    assert tracked.status_code == 200
