"""Importing other systems' exports: the row report, all or nothing, once per record, no person."""

import csv
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.geo.service import GridIndex
from civicgrid.sources.importer import import_records
from civicgrid.sources.models import ExternalRecord, ExternalSource, SourceKind
from civicgrid.sources.reading import TIME_FORMATS, moment
from civicgrid.sources.schemas import SourceIn
from civicgrid.sources.service import save_source
from civicgrid.timeutil import DISPLAY_ZONE, as_utc
from tests.factories import (
    CALLER,
    CALLER_PHONE,
    CITY,
    OTHER_GRID,
    OWN_GRID,
    OWN_STREET,
    POLICE_HEADINGS,
    City,
    actor,
    id_number,
    police_row,
    police_source,
    workbook,
    write_csv,
)

BALTIMORE = Path("us311") / "baltimore_311_sample.csv"
CLASSES = {
    "SW-Dirty Alley": "city_appearance",
    "HCD-Illegal Dumping": "city_appearance",
    "TRT-Traffic Signal Repairs": "traffic",
    "ECC-Noise Complaint": "noise",
}
BALTIMORE_MAPPING = {
    "columns": {
        "record_id": "SRRecordID",
        "occurred_at": "CreatedDate",
        "type": "SRType",
        "status": "SRStatus",
        "lng": "Longitude",
        "lat": "Latitude",
    },
    "time_format": "%m/%d/%Y %I:%M:%S %p",
    "classes": CLASSES,
    "default_class": "municipal_facilities",
}
ADMIN = actor(Role.ADMIN, CITY)


def _hotline(db: Session) -> ExternalSource:
    data = SourceIn(kind=SourceKind.HOTLINE_12345, mapping=BALTIMORE_MAPPING)
    source = save_source(db, actor=ADMIN, name="baltimore-311", data=data)
    db.commit()
    return source


def _import(db: Session, path: Path, source: ExternalSource, **options: bool):
    report = import_records(db, path, source=source, actor=ADMIN, grid_index=GridIndex(), **options)
    db.commit()
    return report


def _stored(db: Session) -> list[ExternalRecord]:
    return list(db.scalars(select(ExternalRecord).order_by(ExternalRecord.id)))


def test_the_baltimore_sample_reports_each_row_outside_the_city_and_imports_nothing(
    db: Session, city: City, shared_data: Path
):
    source = _hotline(db)

    report = _import(db, shared_data / BALTIMORE, source)

    assert report.rows_read == 10_000
    assert report.imported == 0
    assert report.refused
    # Every row lies in Baltimore (longitude -76) or has no point at all: each is named.
    assert report.skipped == 10_000
    codes = Counter(error.code for error in report.errors)
    assert set(codes) == {"registry_import_coordinate_range", "source_no_location"}
    assert [error.row for error in report.errors[:3]] == [2, 3, 4]
    assert "第 2 行“经度”列" in report.lines("zh-CN")[3]
    assert _stored(db) == []


def _baltimore_in_our_city(
    shared: Path, target: Path, city: City, rows: int
) -> list[dict[str, str]]:
    """The real file's first rows, messy dates, types and quoted addresses kept, placed in
    the test city as a geocoder would (Baltimore's own points lie outside any grid)."""
    with (shared / BALTIMORE).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        taken = [next(reader) for _ in range(rows)]
    grids = sorted(city.grids)
    for number, row in enumerate(taken):
        row["Longitude"], row["Latitude"] = map(str, city.point_in(grids[number % len(grids)]))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(taken[0]))
        writer.writeheader()
        writer.writerows(taken)
    return taken


def test_the_baltimore_sample_placed_in_the_city_is_imported_once_in_its_risk_classes(
    db: Session, city: City, shared_data: Path, tmp_path: Path
):
    source = _hotline(db)
    rows = _baltimore_in_our_city(shared_data, tmp_path / "baltimore.csv", city, 400)
    distinct = {row["SRRecordID"] for row in rows}

    first = _import(db, tmp_path / "baltimore.csv", source)
    again = _import(db, tmp_path / "baltimore.csv", source)

    assert first.error_count == 0, first.lines("en")
    assert first.imported == len(distinct) == len(_stored(db))
    assert first.duplicates == len(rows) - len(distinct)
    assert (again.imported, again.duplicates, again.error_count) == (0, len(rows), 0)
    stored = {record.record_id: record for record in _stored(db)}
    for row in rows:
        record = stored[row["SRRecordID"]]
        expected = CLASSES.get(row["SRType"], "municipal_facilities")
        assert (record.risk_class, record.source_type) == (expected, row["SRType"])
        local = datetime.strptime(row["CreatedDate"], "%m/%d/%Y %I:%M:%S %p")
        assert as_utc(record.occurred_at) == local.replace(tzinfo=DISPLAY_ZONE).astimezone(UTC)
        assert record.grid_code in city.grids


def test_one_bad_row_refuses_the_whole_file_and_names_the_row(
    db: Session, city: City, tmp_path: Path
):
    source = police_source(db)
    point = city.point_in(OWN_GRID)
    rows = [
        police_row("JQ001", "2026-11-03 08:00", "盗窃", point),
        police_row("JQ002", "昨天下午", "盗窃", point),
        police_row("JQ003", "2026-11-03 09:00", "走失老人", point),
        police_row("JQ004", "2026-11-03 10:00", "纠纷", (120.0, 30.0)),
    ]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)

    report = _import(db, path, source)

    assert report.imported == 0
    assert report.rows_read == 4
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (3, "occurred_at", "source_time_unreadable"),
        (4, "type", "source_type_unmapped"),
        (5, "lng", "source_point_outside"),
    ]
    assert "第 4 行“类别”列：类别“走失老人”尚未对应到风险类别" in "\n".join(report.lines("zh-CN"))
    assert _stored(db) == []


def test_a_file_without_a_mapped_column_is_refused_before_any_row(
    db: Session, city: City, tmp_path: Path
):
    source = police_source(db)
    path = write_csv(tmp_path / "110.csv", [["JQ001", "2026-11-03 08:00"]], ("警情编号", "时间"))

    report = _import(db, path, source)

    assert report.imported == 0
    assert report.rows_read == 0
    assert {error.params["heading"] for error in report.errors} == {
        "报警时间",
        "警情类别",
        "处置状态",
        "经度",
        "纬度",
    }


def test_names_phones_and_id_numbers_never_reach_the_records(
    db: Session, city: City, tmp_path: Path
):
    source = police_source(db, default_class="public_order")
    point = city.point_in(OWN_GRID)
    rows = [
        police_row("JQ001", "2026-11-03 08:00", "盗窃", point),
        police_row("JQ002", "2026/11/3 9:15:00", f"求助 {CALLER_PHONE}", point),
    ]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)

    report = _import(db, path, source)

    assert report.imported == 2, report.lines("en")
    stored = " ".join(str(value) for record in _stored(db) for value in vars(record).values())
    for personal in (CALLER, CALLER_PHONE, id_number(7), "报警称"):
        assert personal not in stored
    assert {record.source_type for record in _stored(db)} == {"盗窃", "求助 139****5678"}


def test_a_record_id_that_is_a_phone_or_id_number_is_refused(
    db: Session, city: City, tmp_path: Path
):
    source = police_source(db)
    point = city.point_in(OWN_GRID)
    rows = [
        police_row(CALLER_PHONE, "2026-11-03 08:00", "盗窃", point),
        police_row(id_number(8), "2026-11-03 08:00", "盗窃", point),
    ]
    report = _import(db, write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS), source)

    assert [e.code for e in report.errors] == ["source_record_id_personal"] * 2
    assert _stored(db) == []


def test_records_outside_the_importers_area_are_refused(db: Session, city: City, tmp_path: Path):
    source = police_source(db)
    rows = [police_row("JQ009", "2026-11-03 08:00", "盗窃", city.point_in(OTHER_GRID))]
    path = write_csv(tmp_path / "110.csv", rows, POLICE_HEADINGS)

    report = import_records(
        db, path, source=source, actor=actor(Role.ADMIN, OWN_STREET), grid_index=GridIndex()
    )

    assert [e.code for e in report.errors] == ["source_out_of_scope"]
    assert _stored(db) == []


@given(
    moment_=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    pattern=st.sampled_from(TIME_FORMATS),
)
def test_every_spelling_of_a_time_reads_back_as_the_city_time_it_wrote(
    moment_: datetime, pattern: str
):
    text = moment_.strftime(pattern)
    read = moment(text, pattern=None)

    assert read is not None
    assert read.replace(tzinfo=None) == datetime.strptime(text, pattern)
    assert read.utcoffset() == timedelta(hours=8)


def test_an_excel_export_with_a_title_line_and_real_dates_is_read_through_the_mapping(
    db: Session, city: City, tmp_path: Path
):
    source = police_source(db)
    when = datetime(2026, 11, 3, 8, 30)
    record = police_row("JQ500", "", "纠纷", city.point_in(OWN_GRID))
    record[1] = when
    path = tmp_path / "110.xlsx"
    path.write_bytes(workbook([list(POLICE_HEADINGS), record], header=["110 警情导出 2026年11月"]))

    report = _import(db, path, source)

    assert report.imported == 1, report.lines("en")
    stored = _stored(db)[0]
    assert stored.risk_class == "neighbour_disputes"
    assert as_utc(stored.occurred_at) == when.replace(tzinfo=DISPLAY_ZONE).astimezone(UTC)
