"""The bulk importer stores what the one-record service stores: same columns, same seals, same
address nodes. The importer writes through COPY / executemany and a Core address path; the
service through the ORM, one resident at a time. Both must agree on every stored value, whether
the file's rows were read and sealed where the import runs or in its reading process."""

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.geo.service import GridIndex
from civicgrid.registry.importing.report import ImportKind
from civicgrid.registry.importing.service import import_file
from civicgrid.registry.models import Address, CareGroup, CareMembership, Resident
from civicgrid.registry.residents import create_resident
from civicgrid.registry.schemas import PlaceIn, ResidentIn
from civicgrid.registry.sealing import DOCUMENT, PHONE, cipher_for, index_of, open_token
from civicgrid.settings import Settings
from tests.factories import CONSOLE, OWN_COMMUNITY, City, id_number, resident, write_csv

SECOND_GRID = f"{OWN_COMMUNITY}002"
# (grid, address, care groups as the file spells them, as the service takes them)
PEOPLE: tuple[tuple[str, str, str, list[str]], ...] = (
    (
        f"{OWN_COMMUNITY}001",
        "正阳北路12号3栋2单元501室",
        "独居老人、低保",
        ["lonely_elderly", "subsistence_allowance"],
    ),
    (f"{OWN_COMMUNITY}001", "正阳北路12号3栋2单元502室", "", []),
    (SECOND_GRID, "正阳北路14号", "", []),
    (SECOND_GRID, "河图镇大官市村三组", "低保", ["subsistence_allowance"]),
)
# Columns that must match; ids, uids, tokens, indexes and times differ by nature.
COMPARED = (
    "name",
    "document_kind",
    "birth_date",
    "sex",
    "origin_region_code",
    "residence_kind",
    "relation_to_head",
    "address_id",
    "moved_in_on",
    "region_code",
)


def _imported(db: Session, settings: Settings, tmp_path: Path) -> list[Resident]:
    rows = [
        resident(
            serial, name=f"甲{serial}", grid=grid, address=address, care=care, moved_in="2024/9/1"
        )
        for serial, (grid, address, care, _) in enumerate(PEOPLE, start=1)
    ]
    report = import_file(
        db,
        write_csv(tmp_path / "people.csv", rows),
        kind=ImportKind.RESIDENTS,
        actor=CONSOLE,
        settings=settings,
        grid_index=GridIndex(),
    )
    db.commit()
    assert (report.imported, report.error_count) == (len(PEOPLE), 0)
    return list(db.scalars(select(Resident).order_by(Resident.id)))


def _created(db: Session, settings: Settings) -> list[Resident]:
    made = []
    for serial, (grid, address, _, groups) in enumerate(PEOPLE, start=1):
        data = ResidentIn(
            name=f"甲{serial}",
            id_number=id_number(100 + serial),
            phone=f"1391234{100 + serial:04d}",
            relation_to_head=None,
            moved_in_on=date(2024, 9, 1),
            care_groups=[CareGroup(group) for group in groups],
            address=PlaceIn(address=address, grid_code=grid),
        )
        made.append(
            create_resident(db, CONSOLE, settings=settings, grid_index=GridIndex(), data=data)
        )
    db.commit()
    return made


def _groups(db: Session, person: Resident) -> list[str]:
    query = select(CareMembership.care_group).where(CareMembership.resident_id == person.id)
    return sorted(db.scalars(query))


def test_an_imported_resident_is_stored_as_the_one_record_service_stores_one(
    db: Session, settings: Settings, import_settings: Settings, city: City, tmp_path: Path
):
    imported = _imported(db, import_settings, tmp_path)
    addresses_after_import = db.scalars(select(Address.id).order_by(Address.id)).all()
    created = _created(db, settings)
    cipher = cipher_for(settings)

    # The service found every node the importer made: no address was stored twice.
    assert db.scalars(select(Address.id).order_by(Address.id)).all() == addresses_after_import
    for serial, (bulk, single) in enumerate(zip(imported, created, strict=True), start=1):
        assert {column: getattr(bulk, column) for column in COMPARED} == {
            column: getattr(single, column) for column in COMPARED
        }
        assert _groups(db, bulk) == _groups(db, single)
        for person, number, phone in (
            (bulk, id_number(serial), f"1391234{serial:04d}"),
            (single, id_number(100 + serial), f"1391234{100 + serial:04d}"),
        ):
            assert (
                open_token(cipher, person.document_token, field=DOCUMENT, uid=person.uid) == number
            )
            assert person.document_index == index_of(cipher, number, field=DOCUMENT)
            assert person.phone_token is not None
            assert open_token(cipher, person.phone_token, field=PHONE, uid=person.uid) == phone
            assert person.phone_index == index_of(cipher, phone, field=PHONE)
