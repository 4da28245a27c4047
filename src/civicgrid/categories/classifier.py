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

How a text is read is in `text`, the rules in `keyword_rules`, fitting and
scoring the model in `training`, and where training rows come from in
`training_data`.
"""

import itertools
import logging
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import joblib
import numpy as np
from numpy.typing import NDArray

from civicgrid.categories.keyword_rules import CategoryTerms, Floats, keyword_rules
from civicgrid.categories.text import load_dictionary, read_opening, text_features
from civicgrid.errors import Invalid
from civicgrid.settings import Settings, get_settings

log = logging.getLogger(__name__)
MODEL_FORMAT = 1
TOP_ALTERNATIVES = 3
Source = Literal["rules", "model"]


@dataclass(frozen=True)
class Alternative:
    code: str
    confidence: float


@dataclass(frozen=True)
class Suggestion:
    """The best category for a text, how sure (0..1), which evidence decided, the runners-up.

    Chosen in two steps: the level-1 group with the most evidence (`group`,
    `group_confidence`: the summed confidence of its categories), then the best
    category inside it. `confidence` is the category's own share of all the
    evidence, `confidence_in_group` its share of the group's, so
    `confidence ≤ group_confidence`. `group` is None for categories given
    without one. `alternatives` holds up to three other codes, best first, for
    a dispatcher to choose from when `low_confidence` is set.
    """

    code: str
    confidence: float
    source: Source
    alternatives: tuple[Alternative, ...]
    low_confidence: bool
    group: str | None = None
    group_confidence: float = 0.0
    confidence_in_group: float = 0.0


@dataclass
class TrainedModel:
    """A fitted TF-IDF vocabulary and linear classifier, kept as plain arrays.

    Prediction is done here rather than through scikit-learn: its per-call
    input checks cost about a millisecond, more than the arithmetic, and
    intake classifies one case at a time. Plain arrays also keep the file
    independent of scikit-learn's pickle format across upgrades. The class stays
    in this module: a saved file names it by module, so moving it would make
    every model already saved unreadable.
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
        return np.exp(log_softmax(margins * self.temperature)), known

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The model's own best class per raw text (no rules), for evaluation."""
        probabilities, _ = self.probabilities([read_opening(text) for text in texts])
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
    read = [read_opening(text) for text in texts]
    rule_part = rules.evidence(read)
    strength = rule_part.sum(axis=1, keepdims=True)
    model_part = (1.0 - strength) * _model_probabilities(model, read, rules.codes)
    combined = rule_part + model_part
    threshold = settings.classifier_min_confidence
    groups = _groups(categories, rules.codes)
    return [
        _suggestion(
            rules.codes,
            groups,
            combined[row],
            rule_part=rule_part[row],
            model_part=model_part[row],
            threshold=threshold,
        )
        for row in range(len(texts))
    ]


def prepare(categories: Sequence[CategoryTerms], settings: Settings | None = None) -> None:
    """Load now what the first suggestion would wait for: the model file, jieba's
    dictionary and the keyword index of these categories."""
    current_model(settings or get_settings())
    keyword_rules(tuple(categories))
    load_dictionary()


@dataclass(frozen=True)
class _Groups:
    """Each category column's group as an index, and each index's level-1 code."""

    of_column: NDArray[np.int64]
    codes: tuple[str | None, ...]


def _groups(categories: Sequence[CategoryTerms], codes: Sequence[str]) -> _Groups:
    group_of = {category.code: category.group for category in categories}
    index: dict[str, int] = {}
    of_column = np.fromiter(
        (index.setdefault(group_of[code], len(index)) for code in codes),
        dtype=np.int64,
        count=len(codes),
    )
    return _Groups(of_column, tuple(code or None for code in index))


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
    codes: Sequence[str],
    groups: _Groups,
    combined: Floats,
    *,
    rule_part: Floats,
    model_part: Floats,
    threshold: float,
) -> Suggestion | None:
    """The group with the most evidence first, then its best category.

    Summing over a group lets evidence spread over its categories (a noise
    complaint split between 噪音扰民 and 施工噪音) still outweigh one category of
    another group that happens to score a little higher alone.
    """
    if not codes or combined.max() <= 0.0:
        return None
    group_scores = np.bincount(groups.of_column, weights=combined)
    best_group = int(group_scores.argmax())
    in_group = np.where(groups.of_column == best_group, combined, -1.0)
    best = int(in_group.argmax())
    confidence = _unit(combined[best])
    # The first few of the ranking only: every category carries some model evidence, and
    # building all two hundred runners-up per text was a third of a batch's intake.
    runners_up = (
        int(i) for i in np.argsort(-combined, kind="stable") if int(i) != best and combined[i] > 0.0
    )
    alternatives = tuple(
        Alternative(codes[i], _unit(combined[i]))
        for i in itertools.islice(runners_up, TOP_ALTERNATIVES)
    )
    source: Source = "rules" if rule_part[best] >= model_part[best] else "model"
    group_confidence = _unit(group_scores[best_group])
    return Suggestion(
        codes[best],
        confidence,
        source,
        alternatives,
        confidence < threshold,
        group=groups.codes[best_group],
        group_confidence=group_confidence,
        confidence_in_group=_unit(combined[best] / group_scores[best_group]),
    )


def _unit(value: float) -> float:
    """A confidence clipped into 0..1 against rounding in the sums."""
    return min(1.0, max(0.0, float(value)))


def log_softmax(logits: Floats) -> Floats:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


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
