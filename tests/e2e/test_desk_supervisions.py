"""In a real browser: the case view on the desk lists the 督办 the SLA clock raised on an
overdue case, with when, to whom and the deadline it presses, as text."""

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.cases.supervision import sweep
from tests.e2e.helpers import open_case, sign_in, zh
from tests.factories import OWN_DISTRICT, City, People, reported_by_phone

pytestmark = pytest.mark.e2e


def test_the_case_view_lists_the_supervision_raised_on_an_overdue_case(
    page: Any, db: Session, city: City, people: People, artifacts: Any
) -> None:
    case = reported_by_phone(db, city)
    db.commit()
    assert case.stage_due_at is not None
    sweep(db, case.stage_due_at + timedelta(days=2), "worker:e2e")
    db.commit()
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    open_case(page, case.number)
    entries = page.locator("#case-supervisions li")
    expect(entries).to_have_count(1)
    text = entries.first.inner_text()
    assert zh("page.case_view.kind.supervise") in text
    assert zh("page.case_view.by_clock") in text
    assert f"区{OWN_DISTRICT}" in text  # addressed to the district centre, by name
    assert zh("page.case_view.deadline", at="").strip() in text
    assert entries.first.get_attribute("data-kind") == "supervise"
    page.screenshot(path=str(artifacts / "desk-case-supervisions.png"), full_page=True)
