"""Names, not codes (issue 14, the faces): staff choose a district, street, community or
grid by its name, from a search box or a tree of their own area, with the mouse or the
keyboard alone, on a laptop or a phone; mediation names its places and people; an
administrator's header fits a 1366 px screen."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.disputes.conftest import GRID, mediators  # noqa: F401  (fixture)
from tests.e2e.helpers import pick_region, sign_in, zh
from tests.factories import CITY, OWN_COMMUNITY, OWN_STREET, PASSWORD, People

pytestmark = pytest.mark.e2e

SIZES = {"1366": (1366, 768), "1920": (1920, 1080), "390": (390, 844)}
PLACE = f"街道{OWN_STREET} · 社区{OWN_COMMUNITY} · 网格{GRID}"


def at_size(page: Any, size: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})


def inside_the_window(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    return (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    )


def test_a_grid_is_chosen_from_the_tree_with_the_keyboard_alone_on_a_phone(
    page: Any,
    people: People,
    mediators: dict[str, Any],  # noqa: F811
    artifacts: Path,
) -> None:
    at_size(page, "390")
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/mediation")
    page.wait_for_selector("#mediation[data-state='ready']")
    form = page.locator("#register-form")
    box = form.get_by_label(zh("page.mediation.region"))
    expect(box).to_have_attribute("role", "combobox")

    browse = form.get_by_role("button", name=zh("page.picker.browse"))
    browse.focus()
    page.keyboard.press("Enter")
    tree = form.get_by_role("tree", name=zh("page.picker.tree"))
    expect(tree).to_be_visible()
    root = tree.get_by_role("treeitem").first
    expect(root).to_be_focused()
    expect(root).to_have_attribute("aria-expanded", "true")
    expect(root).to_have_attribute("title", OWN_STREET)
    page.keyboard.press("ArrowDown")
    community = tree.get_by_role("treeitem", name=re.compile(f"^社区{OWN_COMMUNITY}"))
    expect(community).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(community).to_have_attribute("aria-expanded", "true")
    grid = tree.get_by_role("treeitem", name=re.compile(f"^网格{GRID}"))
    expect(grid).to_be_visible()
    assert inside_the_window(page, tree)
    page.screenshot(path=str(artifacts / "picker-tree-390.png"), full_page=True)
    page.keyboard.press("ArrowRight")
    expect(grid).to_be_focused()
    page.keyboard.press("Enter")

    expect(tree).to_be_hidden()
    expect(page.locator("#reg-region")).to_have_value(GRID)
    expect(box).to_have_value(f"网格{GRID}")
    expect(box).to_have_attribute("title", GRID)
    expect(form.locator(".region-picker-chosen")).to_have_text(
        zh("page.picker.chosen", place=f"区530502 · {PLACE}")
    )

    form.get_by_label(zh("page.mediation.description")).fill("邻里噪音纠纷")
    form.locator("#party-applicant-name").fill("张三")
    form.locator("#party-respondent-name").fill("李四")
    form.get_by_role("button", name=zh("page.mediation.register.submit")).click()
    expect(page.locator("#detail-facts").get_by_title(GRID)).to_have_text(PLACE)
    page.screenshot(path=str(artifacts / "picker-mediation-registered-390.png"), full_page=True)


def test_mediation_names_its_place_its_mediator_and_who_acted_with_the_codes_on_hover(
    page: Any,
    people: People,
    mediators: dict[str, Any],  # noqa: F811
    artifacts: Path,
) -> None:
    at_size(page, "1366")
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/mediation")
    page.wait_for_selector("#mediation[data-state='ready']")
    form = page.locator("#register-form")
    # No mediator of the street takes labour disputes by profile: the centre assigns one.
    form.get_by_label(zh("page.mediation.col.kind")).select_option("labour")
    pick_region(form.get_by_label(zh("page.mediation.region")), f"网格{GRID}", GRID)
    form.get_by_label(zh("page.mediation.description")).fill("楼上漏水，协商未果")
    form.locator("#party-applicant-name").fill("张三")
    form.locator("#party-respondent-name").fill("李四")
    form.get_by_role("button", name=zh("page.mediation.register.submit")).click()
    expect(page.locator("#detail-status")).to_have_text(zh("page.mediation.status.registered"))
    assign = page.locator("#assign-form")
    assign.get_by_label(zh("page.mediation.assign.mediator")).select_option("mediator")
    assign.get_by_role("button", name=zh("page.mediation.assign.submit")).click()
    expect(page.locator("#detail-status")).to_have_text(zh("page.mediation.status.assigned"))

    facts = page.locator("#detail-facts")
    expect(facts.get_by_title(GRID)).to_have_text(PLACE)
    expect(facts.get_by_title("mediator", exact=True)).to_have_text("调解员mediator")
    expect(page.locator("#disputes-table").get_by_title("mediator", exact=True)).to_have_text(
        "调解员mediator"
    )
    history = page.locator("#history")
    expect(history.get_by_title("user:owner").first).to_have_text("owner")
    expect(history).not_to_contain_text("user:")
    for size in SIZES:
        at_size(page, size)
        page.screenshot(path=str(artifacts / f"picker-mediation-facts-{size}.png"), full_page=True)


def test_an_account_scope_is_found_by_name_and_shown_by_name_when_edited(
    page: Any, people: People, artifacts: Path
) -> None:
    at_size(page, "1366")
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin")
    page.wait_for_selector("#admin[data-state='ready']")
    users = page.locator("#user-form")
    scope = users.get_by_label(zh("page.admin.user.scope"))
    scope.fill(f"社区{OWN_STREET}00")
    options = users.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(4)
    expect(options.first).to_contain_text(f"{zh('page.picker.level.community')} · 区530502")
    page.screenshot(path=str(artifacts / "picker-search-1366.png"))
    scope.press("ArrowDown")
    scope.press("ArrowDown")
    scope.press("Enter")
    second = f"{OWN_STREET}002"
    expect(page.locator("#user-scope")).to_have_value(second)
    expect(scope).to_have_value(f"社区{second}")

    users.get_by_label(zh("page.admin.user.username")).fill("community2")
    users.get_by_label(zh("page.admin.user.password")).fill("a-longer-password")
    users.get_by_label(zh("page.admin.user.role")).select_option("community_staff")
    users.get_by_role("button", name=zh("page.admin.add")).click()
    row = page.locator("#users-table tr", has_text="community2")
    expect(row).to_be_visible()
    expect(scope).to_have_value("")

    row.get_by_role("button", name=zh("page.admin.account.edit")).click()
    dialog = page.locator("#account-dialog")
    edited = dialog.get_by_label(zh("page.admin.user.scope"))
    expect(edited).to_have_value(f"社区{second}")
    expect(edited).to_have_attribute("title", second)
    page.screenshot(path=str(artifacts / "picker-account-dialog-1366.png"))


def test_the_duty_roster_offers_centres_only_down_to_the_street(
    page: Any, people: People, artifacts: Path
) -> None:
    at_size(page, "1366")
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin")
    page.wait_for_selector("#admin[data-state='ready']")
    form = page.locator("#roster-form")
    form.get_by_role("button", name=zh("page.picker.browse")).click()
    tree = form.get_by_role("tree")
    expect(tree.get_by_role("treeitem").first).to_have_attribute("title", CITY)
    district = tree.get_by_role("treeitem", name=re.compile("^区530502"))
    district.locator(".region-picker-twisty").click()
    street = tree.get_by_role("treeitem", name=re.compile(f"^街道{OWN_STREET}"))
    expect(street).to_be_visible()
    expect(street).not_to_have_attribute("aria-expanded", re.compile("."))
    page.screenshot(path=str(artifacts / "picker-roster-1366.png"))
    street.locator(".region-picker-name").click()
    expect(page.locator("#roster-region")).to_have_value(OWN_STREET)
    box = form.get_by_label(zh("page.admin.roster_region"))
    box.fill(f"社区{OWN_STREET}")
    expect(form.get_by_role("listbox")).to_contain_text(zh("page.picker.nothing"))


def test_the_indicators_area_is_picked_by_name_and_kept_by_name(
    page: Any, people: People, artifacts: Path
) -> None:
    sign_in(page, people.leader.username, people.leader.password)
    for size in SIZES:
        at_size(page, size)
        page.goto("/indicators")
        box = page.get_by_label(zh("page.indicators.region"))
        pick_region(box, f"社区{OWN_COMMUNITY}", OWN_COMMUNITY)
        page.get_by_role("button", name=zh("page.indicators.submit")).click()
        expect(page).to_have_url(re.compile(f"region={OWN_COMMUNITY}"))
        expect(box).to_have_value(f"社区{OWN_COMMUNITY}")
        expect(box).to_have_attribute("title", OWN_COMMUNITY)
        assert inside_the_window(page, box)
        page.screenshot(path=str(artifacts / f"picker-indicators-{size}.png"), full_page=True)


def test_the_queues_area_filter_is_a_community_clicked_in_the_tree(
    page: Any, people: People, artifacts: Path
) -> None:
    at_size(page, "1920")
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    filters = page.locator("#queue-filters")
    filters.get_by_role("button", name=zh("page.picker.browse")).click()
    community = filters.get_by_role("treeitem", name=re.compile(f"^社区{OWN_COMMUNITY}"))
    with page.expect_request(lambda request: f"region={OWN_COMMUNITY}" in request.url):
        community.locator(".region-picker-name").click()
    box = filters.get_by_label(zh("page.faces_map.filters.region"))
    expect(box).to_have_value(f"社区{OWN_COMMUNITY}")
    expect(page.locator("#queue-export")).to_have_attribute(
        "href", re.compile(f"region={OWN_COMMUNITY}")
    )
    page.screenshot(path=str(artifacts / "picker-desk-filter-1920.png"))
    with page.expect_request(
        lambda request: "/api/v1/cases?" in request.url and "region=" not in request.url
    ):
        filters.get_by_role("button", name=zh("page.picker.clear")).click()
    expect(box).to_have_value("")


@pytest.fixture
def city_admin(db: Session) -> str:
    """An administrator of the whole city: every page of the platform is in their header."""
    auth_service.create_user(
        db,
        username="city_admin",
        password=PASSWORD,
        role=Role.ADMIN,
        scope_code=CITY,
        display_name="保山市综治中心管理员",
    )
    db.commit()
    return "city_admin"


LINKS_FIT = """() => {
    const nav = document.querySelector('.app-nav');
    const shown = [...nav.querySelectorAll(':scope > a, :scope > .nav-more > summary')];
    return {
        noSideways: nav.scrollWidth <= nav.clientWidth + 1,
        allInside: shown.every((link) => {
            const box = link.getBoundingClientRect();
            return box.left >= 0 && box.right <= window.innerWidth;
        }),
        pageInside: document.documentElement.scrollWidth <= window.innerWidth,
    };
}"""


@pytest.mark.parametrize("width", [1366, 1440, 1920])
def test_an_administrators_header_fits_with_the_less_used_links_under_more(
    page: Any, city_admin: str, artifacts: Path, width: int
) -> None:
    sign_in(page, city_admin, PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto("/desk")
    navigation = page.get_by_role("navigation", name=zh("page.nav.label"))
    assert page.evaluate(LINKS_FIT) == {"noSideways": True, "allInside": True, "pageInside": True}
    more = navigation.locator("summary", has_text=zh("page.nav.more"))
    fieldwork = navigation.get_by_role("link", name=zh("page.nav.fieldwork"))
    expect(fieldwork).to_be_hidden()
    more.focus()
    page.keyboard.press("Enter")
    expect(fieldwork).to_be_visible()
    assert inside_the_window(page, fieldwork)
    page.screenshot(path=str(artifacts / f"picker-header-more-{width}.png"))
    fieldwork.click()
    expect(page).to_have_url(re.compile("/fieldwork$"))
    expect(navigation.locator("summary")).to_have_class(re.compile("is-current"))


def test_on_a_phone_the_administrators_menu_reaches_the_links_under_more(
    page: Any, city_admin: str, artifacts: Path
) -> None:
    sign_in(page, city_admin, PASSWORD)
    at_size(page, "390")
    page.goto("/desk")
    page.get_by_text(zh("page.nav.menu")).click()
    navigation = page.get_by_role("navigation", name=zh("page.nav.label"))
    navigation.locator("summary", has_text=zh("page.nav.more")).click()
    analysis = navigation.get_by_role("link", name=zh("page.nav.analysis"))
    expect(analysis).to_be_in_viewport()
    assert inside_the_window(page, analysis)
    page.screenshot(path=str(artifacts / "picker-header-more-390.png"), full_page=True)
