"""Category suggestion at the level-1 group of the government taxonomy, trained with no
human label: the old keyword weak labels against the new method (three levels of names,
seeds, self-training), measured on held-out weak labels, with training time and latency.

The government taxonomy (../shared/data/messages/taxonomy.csv) is imported into a scratch
SQLite database. The unlabelled messages are both message files (messages_with_votes.csv
and messages_with_replies.csv, about 7,000, each once by text). They are split 80/20 by
message (fixed seed); the test fifth is never seen by training, not even unlabelled by
self-training.

There are no human labels. Two weak labellings of the test fifth are used, each mapped
to level-1 groups: the old one (`training_data.weak_labels`: a category's own keywords
at rule confidence ≥ 0.5, what bench/classifier.py evaluates with) and the new one
(`weak_training.seed_labels` over the names' derived words). Each method is scored on
both, as the model alone, the model alone with every taxonomy word blanked out of the
text (can the rest of the wording tell the group?), and the full hierarchical suggestion
(rules + model, group first). Labels made from keywords favour the method made from the
same keywords: read the figures as agreement with a rule, not as accuracy.

A third pseudo-truth does not come from the message text at all: for the held-out
messages that have an official reply, the responding unit the reply names (教育局,
交通运输局, 人社局, 住建局, 城管局, 环保局…, `REPLY_UNITS`), mapped to its level-1 group, kept
only when the reply names units of one group. Anyone can check it against the file.

    PYTHONPATH=src .venv/bin/python bench/classify.py [--seed N] [--write]

`--write` replaces the section "Category suggestion by group" of bench/RESULTS.md.
"""

import argparse
import csv
import datetime
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score

from civicgrid.categories import classifier
from civicgrid.categories.classifier import TrainedModel
from civicgrid.categories.government import GOVERNMENT_PREFIX, import_government_taxonomy
from civicgrid.categories.keyword_rules import CategoryTerms, KeywordRules, category_terms
from civicgrid.categories.text import normalise_text
from civicgrid.categories.training import train
from civicgrid.categories.training_data import read_messages, term_rows, weak_labels
from civicgrid.categories.weak_training import (
    SELF_TRAINING_ROUNDS,
    derived_terms,
    seed_labels,
    self_train,
)
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "messages"
TAXONOMY = SHARED_DATA / "taxonomy.csv"
MESSAGE_FILES = (SHARED_DATA / "messages_with_votes.csv", SHARED_DATA / "messages_with_replies.csv")
REPLIES = SHARED_DATA / "messages_with_replies.csv"
REPLY_COLUMN = "答复意见"
# Words of a responding unit's name, per level-1 group of the government taxonomy.
REPLY_UNITS = {
    "城乡建设": (
        "住建",
        "住房和城乡建设",
        "城乡建设局",
        "城管",
        "城市管理",
        "规划",
        "住房保障",
        "房产",
        "公积金",
        "物管",
    ),
    "教育文体": ("教育局", "教育体育局", "教体局"),
    "政法": ("公安",),
    "交通运输": ("交通运输局", "交通局"),
    "劳动和社会保障": ("人社", "人力资源和社会保障", "社会保障卡", "医保", "医疗保险"),
    "环境保护": ("环保局", "环境保护局", "生态环境"),
    "卫生计生": ("卫生和计划生育", "卫计", "卫健", "卫生健康"),
    "民政": ("民政",),
    "国土资源": ("国土",),
    "商贸旅游": ("商务局", "旅游局"),
}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "# 12. Category suggestion by group, trained without human labels (issue 16)"
TEST_SHARE = 0.2
LATENCY_CALLS = 1000
NO_MODEL = Settings(classifier_path=Path("/nonexistent/model.joblib"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--write", action="store_true", help="write the section of RESULTS.md")
    arguments = parser.parse_args()
    if not TAXONOMY.is_file():
        sys.exit(f"{TAXONOMY} is missing: the benchmark needs ../shared/data beside the checkout")
    with tempfile.TemporaryDirectory() as scratch:
        terms = _government_terms(Path(scratch) / "bench.db")
    texts = list(dict.fromkeys(text for path in MESSAGE_FILES for text in read_messages(path)))
    random.Random(arguments.seed).shuffle(texts)
    cut = round(len(texts) * TEST_SHARE)
    test, pool = texts[:cut], texts[cut:]
    lines = _report(terms, pool, test, arguments.seed)
    report = "\n".join(lines)
    print(report)
    if arguments.write:
        _write(report)


def _government_terms(database: Path) -> list[CategoryTerms]:
    engine = create_db_engine(f"sqlite:///{database}")
    upgrade_database(engine)
    with make_session_factory(engine)() as db:
        import_government_taxonomy(db, TAXONOMY)
        db.commit()
        terms = [t for t in category_terms(db) if t.code.startswith(GOVERNMENT_PREFIX)]
    engine.dispose()
    return terms


def _report(terms: list[CategoryTerms], pool: list[str], test: list[str], seed: int) -> list[str]:
    group_of = {t.code: t.group for t in terms}
    group_name = {t.group: t.group_name for t in terms}
    derived = derived_terms(terms)
    by_name = {name: code for code, name in group_name.items()}
    labellings = {
        "old keyword labels": _as_groups(weak_labels(test, terms), group_of),
        "new name-derived labels": _as_groups(seed_labels(test, derived), group_of),
        "the responding unit named in the official reply": _reply_units(set(test), by_name),
    }
    started = time.perf_counter()
    old_model = train(weak_labels(pool, terms) + term_rows(terms))
    old_seconds = time.perf_counter() - started
    started = time.perf_counter()
    new_model = self_train(pool, terms)
    new_seconds = time.perf_counter() - started
    methods = {
        "old: keyword weak labels": (old_model, terms),
        "new: derived names, seeds, self-training": (new_model, derived),
        "new without self-training (seeds only)": (self_train(pool, terms, rounds=0), derived),
    }
    masker = KeywordRules(derived)
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    lines = [
        SECTION,
        "",
        f"One run, {datetime.date.today()}, {platform.python_version()} on "
        f"{os.cpu_count()} cores shared with other work (load {load}); seed {seed}.",
        "`PYTHONPATH=src .venv/bin/python bench/classify.py --write` (bench/classify.py's "
        "docstring says what is measured).",
        "",
        f"{len(terms)} GOV- categories in {len(group_name)} groups; {len(pool) + len(test)} "
        f"distinct messages, {len(pool)} for training (unlabelled), {len(test)} held out.",
        "",
    ]
    for label_name, labels in labellings.items():
        shown = ", ".join(f"{group_name[g]} {n}" for g, n in _counts(labels.values()))
        lines += [
            f"**Held out, {label_name}**: {len(labels)} of {len(test)} messages labelled "
            f"({shown}). Level-1 group, accuracy / macro-F1:",
            "",
            "| method | model alone | model alone, taxonomy words blanked | rules + model |",
            "|---|---:|---:|---:|",
        ]
        for method_name, (model, method_terms) in methods.items():
            rows = list(labels.items())
            by_model = partial(_model_groups, model, group_of=group_of)
            alone = _score(rows, by_model)
            blanked = _score([(_blanked(masker, text), group) for text, group in rows], by_model)
            full = _score(rows, partial(_suggested_groups, model, method_terms))
            lines.append(f"| {method_name} | {alone} | {blanked} | {full} |")
        lines.append("")
    agreement = _agreement(methods, test)
    lines += [
        "Agreement of the two methods' level-1 suggestion (rules + model) on all "
        f"{len(test)} held-out messages, labelled or not: {agreement:.3f}.",
        "",
        f"Training on {len(pool)} messages: old {old_seconds:.1f} s ({old_model.rows} rows), "
        f"new {new_seconds:.1f} s ({new_model.rows} rows in the last round; seeds, then "
        f"{SELF_TRAINING_ROUNDS} self-training round, each a fit with its calibration).",
        "",
        _latency(new_model, derived, test),
        "",
    ]
    return lines


def _reply_units(test: set[str], group_code: dict[str, str]) -> dict[str, str]:
    """Held-out messages whose reply names the units of exactly one group, with that group."""
    with REPLIES.open(encoding="utf-8-sig", newline="") as handle:
        replies = [record.get(REPLY_COLUMN) or "" for record in csv.DictReader(handle)]
    labelled = {}
    for text, reply in zip(read_messages(REPLIES), replies, strict=True):
        named = {g for g, units in REPLY_UNITS.items() if any(unit in reply for unit in units)}
        if text in test and len(named) == 1:
            labelled[text] = group_code[named.pop()]
    return labelled


def _as_groups(rows: Sequence[tuple[str, str]], group_of: dict[str, str]) -> dict[str, str]:
    return {text: group_of[code] for text, code in rows}


def _counts(values: Iterable[str]) -> list[tuple[str, int]]:
    return Counter(values).most_common()


def _score(
    rows: Sequence[tuple[str, str]], predict: Callable[[list[str]], list[str | None]]
) -> str:
    truth = [group for _, group in rows]
    predicted = [group or "" for group in predict([text for text, _ in rows])]
    accuracy = accuracy_score(truth, predicted)
    macro = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    return f"{accuracy:.3f} / {macro:.3f}"


def _model_groups(
    model: TrainedModel, texts: list[str], *, group_of: dict[str, str]
) -> list[str | None]:
    return [group_of.get(code) for code in model.predict(texts)]


def _suggested_groups(
    model: TrainedModel, terms: list[CategoryTerms], texts: list[str]
) -> list[str | None]:
    found = classifier.suggest_many(texts, terms, model=model, settings=NO_MODEL)
    return [None if s is None else s.group for s in found]


def _blanked(rules: KeywordRules, text: str) -> str:
    """The text with every taxonomy word (derived ones too) blanked out."""
    clean = normalise_text(text)
    for term in rules.matches(clean):
        clean = clean.replace(term, " ")
    return clean


def _agreement(
    methods: dict[str, tuple[TrainedModel, list[CategoryTerms]]],
    texts: list[str],
) -> float:
    (old, old_terms), (new, new_terms), _ = methods.values()
    first = _suggested_groups(old, old_terms, texts)
    second = _suggested_groups(new, new_terms, texts)
    return sum(a == b for a, b in zip(first, second, strict=True)) / len(texts)


def _latency(model: TrainedModel, terms: list[CategoryTerms], texts: list[str]) -> str:
    classifier.suggest_many(texts[:20], terms, model=model, settings=NO_MODEL)
    wall = []
    for text in (texts * 2)[:LATENCY_CALLS]:
        started = time.perf_counter_ns()
        classifier.suggest(text, terms, model=model, settings=NO_MODEL)
        wall.append((time.perf_counter_ns() - started) / 1e6)
    wall.sort()
    p50, p99 = wall[len(wall) // 2], wall[int(len(wall) * 0.99)]
    return (
        f"Suggestion latency, new model, one `suggest` call at a time over {len(wall)} "
        f"held-out messages (wall clock): p50 {p50:.2f} ms, p99 {p99:.2f} ms."
    )


def _write(report: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + report.rstrip("\n") + "\n"
    else:
        end = text.find("\n# ", start + len(SECTION))
        tail = "" if end < 0 else text[end:]
        text = text[:start] + report.rstrip("\n") + "\n" + tail
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
