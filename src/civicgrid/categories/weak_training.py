"""Training the category model with no labelled case: weak labels from the taxonomy's own
names at three levels, then self-training on unlabelled messages.

A government taxonomy names its categories at three levels (城乡建设 / 城市建设和市政管理 /
园林绿化环卫), but residents rarely write those names whole. `derived_terms` adds the
pieces and words the names are made of (城市建设, 市政管理, 园林, 绿化, 环卫), and the
words of the level-1 name to every category of its group, so a message about 环卫 finds
its group even when no category name is in it. A derived word that several groups
share (管理, 服务) says nothing about any of them and is left out.

`seed_labels` keeps a message only when one group holds most of its rule evidence and
that evidence is more than one stray word. `self_train` fits the model on those seeds
and the term rows, labels the remaining messages with it, keeps only the confident
ones, and fits again: the model learns the wording around the names (噪音 with 施工, 扰民,
半夜) and carries it to messages that name nothing. Every label here is derived from the
names: the figures measured against them are not a dispatcher's judgement.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import jieba
import numpy as np
from sqlalchemy.orm import Session

from civicgrid.categories.classifier import TrainedModel, model_path, save_model
from civicgrid.categories.keyword_rules import CategoryTerms, KeywordRules, category_terms
from civicgrid.categories.text import normalise_text, read_opening
from civicgrid.categories.training import train
from civicgrid.categories.training_data import read_messages, term_rows
from civicgrid.settings import Settings

# Names join their parts with these: 城市建设和市政管理, 房产证登记、办理, 勘察设计和施工监管.
_JOINERS = re.compile(r"[和与及、/（）()，,·\s]+")
# A derived word owned by categories of more groups than this names none of them.
MAX_GROUPS_PER_WORD = 1
# A message becomes a seed when its best group holds this share of the rule evidence…
SEED_SHARE = 0.6
# …and that evidence weighs at least this much (a lone two-character word weighs 1).
SEED_WEIGHT = 2.0
# One round: a second changed no held-out figure of bench/classify.py and doubled the time.
SELF_TRAINING_ROUNDS = 1
# 3 of 5 is a share of 0.6 even when the floating-point sum makes it 0.5999….
_ROUNDING = 1e-9
# A message the model labels joins the next round when its group is this probable.
SELF_TRAINING_CONFIDENCE = 0.6


def derived_terms(categories: Sequence[CategoryTerms]) -> list[CategoryTerms]:
    """The categories with the pieces and words of their three levels of names as keywords.

    The categories' own names and keywords are kept whatever they share; a
    derived word is kept only when the categories owning it are all of one group.
    """
    derived: dict[str, set[str]] = {}
    groups_of: dict[str, set[str]] = defaultdict(set)
    for category in categories:
        words = _words(category.name, *category.keywords, category.group_name)
        derived[category.code] = words
        for word in words:
            groups_of[word].add(category.group)
    result = []
    for category in categories:
        own = {normalise_text(term) for term in (category.name, *category.keywords)}
        kept = sorted(
            word
            for word in derived[category.code] - own
            if len(groups_of[word]) <= MAX_GROUPS_PER_WORD
        )
        result.append(replace(category, keywords=(*category.keywords, *kept)))
    return result


def _words(*names: str) -> set[str]:
    """The pieces of names split at their joiners, and their jieba words, two characters up."""
    found: set[str] = set()
    for name in names:
        for piece in _JOINERS.split(normalise_text(name)):
            if len(piece) >= 2:
                found.add(piece)
                found.update(w for w in jieba.cut(piece, HMM=False) if len(w) >= 2)
    return found


def seed_labels(
    messages: Iterable[str],
    categories: Sequence[CategoryTerms],
    *,
    share: float = SEED_SHARE,
    weight: float = SEED_WEIGHT,
) -> list[tuple[str, str]]:
    """(message, category) for the messages whose rule evidence points at one group.

    The category is the group's best; `categories` should be `derived_terms`.
    """
    rules = KeywordRules(categories)
    group_of = {category.code: category.group for category in categories}
    seeds: list[tuple[str, str]] = []
    for text in messages:
        # Sorted, so sums and ties come out the same whatever the order the terms were found in.
        weights = dict(sorted(rules.weights(read_opening(text)).items()))
        totals: dict[str, float] = defaultdict(float)
        for code, value in weights.items():
            totals[group_of[code]] += value
        if not totals:
            continue
        group, best = max(totals.items(), key=lambda item: item[1])
        if best >= weight and best >= share * sum(totals.values()) - _ROUNDING:
            in_group = (code for code in weights if group_of[code] == group)
            seeds.append((text, max(in_group, key=lambda code: weights[code])))
    return seeds


def self_train(
    messages: Sequence[str],
    categories: Sequence[CategoryTerms],
    *,
    rounds: int = SELF_TRAINING_ROUNDS,
    confidence: float = SELF_TRAINING_CONFIDENCE,
) -> TrainedModel:
    """The model fitted on the names, the seeds and, round by round, its own confident labels.

    Each round labels every message that is not a seed afresh, so a label a
    better model no longer believes drops out again.
    """
    terms = derived_terms(categories)
    base = term_rows(terms)
    seeds = seed_labels(messages, terms)
    seeded = {text for text, _ in seeds}
    pool = [text for text in dict.fromkeys(messages) if text not in seeded]
    model = train(base + seeds)
    group_of = {category.code: category.group for category in categories}
    for _ in range(rounds):
        model = train(base + seeds + _confident(model, pool, group_of, confidence))
    return model


def _confident(
    model: TrainedModel, texts: Sequence[str], group_of: dict[str, str], confidence: float
) -> list[tuple[str, str]]:
    """(text, category) where the model's summed probability for one group reaches `confidence`."""
    if not texts:
        return []
    probabilities, known = model.probabilities([read_opening(text) for text in texts])
    groups = sorted({group_of.get(code, code) for code in model.classes})
    column = {group: index for index, group in enumerate(groups)}
    membership = np.zeros((len(model.classes), len(groups)))
    for row, code in enumerate(model.classes):
        membership[row, column[group_of.get(code, code)]] = 1.0
    group_probabilities = probabilities @ membership
    best_group = group_probabilities.argmax(axis=1)
    labelled = []
    for row, text in enumerate(texts):
        group = int(best_group[row])
        if not known[row] or group_probabilities[row, group] < confidence:
            continue
        in_group = np.where(membership[:, group] > 0, probabilities[row], -1.0)
        labelled.append((text, model.classes[int(in_group.argmax())]))
    return labelled


def train_demo_model(
    db: Session, *, messages_paths: Sequence[Path], settings: Settings | None = None
) -> TrainedModel | None:
    """Train and save the demo's model for the categories in force: from their terms alone,
    or, when message-board exports are at hand, self-trained on their messages.

    None, and no file, when fewer than two categories exist: there is nothing to choose.
    """
    terms = category_terms(db)
    if len(terms) < 2:
        return None
    messages = [text for path in messages_paths if path.is_file() for text in read_messages(path)]
    model = self_train(messages, terms) if messages else train(term_rows(terms))
    save_model(model, model_path(settings))
    return model
