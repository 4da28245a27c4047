"""The second pass over the faces (issue 14, "Found broken"): each defect a user met, as a
browser meets it, on the sizes the centre's screens and phones have."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases import routing
from civicgrid.cases.models import Case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.timeutil import DISPLAY_ZONE, as_utc
from tests.disputes.conftest import GRID, mediators  # noqa: F401  (fixture)
from tests.e2e.helpers import (
    expect_status,
    make_move,
    open_case,
    pick_region,
    post_from_page,
    sign_in,
    zh,
)
from tests.factories import (
    OWN_DISTRICT,
    OWN_STREET,
    PASSWORD,
    REPORTER_PHONE,
    City,
    People,
    reported_by_phone,
)

pytestmark = pytest.mark.e2e

SIZES = {"1366": (1366, 768), "1920": (1920, 1080), "390": (390, 844)}


def screenshot_sizes(page: Any, artifacts: Path, name: str) -> None:
    """The page as the centre's laptops, its wall screens and a phone show it."""
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"faces-fix-{name}-{label}.png"), full_page=True)


def test_the_api_docs_render_offline_from_the_platforms_own_files(
    page: Any, live_server: str, artifacts: Path
):
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        url = route.request.url
        if url.startswith((live_server, "data:")):
            route.continue_()
            return
        outside.append(url)
        route.abort()

    page.route("**/*", only_this_server)

    page.goto("/docs")

    assert page.url == f"{live_server}/api/v1/docs"
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("civicgrid", timeout=20_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert outside == []
    screenshot_sizes(page, artifacts, "api-docs")


def register_walk_in(page: Any, kind: str) -> str:
    form = page.locator("#register-form")
    form.get_by_label(zh("page.mediation.col.kind")).select_option(kind)
    pick_region(form.get_by_label(zh("page.mediation.region")), GRID, GRID)
    form.get_by_label(zh("page.mediation.description")).fill("工资拖欠三个月，多次讨要未果")
    form.locator("#party-applicant-name").fill("张三")
    form.locator("#party-respondent-name").fill("某建筑公司")
    form.get_by_role("button", name=zh("page.mediation.register.submit")).click()
    expect(page.locator("#detail-status")).to_have_text(zh("page.mediation.status.registered"))
    return page.locator("#detail-heading").inner_text()


def test_a_walk_in_dispute_nobody_was_chosen_for_gets_its_mediator_from_the_page(
    page: Any,
    people: People,
    mediators: dict[str, Any],  # noqa: F811
    artifacts: Path,
):
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/mediation")
    number = register_walk_in(page, "labour")  # no mediator takes labour disputes by profile

    # Only what a just-registered dispute allows: choosing its mediator.
    for form in ("#session-form", "#agreement-form", "#move-form", "#follow-up-form"):
        expect(page.locator(form)).to_be_hidden()
    expect(page.locator("#triage-score")).to_contain_text("预警线 40")
    assign = page.locator("#assign-form")
    expect(assign).to_be_visible()
    screenshot_sizes(page, artifacts, "mediation-registered")
    page.set_viewport_size({"width": 1366, "height": 768})
    assign.get_by_label(zh("page.mediation.assign.mediator")).select_option("mediator")
    assign.get_by_role("button", name=zh("page.mediation.assign.submit")).click()
    expect(page.locator("#detail-status")).to_have_text(zh("page.mediation.status.assigned"))
    expect(page.locator("#session-form")).to_be_visible()
    expect(page.locator("#agreement-form")).to_be_hidden()
    assert number == page.locator("#detail-heading").inner_text()


def test_a_mediator_takes_on_an_unassigned_dispute_of_their_area(
    page: Any,
    mediators: dict[str, Any],  # noqa: F811
):
    sign_in(page, "mediator", PASSWORD)
    page.goto("/mediation")
    register_walk_in(page, "labour")

    page.locator("#take-form").get_by_role("button", name=zh("page.mediation.take.submit")).click()

    expect(page.locator("#detail-status")).to_have_text(zh("page.mediation.status.assigned"))
    expect(page.locator("#detail-facts")).to_contain_text("mediator")
    expect(page.locator("#take-form")).to_be_hidden()


def test_the_residents_tracking_timeline_shows_chinas_time_on_a_browser_set_to_utc(
    browser: Any, live_server: str, db: Session, city: City, artifacts: Path
):
    case = reported_by_phone(db, city)
    db.commit()
    reported = as_utc(case.created_at).astimezone(DISPLAY_ZONE)
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        timezone_id="UTC",
        viewport={"width": 390, "height": 844},
    )
    try:
        page = context.new_page()
        page.goto(f"/report?number={case.number}")
        track = page.locator("#track-form")
        track.get_by_label("受理编号").fill(case.number)
        track.get_by_label("上报时填写的电话").fill(REPORTER_PHONE)
        track.get_by_role("button", name="查询").click()

        shown = page.locator("#track-timeline li time").first
        expect(shown).to_contain_text(f"{reported.hour}:{reported.minute:02d}")
        screenshot_sizes(page, artifacts, "resident-tracking")
    finally:
        context.close()


def test_the_dispatch_dialog_offers_the_routed_department_and_the_centre_cannot_sign_for_it(
    page: Any, db: Session, city: City, people: People, *, handler: str, artifacts: Path
):
    auth_service.create_department(
        db, code="530502-housing", name="住建局", kind="housing", region_code=OWN_DISTRICT
    )
    routing.create_rule(
        db,
        routing.RuleIn(
            name="本街道交城管",
            target_level="district",
            region_prefix=OWN_STREET,
            department_kind="urban_management",
        ),
        position=1,
    )
    db.commit()
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    lng, lat = city.point_in(GRID)
    posted = post_from_page(
        page, "/api/v1/cases", {"description": "占道经营，堵塞人行道", "lng": lng, "lat": lat}
    )
    number = posted.json()["number"]
    page.get_by_role("button", name=number, exact=True).wait_for(timeout=30_000)
    open_case(page, number)
    make_move(page, zh("case.move.accepted"))
    expect_status(page, "accepted")

    page.locator("#moves").get_by_role("button", name=zh("case.move.dispatched")).click()
    dialog = page.locator("#move-dialog")
    expect(dialog.get_by_label(zh("page.desk.move.department"))).to_have_value("530502-urban")
    screenshot_sizes(page, artifacts, "desk-dispatch-dialog")
    page.set_viewport_size({"width": 1366, "height": 768})
    dialog.get_by_role("button", name=zh("page.desk.move.submit")).click()
    expect_status(page, "dispatched")

    moves = page.locator("#moves")
    expect(moves.get_by_role("button", name=zh("case.move.returned"))).to_have_count(0)
    expect(moves.get_by_role("button", name=zh("case.move.claimed"))).to_have_count(0)
    refused = post_from_page(page, f"/api/v1/cases/{number}/transitions", {"to": "claimed"})
    assert refused.status == 403


@pytest.fixture
def field_phone(browser: Any, live_server: str, city: City) -> Any:
    lng, lat = city.point_in(GRID)
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        geolocation={"longitude": lng, "latitude": lat, "accuracy": 10},
        permissions=["geolocation"],
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_the_grid_worker_is_led_back_to_the_app_after_signing_in_and_sees_the_case_number(
    field_phone: Any, db: Session, artifacts: Path
):
    auth_service.create_user(
        db, username="worker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=GRID
    )
    db.commit()
    phone = field_phone

    phone.goto("/field")
    phone.get_by_label("用户名").fill("worker")
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name=re.compile("登")).click()
    phone.wait_for_url("**/field")

    form = phone.locator("#report-form")
    form.get_by_label("事件描述").fill("小区东门垃圾堆放")
    form.get_by_role("button", name="提交").click()

    done = phone.locator("#report-done")
    expect(done).to_contain_text(re.compile(r"受理编号\s*\S{6,24}"))
    said = re.search(r"受理编号\s*(\S+?)[。.]?$", done.inner_text())
    assert said is not None
    number = said.group(1)
    db.expire_all()
    assert db.scalar(select(Case.number).where(Case.channel == "grid_worker")) == number
    screenshot_sizes(phone, artifacts, "field-sent")


HEADER_FITS = """() => {
    const one = (element) => {
        const style = getComputedStyle(element);
        const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
        return element.getBoundingClientRect().height <= line * 1.5 + 16;
    };
    const title = document.querySelector('.app-header .brand-title');
    const visible = (element) => element.getBoundingClientRect().width > 0;
    return {
        titleWhole: title.scrollWidth <= title.clientWidth + 1,
        oneLine: [...document.querySelectorAll('.app-header .lang-switch a, .btn-logout')]
            .filter(visible).every(one),
        insidePage: document.documentElement.scrollWidth <= window.innerWidth,
    };
}"""


@pytest.fixture
def long_named_admin(db: Session, city: City) -> str:
    """An administrator named as the demo city names its accounts: area and post, 13 characters."""
    auth_service.create_user(
        db,
        username="yongchang_admin",
        password=PASSWORD,
        role=Role.ADMIN,
        scope_code=OWN_STREET,
        display_name="隆阳区永昌街道综治中心管理员",
    )
    db.commit()
    return "yongchang_admin"


@pytest.mark.parametrize("width", [1366, 1440])
def test_the_staff_header_fits_a_laptop_screen(page: Any, long_named_admin: str, width: int):
    sign_in(page, long_named_admin, PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    for path in ("/desk", "/?lang=en", "/desk?lang=zh-CN"):
        page.goto(path)
        fits = page.evaluate(HEADER_FITS)
        assert fits == {"titleWhole": True, "oneLine": True, "insidePage": True}, (path, fits)


def test_on_a_phone_the_navigation_folds_into_a_menu_and_sign_out_stays_in_sight(
    page: Any, long_named_admin: str, artifacts: Path
):
    sign_in(page, long_named_admin, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/desk")
    header = page.locator(".app-header")
    navigation = header.get_by_role("navigation", name=zh("page.nav.label"))

    expect(navigation).to_be_hidden()
    expect(header.get_by_role("button", name=zh("page.header.logout"))).to_be_in_viewport()
    brand = header.locator(".brand").bounding_box()
    menu = header.get_by_text(zh("page.nav.menu"))
    assert menu.bounding_box()["x"] >= brand["x"] + brand["width"]
    menu.click()
    expect(navigation).to_be_visible()
    expect(navigation.get_by_role("link", name=zh("page.nav.desk"))).to_be_in_viewport()
    page.screenshot(path=str(artifacts / "faces-fix-header-menu-390.png"), full_page=True)


CONTRAST = """(element) => {
    const channels = (colour) => colour.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const luminance = (colour) => {
        const [r, g, b] = channels(colour).map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const style = getComputedStyle(element);
    const [light, dark] = [luminance(style.color), luminance(style.backgroundColor)].sort(
        (a, b) => b - a);
    return (light + 0.05) / (dark + 0.05);
}"""


def test_the_big_screen_on_a_laptop_keeps_its_figures_on_one_line_and_says_when_a_chart_is_empty(
    page: Any, people: People, artifacts: Path
):
    sign_in(page, people.owner.username, people.owner.password)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")

    for element in page.locator(".kpi-label, .kpi-value").all():
        lines = element.evaluate(
            "(e) => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"
        )
        assert lines < 1.5, (element.inner_text(), lines)
    # Nothing happened today in the test city: each chart says so in words.
    for chart in ("channels", "categories", "departments", "trend"):
        expect(page.locator(f"#chart-{chart}-empty")).to_have_text(zh("page.charts.empty"))
    current = page.locator(".lang-switch a.is-current")
    assert current.evaluate(CONTRAST) >= 4.5
    screenshot_sizes(page, artifacts, "command")


def test_the_case_view_names_its_category_place_and_people_with_the_codes_on_hover(
    page: Any, db: Session, city: City, people: People, artifacts: Path
):
    auth_service.create_user(
        db,
        username="li_dispatcher",
        password=PASSWORD,
        role=Role.DISPATCHER,
        scope_code=OWN_STREET,
        display_name="李调度",
    )
    seed_builtin(db)
    db.commit()
    sign_in(page, "li_dispatcher", PASSWORD)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    lng, lat = city.point_in(GRID)
    posted = post_from_page(
        page,
        "/api/v1/cases",
        {"description": "小区门口垃圾堆积", "lng": lng, "lat": lat, "category_code": "UM-01-01"},
    )
    assert posted.status == 201, posted.text()
    number = posted.json()["number"]
    page.get_by_role("button", name=number, exact=True).wait_for(timeout=30_000)
    open_case(page, number)
    make_move(page, zh("case.move.accepted"))
    expect_status(page, "accepted")

    category = page.locator("#fact-category")
    expect(category).to_have_text("暴露垃圾")
    expect(category).to_have_attribute("title", "UM-01-01")
    place = page.locator("#fact-place")
    # The test city's regions are named after their codes; the page shows those names.
    expect(place).to_have_text(re.compile(r"^街道\S+ · 社区\S+ · 网格\S+$"))
    expect(place).to_have_attribute("title", GRID)
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("李调度")
    expect(timeline).not_to_contain_text("user:")
    screenshot_sizes(page, artifacts, "desk-case-names")


def test_the_admin_page_names_department_kinds_and_departments(
    page: Any, people: People, handler: str, artifacts: Path
):
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin")

    departments = page.locator("#departments-table")
    expect(departments).to_contain_text("城市管理")
    expect(departments).not_to_contain_text("urban_management")
    users = page.locator("#users-table")
    expect(users.locator("tr", has_text=handler)).to_contain_text("城管局")
    screenshot_sizes(page, artifacts, "admin")
