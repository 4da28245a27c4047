"""In a real browser: a handler sees similar past cases and a reply draft, a resident typing
噪音扰民 sees answered questions before filing, a mediator sees similar past disputes."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.consult.conftest import (
    AGREEMENT,
    NOISE_REPLY,
    Consulted,
    consulted,  # noqa: F401  (fixture)
)
from tests.e2e.helpers import make_move, open_case, sign_in, zh
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_a_handler_sees_similar_cases_and_resolves_with_the_edited_draft(
    page: Any,
    consulted: Consulted,  # noqa: F811
    artifacts: Path,
) -> None:
    sign_in(page, "c.handler", PASSWORD)
    page.goto("/desk")
    open_case(page, consulted.open_noise)
    panel = page.locator("#consult-panel")
    expect(panel).to_be_visible()
    best = panel.locator(f"[data-source='{consulted.noise}']")
    expect(best).to_contain_text(NOISE_REPLY)
    expect(best).to_contain_text(zh("consult.reason.same_grid"))
    expect(panel).not_to_contain_text(consulted.foreign_noise)
    draft = page.locator("#consult-draft")
    assert NOISE_REPLY in draft.input_value()
    edited = f"{draft.input_value()}\n已回访居民。"
    draft.fill(edited)
    page.screenshot(path=str(artifacts / "consult-desk.png"), full_page=True)
    make_move(page, zh("case.move.claimed"))
    page.wait_for_selector("#detail[data-state='ready']")
    page.locator("#moves").get_by_role("button", name=zh("case.move.resolved"), exact=True).click()
    expect(page.locator("#move-note")).to_have_value(edited)


def test_a_resident_typing_noise_sees_answered_questions_before_filing(
    page: Any,
    consulted: Consulted,  # noqa: F811
    artifacts: Path,
) -> None:
    page.goto("/report")
    page.locator("#description").press_sequentially("晚上噪音扰民")
    answers = page.locator("#consult-answers")
    expect(answers).to_be_visible()
    expect(answers).to_contain_text(zh("consult.cite.case", ref=consulted.noise))
    expect(answers).to_contain_text(NOISE_REPLY)
    page.screenshot(path=str(artifacts / "consult-report.png"), full_page=True)


def test_a_mediator_sees_similar_disputes_with_their_agreements(
    page: Any,
    consulted: Consulted,  # noqa: F811
    artifacts: Path,
) -> None:
    sign_in(page, "c.mediator", PASSWORD)
    page.goto("/mediation")
    page.get_by_role("button", name=consulted.dispute).click()
    panel = page.locator("#consult-disputes")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(zh("consult.cite.dispute", ref=consulted.agreed))
    expect(panel).to_contain_text(AGREEMENT.replace("张三", "张**").replace("李四", "李**"))
    expect(panel).not_to_contain_text(consulted.foreign_dispute)
    page.screenshot(path=str(artifacts / "consult-mediation.png"), full_page=True)
