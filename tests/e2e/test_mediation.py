"""In a real browser: a walk-in dispute is registered, handed to the street's mediator, who
runs it to an agreement, downloads the agreement document, visits again and closes it."""

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import expect

from civicgrid.i18n import translate
from tests.disputes.conftest import GRID, mediators  # noqa: F401  (fixture)
from tests.e2e.helpers import pick_region, sign_in
from tests.factories import PASSWORD, People

pytestmark = pytest.mark.e2e


def zh(message_id: str, **params: Any) -> str:
    return translate(message_id, "zh-CN", **params)


def expect_status(page: Any, status: str) -> None:
    expect(page.locator("#detail-status")).to_have_text(zh(f"page.mediation.status.{status}"))


def test_a_walk_in_dispute_is_mediated_to_an_agreement_and_closed(
    page: Any,
    people: People,
    mediators: dict[str, Any],  # noqa: F811
    artifacts: Path,
) -> None:
    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/mediation")
    form = page.locator("#register-form")
    form.get_by_label(zh("page.mediation.col.kind")).select_option("neighbour")
    pick_region(form.get_by_label(zh("page.mediation.region")), GRID, GRID)
    form.get_by_label(zh("page.mediation.description")).fill("楼上漏水，屡次协商未果")
    form.locator("#party-applicant-name").fill("张三")
    form.locator("#party-applicant-phone").fill("13812345678")
    form.locator("#party-respondent-name").fill("李四")
    form.get_by_role("button", name=zh("page.mediation.register.submit")).click()
    expect_status(page, "assigned")
    number = page.locator("#detail-heading").inner_text()
    expect(page.locator("#parties")).to_contain_text("138****5678")
    assert "13812345678" not in page.content()

    page.get_by_role("button", name=zh("page.header.logout")).click()
    sign_in(page, "mediator", PASSWORD)
    page.goto("/mediation")
    page.get_by_role("button", name=number).click()
    expect_status(page, "assigned")
    session = page.locator("#session-form")
    session.get_by_label(zh("page.mediation.session.at")).fill("2026-11-20T10:00")
    session.get_by_label(zh("page.mediation.session.place")).fill("社区调解室")
    session.get_by_label(zh("page.mediation.session.record")).fill("双方陈述，同意由楼上维修")
    session.get_by_role("button", name=zh("page.mediation.session.submit")).click()
    expect_status(page, "mediating")

    agreement = page.locator("#agreement-form")
    agreement.get_by_role("button", name=zh("page.mediation.agreement.submit")).click()
    expect(agreement.locator(".field-error").first).to_be_visible()  # terms are required
    agreement.get_by_label(zh("page.mediation.agreement.terms")).fill("李四于十日内修复漏水管道")
    agreement.get_by_label(zh("page.mediation.agreement.method")).fill("自行维修")
    agreement.get_by_label(zh("page.mediation.agreement.deadline")).fill("2026-12-01")
    agreement.get_by_role("button", name=zh("page.mediation.agreement.submit")).click()
    expect_status(page, "agreed")
    link = page.locator("#agreement-link a")
    expect(link).to_be_visible()
    document = page.request.get(link.get_attribute("href"))
    assert document.status == 200
    text = "\n".join(p.text for p in Document(BytesIO(document.body())).paragraphs)
    assert "李四于十日内修复漏水管道" in text
    assert "张三" in text

    visit = page.locator("#follow-up-form")
    visit.get_by_label(zh("page.mediation.follow_up.on")).fill("2026-11-22")
    visit.get_by_label(zh("page.mediation.follow_up.result")).fill("管道已修复，双方满意")
    visit.get_by_role("button", name=zh("page.mediation.follow_up.submit")).click()
    # The form empties once the visit is stored and the dispute drawn again.
    expect(visit.get_by_label(zh("page.mediation.follow_up.result"))).to_have_value("")
    move = page.locator("#move-form")
    move.get_by_label(zh("page.mediation.move.to")).select_option("closed")
    move.get_by_role("button", name=zh("page.mediation.move.submit")).click()
    expect_status(page, "closed")
    page.screenshot(path=str(artifacts / "mediation-closed.png"), full_page=True)
