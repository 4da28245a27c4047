"""In a real browser: the administrator adds a department and an account, changes a category's
time limits, adds and removes a routing rule, and checks a grid file; refusals show at the form."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.categories.in_force import taxonomy_in_force
from civicgrid.categories.seeds import seed_builtin
from civicgrid.i18n import translate
from tests.e2e.helpers import pick_region, sign_in
from tests.factories import City, People, community_grids

pytestmark = pytest.mark.e2e


def zh(message_id: str, **params: Any) -> str:
    return translate(message_id, "zh-CN", **params)


def test_the_administrator_manages_the_platform_from_one_page(
    page: Any, db: Session, city: City, people: People, *, tmp_path: Path, artifacts: Path
) -> None:
    seed_builtin(db)
    db.commit()
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin")
    page.wait_for_selector("#admin[data-state='ready']")

    departments = page.locator("#department-form")
    departments.get_by_label(zh("page.admin.department.code")).fill("530502-urban")
    departments.get_by_label(zh("page.admin.department.name")).fill("城管局")
    departments.get_by_label(zh("page.admin.department.kind")).select_option(label="城市管理")
    pick_region(departments.get_by_label(zh("page.admin.department.region")), "530502", "530502")
    departments.get_by_role("button", name=zh("page.admin.add")).click()
    added_department = page.locator("#departments-table tr", has_text="城管局")
    expect(added_department).to_contain_text("城市管理")

    users = page.locator("#user-form")
    users.get_by_label(zh("page.admin.user.username")).fill("handler2")
    users.get_by_label(zh("page.admin.user.password")).fill("short")
    users.get_by_label(zh("page.admin.user.role")).select_option("department_handler")
    pick_region(users.get_by_label(zh("page.admin.user.scope")), "530502", "530502")
    users.get_by_label(zh("page.admin.user.department")).select_option(label="城管局")
    users.get_by_role("button", name=zh("page.admin.add")).click()
    expect(users.locator(".field-error")).to_be_visible()  # the API refuses an 8-less password
    users.get_by_label(zh("page.admin.user.password")).fill("a-longer-password")
    users.get_by_role("button", name=zh("page.admin.add")).click()
    expect(page.locator("#account-status")).to_have_text(
        zh("page.admin.account.created", username="handler2")
    )
    new_account = page.locator("#users-table tr", has_text="handler2")
    expect(new_account).to_contain_text(zh("page.admin.account.must_change"))

    first = page.locator("#categories-table tbody tr").first
    code = first.locator("td").first.inner_text()
    first.get_by_role("button", name=zh("page.admin.category.edit")).click()
    dialog = page.locator("#sla-dialog")
    dialog.get_by_label(f"{zh('page.admin.stage.resolve')}（{zh('page.admin.hours')}）").fill("36")
    dialog.get_by_role("button", name=zh("page.admin.save")).click()
    expect(page.locator("#categories-table tbody tr").first).to_contain_text("36")
    assert page.locator("#categories-table tbody tr").first.locator("td").first.inner_text() == code

    rules = page.locator("#rule-form")
    rules.get_by_label(zh("page.admin.rule.name")).fill("路灯归城管")
    rules.get_by_label(zh("page.admin.rule.category_prefix")).select_option(
        label=zh("page.admin.rule.whole_group", name="设施管理")
    )
    rules.get_by_label(zh("page.admin.rule.target_level")).select_option("district")
    rules.get_by_label(zh("page.admin.rule.department_kind")).select_option(label="城市管理")
    rules.get_by_role("button", name=zh("page.admin.add")).click()
    added = page.locator("#rules-table tbody tr", has_text="路灯归城管")
    expect(added).to_have_count(1)
    expect(added).to_contain_text("设施管理")  # names, the codes only on hover
    expect(added).to_contain_text("城市管理")
    expect(added).not_to_contain_text("UM-03")
    expect(added).not_to_contain_text("urban_management")
    page.once("dialog", lambda confirm: confirm.accept())
    added.get_by_role("button", name=zh("page.admin.delete")).click()
    expect(added).to_have_count(0)

    resources = page.locator("#resource-form")
    lng, lat = city.point_in("530502001001001")
    resources.get_by_label(zh("page.admin.resource.kind")).select_option("shelter")
    resources.get_by_label(zh("page.admin.resource.name")).fill("兰城避难场所")
    resources.get_by_label(zh("page.admin.resource.lng")).fill(str(lng))
    resources.get_by_label(zh("page.admin.resource.lat")).fill(str(lat))
    resources.get_by_label(zh("page.admin.resource.contact")).fill("值班室 0875-1234567")
    resources.get_by_role("button", name=zh("page.admin.add")).click()
    expect(page.locator("#resources-table")).to_contain_text("兰城避难场所")
    expect(page.locator("#resources-table")).to_contain_text("530502001001001")

    grid_file = tmp_path / "grids.geojson"
    grid_file.write_bytes(community_grids(city))
    page.locator("#grid-form").get_by_label(zh("page.admin.grid.file")).set_input_files(
        str(grid_file)
    )
    page.locator("#grid-form").get_by_role("button", name=zh("page.admin.upload")).click()
    expect(page.locator("#grid-report")).to_have_attribute("data-ok", "true")
    page.screenshot(path=str(artifacts / "admin.png"), full_page=True)


def test_staff_who_keep_neither_settings_nor_devices_are_turned_away_from_the_admin_page(
    page: Any, people: People
) -> None:
    # Dispatchers open it for the devices section (test_sensing_pages); community staff do not.
    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/admin")
    page.wait_for_url("**/desk")
    assert page.locator("a[href='/admin']").count() == 0


def test_a_city_administrator_puts_a_taxonomy_in_force_from_the_page(
    page: Any, db: Session, people: People, artifacts: Path
) -> None:
    seed_builtin(db)
    db.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#categories")
    page.wait_for_selector("#admin[data-state='ready']")
    form = page.locator("#taxonomy-form")
    choice = form.get_by_label(zh("page.admin.taxonomy_in_force"))
    expect(choice).to_have_value("all")
    choice.select_option(label=zh("taxonomy_in_force.builtin"))
    form.get_by_role("button", name=zh("page.admin.save")).click()
    expect(page.locator("#taxonomy-status")).to_have_text(
        zh("page.admin.taxonomy_in_force.saved", name=zh("taxonomy_in_force.builtin"))
    )
    assert taxonomy_in_force(db) == "builtin"
    page.reload()
    page.wait_for_selector("#admin[data-state='ready']")
    expect(page.locator("#taxonomy-choice")).to_have_value("builtin")
    page.locator("#categories").screenshot(path=str(artifacts / "admin-taxonomy-in-force.png"))
