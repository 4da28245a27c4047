"""In a real browser: an administrator reads a source's saved mapping, uploads a 110 file
with bad rows and sees each bad row with its reason and nothing imported, and reads the
watched folder's latest run; on a desktop and on a phone."""

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.db import make_session_factory
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from civicgrid.sources.watch import take_drops
from tests.e2e.helpers import policy_refusals, record_policy_violations, sign_in, zh
from tests.factories import (
    OWN_GRID,
    POLICE_HEADINGS,
    City,
    People,
    police_row,
    police_source,
    write_csv,
)

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SOURCE = "110-city"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with a watched folder, so the page has runs to show."""
    return settings.model_copy(update={"sources_watch_dir": tmp_path / "drops"})


def _bad_file(path: Path, city: City) -> Path:
    point = city.point_in(OWN_GRID)
    rows = [
        police_row("JQ1", "2026-11-03 08:00", "盗窃", point),
        police_row("JQ2", "not a time", "盗窃", point),
        police_row("JQ3", "2026-11-03 09:00", "飞碟降落", point),
    ]
    return write_csv(path, rows, POLICE_HEADINGS)


@pytest.fixture
def dropped(db: Session, city: City, engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """A bad drop the worker has already taken (and filed under failed/)."""
    police_source(db, name=SOURCE)
    folder = settings.sources_watch_dir
    assert folder is not None
    (folder / SOURCE).mkdir(parents=True)
    drop = _bad_file(folder / SOURCE / "night.csv", city)
    settled = time.time() - 120
    os.utime(drop, (settled, settled))
    sessions = make_session_factory(engine)
    take_drops(sessions, root=folder, grid_index=GridIndex(), settle=60)


@pytest.mark.usefixtures("dropped")
def test_a_bad_file_shows_each_bad_row_with_its_reason_and_imports_nothing(
    page: Any, people: People, city: City, tmp_path: Path, artifacts: Path
) -> None:
    page.set_viewport_size(DESKTOP)
    record_policy_violations(page)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/sources")
    expect(page.locator("#sources-page")).to_have_attribute("data-state", "ready")
    row = page.locator("#sources tbody tr", has_text=SOURCE)
    expect(row).to_contain_text(zh("page.sources.kind.police_110"))
    row.get_by_role("button", name=zh("page.sources.show_mapping")).click()
    expect(page.locator("#mapping-columns")).to_contain_text("警情编号")
    expect(page.locator("#mapping-classes")).to_contain_text("盗窃")
    drop = page.locator("#drops tbody tr", has_text="night.csv")
    expect(drop).to_contain_text(zh("page.sources.outcome.failed"))

    form = page.locator("#upload-form")
    form.get_by_label(zh("page.sources.upload.file")).set_input_files(
        str(_bad_file(tmp_path / "upload.csv", city))
    )
    form.get_by_role("button", name=zh("page.sources.upload.submit")).click()

    summary = page.locator("#report-summary")
    expect(summary).to_have_attribute("data-refused", "true")
    expect(summary).to_contain_text("未导入任何数据")
    errors = page.locator("#report-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("not a time")
    expect(errors.nth(1)).to_contain_text("飞碟降落")
    expect(row.locator("td").nth(3)).to_have_text("0")
    page.screenshot(path=str(artifacts / "sources-refused-1366.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts / "sources-refused-390.png"), full_page=True)
    assert policy_refusals(page) == []


def test_a_leader_is_sent_to_the_workbench_from_the_sources_page(page: Any, people: People) -> None:
    sign_in(page, people.leader.username, people.leader.password)
    page.goto("/sources")

    expect(page).to_have_url(re.compile(r"/desk$"))
