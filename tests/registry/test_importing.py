"""Importing register files: office quirks, row-level reports, all or nothing, jurisdiction."""

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.errors import Forbidden
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import translate
from civicgrid.registry.importing.report import ImportKind, ImportReport
from civicgrid.registry.importing.service import import_file
from civicgrid.registry.models import (
    CareMembership,
    Household,
    Housing,
    KeyPlace,
    Organisation,
    Resident,
)
from civicgrid.registry.sealing import DOCUMENT, PHONE, cipher_for, open_token
from civicgrid.registry.validation import credit_code_check_char
from civicgrid.settings import Settings
from tests.factories import (
    CONSOLE,
    OTHER_GRID,
    OWN_COMMUNITY,
    OWN_GRID,
    OWN_STREET,
    RESIDENT_HEADINGS,
    City,
    id_number,
    resident,
    write_csv,
)

SECOND_GRID = f"{OWN_COMMUNITY}002"
COMMUNITY_STAFF = Actor(
    kind="user", role=Role.COMMUNITY_STAFF, scope_code=OWN_COMMUNITY, username="staff"
)


def credit_code(serial: int) -> str:
    """A valid unified social credit code: organisation code and final check computed."""
    from civicgrid.registry.validation import organisation_code_check_char  # noqa: PLC0415

    organisation = f"{serial:08d}"
    body = f"91530502{organisation}{organisation_code_check_char(organisation)}"
    return body + credit_code_check_char(body)


def write_xlsx(
    path: Path, rows: Sequence[Sequence[object]], headings: Sequence[object] = RESIDENT_HEADINGS
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headings))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def run_import(
    db: Session,
    settings: Settings,
    path: Path,
    kind: ImportKind = ImportKind.RESIDENTS,
    actor: Actor = CONSOLE,
    **options: bool,
) -> ImportReport:
    """An import as the endpoint and the command run it: they commit what it stored."""
    report = import_file(
        db, path, kind=kind, actor=actor, settings=settings, grid_index=GridIndex(), **options
    )
    db.commit()
    return report


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def problems(report: ImportReport) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.code) for error in report.errors]


def test_a_clean_file_stores_residents_sealed_with_households_and_care_groups(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    rows = [
        resident(1, household="H001", address="正阳北路12号3栋2单元501室", care="独居老人、低保"),
        resident(2, name="李四", household="H001"),
        resident(3, name="王五", grid=SECOND_GRID),
    ]
    report = run_import(db, settings, write_csv(tmp_path / "people.csv", rows))

    assert (report.rows_read, report.imported, report.error_count) == (3, 3, 0)
    stored = db.scalars(select(Resident).order_by(Resident.id)).all()
    cipher = cipher_for(settings)
    first = stored[0]
    assert open_token(cipher, first.document_token, field=DOCUMENT, uid=first.uid) == id_number(1)
    assert first.phone_token is not None
    assert open_token(cipher, first.phone_token, field=PHONE, uid=first.uid) == "13912340001"
    assert (first.birth_date, first.origin_region_code, first.region_code) == (
        date(1980, 1, 1),
        "530502",
        OWN_GRID,
    )
    assert stored[0].household_id == stored[1].household_id is not None
    assert stored[2].region_code == SECOND_GRID
    household = db.get(Household, stored[0].household_id)
    assert household is not None
    assert household.number == "H001"
    assert household.address_id == first.address_id
    groups = db.scalars(select(CareMembership.care_group).order_by(CareMembership.care_group))
    assert list(groups) == ["lonely_elderly", "subsistence_allowance"]


def test_office_padding_mixed_dates_and_numbers_as_text_are_read(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    lng, lat = city.point_in(SECOND_GRID)
    headings = [" 姓 名 ", "\u3000身份证号", "电话", "人口类型", "经度", "纬度", "入住日期", "序号"]
    rows = [
        [
            " 张\u3000\u3000三 ",
            f" {id_number(1)}\u00a0",
            "139 1234 0001",
            "户籍",
            f" {lng} ",
            f"{lat}",
            "2023/1/5",
            1,
        ],
        [
            "李四",
            id_number(2).lower(),
            "+86 139-1234-0002",
            " 流动人口 ",
            lng,
            lat,
            "2023年1月6日",
            2,
        ],
        ["王五", id_number(3), 13912340003, "境外", str(lng), str(lat), 44933, 3],
        ["赵六", id_number(4), "", "户籍", lng, lat, datetime(2023, 1, 9, 8, 30), 4],
        ["钱七", id_number(5), "", "registered", lng, lat, "20230110", 5],
        [],
    ]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["某某社区实有人口登记表"])
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    workbook.save(tmp_path / "office.xlsx")

    report = run_import(db, settings, tmp_path / "office.xlsx")

    assert report.error_count == 0, report.lines("zh-CN")
    assert report.imported == 5
    assert [(w.row, w.code) for w in report.warnings] == [(2, "registry_import_column_unknown")]
    stored = db.execute(
        select(
            Resident.name, Resident.moved_in_on, Resident.region_code, Resident.residence_kind
        ).order_by(Resident.id)
    ).all()
    assert [row.name for row in stored] == ["张三", "李四", "王五", "赵六", "钱七"]
    assert [row.moved_in_on for row in stored] == [date(2023, 1, day) for day in (5, 6, 7, 9, 10)]
    assert {row.region_code for row in stored} == {SECOND_GRID}
    assert [row.residence_kind for row in stored][:3] == ["registered", "floating", "overseas"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_id_number_excel_turned_into_a_number_is_refused_with_a_clear_message(
    db: Session, settings: Settings, city: City, tmp_path: Path, suffix: str
):
    mangled: object = 5.30502e17 if suffix == ".xlsx" else "5.30502E+17"
    rows = [resident(1), resident(2, number=mangled)]  # type: ignore[arg-type]
    path = tmp_path / f"mangled{suffix}"
    (write_xlsx if suffix == ".xlsx" else write_csv)(path, rows)

    report = run_import(db, settings, path)

    assert problems(report) == [(3, "id_number", "id_number_excel_mangled")]
    line = report.errors[0].line("zh-CN")
    assert line.startswith("第 3 行“公民身份号码”列：")
    assert "Excel" in line
    assert "文本" in line
    assert count(db, Resident) == 0


def test_a_file_with_bad_id_numbers_reports_each_bad_row_and_imports_nothing(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    wrong_check = id_number(4)[:-1] + ("1" if id_number(4)[-1] != "1" else "2")
    rows = [
        resident(1),
        resident(2, number="53050219800101"),
        resident(3),
        resident(4, number=wrong_check),
        resident(5),
    ]
    before = count(db, Resident)

    report = run_import(db, settings, write_csv(tmp_path / "bad.csv", rows))

    assert problems(report) == [
        (3, "id_number", "id_number_format"),
        (5, "id_number", "id_number_checksum"),
    ]
    assert (report.imported, report.skipped, report.refused) == (0, 2, True)
    assert count(db, Resident) == before == 0
    assert translate("registry_import.refused") in report.lines("zh-CN")


def test_skipping_bad_rows_imports_only_the_good_ones(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    rows = [resident(1), resident(2, number="bad"), resident(3), resident(1, name="重复")]
    report = run_import(db, settings, write_csv(tmp_path / "s.csv", rows), skip_bad_rows=True)

    assert problems(report) == [
        (3, "id_number", "id_number_format"),
        (5, "id_number", "registry_import_repeated"),
    ]
    assert report.errors[1].params == {"row": 2}
    assert (report.imported, report.skipped, report.refused) == (2, 2, False)
    assert sorted(db.scalars(select(Resident.name))) == ["张三", "张三"]


def test_a_number_already_in_the_registry_is_refused(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    run_import(db, settings, write_csv(tmp_path / "first.csv", [resident(1)]))
    report = run_import(db, settings, write_csv(tmp_path / "again.csv", [resident(1)]))
    assert problems(report) == [(2, "id_number", "registry_import_id_registered")]
    assert count(db, Resident) == 1


def test_a_community_staff_member_cannot_import_rows_for_another_area(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    lng, lat = city.point_in(OTHER_GRID)
    rows = [
        resident(1),
        resident(2, grid=OTHER_GRID),
        resident(3, grid=f"{OWN_STREET}002001"),
    ]
    path = write_csv(tmp_path / "areas.csv", rows)
    pointed = write_csv(
        tmp_path / "point.csv",
        [["张三", id_number(4), "户籍", lng, lat]],
        headings=["姓名", "公民身份号码", "人口类型", "经度", "纬度"],
    )

    refused = run_import(db, settings, path, actor=COMMUNITY_STAFF)
    skipping = run_import(db, settings, path, actor=COMMUNITY_STAFF, skip_bad_rows=True)
    by_point = run_import(db, settings, pointed, actor=COMMUNITY_STAFF)

    out_of_scope = "registry_import_out_of_scope"
    assert problems(refused) == [(3, "grid_code", out_of_scope), (4, "grid_code", out_of_scope)]
    assert refused.imported == 0
    assert (skipping.imported, skipping.skipped) == (1, 2)
    assert problems(by_point) == [(2, "grid_code", out_of_scope)]
    assert list(db.scalars(select(Resident.region_code))) == [OWN_GRID]


def test_a_grid_worker_may_not_import(db: Session, settings: Settings, tmp_path: Path):
    worker = Actor(kind="user", role=Role.GRID_WORKER, scope_code=OWN_GRID)
    with pytest.raises(Forbidden):
        run_import(db, settings, write_csv(tmp_path / "w.csv", [resident(1)]), actor=worker)


def test_a_dry_run_checks_every_row_and_writes_nothing(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    good = write_csv(tmp_path / "good.csv", [resident(1, household="H1", address="正阳路1号")])
    bad = write_csv(tmp_path / "bad.csv", [resident(1), resident(2, number="x")])

    checked = run_import(db, settings, good, dry_run=True)
    failed = run_import(db, settings, bad, dry_run=True)

    assert (checked.rows_read, checked.imported, checked.error_count) == (1, 0, 0)
    assert problems(failed) == [(3, "id_number", "id_number_format")]
    assert count(db, Resident) == count(db, Household) == 0
    assert translate("registry_import.checked") in checked.lines("zh-CN")


def test_a_stored_import_is_left_for_the_caller_to_commit(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    rows = [resident(1, household="H1", address="正阳路1号"), resident(2)]
    path = write_csv(tmp_path / "people.csv", rows)
    report = import_file(
        db,
        path,
        kind=ImportKind.RESIDENTS,
        actor=CONSOLE,
        settings=settings,
        grid_index=GridIndex(),
    )
    assert (report.imported, count(db, Resident)) == (2, 2)

    db.rollback()

    assert count(db, Resident) == count(db, Household) == 0


def test_locations_must_be_known_grids_or_points_inside_the_city(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    headings = ["姓名", "公民身份号码", "人口类型", "网格编码", "经度", "纬度"]
    rows = [
        ["甲", id_number(1), "户籍", "", "", ""],
        ["乙", id_number(2), "户籍", f"{OWN_COMMUNITY}099", "", ""],
        ["丙", id_number(3), "户籍", "", "99.9", "25.9"],
        ["丁", id_number(4), "户籍", "", "25.1", "99.1"],
        ["戊", id_number(5), "户籍", "", "99.1", ""],
        ["己", id_number(6), "户籍", "12", "", ""],
    ]
    report = run_import(db, settings, write_csv(tmp_path / "where.csv", rows, headings))
    assert problems(report) == [
        (2, "grid_code", "registry_import_no_location"),
        (3, "grid_code", "registry_import_area_unknown"),
        (4, "lng", "registry_import_point_outside"),
        (5, "lng", "registry_import_coordinate_range"),
        (5, "lat", "registry_import_coordinate_range"),
        (6, "lat", "registry_import_point_incomplete"),
        (7, "grid_code", "invalid_region_code"),
    ]


def test_required_columns_and_unknown_choices_are_reported(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    missing = write_csv(tmp_path / "m.csv", [["张三", "H1"]], headings=["姓名", "户号"])
    rows: list[list[object]] = [
        [*resident(1)[:3], "外星人", *resident(1)[4:]],
        ["", "", "", "", "", "", "", OWN_GRID],
    ]
    unknown = write_csv(tmp_path / "u.csv", rows)

    assert problems(run_import(db, settings, missing)) == [
        (1, "id_number", "registry_import_column_missing"),
        (1, "residence_kind", "registry_import_column_missing"),
    ]
    assert problems(run_import(db, settings, unknown)) == [
        (2, "residence_kind", "registry_import_choice_unknown"),
        (3, "name", "registry_import_required"),
        (3, "id_number", "registry_import_required"),
        (3, "residence_kind", "registry_import_required"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030_reads_alike(
    db: Session, settings: Settings, city: City, tmp_path: Path, encoding: str
):
    path = write_csv(
        tmp_path / "e.csv", [resident(1, name="欧阳娜娜", care="留守儿童")], encoding=encoding
    )
    report = run_import(db, settings, path)
    assert report.imported == 1, report.lines("zh-CN")
    assert db.scalar(select(Resident.name)) == "欧阳娜娜"


def test_an_unreadable_file_is_refused_as_a_whole(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert problems(run_import(db, settings, broken)) == [(0, "", "registry_import_unreadable")]
    assert problems(run_import(db, settings, old)) == [(0, "", "registry_import_xls")]


def test_households_housing_organisations_and_key_places_import(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    households = write_csv(
        tmp_path / "h.csv", [["H9", "正阳北路1号", OWN_GRID]], ["户号", "地址", "网格编码"]
    )
    housing = write_csv(
        tmp_path / "f.csv",
        [["正阳北路1号", "住宅", "出租", "88.5", "周八", "13912345678", OWN_GRID]],
        ["地址", "房屋用途", "居住方式", "建筑面积", "房主姓名", "房主电话", "网格编码"],
    )
    organisations = write_csv(
        tmp_path / "o.csv",
        [["保山某某有限公司", credit_code(1), "企业", "孙九", "0875-2123456", "12", OWN_GRID]],
        [
            "单位名称",
            "统一社会信用代码",
            "单位类型",
            "法定代表人",
            "单位电话",
            "从业人数",
            "网格编码",
        ],
    )
    places = write_csv(
        tmp_path / "p.csv",
        [["某某农贸市场", "市场", credit_code(1), "7", OWN_GRID]],
        ["场所名称", "场所类型", "统一社会信用代码", "巡查周期（天）", "网格编码"],
    )

    for path, kind in [
        (households, ImportKind.HOUSEHOLDS),
        (housing, ImportKind.HOUSING),
        (organisations, ImportKind.ORGANISATIONS),
        (places, ImportKind.KEY_PLACES),
    ]:
        report = run_import(db, settings, path, kind=kind)
        assert (report.imported, report.error_count) == (1, 0), report.lines("zh-CN")

    stored_housing = db.scalars(select(Housing)).one()
    assert (stored_housing.use, stored_housing.tenure, stored_housing.area_m2) == (
        "residential",
        "rented",
        88.5,
    )
    organisation = db.scalars(select(Organisation)).one()
    assert (organisation.kind, organisation.employees) == ("enterprise", 12)
    place = db.scalars(select(KeyPlace)).one()
    assert (place.kind, place.organisation_id) == ("market", organisation.id)


def test_a_bad_credit_code_and_an_unknown_organisation_are_reported(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    wrong = credit_code(2)[:-1] + ("0" if credit_code(2)[-1] != "0" else "1")
    organisations = write_csv(
        tmp_path / "o.csv",
        [["甲公司", wrong, OWN_GRID], ["乙公司", credit_code(3), OWN_GRID]],
        ["单位名称", "统一社会信用代码", "网格编码"],
    )
    places = write_csv(
        tmp_path / "p.csv",
        [["某学校", "学校", credit_code(4), OWN_GRID]],
        ["场所名称", "场所类型", "统一社会信用代码", "网格编码"],
    )
    assert problems(run_import(db, settings, organisations, kind=ImportKind.ORGANISATIONS)) == [
        (2, "credit_code", "credit_code_checksum")
    ]
    assert problems(run_import(db, settings, places, kind=ImportKind.KEY_PLACES)) == [
        (2, "credit_code", "registry_import_organisation_unknown")
    ]
    assert count(db, Organisation) == count(db, KeyPlace) == 0


def test_a_later_file_joins_households_already_in_the_registry(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    first = write_csv(tmp_path / "a.csv", [resident(1, household="H7", address="保山路7号")])
    later = write_csv(
        tmp_path / "b.csv", [resident(2, household="H7"), resident(3, household="H8")]
    )

    assert run_import(db, settings, first).imported == 1
    report = run_import(db, settings, later)

    assert problems(report) == [(3, "household_number", "registry_import_household_unknown")]
    joined = run_import(db, settings, later, skip_bad_rows=True)
    assert joined.imported == 1
    assert count(db, Household) == 1
    assert len(set(db.scalars(select(Resident.household_id)))) == 1


def test_a_household_of_another_area_is_not_joined(
    db: Session, settings: Settings, city: City, tmp_path: Path
):
    other = write_csv(
        tmp_path / "o.csv", [resident(1, grid=OTHER_GRID, household="H5", address="别处路5号")]
    )
    joining = write_csv(tmp_path / "j.csv", [resident(2, household="H5")])
    assert run_import(db, settings, other).imported == 1

    report = run_import(db, settings, joining, actor=COMMUNITY_STAFF)

    assert problems(report) == [(2, "household_number", "registry_import_household_unknown")]
