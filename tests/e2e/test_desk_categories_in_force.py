"""In a real browser: with the government taxonomy in force, the desk's intake and the
resident's report offer its categories to file under, and none of the built-in ones."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.e2e.helpers import sign_in, zh
from tests.factories import (
    GOVERNMENT_MUNICIPAL,
    People,
    put_government_taxonomy_in_force,
)

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
BUILT_IN_STREET_LIGHT = "路灯故障"


def offered(page: Any, select_id: str) -> tuple[list[str], list[str]]:
    """The option texts of a category list once it is filled, and its group labels."""
    select = page.locator(f"#{select_id}")
    expect(select.locator("optgroup").first).to_be_attached()
    options = select.locator("option").all_text_contents()
    groups = select.locator("optgroup").evaluate_all("nodes => nodes.map((node) => node.label)")
    return options, groups


def test_with_the_government_taxonomy_in_force_the_desk_offers_only_its_categories(
    page: Any, db: Session, people: People, *, tmp_path: Path, artifacts: Path
) -> None:
    put_government_taxonomy_in_force(db, tmp_path)
    page.set_viewport_size(DESKTOP)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/desk")
    expect(page.locator("#intake-category")).to_have_attribute("data-state", "ready")
    options, groups = offered(page, "intake-category")
    assert GOVERNMENT_MUNICIPAL in options
    assert BUILT_IN_STREET_LIGHT not in options
    assert "城乡建设" in groups
    form = page.locator("#intake-form")
    form.get_by_label(zh("page.desk.intake.category")).select_option(label=GOVERNMENT_MUNICIPAL)
    page.locator(".desk-intake").screenshot(path=str(artifacts / "desk-categories-in-force.png"))

    page.goto("/report")
    options, _ = offered(page, "category_code")
    assert GOVERNMENT_MUNICIPAL in options
    assert BUILT_IN_STREET_LIGHT not in options
