"""The taxonomy in force: a city administrator chooses it, and suggestion offers nothing else."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.categories import classifier, in_force
from civicgrid.categories.government import import_government_taxonomy
from civicgrid.categories.keyword_rules import category_terms
from civicgrid.categories.training import train
from civicgrid.categories.training_data import term_rows
from civicgrid.errors import Forbidden
from civicgrid.settings import Settings
from tests.categories.conftest import ADMIN, DISPATCHER
from tests.factories import People, auth, sign_in

GOVERNMENT_CSV = """一级分类,二级分类,三级分类
城乡建设,市政设施,路灯不亮
城乡建设,市政设施,道路破损
城乡建设,住房保障,公租房申请
环境保护,噪声污染,施工噪音
环境保护,噪声污染,广场舞噪音
环境保护,大气污染,焚烧垃圾
"""
# Texts a built-in category's keywords name outright: with the government taxonomy in
# force they must still land on a GOV- category or nowhere.
BUILT_IN_WORDING = [
    "小区门口井盖丢失，晚上很危险",
    "施工噪音扰民，半夜还在打桩",
    "路灯不亮，道路破损",
    "邻居因为宅基地发生纠纷，打起来了",
    "有人在河道里倾倒垃圾",
]


@pytest.fixture
def both_taxonomies(seeded: Session, tmp_path: Path) -> Session:
    taxonomy_file = tmp_path / "taxonomy.csv"
    taxonomy_file.write_text(GOVERNMENT_CSV, encoding="utf-8")
    import_government_taxonomy(seeded, taxonomy_file)
    seeded.commit()
    return seeded


def no_saved_model(tmp_path: Path) -> Settings:
    return Settings(classifier_path=tmp_path / "no-model.joblib", data_dir=tmp_path)


def test_every_active_category_is_in_force_until_a_city_admin_chooses(both_taxonomies):
    codes = {terms.code for terms in category_terms(both_taxonomies)}
    assert in_force.taxonomy_in_force(both_taxonomies) == "all"
    assert any(code.startswith("GOV-") for code in codes)
    assert any(code.startswith("UM-") for code in codes)


def test_putting_the_government_taxonomy_in_force_leaves_only_its_categories(both_taxonomies):
    in_force.set_taxonomy_in_force(both_taxonomies, actor=ADMIN, choice="government")
    both_taxonomies.commit()
    terms = category_terms(both_taxonomies)
    assert {terms.code[:4] for terms in terms} == {"GOV-"}
    assert {terms.group_name for terms in terms} == {"城乡建设", "环境保护"}
    every = category_terms(both_taxonomies, in_force_only=False)
    assert any(terms.code.startswith("UM-") for terms in every)


def test_categories_not_in_force_are_never_suggested_even_by_a_model_that_knows_them(
    both_taxonomies, tmp_path
):
    everything = category_terms(both_taxonomies)
    model = train(term_rows(everything))
    assert any(code.startswith("UM-") for code in model.classes)
    in_force.set_taxonomy_in_force(both_taxonomies, actor=ADMIN, choice="government")
    both_taxonomies.commit()
    government = category_terms(both_taxonomies)
    found = classifier.suggest_many(
        BUILT_IN_WORDING, government, model=model, settings=no_saved_model(tmp_path)
    )
    suggested = [s.code for s in found if s is not None]
    assert suggested, "the government wording in the texts should be suggested"
    assert all(code.startswith("GOV-") for code in suggested)
    for suggestion in found:
        assert suggestion is None or all(a.code.startswith("GOV-") for a in suggestion.alternatives)


def test_the_built_in_taxonomy_in_force_never_suggests_a_government_category(
    both_taxonomies, tmp_path
):
    in_force.set_taxonomy_in_force(both_taxonomies, actor=ADMIN, choice="builtin")
    both_taxonomies.commit()
    found = classifier.suggest_many(
        ["路灯不亮", "广场舞噪音太大", "焚烧垃圾冒黑烟"],
        category_terms(both_taxonomies),
        settings=no_saved_model(tmp_path),
    )
    assert all(s is None or not s.code.startswith("GOV-") for s in found)


def test_only_a_city_administrator_changes_the_taxonomy_in_force(both_taxonomies):
    with pytest.raises(Forbidden):
        in_force.set_taxonomy_in_force(both_taxonomies, actor=DISPATCHER, choice="builtin")
    assert in_force.taxonomy_in_force(both_taxonomies) == "all"


def test_a_city_admin_switches_the_taxonomy_through_the_api_and_the_change_is_logged(
    client: TestClient, people: People, both_taxonomies: Session
):
    admin = auth(client, people.admin)
    before = client.get("/api/v1/categories/taxonomy-in-force", headers=admin).json()
    assert before == {"choice": "all", "choices": ["all", "builtin", "government", "own"]}
    switched = client.put(
        "/api/v1/categories/taxonomy-in-force", json={"choice": "government"}, headers=admin
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["choice"] == "government"
    logged = both_taxonomies.scalars(
        select(AdminChange).where(AdminChange.action == "taxonomy_in_force")
    ).all()
    assert [(json.loads(row.before), json.loads(row.after)) for row in logged] == [
        ({"choice": "all"}, {"choice": "government"})
    ]


def test_an_unknown_taxonomy_is_refused_in_the_callers_language(
    client: TestClient, people: People, both_taxonomies: Session
):
    refused = client.put(
        "/api/v1/categories/taxonomy-in-force",
        json={"choice": "mine"},
        headers=auth(client, people.admin) | {"Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert "There is no taxonomy called mine" in refused.text
    assert in_force.taxonomy_in_force(both_taxonomies) == "all"


def test_the_admin_page_names_the_taxonomy_in_force(
    client: TestClient, people: People, both_taxonomies: Session
):
    in_force.set_taxonomy_in_force(both_taxonomies, actor=ADMIN, choice="government")
    both_taxonomies.commit()
    assert sign_in(client, people.admin.username, people.admin.password).status_code == 303
    page = client.get("/admin").text
    assert "政府留言分类体系" in page


def test_the_suggestion_response_names_the_group_then_the_category_with_their_confidences(
    client: TestClient, people: People, both_taxonomies: Session
):
    in_force.set_taxonomy_in_force(both_taxonomies, actor=ADMIN, choice="government")
    both_taxonomies.commit()
    answer = client.post(
        "/api/v1/categories/suggest",
        json={"text": "工地施工噪音太大，晚上睡不着"},
        headers=auth(client, people.owner),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    noise = next(t for t in category_terms(both_taxonomies) if t.name == "噪声污染")
    assert (body["code"], body["group_code"]) == (noise.code, noise.group)
    assert 0.0 < body["confidence"] <= body["group_confidence"] <= 1.0
    assert 0.0 < body["confidence_in_group"] <= 1.0
    assert {"source", "alternatives", "low_confidence"} <= body.keys()


def test_a_text_that_points_nowhere_gets_no_suggestion(
    client: TestClient, people: People, both_taxonomies: Session
):
    answer = client.post(
        "/api/v1/categories/suggest", json={"text": "。。。"}, headers=auth(client, people.owner)
    )
    assert answer.status_code == 200
    assert answer.json() is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet="路灯噪音施工广场舞垃圾焚烧井盖纠纷小区物业的了很 ", max_size=40))
def test_hierarchical_confidences_are_in_the_unit_interval_and_the_category_in_its_group(
    both_taxonomies, tmp_path, text
):
    terms = category_terms(both_taxonomies)
    group_of = {t.code: t.group for t in terms}
    found = classifier.suggest(text, terms, settings=no_saved_model(tmp_path))
    if found is None:
        return
    assert group_of[found.code] == found.group
    assert 0.0 <= found.confidence <= found.group_confidence <= 1.0
    assert 0.0 <= found.confidence_in_group <= 1.0
    assert all(0.0 <= a.confidence <= 1.0 for a in found.alternatives)
