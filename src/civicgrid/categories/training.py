"""Fitting the text model: sublinear TF-IDF over jieba words and character bigrams, a
linear SVM, and the temperature that turns its margins into probabilities; and scoring it."""

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC

from civicgrid.categories.classifier import TrainedModel, log_softmax
from civicgrid.categories.keyword_rules import Floats
from civicgrid.categories.text import read_opening, text_features
from civicgrid.errors import Invalid

MAX_FEATURES = 50_000
# One scale needs few held-out margins, and every fold costs a full SVM fit.
CALIBRATION_FOLDS = 2


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
    matrix = vectorizer.fit_transform([read_opening(text) for text in texts])
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


def _log_loss(logits: Floats, truth: NDArray[np.int64]) -> float:
    return float(-np.mean(log_softmax(logits)[np.arange(len(truth)), truth]))


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
