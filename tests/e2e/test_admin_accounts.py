"""In a real browser at 1366×768: an administrator edits an account, resets its password,
deactivates it (its open session ends), moves a routing rule, edits it, and previews where
a sample case would go."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.cases import routing
from tests.e2e.helpers import pick_region, sign_in, zh
from tests.factories import OWN_DISTRICT, OWN_GRID, City, People, user_row

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}


def test_an_administrator_edits_resets_and_deactivates_an_account(
    page: Any, window: Any, db: Session, people: People, *, artifacts: Path
) -> None:
    peer_window = window(viewport=DESKTOP)
    sign_in(peer_window, people.peer.username, people.peer.password)
    peer_window.goto("/desk")
    peer_window.wait_for_selector("#queue-table[data-state='ready']")
    page.set_viewport_size(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin")
    page.wait_for_selector("#admin[data-state='ready']")
    peer_row = page.locator("#users-table tr", has_text="peer")

    peer_row.get_by_role("button", name=zh("page.admin.account.edit")).click()
    dialog = page.locator("#account-dialog")
    dialog.get_by_label(zh("page.admin.user.display_name")).fill("李网格员")
    dialog.get_by_label(zh("page.admin.user.role")).select_option(label=zh("page.role.grid_worker"))
    pick_region(dialog.get_by_label(zh("page.admin.user.scope")), OWN_GRID, OWN_GRID)
    dialog.get_by_role("button", name=zh("page.admin.save")).click()
    expect(peer_row).to_contain_text("李网格员")
    expect(peer_row).to_contain_text(zh("page.role.grid_worker"))

    expect(peer_row).not_to_contain_text(zh("page.admin.account.must_change"))
    peer_row.get_by_role("button", name=zh("page.admin.account.reset")).click()
    expect(page.locator("#account-status")).to_contain_text("临时密码")
    expect(page.locator("#account-status")).to_contain_text("下次登录时须改为自己的密码")
    expect(peer_row).to_contain_text(zh("page.admin.account.must_change"))
    peer_row.get_by_role("button", name=zh("page.admin.account.deactivate")).click()
    expect(peer_row).to_contain_text(zh("page.admin.account.inactive"))
    page.locator("#users").screenshot(path=str(artifacts / "admin-accounts-1366.png"))
    db.expire_all()
    assert user_row(db, "peer").active is False

    peer_window.goto("/desk")
    expect(peer_window.get_by_label("用户名")).to_be_visible()


def test_an_administrator_reorders_edits_and_previews_routing_rules(
    page: Any, db: Session, city: City, people: People, artifacts: Path
) -> None:
    routing.create_rule(db, routing.RuleIn(name="全部到街道", target_level="street"))
    routing.create_rule(
        db, routing.RuleIn(name="热线到区", target_level="district", channel="hotline_12345")
    )
    db.commit()
    page.set_viewport_size(DESKTOP)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#rules")
    page.wait_for_selector("#admin[data-state='ready']")

    preview = page.locator("#rule-preview-form")
    pick_region(preview.get_by_label(zh("page.admin.rule_preview.region")), OWN_GRID, OWN_GRID)
    preview.get_by_label(zh("page.admin.rule.channel")).select_option(
        label=zh("page.desk.channel.hotline_12345")
    )
    preview.get_by_role("button", name=zh("page.admin.rule_preview.submit")).click()
    result = page.locator("#rule-preview-result")
    expect(result).to_contain_text("全部到街道")

    page.get_by_role("button", name=zh("page.admin.rule_order.up_named", name="热线到区")).click()
    first = page.locator("#rules-table tbody tr").first
    expect(first).to_contain_text("热线到区")
    preview.get_by_role("button", name=zh("page.admin.rule_preview.submit")).click()
    expect(result).to_contain_text("命中第 1 条规则“热线到区”")
    expect(result).to_contain_text(f"区{OWN_DISTRICT}")

    page.get_by_role("button", name=zh("page.admin.rule_order.edit_named", name="热线到区")).click()
    form = page.locator("#rule-form")
    form.get_by_label(zh("page.admin.rule.name")).fill("12345 热线到区")
    pick_region(form.get_by_label(zh("page.admin.rule.region_prefix")), OWN_DISTRICT, OWN_DISTRICT)
    form.get_by_role("button", name=zh("page.admin.add")).click()
    expect(first).to_contain_text("12345 热线到区")
    expect(first).to_contain_text(f"区{OWN_DISTRICT}")  # the area by name
    expect(page.locator("#rules-table tbody tr")).to_have_count(2)

    # Editing the rule again shows its area by name in the picker, not as a code to retype.
    edit = zh("page.admin.rule_order.edit_named", name="12345 热线到区")
    page.get_by_role("button", name=edit).click()
    expect(form.get_by_label(zh("page.admin.rule.region_prefix"))).to_have_attribute(
        "title", OWN_DISTRICT
    )
    page.locator("#rules").screenshot(path=str(artifacts / "admin-rules-preview-1366.png"))
