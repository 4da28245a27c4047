"""The taxonomy service: seeding, government imports, and the rules every write obeys."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.categories import government, reference, seeds, service, taxonomy
from civicgrid.categories.drafts import CategoryDraft
from civicgrid.categories.models import Category
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from tests.categories.conftest import ADMIN, DISPATCHER

BUILTIN_COUNT = len(seeds.builtin_drafts())


def count(db: Session, *conditions) -> int:
    return db.scalar(select(func.count()).select_from(Category).where(*conditions)) or 0


def test_seeding_twice_stores_the_builtin_taxonomy_once(db: Session):
    assert seeds.seed_builtin(db) == BUILTIN_COUNT
    db.commit()
    assert seeds.seed_builtin(db) == 0
    db.commit()
    assert count(db) == BUILTIN_COUNT
    assert count(db, Category.source == "builtin") == BUILTIN_COUNT


def test_seeding_again_keeps_an_administrators_edit(seeded: Session):
    service.update_category(
        seeded, actor=ADMIN, code="UM-01-01", changes={"sla_hours": {"resolve": 3}}
    )
    seeded.commit()
    seeds.seed_builtin(seeded)
    assert taxonomy.require_category(seeded, "UM-01-01").sla_hours["resolve"] == 3


def test_seeding_restores_a_missing_category_switched_off_under_a_switched_off_group(
    seeded: Session,
):
    for code in ("SG-07-01", "SG-07-02", "SG-07-03"):
        service.deactivate_category(seeded, actor=ADMIN, code=code)
    service.deactivate_category(seeded, actor=ADMIN, code="SG-07")
    row = taxonomy.get_category(seeded, "SG-07-03")
    seeded.delete(row)
    seeded.commit()
    assert seeds.seed_builtin(seeded) == 1
    restored = taxonomy.get_category(seeded, "SG-07-03")
    assert restored is not None
    assert restored.active is False


def test_require_category_accepts_an_active_level_two_category_only(seeded: Session):
    assert taxonomy.require_category(seeded, "UM-03-01").name == "井盖问题"
    for code in ("UM-03", "NOPE-01"):
        with pytest.raises(Invalid) as refused:
            taxonomy.require_category(seeded, code)
        assert refused.value.code == "category_unknown"
    service.deactivate_category(seeded, actor=ADMIN, code="UM-03-01")
    with pytest.raises(Invalid):
        taxonomy.require_category(seeded, "UM-03-01")


def test_the_list_gives_groups_then_categories_in_display_order(seeded: Session):
    tree = taxonomy.category_tree(taxonomy.list_categories(seeded))
    assert [group.code for group, _ in tree][:2] == ["UM-01", "UM-02"]
    first_group, children = tree[0]
    assert [child.code for child in children][:3] == ["UM-01-01", "UM-01-02", "UM-01-03"]
    assert all(child.parent_code == first_group.code for child in children)


def test_the_government_taxonomy_becomes_15_groups_and_103_categories(db: Session, shared_data):
    report = government.import_government_taxonomy(db, shared_data / "messages" / "taxonomy.csv")
    db.commit()
    assert (report.groups_created, report.categories_created) == (15, 103)
    assert count(db, Category.level == 1, Category.code.startswith("GOV-")) == 15
    assert count(db, Category.level == 2, Category.source == "government") == 103
    assert report.rows_skipped == 16  # rows whose level-2 class is 其他
    planning = db.scalar(select(Category).where(Category.name == "城乡规划"))
    assert planning is not None
    assert planning.code.startswith("GOV-")
    assert planning.parent_code is not None
    assert "违章建筑" in planning.keywords
    assert "其他" not in planning.keywords
    assert planning.risk_class == "city_appearance"
    assert planning.default_departments == {
        "city": "natural_resources",
        "district": "natural_resources",
    }


def test_the_same_level_two_name_under_two_groups_gives_two_categories(db: Session, shared_data):
    government.import_government_taxonomy(db, shared_data / "messages" / "taxonomy.csv")
    safety = db.scalars(select(Category).where(Category.name == "安全生产")).all()
    assert len(safety) == 2
    assert {row.risk_class for row in safety} == {"production_safety"}
    assert len({row.parent_code for row in safety}) == 2


def test_importing_the_taxonomy_again_changes_nothing_and_keeps_edits(db: Session, shared_data):
    path = shared_data / "messages" / "taxonomy.csv"
    government.import_government_taxonomy(db, path)
    db.commit()
    code = db.scalar(select(Category.code).where(Category.name == "环境污染"))
    assert code is not None
    service.update_category(
        db, actor=ADMIN, code=code, changes={"sla_hours": {"resolve": 16}, "keywords": ["排污"]}
    )
    db.commit()
    again = government.import_government_taxonomy(db, path)
    assert (again.groups_created, again.categories_created) == (0, 0)
    edited = taxonomy.require_category(db, code)
    assert edited.sla_hours["resolve"] == 16
    assert edited.keywords[0] == "排污"
    assert again.keywords_added == len(edited.keywords) - 1


def test_a_newer_taxonomy_file_adds_new_keywords_and_categories_with_fresh_codes(
    db: Session, tmp_path
):
    first = tmp_path / "v1.csv"
    first.write_text("一级分类,二级分类,三级分类\n政法,社会治安,打架\n", encoding="utf-8")
    second = tmp_path / "v2.csv"
    second.write_text(
        "一级分类,二级分类,三级分类\n政法,社会治安,打架\n政法,社会治安,偷盗\n政法,户籍证件,身份证\n",
        encoding="utf-8-sig",
    )
    government.import_government_taxonomy(db, first)
    report = government.import_government_taxonomy(db, second)
    assert (report.groups_created, report.categories_created, report.keywords_added) == (0, 1, 1)
    public_order = taxonomy.require_category(db, "GOV-01-01")
    assert public_order.keywords == ["打架", "偷盗"]
    assert taxonomy.require_category(db, "GOV-01-02").name == "户籍证件"


def test_a_gb18030_taxonomy_from_older_office_software_is_read(db: Session, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("一级分类,二级分类,三级分类\n民政,社会救助,低保\n".encode("gb18030"))
    report = government.import_government_taxonomy(db, path)
    assert report.categories_created == 1
    assert taxonomy.require_category(db, "GOV-01-01").risk_class == "vulnerable_groups"


def test_a_taxonomy_without_its_columns_is_refused_naming_them(db: Session, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(Invalid) as refused:
        government.import_government_taxonomy(db, path)
    assert refused.value.code == "taxonomy_columns_missing"
    assert "一级分类" in refused.value.params["columns"]
    assert count(db) == 0


def test_an_unknown_level_one_name_falls_back_to_the_petitions_office(db: Session, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("一级分类,二级分类,三级分类\n新的大类,新的小类,\n", encoding="utf-8")
    government.import_government_taxonomy(db, path)
    category = taxonomy.require_category(db, "GOV-01-01")
    assert category.default_departments["district"] == "petitions"
    assert category.risk_class == "collective_action"
    assert set(category.sla_hours) == set(reference.SLA_STAGES)


def draft(**fields) -> CategoryDraft:
    values = {
        "code": "UM-01-99",
        "name": "测试分类",
        "parent_code": "UM-01",
        "risk_class": "city_appearance",
        "default_departments": {"city": "urban_management"},
    }
    return CategoryDraft(**(values | fields))


def test_an_administrator_creates_a_category_that_fills_missing_stages_from_its_group(
    seeded: Session,
):
    created = service.create_category(
        seeded, actor=ADMIN, draft=draft(sla_hours={"resolve": 6}, keywords=[" 新词 ", "新词", ""])
    )
    group = taxonomy.get_category(seeded, "UM-01")
    assert group is not None
    assert created.sla_hours["resolve"] == 6
    assert created.sla_hours["accept"] == group.sla_hours["accept"]
    assert set(created.sla_hours) == set(reference.SLA_STAGES)
    assert created.keywords == ["新词"]
    assert created.source == "admin"
    assert created.level == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"code": "um-01-99"}, "category_code_invalid"),
        ({"code": "UM 01"}, "category_code_invalid"),
        ({"code": "X" * 41}, "category_code_invalid"),
        ({"name": "  "}, "category_name_invalid"),
        ({"parent_code": "ZZ-01"}, "category_parent_unknown"),
        ({"parent_code": "UM-01-01"}, "category_parent_not_group"),
        ({"sla_hours": {"lunch": 1}}, "category_sla_stage_unknown"),
        ({"sla_hours": {"resolve": 0}}, "category_sla_hours_invalid"),
        ({"sla_hours": {"resolve": -2}}, "category_sla_hours_invalid"),
        ({"sla_hours": {"resolve": float("inf")}}, "category_sla_hours_invalid"),
        ({"hour_basis": "lunar"}, "category_hour_basis_unknown"),
        ({"default_departments": {"province": "police"}}, "category_department_level_unknown"),
        ({"default_departments": {"city": "wizards"}}, "category_department_kind_unknown"),
        ({"risk_class": "dragons"}, "category_risk_class_unknown"),
        ({"risk_class": None}, "category_risk_class_required"),
        ({"keywords": ["长" * 41]}, "category_keyword_too_long"),
    ],
)
def test_a_category_breaking_a_rule_is_refused_with_its_code(seeded: Session, fields, code):
    with pytest.raises(Invalid) as refused:
        service.create_category(seeded, actor=ADMIN, draft=draft(**fields))
    assert refused.value.code == code
    assert count(seeded, Category.source == "admin") == 0


def test_a_department_kind_a_deployment_created_is_accepted(seeded: Session, city):
    from civicgrid.auth import service as auth_service  # noqa: PLC0415

    auth_service.create_department(
        seeded, code="530500-tobacco", name="烟草专卖局", kind="tobacco", region_code="530500"
    )
    created = service.create_category(
        seeded, actor=ADMIN, draft=draft(default_departments={"city": "tobacco"})
    )
    assert created.default_departments == {"city": "tobacco"}


def test_an_existing_code_is_a_conflict(seeded: Session):
    with pytest.raises(Conflict):
        service.create_category(seeded, actor=ADMIN, draft=draft(code="UM-01-01"))


def test_only_an_administrator_changes_the_taxonomy(seeded: Session):
    with pytest.raises(Forbidden):
        service.create_category(seeded, actor=DISPATCHER, draft=draft())
    with pytest.raises(Forbidden):
        service.deactivate_category(seeded, actor=DISPATCHER, code="UM-01-01")


def test_a_group_cannot_become_a_category_nor_the_other_way(seeded: Session):
    with pytest.raises(Invalid) as refused:
        service.update_category(seeded, actor=ADMIN, code="UM-02", changes={"parent_code": "UM-01"})
    assert refused.value.code == "category_level_fixed"
    with pytest.raises(Invalid):
        service.update_category(seeded, actor=ADMIN, code="UM-02-01", changes={"parent_code": None})


def test_a_category_may_move_to_another_group(seeded: Session):
    moved = service.update_category(
        seeded, actor=ADMIN, code="UM-02-09", changes={"parent_code": "SG-05"}
    )
    assert moved.parent_code == "SG-05"


def test_a_group_is_switched_off_only_after_its_categories(seeded: Session):
    with pytest.raises(Invalid) as refused:
        service.deactivate_category(seeded, actor=ADMIN, code="UM-05")
    assert refused.value.code == "category_has_active_children"
    for code in ("UM-05-01", "UM-05-02", "UM-05-03"):
        service.deactivate_category(seeded, actor=ADMIN, code=code)
    assert service.deactivate_category(seeded, actor=ADMIN, code="UM-05").active is False
    with pytest.raises(Invalid) as again:
        service.update_category(seeded, actor=ADMIN, code="UM-05-01", changes={"active": True})
    assert again.value.code == "category_parent_inactive"


def test_changing_an_unknown_code_is_not_found(seeded: Session):
    with pytest.raises(NotFound):
        service.update_category(seeded, actor=ADMIN, code="ZZ-99", changes={"name": "x"})
