"""Case category suggestion on real citizen messages: quality, coverage and speed, in one run.

The government taxonomy (../shared/data/messages/taxonomy.csv) is imported through the
categories service into a scratch SQLite database, giving the GOV- level-2 categories
with their level-3 names as keywords. There are no human labels for the messages, so
messages_with_replies.csv is labelled weakly: a message keeps the category whose
keywords alone give a confident rule hit (`weak_labels`), the rest stay unlabelled.
Labelled messages are split 80/20 by message id (fixed seed); the model is trained on
the training part plus the categories' own term rows, as the product trains it.

Because the labels come from keywords, three figures are reported for the test part:
the model alone on the text as it is (the keywords are still in it, so this flatters),
the model alone with every taxonomy keyword blanked out (can it tell the category
from the rest of the wording?), and the full suggestion (rules + model), whose
agreement with keyword labels is nearly circular and is shown only with its coverage.
Speed is measured on all 2,816 messages: one `suggest` call at a time (p50/p99) and
`suggest_many` over the whole file, in one process and split over two.

    .venv/bin/python bench/classifier.py [--seed N]
"""

import argparse
import csv
import datetime
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.categories import classifier
from civicgrid.categories.classifier import TrainedModel
from civicgrid.categories.government import GOVERNMENT_PREFIX, import_government_taxonomy
from civicgrid.categories.keyword_rules import CategoryTerms, category_terms, keyword_rules
from civicgrid.categories.seeds import seed_builtin
from civicgrid.categories.text import normalise_text
from civicgrid.categories.training import evaluate, train
from civicgrid.categories.training_data import (
    WEAK_LABEL_CONFIDENCE,
    read_messages,
    term_rows,
    weak_labels,
)
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "messages"
TAXONOMY = SHARED_DATA / "taxonomy.csv"
REPLIES = SHARED_DATA / "messages_with_replies.csv"
VOTES = SHARED_DATA / "messages_with_votes.csv"
ID_COLUMN = "留言编号"
TEST_SHARE = 0.2
SINGLE_CALLS = 1000
BATCH_REPEATS = 3
# No saved model file may leak into the measurement: suggestions get the model passed in.
NO_MODEL = Settings(classifier_path=Path("/nonexistent/model.joblib"))


@dataclass(frozen=True)
class Message:
    id: str
    text: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261123)
    arguments = parser.parse_args()
    if not REPLIES.is_file():
        sys.exit(f"{REPLIES} is missing: the benchmark needs ../shared/data beside the checkout")
    with tempfile.TemporaryDirectory() as scratch:
        government, everything = _taxonomies(Path(scratch) / "bench.db")
    messages = _messages()
    _report_quality(government, messages, arguments.seed)
    _report_demo_training(everything)


def _taxonomies(database: Path) -> tuple[list[CategoryTerms], list[CategoryTerms]]:
    """The GOV- categories alone, and the demo's set (built-in plus GOV-)."""
    engine = create_db_engine(f"sqlite:///{database}")
    upgrade_database(engine)
    with make_session_factory(engine)() as db:
        government = _imported(db)
        seed_builtin(db)
        db.commit()
        everything = category_terms(db)
    engine.dispose()
    return government, everything


def _imported(db: Session) -> list[CategoryTerms]:
    import_government_taxonomy(db, TAXONOMY)
    db.commit()
    terms = category_terms(db)
    return [t for t in terms if t.code.startswith(GOVERNMENT_PREFIX)]


def _messages() -> list[Message]:
    with REPLIES.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    texts = read_messages(REPLIES)
    return [Message(record[ID_COLUMN], text) for record, text in zip(records, texts, strict=True)]


def _report_quality(terms: list[CategoryTerms], messages: list[Message], seed: int) -> None:
    labelled = dict(weak_labels([m.text for m in messages], terms))
    ids = sorted({m.id for m in messages if m.text in labelled})
    random.Random(seed).shuffle(ids)
    test_ids = set(ids[: round(len(ids) * TEST_SHARE)])
    train_rows = [
        (m.text, labelled[m.text]) for m in messages if m.id in ids and m.id not in test_ids
    ]
    test_rows = [(m.text, labelled[m.text]) for m in messages if m.id in test_ids]
    started = time.perf_counter()
    model = train(train_rows + term_rows(terms))
    train_seconds = time.perf_counter() - started
    plain = evaluate(model, test_rows)
    masked = evaluate(model, _masked(test_rows, terms))
    threshold = NO_MODEL.classifier_min_confidence
    print(f"# Case category suggestion ({datetime.date.today()}, {_machine()})\n")
    print(f"GOV- taxonomy: {len(terms)} level-2 categories, {_keywords(terms)} level-3 keywords.")
    print(
        f"Weak labels (rule confidence ≥ {WEAK_LABEL_CONFIDENCE}): "
        f"{len(labelled)} of {len(messages)} messages ({len(labelled) / len(messages):.1%}), "
        f"{len(set(labelled.values()))} categories; train {len(train_rows)}, "
        f"test {len(test_rows)} (split by message id, seed {seed}).\n"
    )
    print("| held-out weak-labelled messages | accuracy | macro-F1 |")
    print("|---|---:|---:|")
    print(f"| model alone, text as is | {plain.accuracy:.3f} | {plain.macro_f1:.3f} |")
    print(f"| model alone, keywords blanked out | {masked.accuracy:.3f} | {masked.macro_f1:.3f} |")
    print(_suggestion_row(model, terms, test_rows, threshold))
    print()
    _report_coverage(model, terms, messages, threshold)
    print(f"\nTraining: {model.rows} rows, {train_seconds:.1f} s.\n")
    _report_speed(model, terms, [m.text for m in messages])


def _masked(rows: Sequence[tuple[str, str]], terms: list[CategoryTerms]) -> list[tuple[str, str]]:
    """The rows with every taxonomy term blanked out, so only the other words are left."""
    rules = keyword_rules(tuple(terms))
    masked = []
    for text, label in rows:
        clean = normalise_text(text)
        for term in rules.matches(clean):
            clean = clean.replace(term, " ")
        masked.append((clean, label))
    return masked


def _suggestion_row(
    model: TrainedModel,
    terms: list[CategoryTerms],
    rows: Sequence[tuple[str, str]],
    threshold: float,
) -> str:
    suggestions = classifier.suggest_many(
        [t for t, _ in rows], terms, model=model, settings=NO_MODEL
    )
    right = sum(1 for s, (_, label) in zip(suggestions, rows, strict=True) if s and s.code == label)
    name = "rules + model (agrees with the keyword labels by construction)"
    return f"| {name} | {right / len(rows):.3f} | – |"


def _report_coverage(
    model: TrainedModel, terms: list[CategoryTerms], messages: list[Message], threshold: float
) -> None:
    texts = [m.text for m in messages]
    with_model = classifier.suggest_many(texts, terms, model=model, settings=NO_MODEL)
    rules_only = classifier.suggest_many(texts, terms, settings=NO_MODEL)
    print(f"Coverage over all {len(texts)} messages at confidence ≥ {threshold}:\n")
    print("| suggestion | confident | low-confidence | none |")
    print("|---|---:|---:|---:|")
    for name, suggestions in (("rules only", rules_only), ("rules + model", with_model)):
        confident = sum(1 for s in suggestions if s and not s.low_confidence)
        low = sum(1 for s in suggestions if s and s.low_confidence)
        none = len(suggestions) - confident - low
        shares = " | ".join(_share(count, texts) for count in (confident, low, none))
        print(f"| {name} | {shares} |")
    by_model = sum(1 for s in with_model if s and not s.low_confidence and s.source == "model")
    print(f"\nConfident suggestions decided by the model rather than the rules: {by_model}.")


def _report_speed(model: TrainedModel, terms: list[CategoryTerms], texts: list[str]) -> None:
    """Wall-clock and CPU figures: on a shared machine the CPU ones are the comparable ones."""
    classifier.suggest_many(texts[:50], terms, model=model, settings=NO_MODEL)
    wall, cpu = [], []
    for text in texts[:SINGLE_CALLS]:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        classifier.suggest(text, terms, model=model, settings=NO_MODEL)
        cpu.append((time.thread_time_ns() - started_cpu) / 1000)
        wall.append((time.perf_counter_ns() - started) / 1000)
    one = min(_batch_seconds(model, terms, texts) for _ in range(BATCH_REPEATS))
    two = min(_two_process_seconds(model, terms, texts) for _ in range(BATCH_REPEATS))
    mean_chars = statistics.mean(len(t) for t in texts)
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    print(f"Speed on all {len(texts)} messages (mean {mean_chars:.0f} characters; load {load}):\n")
    print("| | wall clock | CPU time |")
    print("|---|---:|---:|")
    print(f"| `suggest`, one text, p50 | {_quantile(wall, 0.5)} µs | {_quantile(cpu, 0.5)} µs |")
    print(f"| `suggest`, one text, p99 | {_quantile(wall, 0.99)} µs | {_quantile(cpu, 0.99)} µs |")
    best = f"best of {BATCH_REPEATS}"
    rate, cpu_rate = len(texts) / one[0], len(texts) / one[1]
    print(
        f"| `suggest_many`, 1 process, {best} | {rate:,.0f} texts/s | {cpu_rate:,.0f} texts/CPU-s |"
    )
    print(f"| `suggest_many`, 2 processes, {best} | {len(texts) / two:,.0f} texts/s | |")


def _quantile(values: list[float], share: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * share))]:,.0f}"


def _batch_seconds(
    model: TrainedModel, terms: list[CategoryTerms], texts: list[str]
) -> tuple[float, float]:
    """Wall and CPU seconds of one `suggest_many` over all texts."""
    started, started_cpu = time.perf_counter(), time.process_time()
    classifier.suggest_many(texts, terms, model=model, settings=NO_MODEL)
    return time.perf_counter() - started, time.process_time() - started_cpu


_worker_state: tuple[TrainedModel, list[CategoryTerms]] | None = None


def _start_worker(model: TrainedModel, terms: list[CategoryTerms]) -> None:
    global _worker_state  # noqa: PLW0603  one model per worker process, sent once
    _worker_state = (model, terms)
    classifier.suggest_many(["warm up"], terms, model=model, settings=NO_MODEL)


def _suggest_in_worker(texts: list[str]) -> int:
    assert _worker_state is not None
    model, terms = _worker_state
    return len(classifier.suggest_many(texts, terms, model=model, settings=NO_MODEL))


def _two_process_seconds(
    model: TrainedModel, terms: list[CategoryTerms], texts: list[str]
) -> float:
    """Two worker processes, each with the model loaded once, half the texts each."""
    with ProcessPoolExecutor(2, initializer=_start_worker, initargs=(model, terms)) as pool:
        list(pool.map(_suggest_in_worker, [["warm up"], ["warm up"]]))
        started = time.perf_counter()
        halves = [texts[: len(texts) // 2], texts[len(texts) // 2 :]]
        list(pool.map(_suggest_in_worker, halves))
        return time.perf_counter() - started


def _report_demo_training(terms: list[CategoryTerms]) -> None:
    """What `civicgrid demo` with the shared data trains: every term plus labelled messages."""
    started = time.perf_counter()
    rows = term_rows(terms) + weak_labels(read_messages(VOTES), terms)
    model = train(rows)
    seconds = time.perf_counter() - started
    print(
        f"\nDemo model (built-in + GOV- categories, term rows + weak-labelled "
        f"messages_with_votes.csv): {model.rows} rows, {len(model.classes)} categories, "
        f"trained in {seconds:.1f} s."
    )


def _keywords(terms: list[CategoryTerms]) -> int:
    return sum(len(t.keywords) for t in terms)


def _share(count: int, texts: Sequence[str]) -> str:
    return f"{count} ({count / len(texts):.1%})"


def _machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
