"""Scene rules and refused messages on the administrator's page, in a real browser."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms import deadletters
from tests.e2e.helpers import sign_in, zh
from tests.factories import People

pytestmark = pytest.mark.e2e

MARKUP = "<img src=x onerror=alert(1)>"


def test_an_administrator_adds_a_night_scene_rule_and_reads_a_refused_message_as_text(
    page: Any, db: Session, people: People, artifacts: Path
) -> None:
    deadletters.record(
        db,
        topic="frigate/events",
        payload=f'{{"camera": "{MARKUP}", "sub_label": "张三"'.encode(),
        refusal=ValueError("bad"),
        region_code=None,
        now=datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
    )
    db.commit()
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#scene-rules")
    page.wait_for_selector("#admin[data-state='ready'] #scene-rules[data-state='ready']")
    form = page.locator("#scene-rule-form")
    form.get_by_label(zh("page.scenes.name")).fill(MARKUP)
    form.get_by_label(zh("page.scenes.zone")).fill("perimeter")
    form.locator("#scene-window-start").fill("22:00")
    form.locator("#scene-window-end").fill("06:00")
    form.get_by_label(zh("page.scenes.alarm_type")).select_option("intrusion")
    form.get_by_role("button", name=zh("page.scenes.add")).click()
    row = page.locator("#scene-rules-table tbody tr").first
    expect(row.locator("td").first).to_have_text(MARKUP)
    expect(row).to_contain_text("22:00–06:00")
    letter = page.locator("#dead-letters-table tbody tr").first
    expect(letter.locator("code")).to_contain_text(MARKUP)
    expect(letter).not_to_contain_text("张三")
    page.screenshot(path=str(artifacts / "admin-scene-rules.png"), full_page=True)
    assert page.locator("#scene-rules-table img, #dead-letters-table img").count() == 0
    assert dialogs == []
