"""In a real browser: a person whose password an administrator reset signs in with the
temporary one, lands on the change page, cannot get past it to the workbench, chooses
their own password and then works as before."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.auth.accounts import reset_password
from civicgrid.auth.service import actor_for_user
from tests.e2e.helpers import sign_in, zh
from tests.factories import People, user_row

pytestmark = pytest.mark.e2e


def test_a_reset_account_changes_its_password_before_reaching_the_workbench(
    page: Any, db: Session, people: People, artifacts: Path
) -> None:
    admin = actor_for_user(user_row(db, people.admin.username))
    _, temporary = reset_password(db, admin, user_row(db, people.peer.username).id)
    db.commit()
    sign_in(page, people.peer.username, temporary)
    page.wait_for_url("**/password")
    heading = page.get_by_role("heading", name=zh("page.case_view.password.title"))
    expect(heading).to_be_visible()
    expect(page.locator("#password-why")).to_have_text(zh("page.case_view.password.required"))
    page.screenshot(path=str(artifacts / "password-change-1366.png"), full_page=True)

    page.goto("/desk")
    page.wait_for_url("**/password?next=%2Fdesk")
    page.get_by_label(zh("page.case_view.password.current_password")).fill(temporary)
    page.get_by_label(zh("page.case_view.password.new_password")).fill("my-own-choice-7")
    page.get_by_label(zh("page.case_view.password.confirm_password")).fill("not-the-same-1")
    page.get_by_role("button", name=zh("page.case_view.password.submit")).click()
    expect(page.get_by_role("alert")).to_have_text(zh("page.case_view.password.mismatch"))

    page.get_by_label(zh("page.case_view.password.current_password")).fill(temporary)
    page.get_by_label(zh("page.case_view.password.new_password")).fill("my-own-choice-7")
    page.get_by_label(zh("page.case_view.password.confirm_password")).fill("my-own-choice-7")
    page.get_by_role("button", name=zh("page.case_view.password.submit")).click()
    page.wait_for_url("**/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    db.expire_all()
    assert user_row(db, people.peer.username).must_change_password is False
