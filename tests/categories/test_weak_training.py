"""No labelled case: words derived from three levels of names, seeds, self-training."""

from civicgrid.categories.keyword_rules import CategoryTerms
from civicgrid.categories.weak_training import derived_terms, seed_labels, self_train

# Two groups of a government-style taxonomy: level-1 name, level-2 name, level-3 keywords.
MUNICIPAL = CategoryTerms(
    "G-01-01", "城市建设和市政管理", ("园林绿化环卫", "燃气供应"), "G-01", "城乡建设"
)
HOUSING = CategoryTerms(
    "G-01-02", "住房保障与房地产", ("物业服务", "住房公积金"), "G-01", "城乡建设"
)
POLLUTION = CategoryTerms("G-02-01", "环境污染", ("噪声污染", "大气污染"), "G-02", "环境保护")
SCHOOLS = CategoryTerms("G-03-01", "教育行政管理", ("学校管理", "招生入学"), "G-03", "教育文体")
CATEGORIES = [MUNICIPAL, HOUSING, POLLUTION, SCHOOLS]

MESSAGES = [
    "市政管理不到位，小区门口燃气管道漏气",
    "园林绿化没人修剪，环卫工人也不来",
    "物业服务太差，电梯坏了没人修",
    "住房公积金提取手续太复杂",
    "工厂排放废气，大气污染严重",
    "夜间施工噪声污染，居民无法休息",
    "学校招生入学政策不透明",
    "孩子入学被学校拒收",
    "小区楼下烧烤油烟呛人，晚上睡不着",
    "电梯坏了一周，业主很着急",
    "半夜工地还在打桩，吵得睡不着",
    "孩子转学手续怎么办",
]


def by_code(terms: list[CategoryTerms]) -> dict[str, CategoryTerms]:
    return {t.code: t for t in terms}


def test_the_pieces_and_words_of_the_names_become_keywords():
    derived = by_code(derived_terms(CATEGORIES))
    municipal = derived[MUNICIPAL.code].keywords
    assert {"城市建设", "市政管理", "环卫", "燃气"} <= set(municipal)
    assert "城乡建设" in municipal  # the group's name, for every category of the group
    assert set(MUNICIPAL.keywords) <= set(municipal)  # the level-3 names are kept


def test_a_derived_word_several_groups_share_names_none_of_them():
    noise = CategoryTerms("G-02-02", "城市噪声", ("城市噪声扰民",), "G-02", "环境保护")
    derived = derived_terms([*CATEGORIES, noise])
    # 城市 is a word of 城市建设 (城乡建设) and of 城市噪声 (环境保护).
    assert all("城市" not in terms.keywords for terms in derived)
    assert "噪声" in by_code(derived)[noise.code].keywords
    groups_of: dict[str, set[str]] = {}
    for terms in derived:
        for word in terms.keywords:
            groups_of.setdefault(word, set()).add(terms.group)
    own = {word for terms in [*CATEGORIES, noise] for word in terms.keywords}
    assert all(len(groups) == 1 for word, groups in groups_of.items() if word not in own)


def test_a_seed_is_a_message_whose_evidence_points_at_one_group():
    seeds = dict(seed_labels(MESSAGES, derived_terms(CATEGORIES)))
    assert seeds["物业服务太差，电梯坏了没人修"] == HOUSING.code
    assert seeds["工厂排放废气，大气污染严重"] == POLLUTION.code
    assert seeds["学校招生入学政策不透明"] == SCHOOLS.code
    assert "电梯坏了一周，业主很着急" not in seeds  # no name of any level in it
    assert "孩子转学手续怎么办" not in seeds


def test_self_training_labels_only_the_taxonomy_categories_and_predicts_each_group():
    model = self_train(MESSAGES, CATEGORIES, rounds=1, confidence=0.3)
    assert set(model.classes) == {c.code for c in CATEGORIES}
    predicted = model.predict(["燃气供应中断，园林绿化缺人管", "招生入学的学校名单"])
    assert predicted == [MUNICIPAL.code, SCHOOLS.code]
