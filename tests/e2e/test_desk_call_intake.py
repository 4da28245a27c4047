"""In a real browser at 1366×768: a hotline operator files a call at the desk with the
caller's name and phone, a place from the search box, the category suggested while
typing and the open report it may repeat shown before filing."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from civicgrid.cases.reporters import Reporter, reporter_of
from civicgrid.categories.seeds import seed_builtin
from tests.e2e.helpers import post_from_page, sign_in, zh
from tests.factories import OWN_GRID, City, People, new_case

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}


def test_an_operator_files_a_call_seeing_the_category_and_the_case_it_repeats(
    page: Any, db: Session, city: City, people: People, artifacts: Path
) -> None:
    seed_builtin(db)
    earlier = new_case(db, city)
    db.commit()
    page.set_viewport_size(DESKTOP)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    lng, lat = city.point_in(OWN_GRID)
    market = post_from_page(
        page,
        "/api/v1/registry/key-places",
        {
            "name": "兰城农贸市场",
            "kind": "market",
            "address": {"address": "兰城路8号", "lng": lng, "lat": lat},
        },
    )
    assert market.status == 201, market.text()

    form = page.locator("#intake-form")
    form.get_by_label(zh("page.desk.intake.caller_name")).fill("王大妈")
    form.get_by_label(zh("page.desk.intake.caller_phone")).fill("13912345678")
    form.get_by_label(zh("page.desk.intake.channel")).select_option(
        label=zh("page.desk.channel.walk_in")
    )
    box = page.get_by_role("combobox", name=zh("page.place_search.label"))
    box.fill("兰城农贸")
    page.get_by_role("option", name="兰城农贸市场").first.click()
    expect(page.locator("#intake-grid")).to_contain_text(OWN_GRID)
    form.get_by_label(zh("page.desk.intake.description")).fill("路灯不亮。")

    expect(page.locator("#intake-suggestion")).to_contain_text("建议类别")
    expect(page.locator("#intake-duplicates")).to_contain_text(earlier.number)
    page.get_by_role("button", name=zh("page.desk.intake.use_suggestion")).click()
    chosen = form.get_by_label(zh("page.desk.intake.category")).input_value()
    assert chosen
    page.locator(".desk-intake").screenshot(path=str(artifacts / "desk-call-intake-1366.png"))

    page.get_by_role("button", name=zh("page.desk.intake.submit")).click()
    done = page.locator("#intake-done")
    expect(done).to_be_visible()
    number = done.inner_text().split()[-1]
    db.expire_all()
    case = db.scalars(select(Case).where(Case.number == number)).one()
    assert (case.channel, case.category_code, case.grid_code) == ("walk_in", chosen, OWN_GRID)
    assert reporter_of(case) == Reporter(phone="13912345678", name="王大妈")
    expect(page.locator("#intake-duplicates")).to_contain_text(zh("page.desk.intake.no_duplicates"))
    page.screenshot(path=str(artifacts / "desk-call-filed-1366.png"), full_page=True)


def test_a_refused_call_shows_the_reason_in_chinese(page: Any, city: City, people: People) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    form = page.locator("#intake-form")
    form.get_by_label(zh("page.desk.intake.description")).fill("有人反映噪音扰民")
    page.get_by_role("button", name=zh("page.desk.intake.submit")).click()
    expect(form.locator(".form-error")).to_have_text(zh("error.case_location_required"))
