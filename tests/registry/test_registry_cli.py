"""`civicgrid registry import|export`: row reports in Chinese, exit codes, masked workbooks."""

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.i18n import translate
from civicgrid.registry.models import Resident
from civicgrid.registry.protection import FieldCipher
from tests.factories import OTHER_GRID, OWN_GRID, City, id_number, resident, run, write_csv


def residents(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Resident)) or 0


def test_a_clean_file_is_imported_and_exits_zero(
    cli_env: Path, city: City, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "people.csv", [resident(1), resident(2)])
    result = run("registry", "import", str(path), "--kind", "residents")
    assert result.exit_code == 0, result.output
    assert "people.csv（实有人口）：读取 2 行，导入 2 行，出错 0 行" in result.output
    assert "已导入" in result.output
    assert residents(db) == 2


def test_bad_rows_are_listed_in_chinese_nothing_is_imported_and_it_exits_non_zero(
    cli_env: Path, city: City, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "bad.csv", [resident(1), resident(2, number="5.30502E+17")])
    result = run("registry", "import", str(path), "--kind", "residents")
    assert result.exit_code == 1
    assert "文件有错误，未导入任何数据" in result.output
    assert "第 3 行“公民身份号码”列：身份证号" in result.output
    assert "已被 Excel 转成数字" in result.output
    assert residents(db) == 0


def test_skip_bad_rows_imports_the_rest_and_dry_run_writes_nothing(
    cli_env: Path, city: City, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "mixed.csv", [resident(1), resident(2, number="x")])
    dry = run("registry", "import", str(path), "--kind", "residents", "--dry-run")
    skipping = run("registry", "import", str(path), "--kind", "residents", "--skip-bad-rows")
    assert dry.exit_code == 1
    assert "检查发现问题（试运行），未写入任何数据" in dry.output
    assert skipping.exit_code == 0, skipping.output
    assert "已导入没有问题的行，出错的行已跳过" in skipping.output
    assert residents(db) == 1


def test_export_writes_a_masked_workbook_of_the_scope(cli_env: Path, city: City, tmp_path: Path):
    path = write_csv(tmp_path / "p.csv", [resident(1), resident(2, grid=OTHER_GRID)])
    assert run("registry", "import", str(path), "--kind", "residents").exit_code == 0
    target = tmp_path / "out.xlsx"

    result = run("registry", "export", "--kind", "residents", str(target), "--scope", OWN_GRID)

    assert result.exit_code == 0, result.output
    assert "已导出 1 条实有人口记录" in result.output
    rows = list(load_workbook(target, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2
    assert id_number(1) not in str(rows)
    assert rows[1][1] == "5305**********" + id_number(1)[-4:]


def test_a_bad_scope_code_exits_with_a_message(cli_env: Path, tmp_path: Path):
    result = run("registry", "export", str(tmp_path / "x.xlsx"), "--scope", "12")
    assert result.exit_code == 2
    assert "区划代码“12”不合法" in result.output


def test_rotating_keys_reseals_every_value_and_a_resume_finds_nothing_left(
    cli_env: Path, city: City, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "people.csv", [resident(1), resident(2)])
    assert run("registry", "import", str(path), "--kind", "residents").exit_code == 0
    rotated = run("registry", "rotate-keys")
    assert rotated.exit_code == 0, rotated.output
    db.rollback()
    tokens = db.scalars(select(Resident.document_token)).all()
    assert {FieldCipher.key_id_of(token) for token in tokens} == {2}
    resumed = run("registry", "rotate-keys", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert translate("cli.registry_keys_rotated", "zh-CN", count=0) in resumed.output
