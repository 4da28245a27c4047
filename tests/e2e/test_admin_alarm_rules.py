"""In a real browser: a city administrator reads the alarm rules and sets one type's storm
threshold; a refused value shows at its field in Chinese."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms.rules import rules_in_force
from civicgrid.categories.seeds import seed_builtin
from civicgrid.i18n import translate
from tests.e2e.helpers import sign_in
from tests.factories import City, People

pytestmark = pytest.mark.e2e


def zh(message_id: str, **params: Any) -> str:
    return translate(message_id, "zh-CN", **params)


def test_a_city_administrator_sets_an_alarm_types_storm_threshold_on_the_admin_page(
    page: Any, db: Session, city: City, people: People, *, artifacts: Path
) -> None:
    seed_builtin(db)
    db.commit()
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#alarm_rules")
    page.wait_for_selector("#admin[data-state='ready']")
    row = page.locator("#alarm-rules-table tbody tr", has_text="可燃气体泄漏")
    expect(row).to_contain_text(zh("page.alarm_rules.off"))

    row.get_by_role("button", name=zh("page.alarm_rules.edit")).click()
    form = page.locator("#alarm-rule-form")
    form.get_by_label(zh("page.alarm_rules.field.storm_count")).fill("-3")
    form.get_by_role("button", name=zh("page.alarm_rules.save")).click()
    expect(form.locator(".field-error")).to_be_visible()  # the API refuses a negative count

    form.get_by_label(zh("page.alarm_rules.field.storm_count")).fill("30")
    form.get_by_label(zh("page.alarm_rules.field.storm_minutes")).fill("5")
    form.get_by_role("button", name=zh("page.alarm_rules.save")).click()
    expect(row).to_contain_text(zh("page.alarm_rules.per_window", count=30, minutes=5))
    page.screenshot(path=str(artifacts / "admin-alarm-rules.png"), full_page=True)

    db.expire_all()
    gas = rules_in_force(db)["gas_leak"]
    assert (gas.storm_count, gas.storm_minutes, gas.version) == (30, 5, 1)
