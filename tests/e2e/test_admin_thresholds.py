"""In a real browser: a city administrator adds a sensor threshold rule on the admin page,
and a limit that is not a number is refused at its field in Chinese."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import ThresholdRule
from civicgrid.i18n import translate
from tests.e2e.helpers import sign_in
from tests.factories import City, People

pytestmark = pytest.mark.e2e


def zh(message_id: str, **params: Any) -> str:
    return translate(message_id, "zh-CN", **params)


def test_a_city_administrator_adds_a_threshold_rule_and_a_bad_limit_is_refused_in_chinese(
    page: Any, db: Session, city: City, people: People, *, artifacts: Path
) -> None:
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#thresholds")
    page.wait_for_selector("#admin[data-state='ready']")
    expect(page.locator("#thresholds-empty")).to_have_text(zh("page.thresholds.none"))

    form = page.locator("#threshold-form")
    form.get_by_label(zh("page.thresholds.measure")).select_option("water_level")
    form.get_by_label(zh("page.thresholds.comparison")).select_option(">")
    form.get_by_label(zh("page.thresholds.limit")).fill("很高")
    form.get_by_label(zh("page.thresholds.duration")).fill("600")
    form.get_by_role("button", name=zh("page.thresholds.save")).click()
    refusal = form.locator('[data-field="limit"] .field-error')
    expect(refusal).to_have_text(zh("validation.float_parsing"))
    expect(form.get_by_label(zh("page.thresholds.limit"))).to_have_attribute("aria-invalid", "true")

    form.get_by_label(zh("page.thresholds.limit")).fill("2.8")
    form.get_by_role("button", name=zh("page.thresholds.save")).click()
    row = page.locator("#thresholds-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("> 2.8 m")
    expect(row).to_contain_text(zh("page.thresholds.seconds", seconds=600))
    expect(form.locator(".field-error")).to_have_count(0)
    page.screenshot(path=str(artifacts / "admin-thresholds.png"), full_page=True)

    db.expire_all()
    rule = db.scalars(select(ThresholdRule)).one()
    assert (rule.measure, rule.comparison, rule.limit, rule.duration_seconds) == (
        "water_level",
        ">",
        2.8,
        600,
    )
