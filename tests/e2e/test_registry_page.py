"""In a real browser: community staff find a resident, see numbers masked, reveal one with a
reason; the leader reads that reveal in the audit. Nothing unmasked appears unasked."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from civicgrid.masking import mask_id_number
from tests.e2e.helpers import sign_in
from tests.factories import City, People, resident, write_csv
from tests.registry.conftest import (  # noqa: F401  (fixtures)
    WANG,
    Registry,
    grid_index,
    registry,
)

pytestmark = pytest.mark.e2e


def test_staff_reveal_a_number_with_a_reason_and_the_leader_reads_the_audit(
    page: Any,
    people: People,
    registry: Registry,  # noqa: F811
    artifacts: Path,
) -> None:
    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/registry")
    form = page.locator("#search-form")
    form.get_by_label("身份证号（18位）").fill(WANG)
    form.get_by_role("button", name="查询").click()
    rows = page.locator("#residents tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王小明")
    expect(rows.first).to_contain_text(mask_id_number(WANG))
    assert WANG not in page.content()
    page.screenshot(path=str(artifacts / "registry-search.png"), full_page=True)

    rows.first.get_by_role("button", name="查看王小明的完整信息").click()
    dialog = page.locator("#reveal-dialog")
    dialog.get_by_role("button", name="查看").click()
    expect(dialog.locator(".field-error")).to_be_visible()  # no reason, no reveal
    dialog.get_by_label("查看理由").fill("核实独居老人走访身份")
    dialog.get_by_role("button", name="查看").click()
    expect(dialog.locator("#reveal-value")).to_contain_text(WANG)
    page.screenshot(path=str(artifacts / "registry-revealed.png"), full_page=True)

    page.goto("/registry")
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, people.leader.username, people.leader.password)
    page.goto("/registry")
    page.get_by_role("button", name="加载查看记录").click()
    audit = page.locator("#audit tbody tr")
    expect(audit).to_have_count(1)
    expect(audit.first).to_contain_text("核实独居老人走访身份")
    expect(audit.first).to_contain_text("peer")
    assert page.locator("#residents").is_hidden()


def test_a_dispatcher_may_search_but_has_no_reveal_button(
    page: Any,
    people: People,
    registry: Registry,  # noqa: F811
) -> None:
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/registry")
    page.locator("#search-form").get_by_label("身份证号（18位）").fill(WANG)
    page.locator("#search-form").get_by_role("button", name="查询").click()
    expect(page.locator("#residents tbody tr")).to_have_count(1)
    assert page.locator("#residents button").count() == 0


def test_staff_import_a_file_whose_bad_row_is_reported_then_skip_it(
    page: Any, people: People, city: City, tmp_path: Path, artifacts: Path
) -> None:
    rows = [resident(1, name="张三"), resident(2, name="李四", number="5.30502E+17")]
    path = write_csv(tmp_path / "住户.csv", rows)
    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/registry")
    form = page.locator("#import-form")
    form.get_by_label("文件").set_input_files(str(path))
    form.get_by_role("button", name="上传").click()
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("整个文件未导入")
    problems = page.locator("#import-errors tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("3")  # the row number as Excel shows it
    expect(problems.first).to_contain_text("Excel")
    page.screenshot(path=str(artifacts / "registry-import-refused.png"), full_page=True)

    form.get_by_label("跳过出错的行，导入其余各行").check()
    form.get_by_role("button", name="上传").click()
    expect(summary).to_contain_text("导入 1 行")
