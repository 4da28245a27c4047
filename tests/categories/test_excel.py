"""The taxonomy as a workbook: export, round trip, and an import that is all or nothing."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.categories import excel, seeds, taxonomy
from civicgrid.categories.models import Category
from tests.categories.conftest import ADMIN
from tests.factories import TAXONOMY_HEADER, row, workbook


def stored(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Category)) or 0


def import_(db: Session, content: bytes) -> excel.CategoryImportReport:
    return excel.import_workbook(db, actor=ADMIN, content=content, filename="t.xlsx")


def snapshot(db: Session) -> list[tuple]:
    return [
        (
            c.code,
            c.parent_code,
            c.name,
            c.name_en,
            c.sla_hours,
            c.hour_basis,
            c.default_departments,
            c.self_resolvable,
            c.risk_class,
            c.keywords,
            c.active,
            c.position,
        )
        for c in taxonomy.list_categories(db, active_only=False)
    ]


def test_the_export_has_chinese_headers_one_row_per_category_and_joined_keywords(
    seeded: Session,
):
    sheet = load_workbook(io.BytesIO(excel.export_workbook(seeded, locale="zh-CN"))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编码", "上级编码", "名称")
    assert "处置时限（小时）" in rows[0]
    assert len(rows) - 1 == len(seeds.builtin_drafts())
    by_code = {r[0]: dict(zip(TAXONOMY_HEADER, r, strict=True)) for r in rows[1:]}
    manhole = by_code["UM-03-01"]
    assert manhole["上级编码"] == "UM-03"
    assert manhole["计时方式"] == "自然小时"
    assert manhole["处置时限（小时）"] == 24
    assert manhole["关键词"].split("、")[:2] == ["井盖", "井盖缺失"]
    assert by_code["UM-01-01"]["网格员可自行处置"] == "是"


def test_an_exported_workbook_imports_back_to_the_same_taxonomy(seeded: Session):
    before = snapshot(seeded)
    report = import_(seeded, excel.export_workbook(seeded, locale="zh-CN"))
    assert report.ok, report.lines("en")
    assert (report.created, report.updated) == (0, len(before))
    assert snapshot(seeded) == before


def test_an_english_export_imports_back_too(seeded: Session):
    before = snapshot(seeded)
    assert import_(seeded, excel.export_workbook(seeded, locale="en")).ok
    assert snapshot(seeded) == before


def test_an_edited_workbook_creates_and_updates_categories(seeded: Session):
    content = workbook(
        [
            row(code="UM-01-01", name="暴露垃圾（改）", sla_hours__resolve=6),
            row(code="XX-01", parent_code=None, name="新大类", risk_class=None),
            row(code="XX-01-01", parent_code="XX-01", keywords="甲、乙，丙"),
        ]
    )
    report = import_(seeded, content)
    assert report.ok, report.lines("zh-CN")
    assert (report.created, report.updated) == (2, 1)
    edited = taxonomy.require_category(seeded, "UM-01-01")
    assert edited.name == "暴露垃圾（改）"
    assert edited.sla_hours["resolve"] == 6
    assert taxonomy.require_category(seeded, "XX-01-01").keywords == ["甲", "乙", "丙"]
    assert taxonomy.require_category(seeded, "UM-01-02").name == "积存垃圾渣土"


def test_office_mess_is_accepted(seeded: Session):
    messy_header = [f" {label} " for label in TAXONOMY_HEADER]
    messy_header[TAXONOMY_HEADER.index("受理时限（小时）")] = "受理时限 (小时)"
    content = workbook(
        [
            row(
                code=" um-01-20\u3000",
                name="\ufeff 新分类 ",
                sla_hours__accept=" 2 ",
                sla_hours__resolve="２４",
                sla_hours__close=8.0,
                self_resolvable="TRUE",
                active=True,
                position="3",
                keywords=" 甲 ;乙\n丙 ",
                hour_basis=" working ",
                risk_class="市容与城市管理秩序",
            )
        ],
        header=messy_header,
    )
    report = import_(seeded, content)
    assert report.ok, report.lines("zh-CN")
    category = taxonomy.require_category(seeded, "UM-01-20")
    assert category.name == "新分类"
    assert category.sla_hours["accept"] == 2
    assert category.sla_hours["resolve"] == 24
    assert category.self_resolvable is True
    assert category.position == 3
    assert category.keywords == ["甲", "乙", "丙"]
    assert category.risk_class == "city_appearance"


def test_a_workbook_with_bad_rows_reports_each_and_stores_nothing(seeded: Session):
    before = snapshot(seeded)
    content = workbook(
        [
            row(code="UM-01-01", name="好的修改"),
            row(code="UM-01-21", sla_hours__resolve="两天"),
            row(code="UM-01-22", parent_code="UM-01-01"),
            row(code="UM-01-23", self_resolvable="也许"),
            row(code="UM-01-24", risk_class="dragons", default_departments__city="wizards"),
            row(code="UM-01-21", name="重复"),
        ]
    )
    report = import_(seeded, content)
    assert not report.ok
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {
        (3, "sla_hours.resolve", "cell_number_expected"),
        (4, "parent_code", "category_parent_not_group"),
        (5, "self_resolvable", "cell_boolean_expected"),
        (6, "default_departments.city", "category_department_kind_unknown"),
        (6, "risk_class", "category_risk_class_unknown"),
        (7, "code", "category_code_repeated"),
    }
    lines = report.lines("zh-CN")
    assert "第 3 行“处置时限（小时）”列：应为数字，实际为“两天”" in lines
    assert snapshot(seeded) == before
    assert report.created == report.updated == 0


def test_missing_columns_are_named_and_extra_columns_ignored(seeded: Session):
    header = [*TAXONOMY_HEADER[:-2], "备注"]
    report = import_(seeded, workbook([[*row()[:-2], "随便写"]], header=header))
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (1, "active", "excel_column_missing"),
        (1, "position", "excel_column_missing"),
    }
    padded = import_(seeded, workbook([[*row(), "随便写"]], header=[*TAXONOMY_HEADER, "备注"]))
    assert padded.ok


def test_a_file_that_is_not_a_workbook_is_reported_not_raised(seeded: Session):
    for content in (b"", b"code,name\nUM-01,x\n", b"PK\x03\x04broken"):
        report = import_(seeded, content)
        assert [e.code for e in report.errors] == ["excel_unreadable"]
    assert stored(seeded) == len(seeds.builtin_drafts())


def test_blank_rows_are_skipped(seeded: Session):
    report = import_(seeded, workbook([[None] * len(TAXONOMY_HEADER), row(), ["  "] * 3]))
    assert report.ok
    assert report.read == 1
