"""`civicgrid categories ...` and the demo's taxonomy, on a real database."""

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.categories import seeds, taxonomy
from civicgrid.categories.models import Category
from tests.factories import row, run, workbook

BUILTIN = len(seeds.builtin_drafts())


def count(db: Session, *conditions) -> int:
    return db.scalar(select(func.count()).select_from(Category).where(*conditions)) or 0


def test_seed_stores_the_builtin_taxonomy_once(cli_env: Path, db: Session):
    first = run("categories", "seed")
    assert first.exit_code == 0, first.output
    assert f"已写入内置分类 {BUILTIN} 个" in first.output
    assert "已写入内置分类 0 个" in run("categories", "seed").output
    assert count(db) == BUILTIN


def test_import_taxonomy_reads_the_government_csv(cli_env: Path, db: Session, shared_data):
    result = run("categories", "import-taxonomy", str(shared_data / "messages" / "taxonomy.csv"))
    assert result.exit_code == 0, result.output
    assert "新增一级分类 15 个、二级分类 103 个" in result.output
    assert count(db, Category.source == "government") == 118


def test_a_bad_taxonomy_file_exits_with_a_message(cli_env: Path, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run("categories", "import-taxonomy", str(path))
    assert result.exit_code == 2
    assert "缺少列：一级分类, 二级分类" in result.output


def test_export_then_import_round_trips_and_a_bad_workbook_exits_1(
    cli_env: Path, db: Session, tmp_path: Path
):
    run("categories", "seed")
    target = tmp_path / "categories.xlsx"
    exported = run("categories", "export", str(target))
    assert exported.exit_code == 0, exported.output
    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet.max_row == BUILTIN + 1
    again = run("categories", "import", str(target))
    assert again.exit_code == 0, again.output
    assert f"更新 {BUILTIN} 个，错误 0 处" in again.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row(code="UM-01-50", parent_code="NOPE")]))
    refused = run("categories", "import", str(bad))
    assert refused.exit_code == 1
    assert "第 2 行“上级编码”列：上级分类 NOPE 不存在" in refused.output
    assert taxonomy.get_category(db, "UM-01-50") is None


def test_the_demo_city_comes_with_the_builtin_and_a_government_taxonomy_at_hand(
    cli_env: Path, db: Session, tmp_path: Path
):
    shared = tmp_path / "shared"
    (shared / "messages").mkdir(parents=True)
    (shared / "messages" / "taxonomy.csv").write_text(
        "一级分类,二级分类,三级分类\n政法,社会治安,打架\n政法,其他,其他\n", encoding="utf-8"
    )
    result = run("demo", "--grids", "160", "--cases", "0", "--shared-data", str(shared))
    assert result.exit_code == 0, result.output
    assert count(db, Category.source == "builtin") == BUILTIN
    assert count(db, Category.source == "government") == 2
