"""Category suggestion: keyword rules, the trained model, their combination, files and CLI."""

import csv
import io
from pathlib import Path

import jieba
import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy.orm import Session

from civicgrid.categories import classifier, seeds
from civicgrid.categories.classifier import TrainedModel
from civicgrid.categories.keyword_rules import CategoryTerms, category_terms, keyword_rules
from civicgrid.categories.text import normalise_text, text_features
from civicgrid.categories.training import MAX_FEATURES, evaluate, train
from civicgrid.categories.training_data import (
    parse_training_csv,
    read_messages,
    read_training_csv,
    term_rows,
    weak_labels,
)
from civicgrid.categories.weak_training import derived_terms, train_demo_model
from civicgrid.cli import main
from civicgrid.errors import Invalid
from civicgrid.settings import Settings

NOISE = CategoryTerms("T-01-01", "噪声扰民", ("施工噪音扰民", "噪音"))
ROADS = CategoryTerms("T-01-02", "道路破损", ("路面塌陷", "坑洼"))
PROPERTY = CategoryTerms("T-02-01", "物业服务", ("物业费",))
CATEGORIES = [NOISE, ROADS, PROPERTY]

ROWS = [
    ("晚上工地一直在打桩，吵得睡不着觉", NOISE.code),
    ("广场舞音响声音太大，老人孩子休息不了", NOISE.code),
    ("楼下酒吧半夜还在放音乐，吵闹严重", NOISE.code),
    ("凌晨货车装卸声音很吵，影响休息", NOISE.code),
    ("隔壁装修电钻声音吵了一整天", NOISE.code),
    ("马路上有个大坑，电动车经过容易摔倒", ROADS.code),
    ("人行道地砖松动破损，下雨踩上去溅一身泥", ROADS.code),
    ("路面开裂下沉，汽车经过颠簸得厉害", ROADS.code),
    ("下水道井盖旁边的路面坏了一大块", ROADS.code),
    ("沥青路面破了个洞，车辆绕行很危险", ROADS.code),
    ("小区电梯坏了一个月，物业公司不管不问", PROPERTY.code),
    ("物业乱收停车管理费，业主意见很大", PROPERTY.code),
    ("小区绿化没人打理，物业服务太差", PROPERTY.code),
    ("物业公司保安不在岗，外来人员随便进出小区", PROPERTY.code),
    ("业委会和物业公司账目不公开", PROPERTY.code),
]


def without_a_saved_model(tmp_path: Path) -> Settings:
    return Settings(classifier_path=tmp_path / "no-model.joblib", data_dir=tmp_path)


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return train(ROWS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return without_a_saved_model(tmp_path)


def test_a_model_trained_on_separable_text_suggests_the_right_category(model, settings):
    texts = {
        "工地晚上打桩太吵了": NOISE.code,
        "路面有个坑，摔倒了好几个人": ROADS.code,
        "物业公司不修电梯": PROPERTY.code,
    }
    names_only = [CategoryTerms(c.code, c.name) for c in CATEGORIES]
    for text, code in texts.items():
        suggestion = classifier.suggest(text, names_only, model=model, settings=settings)
        assert suggestion is not None
        assert (suggestion.code, suggestion.source) == (code, "model")
        assert 0.0 < suggestion.confidence <= 1.0


def test_the_model_predicts_its_training_set_back(model):
    assert model.predict([text for text, _ in ROWS]) == [code for _, code in ROWS]
    assert model.rows == len(ROWS)
    assert set(model.classes) == {NOISE.code, ROADS.code, PROPERTY.code}


def test_gibberish_gets_no_confident_suggestion(model, settings):
    for text in ("qwzx vbnm 12345 ~~~", "鑫淼焱垚犇骉", "", "   \t\n"):
        suggestion = classifier.suggest(text, CATEGORIES, model=model, settings=settings)
        assert suggestion is None or suggestion.low_confidence, text


def test_a_strong_keyword_beats_the_model(model, settings):
    text = "物业公司不管，小区电梯坏了，还有施工噪音扰民"
    alone = classifier.suggest(
        text, [CategoryTerms(c.code, c.name) for c in CATEGORIES], model=model, settings=settings
    )
    assert alone is not None
    assert alone.code == PROPERTY.code
    suggestion = classifier.suggest(text, CATEGORIES, model=model, settings=settings)
    assert suggestion is not None
    assert (suggestion.code, suggestion.source) == (NOISE.code, "rules")
    assert not suggestion.low_confidence
    assert PROPERTY.code in [alternative.code for alternative in suggestion.alternatives]


def test_a_short_keyword_alone_leaves_the_choice_to_the_dispatcher(settings):
    suggestion = classifier.suggest("这里有点噪音", CATEGORIES, settings=settings)
    assert suggestion is not None
    assert (suggestion.code, suggestion.source) == (NOISE.code, "rules")
    assert suggestion.low_confidence


def test_rules_alone_are_confident_on_a_specific_keyword(settings):
    suggestion = classifier.suggest("前面路面塌陷了，非常危险", CATEGORIES, settings=settings)
    assert suggestion is not None
    assert (suggestion.code, suggestion.source, suggestion.low_confidence) == (
        ROADS.code,
        "rules",
        False,
    )


def test_text_pointing_nowhere_gets_no_suggestion(settings):
    assert classifier.suggest("今天天气很好", CATEGORIES, settings=settings) is None
    assert classifier.suggest("路面塌陷", [], settings=settings) is None


def test_the_longest_keyword_counts_not_the_words_inside_it():
    rules = keyword_rules(tuple(CATEGORIES))
    assert rules.matches(normalise_text("施工噪音扰民，还有噪音")) == {
        "施工噪音扰民",
        "噪音",
    }
    assert rules.matches("施工噪音扰民") == {"施工噪音扰民"}


@pytest.mark.parametrize(("threshold", "low"), [(0.0, False), (1.0, True)])
def test_the_threshold_setting_decides_what_is_low_confidence(tmp_path, threshold, low):
    settings = Settings(classifier_path=tmp_path / "none", classifier_min_confidence=threshold)
    suggestion = classifier.suggest("前面路面塌陷了", CATEGORIES, settings=settings)
    assert suggestion is not None
    assert suggestion.low_confidence is low


def test_alternatives_are_up_to_three_runners_up_best_first(model, settings):
    more = [*CATEGORIES, CategoryTerms("T-03-01", "违章建筑", ("违建",))]
    suggestion = classifier.suggest(
        "物业公司不修电梯，楼下还很吵", more, model=model, settings=settings
    )
    assert suggestion is not None
    confidences = [a.confidence for a in suggestion.alternatives]
    assert len(suggestion.alternatives) <= 3
    assert suggestion.code not in [a.code for a in suggestion.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert all(c <= suggestion.confidence for c in confidences)


def test_a_batch_gives_what_one_call_at_a_time_gives(model, settings):
    texts = [text for text, _ in ROWS] + ["鑫淼焱垚", "施工噪音扰民"]
    batch = classifier.suggest_many(texts, CATEGORIES, model=model, settings=settings)
    one_by_one = [classifier.suggest(t, CATEGORIES, model=model, settings=settings) for t in texts]
    assert batch == one_by_one


def test_the_models_own_vectors_are_scikit_learns_tf_idf(model):
    """The fast prediction path must see a text exactly as the fitted vectoriser did."""
    vectorizer = TfidfVectorizer(
        analyzer=text_features,
        sublinear_tf=True,
        max_features=MAX_FEATURES,
        dtype=np.float32,
    )
    vectorizer.fit([normalise_text(text) for text, _ in ROWS])
    assert vectorizer.vocabulary_ == model.vocabulary
    text = normalise_text("晚上物业公司的电钻声音吵，路面也坏了")
    expected = vectorizer.transform([text]).toarray()[0]
    columns, values = model.vector(text)
    ours = np.zeros(len(model.vocabulary))
    ours[columns] = values
    assert np.allclose(ours, expected, atol=1e-6)


def test_probabilities_sum_to_one(model):
    probabilities, known = model.probabilities(["物业公司", "鑫淼焱垚"])
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert known.tolist() == [True, False]


def test_two_classes_are_enough(settings):
    rows = [(t, c) for t, c in ROWS if c != PROPERTY.code]
    two = train(rows)
    suggestion = classifier.suggest("工地打桩太吵", [NOISE, ROADS], model=two, settings=settings)
    assert suggestion is not None
    assert suggestion.code == NOISE.code


def test_training_refuses_fewer_than_two_classes():
    with pytest.raises(Invalid) as refused:
        train([("路面塌陷", ROADS.code), ("路面坑洼", ROADS.code), ("", NOISE.code)])
    assert refused.value.code == "classifier_too_few_classes"


def test_training_refuses_labels_that_are_not_category_codes():
    with pytest.raises(Invalid) as refused:
        train(ROWS, known_codes={NOISE.code, ROADS.code})
    assert refused.value.code == "classifier_unknown_labels"
    assert PROPERTY.code in refused.value.params["codes"]


def test_evaluation_reports_accuracy_macro_f1_and_support(model):
    held_out = [
        ("工地半夜打桩，吵死了", NOISE.code),
        ("路面有坑，车辆颠簸", ROADS.code),
        ("物业公司乱收费", PROPERTY.code),
        ("物业公司不管电梯", PROPERTY.code),
    ]
    report = evaluate(model, held_out)
    assert (report.rows, report.accuracy, report.macro_f1) == (4, 1.0, 1.0)
    assert report.support == {NOISE.code: 1, ROADS.code: 1, PROPERTY.code: 2}
    wrong = evaluate(model, [("工地半夜打桩，吵死了", ROADS.code)])
    assert (wrong.accuracy, wrong.macro_f1) == (0.0, 0.0)


def test_evaluation_refuses_no_rows(model):
    with pytest.raises(Invalid) as refused:
        evaluate(model, [("  ", NOISE.code)])
    assert refused.value.code == "classifier_no_rows"


def test_a_saved_model_is_used_and_a_retrained_one_picked_up(tmp_path):
    path = tmp_path / "model.joblib"
    settings = Settings(classifier_path=path)
    assert classifier.current_model(settings) is None
    classifier.save_model(train(ROWS), path)
    first = classifier.current_model(settings)
    assert first is not None
    assert classifier.current_model(settings) is first
    suggestion = classifier.suggest(
        "物业公司不修电梯", [*CATEGORIES[:2], PROPERTY], settings=settings
    )
    assert suggestion is not None
    assert suggestion.code == PROPERTY.code

    retrained = train([(t, c) for t, c in ROWS if c != PROPERTY.code])
    classifier.save_model(retrained, path)
    second = classifier.current_model(settings)
    assert second is not None
    assert second is not first
    assert PROPERTY.code not in second.classes


def test_the_model_file_defaults_to_the_data_folder(tmp_path):
    assert (
        classifier.model_path(Settings(data_dir=tmp_path))
        == tmp_path / "classifier" / "model.joblib"
    )


def test_an_unreadable_model_file_leaves_the_rules_working(tmp_path):
    path = tmp_path / "model.joblib"
    path.write_bytes(b"not a model")
    settings = Settings(classifier_path=path)
    with pytest.raises(Invalid) as refused:
        classifier.load_model(path)
    assert refused.value.code == "classifier_model_unreadable"
    assert classifier.current_model(settings) is None
    suggestion = classifier.suggest("前面路面塌陷了", CATEGORIES, settings=settings)
    assert suggestion is not None
    assert suggestion.code == ROADS.code


def test_weak_labels_keep_only_confident_keyword_hits():
    messages = [
        "前面路面塌陷了，还有好几个坑洼",  # two specific road terms
        "这里有点噪音",  # one short keyword: not sure enough
        "今天天气很好",  # nothing
        "路面塌陷，噪声扰民",  # two categories, equally
    ]
    assert weak_labels(messages, CATEGORIES) == [(messages[0], ROADS.code)]
    assert weak_labels(messages, []) == []


def test_term_rows_train_a_model_with_no_shared_data(settings):
    bare = CategoryTerms("T-04-01", "占道经营")
    rows = term_rows([*CATEGORIES, bare])
    assert {code for _, code in rows} == {c.code for c in [*CATEGORIES, bare]}
    model = train(rows)
    text = "路口有人占道摆摊"  # no whole term: only the model can tell
    assert classifier.suggest(text, [*CATEGORIES, bare], settings=settings) is None
    suggestion = classifier.suggest(text, [*CATEGORIES, bare], model=model, settings=settings)
    assert suggestion is not None
    assert (suggestion.code, suggestion.source) == (bare.code, "model")


def test_the_demo_model_is_trained_from_the_seeded_categories(seeded: Session, tmp_path):
    settings = Settings(data_dir=tmp_path)
    model = train_demo_model(seeded, messages_paths=[tmp_path / "absent.csv"], settings=settings)
    assert model is not None
    terms = category_terms(seeded)
    assert set(model.classes) == {t.code for t in terms}
    saved = classifier.current_model(settings)
    assert saved is not None
    assert saved.classes == model.classes
    assert saved.predict(["小区门口的井盖丢了"]) == ["UM-03-01"]


def test_the_demo_model_learns_from_messages_when_given(seeded: Session, tmp_path):
    messages = tmp_path / "messages.csv"
    with messages.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["留言编号", "留言主题", "留言详情"])
        writer.writerow(["1", "小区井盖缺失", "\n\t\t井盖缺失好几天了，晚上路过很危险\n"])
        writer.writerow(["2", "咨询", "请问社保怎么办理"])
    settings = Settings(data_dir=tmp_path)
    model = train_demo_model(seeded, messages_paths=[messages], settings=settings)
    assert model is not None
    # The names' own rows (derived words included), and the 井盖 message as a seed.
    terms = derived_terms(category_terms(seeded))
    assert model.rows >= len(term_rows(terms)) + 1
    assert model.predict(["井盖缺失好几天了"]) == ["UM-03-01"]


def test_real_messages_get_weak_labels_from_the_built_in_keywords(shared_data):
    drafts = [d for d in seeds.builtin_drafts() if d.parent_code is not None]
    terms = [CategoryTerms(d.code, d.name, tuple(d.keywords)) for d in drafts]
    path = shared_data / "messages" / "messages_with_votes.csv"
    messages = list(read_messages(path))
    labelled = weak_labels(messages, terms)
    assert 200 < len(labelled) < len(messages)
    assert len({code for _, code in labelled}) > 20


def test_the_demo_model_needs_categories(db: Session, tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert train_demo_model(db, messages_paths=[], settings=settings) is None
    assert not classifier.model_path(settings).exists()


def test_category_terms_are_the_active_level_two_categories(seeded: Session):
    terms = category_terms(seeded)
    assert terms
    assert all(t.code.count("-") == 2 for t in terms)
    noise = next(t for t in terms if t.code == "SG-08-04")
    assert "广场舞" in noise.keywords


# CSV parsing and text normalisation.


def test_a_csv_with_chinese_headers_and_extra_columns_is_read():
    content = "编号,文本,类别\n1,路面塌陷, T-01-02 \n2,短\n3,晚上施工很吵,T-01-01\n"
    assert parse_training_csv(content) == [
        ("路面塌陷", "T-01-02"),
        ("晚上施工很吵", "T-01-01"),
    ]


def test_a_gb18030_csv_from_excel_is_read(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("文本,类别\n路面塌陷,T-01-02\n".encode("gb18030"))
    assert read_training_csv(path) == [("路面塌陷", "T-01-02")]


@pytest.mark.parametrize("content", ["", "text,label\na,b\n", "内容,类别\n路面,T-01\n"])
def test_a_csv_without_text_and_category_columns_is_refused(content):
    with pytest.raises(Invalid) as refused:
        parse_training_csv(content)
    assert refused.value.code == "classifier_csv_columns"


def test_a_missing_csv_file_is_refused(tmp_path):
    with pytest.raises(Invalid) as refused:
        read_training_csv(tmp_path / "absent.csv")
    assert refused.value.code == "classifier_csv_unreadable"


cells = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


@given(
    rows=st.lists(st.tuples(cells, cells), max_size=8),
    text_header=st.sampled_from(["text", " TEXT ", "Ｔｅｘｔ", "文本"]),
    label_header=st.sampled_from(["category", "Category", "类别 "]),
)
def test_csv_rows_come_back_as_written(rows, text_header, label_header):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label_header, text_header])
    writer.writerows([(label, text) for text, label in rows])
    parsed = parse_training_csv(buffer.getvalue())
    assert parsed == [(text, label.strip()) for text, label in rows]


@given(st.text())
def test_normalising_is_stable_and_leaves_single_inner_spaces(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not any(ch.isspace() and ch != " " for ch in once)


def test_normalising_folds_width_case_and_padding():
    assert normalise_text("\n\t\t  ＫＴＶ　噪音\r\n１２３  ") == "ktv 噪音 123"


# The command line.


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def write_csv(path: Path, header: str, rows: list[tuple[str, str]]) -> Path:
    lines = [header] + [f"{text},{code}" for text, code in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SEEDED_ROWS = [
    ("小区门口井盖丢了", "UM-03-01"),
    ("井盖松动，车压过去哐哐响", "UM-03-01"),
    ("人行道井盖破了个洞", "UM-03-01"),
    ("楼下广场舞音响太吵", "SG-08-04"),
    ("半夜有人放音乐扰民", "SG-08-04"),
    ("隔壁KTV噪音很大", "SG-08-04"),
]


def assert_one_line_refusal(result: Result, words: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0
    assert words in result.output


def test_cli_trains_and_evaluates_a_model(cli_env, seeded, tmp_path):
    data = write_csv(tmp_path / "rows.csv", "文本,类别", SEEDED_ROWS)
    trained = run("classifier", "train", str(data))
    assert trained.exit_code == 0, trained.output
    assert "6 条样本" in trained.output
    assert (cli_env / "classifier" / "model.joblib").is_file()
    evaluated = run("classifier", "evaluate", str(data), "--per-class")
    assert evaluated.exit_code == 0, evaluated.output
    assert "准确率 1.000" in evaluated.output
    assert "宏平均 F1 1.000" in evaluated.output
    assert "UM-03-01" in evaluated.output


def test_cli_saves_where_told_and_evaluates_that_file(cli_env, seeded, tmp_path):
    data = write_csv(tmp_path / "rows.csv", "text,category", SEEDED_ROWS)
    out = tmp_path / "elsewhere" / "m.joblib"
    assert run("classifier", "train", str(data), "--out", str(out)).exit_code == 0
    assert out.is_file()
    assert run("classifier", "evaluate", str(data), "--model", str(out)).exit_code == 0


def test_cli_refuses_a_csv_without_the_columns(cli_env, seeded, tmp_path):
    data = write_csv(tmp_path / "rows.csv", "message,label", SEEDED_ROWS)
    assert_one_line_refusal(run("classifier", "train", str(data)), "text")


def test_cli_refuses_a_single_class(cli_env, seeded, tmp_path):
    data = write_csv(tmp_path / "rows.csv", "text,category", SEEDED_ROWS[:3])
    assert_one_line_refusal(run("classifier", "train", str(data)), "至少需要 2 个类别")


def test_cli_refuses_labels_that_are_not_category_codes(cli_env, seeded, tmp_path):
    data = write_csv(tmp_path / "rows.csv", "text,category", [*SEEDED_ROWS, ("乱停车", "XX-99")])
    result = run("classifier", "train", str(data))
    assert_one_line_refusal(result, "XX-99")
    assert not (cli_env / "classifier" / "model.joblib").exists()


def test_cli_refuses_a_missing_file_and_a_missing_model(cli_env, tmp_path):
    assert_one_line_refusal(run("classifier", "train", str(tmp_path / "absent.csv")), "absent.csv")
    data = write_csv(tmp_path / "rows.csv", "text,category", SEEDED_ROWS)
    assert_one_line_refusal(run("classifier", "evaluate", str(data)), "classifier train")


def test_jieba_says_nothing_when_it_loads_its_dictionary(capfd):
    jieba.Tokenizer().initialize()
    assert capfd.readouterr().err == ""
