"""Suggesting a case category from free Chinese text: keyword rules plus a trainable model.

Intake files every case under a level-2 category, but residents and hotline
operators write free text. Two kinds of evidence are combined:

- rules: the category's name and keywords found in the text, each weighted by
  its length (a longer term is more specific) and divided among the
  categories that share it. Rules need no training and say exactly why.
- a text model: sublinear TF-IDF over jieba words and character bigrams with a
  linear SVM whose margins are calibrated into probabilities, trained from
  labelled cases (or, for the demo, from the categories' own terms and
  keyword-labelled messages). It catches wording no keyword list foresaw.

The stronger the rule evidence, the more the rules decide. Below the
`classifier_min_confidence` setting a suggestion is flagged low-confidence so
intake leaves the choice to a dispatcher. The model is loaded once per process
and read again only when its file changes.
"""

import csv
import io
import logging
import math
import os
import re
import tempfile
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jieba
import joblib
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC
from sqlalchemy.orm import Session

from civicgrid.categories.service import taxonomy
from civicgrid.errors import Invalid
from civicgrid.settings import Settings, get_settings

# jieba logs its dictionary loading to stderr on first use; the platform has nothing to add.
jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

MODEL_FORMAT = 1
# What a suggestion reads of a text: the opening states the problem, and the cost of
# every step grows with length (some petitions run to thousands of characters).
READ_CHARS = 1000
# jieba costs about 4 µs a character in pure Python, so words come from about a
# subject line; character bigrams, far cheaper, cover everything read.
WORD_CHARS = 30
MAX_FEATURES = 50_000
# One scale needs few held-out margins, and every fold costs a full SVM fit.
CALIBRATION_FOLDS = 2
# Rule weight at which the rules' strength reaches 1 - 1/e (a unique five-character
# keyword weighs 4, a unique two-character one 1).
RULE_SCALE = 3.0
TOP_ALTERNATIVES = 3
# Weak labels keep only messages whose keyword evidence alone is this confident.
WEAK_LABEL_CONFIDENCE = 0.5
TEXT_HEADERS = ("text", "文本")
LABEL_HEADERS = ("category", "类别")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# The subject and body columns of a government message-board export.
MESSAGE_COLUMNS = ("留言主题", "留言详情")

Source = Literal["rules", "model"]
Floats = NDArray[np.float64]

_WHITESPACE = re.compile(r"\s+")
_WORD_RUNS = re.compile(r"\w+")


def normalise_text(text: str) -> str:
    """One spelling for matching: NFKC (full-width → half-width), lower case, single spaces.

    Exports pad text with tabs and newlines and mix full- and half-width
    forms; none of that changes what a resident meant. Normalising after
    lower-casing again keeps the result stable when normalised twice.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).lower())
    return _WHITESPACE.sub(" ", folded).strip()


def _read(text: str) -> str:
    """The normalised opening a suggestion is based on."""
    return normalise_text(text)[:READ_CHARS]


@dataclass(frozen=True)
class CategoryTerms:
    """What the classifier needs of a category: its code and the words that name it."""

    code: str
    name: str
    keywords: tuple[str, ...] = ()


def category_terms(db: Session) -> list[CategoryTerms]:
    """The active level-2 categories, the only ones a case may be filed under."""
    return [
        CategoryTerms(f.code, f.name, f.keywords)
        for f in taxonomy(db).values()
        if f.active and f.parent_code is not None
    ]


@dataclass(frozen=True)
class Alternative:
    code: str
    confidence: float


@dataclass(frozen=True)
class Suggestion:
    """The best category for a text, how sure (0..1), which evidence decided, the runners-up.

    `alternatives` holds up to three other codes, best first, for a dispatcher
    to choose from when `low_confidence` is set.
    """

    code: str
    confidence: float
    source: Source
    alternatives: tuple[Alternative, ...]
    low_confidence: bool


class KeywordRules:
    """Category terms indexed for a longest-match scan, built once per category set."""

    def __init__(self, categories: Sequence[CategoryTerms]) -> None:
        self.codes = tuple(dict.fromkeys(c.code for c in categories))
        self._column = {code: index for index, code in enumerate(self.codes)}
        owners: dict[str, set[str]] = defaultdict(set)
        for category in categories:
            for term in (category.name, *category.keywords):
                key = normalise_text(term)
                # A single character says too little (路, 水, 电 are in every other case).
                if len(key) >= 2:
                    owners[key].add(category.code)
        self._owners = {key: tuple(sorted(codes)) for key, codes in owners.items()}
        self._lengths = sorted({len(key) for key in owners}, reverse=True)
        self._openings = {key[:2] for key in owners}

    def matches(self, text: str) -> set[str]:
        """Distinct terms in a normalised text, leftmost-longest: 施工噪音 is not also 噪音."""
        found: set[str] = set()
        resume = 0
        openings, owners = self._openings, self._owners
        for start in [i for i in range(len(text) - 1) if text[i : i + 2] in openings]:
            if start < resume:
                continue
            for length in self._lengths:
                piece = text[start : start + length]
                if len(piece) == length and piece in owners:
                    found.add(piece)
                    resume = start + length
                    break
        return found

    def weights(self, text: str) -> dict[str, float]:
        """Rule weight per category: (length - 1) per term found, shared among its owners."""
        weights: dict[str, float] = defaultdict(float)
        for term in self.matches(text):
            owners = self._owners[term]
            for code in owners:
                weights[code] += (len(term) - 1) / len(owners)
        return weights

    def evidence(self, texts: Sequence[str]) -> Floats:
        """Per normalised text, each category's rule confidence: strength × share.

        Strength (0..1) grows with the best category's weight; the share splits
        it among the categories whose terms were found.
        """
        confidence = np.zeros((len(texts), len(self.codes)))
        for row, text in enumerate(texts):
            weights = self.weights(text)
            if not weights:
                continue
            strength = 1.0 - math.exp(-max(weights.values()) / RULE_SCALE)
            total = sum(weights.values())
            for code, weight in weights.items():
                confidence[row, self._column[code]] = strength * weight / total
        return confidence


@lru_cache(maxsize=8)
def keyword_rules(categories: tuple[CategoryTerms, ...]) -> KeywordRules:
    """Rules for a category set, cached: intake asks with the same set for every case."""
    return KeywordRules(categories)


def text_features(text: str) -> list[str]:
    """jieba words of a normalised text's opening plus character bigrams: the model's tokens.

    Words carry meaning (物业, 噪音); bigrams survive words jieba's dictionary
    splits badly, and misspellings. Bigrams are taken within runs of letters
    and digits: one straddling punctuation says nothing.
    """
    words = [w for w in jieba.cut(text[:WORD_CHARS], HMM=False) if len(w) > 1 and w.isalnum()]
    runs = _WORD_RUNS.findall(text)
    return words + [run[i : i + 2] for run in runs for i in range(len(run) - 1)]


@dataclass
class TrainedModel:
    """A fitted TF-IDF vocabulary and linear classifier, kept as plain arrays.

    Prediction is done here rather than through scikit-learn: its per-call
    input checks cost about a millisecond, more than the arithmetic, and
    intake classifies one case at a time. Plain arrays also keep the file
    independent of scikit-learn's pickle format across upgrades.
    """

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: NDArray[np.float32]
    weights: NDArray[np.float32]  # features × classes
    bias: NDArray[np.float32]
    temperature: float
    rows: int
    trained_at: datetime
    format: int = MODEL_FORMAT

    def vector(self, text: str) -> tuple[NDArray[np.int64], Floats]:
        """A normalised text's sublinear TF-IDF vector, L2-normalised, as (columns, values)."""
        counts = Counter(text_features(text))
        vocabulary = self.vocabulary
        found = [(i, n) for token, n in counts.items() if (i := vocabulary.get(token)) is not None]
        columns = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
        tf = np.fromiter((n for _, n in found), dtype=np.float64, count=len(found))
        values = (1.0 + np.log(tf)) * self.idf[columns]
        norm = float(np.sqrt(values @ values))
        return columns, values / norm if norm else values

    def probabilities(self, texts: Sequence[str]) -> tuple[Floats, NDArray[np.bool_]]:
        """Class probabilities per normalised text, and whether it held a token the model knows.

        A text of unknown tokens gets back probabilities made of the bias
        alone, which are no evidence; the second array lets callers drop them.
        """
        margins = np.tile(self.bias.astype(np.float64), (len(texts), 1))
        known = np.zeros(len(texts), dtype=bool)
        for row, text in enumerate(texts):
            columns, values = self.vector(text)
            margins[row] += values @ self.weights[columns]
            known[row] = len(columns) > 0
        return np.exp(_log_softmax(margins * self.temperature)), known

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The model's own best class per raw text (no rules), for evaluation."""
        probabilities, _ = self.probabilities([_read(text) for text in texts])
        return [self.classes[int(i)] for i in probabilities.argmax(axis=1)]


def suggest(
    text: str,
    categories: Sequence[CategoryTerms],
    *,
    model: TrainedModel | None = None,
    settings: Settings | None = None,
) -> Suggestion | None:
    """The category suggestion for one text; None when nothing in it points anywhere.

    Without `model`, the model saved at the configured path is used, if there is one.
    """
    return suggest_many([text], categories, model=model, settings=settings)[0]


def suggest_many(
    texts: Sequence[str],
    categories: Sequence[CategoryTerms],
    *,
    model: TrainedModel | None = None,
    settings: Settings | None = None,
) -> list[Suggestion | None]:
    """Suggestions for many texts, in order, as `suggest` gives them one by one.

    Each text is normalised once for both kinds of evidence, and the model is
    fetched once for the whole batch.
    """
    settings = settings or get_settings()
    model = model if model is not None else current_model(settings)
    rules = keyword_rules(tuple(categories))
    read = [_read(text) for text in texts]
    rule_part = rules.evidence(read)
    strength = rule_part.sum(axis=1, keepdims=True)
    model_part = (1.0 - strength) * _model_probabilities(model, read, rules.codes)
    combined = rule_part + model_part
    threshold = settings.classifier_min_confidence
    return [
        _suggestion(rules.codes, combined[row], rule_part[row], model_part[row], threshold)
        for row in range(len(texts))
    ]


def _model_probabilities(
    model: TrainedModel | None, texts: Sequence[str], codes: Sequence[str]
) -> Floats:
    """The model's probabilities laid out in the categories' columns, zero where it knows nothing.

    Classes the model knows but the category set lacks (a retired category)
    are dropped, not spread over the rest: their mass was never evidence for
    another category.
    """
    result = np.zeros((len(texts), len(codes)))
    if model is None or not texts or not codes:
        return result
    probabilities, known = model.probabilities(texts)
    position = {code: index for index, code in enumerate(model.classes)}
    for column, code in enumerate(codes):
        if code in position:
            result[:, column] = probabilities[:, position[code]]
    result[~known] = 0.0
    return result


def _suggestion(
    codes: Sequence[str], combined: Floats, rule_part: Floats, model_part: Floats, threshold: float
) -> Suggestion | None:
    if not codes:
        return None
    order = np.argsort(-combined, kind="stable")
    best = int(order[0])
    if combined[best] <= 0.0:
        return None
    confidence = min(1.0, float(combined[best]))
    alternatives = tuple(
        Alternative(codes[int(i)], float(combined[i]))
        for i in order[1 : 1 + TOP_ALTERNATIVES]
        if combined[i] > 0.0
    )
    source: Source = "rules" if rule_part[best] >= model_part[best] else "model"
    return Suggestion(codes[best], confidence, source, alternatives, confidence < threshold)


def train(
    rows: Iterable[tuple[str, str]], *, known_codes: Collection[str] | None = None
) -> TrainedModel:
    """Fit the text model on (text, category code) rows.

    Refuses fewer than two classes (there is nothing to choose between) and,
    when `known_codes` is given, labels that are not category codes: a model
    suggesting codes intake would reject is worse than none.
    """
    texts, labels = _usable_rows(rows)
    _require_trainable(labels, known_codes)
    vectorizer = TfidfVectorizer(
        analyzer=text_features, sublinear_tf=True, max_features=MAX_FEATURES, dtype=np.float32
    )
    matrix = vectorizer.fit_transform([_read(text) for text in texts])
    answers = np.asarray(labels)
    classes, weights, bias = _fit_svm(matrix, answers)
    return TrainedModel(
        classes=classes,
        vocabulary={str(token): int(i) for token, i in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float32),
        weights=weights,
        bias=bias,
        temperature=_fit_temperature(matrix, answers, classes),
        rows=len(texts),
        trained_at=datetime.now(UTC),
    )


def _usable_rows(rows: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Rows whose text and label are not blank, the label trimmed."""
    texts: list[str] = []
    labels: list[str] = []
    for text, label in rows:
        code = label.strip()
        if text.strip() and code:
            texts.append(text)
            labels.append(code)
    return texts, labels


def _require_trainable(labels: Sequence[str], known_codes: Collection[str] | None) -> None:
    classes = set(labels)
    if len(classes) < 2:
        raise Invalid("classifier_too_few_classes", count=len(classes))
    if known_codes is not None:
        unknown = sorted(classes - set(known_codes))
        if unknown:
            raise Invalid("classifier_unknown_labels", codes=", ".join(unknown[:10]))


def _fit_svm(
    matrix: Any, labels: NDArray[np.str_]
) -> tuple[tuple[str, ...], NDArray[np.float32], NDArray[np.float32]]:
    """A linear SVM as one margin column per class (a two-class SVM has one; it gets two).

    Weak and real labels are both skewed to a few busy categories; balanced
    class weights keep the rare ones from never being suggested.
    """
    svm = LinearSVC(class_weight="balanced", tol=1e-3).fit(matrix, labels)
    weights, bias = svm.coef_.T, svm.intercept_
    if weights.shape[1] == 1:
        weights = np.hstack([np.zeros_like(weights), weights])
        bias = np.concatenate([np.zeros(1), bias])
    classes = tuple(str(code) for code in svm.classes_)
    return classes, np.ascontiguousarray(weights, dtype=np.float32), bias.astype(np.float32)


def _fit_temperature(matrix: Any, labels: NDArray[np.str_], classes: tuple[str, ...]) -> float:
    """The softmax scale that turns the SVM's margins into honest probabilities.

    Fitted on the margins of rows each fold's SVM did not see (temperature
    scaling). One parameter, not scikit-learn's sigmoid per class, because that
    needs three examples of every class and a category without keywords
    contributes a single term row. Held-out rows of a class their fold never
    saw are left out: no scale could make that guess right.
    """
    column = {code: index for index, code in enumerate(classes)}
    margins: list[Floats] = []
    truth: list[int] = []
    folds = KFold(n_splits=min(CALIBRATION_FOLDS, len(labels)), shuffle=True, random_state=0)
    for fit_rows, held_rows in folds.split(labels):
        if len(set(labels[fit_rows])) < 2:
            continue
        fold_classes, weights, bias = _fit_svm(matrix[fit_rows], labels[fit_rows])
        held = held_rows[np.isin(labels[held_rows], fold_classes)]
        fold_margins = np.full((len(held), len(classes)), -np.inf)
        fold_margins[:, [column[code] for code in fold_classes]] = matrix[held] @ weights + bias
        margins.append(fold_margins)
        truth.extend(column[str(code)] for code in labels[held])
    if not truth:
        return 1.0
    stacked, answers = np.vstack(margins), np.asarray(truth)
    fit = minimize_scalar(
        lambda log_scale: _log_loss(stacked * math.exp(log_scale), answers),
        bounds=(-3.0, 5.0),
        method="bounded",
    )
    return math.exp(float(fit.x))


def _log_softmax(logits: Floats) -> Floats:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _log_loss(logits: Floats, truth: NDArray[np.int64]) -> float:
    return float(-np.mean(_log_softmax(logits)[np.arange(len(truth)), truth]))


@dataclass(frozen=True)
class EvaluationReport:
    """How the model alone does on labelled rows: accuracy, macro-F1, and per class."""

    rows: int
    accuracy: float
    macro_f1: float
    support: dict[str, int] = field(default_factory=dict)
    f1: dict[str, float] = field(default_factory=dict)


def evaluate(model: TrainedModel, rows: Iterable[tuple[str, str]]) -> EvaluationReport:
    """Score the model on held-out rows.

    Macro-F1 averages over the classes present in the rows, so a rare
    category counts as much as a busy one: dispatchers feel every wrong one.
    """
    texts, truth = _usable_rows(rows)
    if not texts:
        raise Invalid("classifier_no_rows")
    predicted = model.predict(texts)
    classes = sorted(set(truth))
    scores = f1_score(truth, predicted, labels=classes, average=None, zero_division=0)
    return EvaluationReport(
        rows=len(texts),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(np.mean(scores)),
        support={code: truth.count(code) for code in classes},
        f1={code: float(score) for code, score in zip(classes, scores, strict=True)},
    )


def model_path(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.classifier_path or settings.data_dir / "classifier" / "model.joblib"


def save_model(model: TrainedModel, path: Path) -> Path:
    """Write atomically: a server reading the old file never sees half a new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        joblib.dump(model, scratch)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return path


_loaded: dict[Path, tuple[tuple[int, int, int], TrainedModel]] = {}
_loading = threading.Lock()


def load_model(path: Path) -> TrainedModel:
    """The model in `path`, read from disk only when the file changed since the last read.

    The key includes the inode because `save_model` replaces the file: a
    retrain within one timestamp tick is still picked up. joblib files are
    pickles, so load only models the operator wrote.
    """
    try:
        stat = path.stat()
    except OSError:
        raise Invalid("classifier_model_missing", path=str(path)) from None
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    with _loading:
        cached = _loaded.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        model = _read_model(path)
        _loaded[path] = (stamp, model)
        return model


def _read_model(path: Path) -> TrainedModel:
    try:
        model = joblib.load(path)
    except Exception as error:
        raise Invalid("classifier_model_unreadable", path=str(path), detail=str(error)) from None
    if not isinstance(model, TrainedModel) or model.format != MODEL_FORMAT:
        raise Invalid("classifier_model_unreadable", path=str(path), detail=type(model).__name__)
    return model


def current_model(settings: Settings | None = None) -> TrainedModel | None:
    """The configured model, or None when none has been trained yet.

    An unreadable file is logged and skipped: intake still has the rules, and
    a broken model file must not stop residents from reporting.
    """
    path = model_path(settings)
    if not path.exists():
        return None
    try:
        return load_model(path)
    except Invalid:
        log.exception("classifier model at %s is unreadable; suggesting by rules only", path)
        return None


def read_training_csv(path: Path) -> list[tuple[str, str]]:
    """(text, category) rows of a CSV with a text,category (or 文本,类别) header."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Invalid("classifier_csv_unreadable", path=str(path), detail=error.strerror) from None
    for encoding in CSV_ENCODINGS:
        try:
            return parse_training_csv(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise Invalid("classifier_csv_unreadable", path=str(path), detail="encoding")


def parse_training_csv(content: str) -> list[tuple[str, str]]:
    """(text, category) rows of CSV text; rows too short to hold both columns are skipped.

    Header names are matched case- and width-insensitively, as spreadsheets
    write them in either.
    """
    reader = csv.reader(io.StringIO(content, newline=""))
    header = [normalise_text(name) for name in next(reader, [])]
    text_column = _column(header, TEXT_HEADERS)
    label_column = _column(header, LABEL_HEADERS)
    if text_column is None or label_column is None:
        raise Invalid("classifier_csv_columns")
    wanted = max(text_column, label_column)
    return [
        (record[text_column], record[label_column].strip())
        for record in reader
        if len(record) > wanted
    ]


def _column(header: Sequence[str], names: Sequence[str]) -> int | None:
    return next((header.index(name) for name in names if name in header), None)


def weak_labels(
    messages: Iterable[str],
    categories: Sequence[CategoryTerms],
    *,
    min_confidence: float = WEAK_LABEL_CONFIDENCE,
) -> list[tuple[str, str]]:
    """Label messages by the categories' keywords, keeping only confident hits.

    These labels are keyword-derived: a model trained on them learns the
    vocabulary around the keywords, not a dispatcher's judgement.
    """
    texts = list(messages)
    rules = keyword_rules(tuple(categories))
    if not rules.codes:
        return []
    confidence = rules.evidence([_read(text) for text in texts])
    best = confidence.argmax(axis=1)
    return [
        (text, rules.codes[int(best[row])])
        for row, text in enumerate(texts)
        if confidence[row, best[row]] >= min_confidence
    ]


def term_rows(categories: Sequence[CategoryTerms]) -> list[tuple[str, str]]:
    """Short training phrases made of each category's own name and keywords.

    With no labelled cases at all the model still learns each category's
    vocabulary, so a fresh installation suggests something from the first report.
    """
    rows: list[tuple[str, str]] = []
    for category in categories:
        rows.append((category.name, category.code))
        for keyword in category.keywords:
            rows.append((keyword, category.code))
            rows.append((f"{category.name} {keyword}", category.code))
    return rows


def read_messages(path: Path) -> Iterator[str]:
    """Subject and body of each message in a government message-board CSV export."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            yield " ".join(record.get(column) or "" for column in MESSAGE_COLUMNS)


def train_demo_model(
    db: Session, *, messages_path: Path | None, settings: Settings | None = None
) -> TrainedModel | None:
    """Train and save the demo's model from the category terms, plus keyword-labelled
    messages when `messages_path` (a message-board export) exists.

    None, and no file, when fewer than two categories exist: there is nothing to choose.
    """
    terms = category_terms(db)
    if len(terms) < 2:
        return None
    messages: Iterable[str] = ()
    if messages_path is not None and messages_path.is_file():
        messages = read_messages(messages_path)
    model = train(term_rows(terms) + weak_labels(messages, terms))
    save_model(model, model_path(settings))
    return model
