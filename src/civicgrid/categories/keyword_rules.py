"""Keyword rules: a category's name and keywords found in a text, weighted by length
and shared among the categories that use them. They need no training and say exactly why."""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from civicgrid.categories.in_force import sources_in_force
from civicgrid.categories.taxonomy import taxonomy
from civicgrid.categories.text import normalise_text

# Rule weight at which the rules' strength reaches 1 - 1/e (a unique five-character
# keyword weighs 4, a unique two-character one 1).
RULE_SCALE = 3.0
Floats = NDArray[np.float64]


@dataclass(frozen=True)
class CategoryTerms:
    """What the classifier needs of a category: its code, the words that name it, its group.

    `group` is the level-1 code and `group_name` its name: suggestion chooses a
    group first, and the group's name is training evidence for its categories.
    """

    code: str
    name: str
    keywords: tuple[str, ...] = ()
    group: str = ""
    group_name: str = ""


def category_terms(db: Session, *, in_force_only: bool = True) -> list[CategoryTerms]:
    """The active level-2 categories of the taxonomy in force, the ones suggestion offers.

    With `in_force_only` false, every active level-2 category: what a case may be
    filed under by hand, and what a model may be trained for ahead of a switch.
    """
    filings = taxonomy(db)
    sources = sources_in_force(db) if in_force_only else None
    return [
        CategoryTerms(f.code, f.name, f.keywords, f.parent_code, filings[f.parent_code].name)
        for f in filings.values()
        if f.active and f.parent_code is not None and (sources is None or f.source in sources)
    ]


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
