"""The built-in taxonomy and the risk classes as shipped: complete, consistent, documented."""

import re
from collections import Counter
from pathlib import Path

from civicgrid.categories import reference, seeds

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_there_are_exactly_29_risk_classes_with_unique_codes_and_names():
    classes = reference.risk_classes()
    assert len(classes) == 29
    assert len({risk.code for risk in classes}) == 29
    assert len({risk.name for risk in classes}) == 29
    assert all(risk.name and risk.name_en and risk.description for risk in classes)


def test_every_builtin_category_names_a_known_risk_class_and_every_class_is_used():
    codes = {risk.code for risk in reference.risk_classes()}
    categories = [d for d in seeds.builtin_drafts() if d.level == 2]
    assert {d.risk_class for d in categories} == codes


def test_the_builtin_taxonomy_has_two_levels_of_the_promised_size():
    drafts = seeds.builtin_drafts()
    groups = [d for d in drafts if d.level == 1]
    categories = [d for d in drafts if d.level == 2]
    assert 12 <= len(groups) <= 16
    assert 60 <= len(categories) <= 100
    assert {d.parent_code for d in categories} == {g.code for g in groups}
    assert all(re.fullmatch(r"(UM|SG)-\d\d(-\d\d)?", d.code) for d in drafts)


def test_each_category_carries_every_stage_limit_and_departments_for_both_levels():
    kinds = reference.standard_department_kinds()
    for draft in seeds.builtin_drafts():
        assert set(draft.sla_hours) == set(reference.SLA_STAGES), draft.code
        assert set(draft.default_departments) == {"city", "district"}, draft.code
        assert set(draft.default_departments.values()) <= kinds, draft.code


def test_emergencies_run_on_natural_hours():
    by_code = {d.code: d for d in seeds.builtin_drafts()}
    for code in ("UM-04-03", "UM-04-04", "SG-09-01", "SG-10-01"):
        assert by_code[code].hour_basis == "natural"
        assert by_code[code].sla_hours["resolve"] <= 4


def test_keywords_are_strong_eight_to_twenty_per_category_and_never_shared():
    categories = [d for d in seeds.builtin_drafts() if d.level == 2]
    assert all(8 <= len(d.keywords) <= 20 for d in categories)
    counts = Counter(word for d in categories for word in d.keywords)
    assert [word for word, count in counts.items() if count > 1] == []
    assert all(len(word) >= 2 for word in counts)


def test_some_minor_categories_are_left_to_the_grid_worker():
    resolvable = {d.name for d in seeds.builtin_drafts() if d.self_resolvable}
    assert {"暴露垃圾", "楼道堆物"} <= resolvable
    assert "燃气泄漏" not in resolvable


def test_the_default_limits_cover_every_stage():
    assert set(reference.DEFAULT_SLA_HOURS) == set(reference.SLA_STAGES)
    assert all(hours > 0 for hours in reference.DEFAULT_SLA_HOURS.values())
    assert reference.DEFAULT_HOUR_BASIS in reference.HOUR_BASES


def test_the_risk_class_document_lists_every_class_once():
    text = (DOCS / "risk-classes.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\|\s*\d+\s*\|\s*`([a-z_]+)`", text, flags=re.MULTILINE)
    assert sorted(listed) == sorted(risk.code for risk in reference.risk_classes())


def test_the_documents_name_every_builtin_category_under_its_risk_class():
    risk_doc = (DOCS / "risk-classes.md").read_text(encoding="utf-8")
    rows = dict(
        re.findall(r"^\|\s*\d+\s*\|\s*`([a-z_]+)`.*\|([^|]*)\|\s*$", risk_doc, re.MULTILINE)
    )
    categories_doc = (DOCS / "categories.md").read_text(encoding="utf-8")
    for draft in seeds.builtin_drafts():
        assert draft.code in categories_doc
        if draft.risk_class is not None:
            listed = [code.strip() for code in rows[draft.risk_class].split(",")]
            assert draft.code in listed, draft.code
