"""Duplicate detection (串并): open reports of the same matter, offered to a dispatcher to merge.

A report is a candidate duplicate of another when both are open and visible to
the dispatcher, lie within a radius of each other (or, where a point is
missing, name the same address), were reported within a time window, are
filed under the same category or a sibling of it, and say much the same thing.

Wording is compared as sets of character bigrams (Jaccard). On the 4,326 real
citizen messages of bench/duplicates.py this did as well as jieba words with
TF-IDF weights (best F1 0.49 against 0.48–0.50, docs/duplicates.md), while
needing no dictionary to load, no corpus statistics to keep up to date, and no
segmenter that splits unknown place names wrongly. The pool compared is
small — the time window and bounding box are index range scans — so exact
Jaccard is cheap and MinHash would only add error.
"""

import math
import operator
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, may_see
from civicgrid.auth.service import require_role
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case
from civicgrid.cases.roles import CENTRE, DUPLICATE_READERS
from civicgrid.cases.states import FINISHED, Status
from civicgrid.cases.workflow import Change, lock_case, transition
from civicgrid.categories.models import Category
from civicgrid.categories.taxonomy import get_category
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.geo.distance import great_circle_m
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc

METRES_PER_DEGREE_LAT = 111_320.0
# Enough for any real window of one place; bounds the time of one look-up in a flood.
POOL_LIMIT = 1000
# A shorter address names an area (a road, a district), not one place.
MIN_ADDRESS_CHARS = 4
# How the ranking score weighs the evidence; wording decides, the rest breaks ties.
WEIGHTS = {"text": 0.7, "place": 0.1, "time": 0.1, "category": 0.1}
_NOISE = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Reason:
    """One piece of evidence for a match, shown as `<kind>.reason.<code>` with its params:
    a possible duplicate's (`duplicate.`) or a past answer's (`consult.`)."""

    code: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Candidate:
    case: Case
    score: float
    similarity: float
    distance_m: float | None
    hours_apart: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Terms:
    """The windows and threshold in force, from settings unless a caller (the bench) says."""

    radius_m: float
    window: timedelta
    min_similarity: float

    @classmethod
    def configured(cls) -> "Terms":
        settings = get_settings()
        return cls(
            radius_m=settings.duplicate_radius_m,
            window=timedelta(days=settings.duplicate_window_days),
            min_similarity=settings.duplicate_min_similarity,
        )


def shingles(text: str) -> frozenset[str]:
    """Character bigrams of the text without punctuation, spaces, case or full-width forms."""
    letters = _letters(text)
    if len(letters) < 2:
        return frozenset({letters} if letters else ())
    # map over two offsets builds the pairs in C: this is most of a look-up's time.
    return frozenset(map(operator.add, letters, letters[1:]))


def _letters(text: str) -> str:
    """Full-width forms (３栋, ＡＢ) made ordinary; punctuation and case dropped.

    Punctuation goes first, so the costly NFKC pass runs only on the rare text
    that still has compatibility forms after it.
    """
    letters = _NOISE.sub("", text)
    if not unicodedata.is_normalized("NFKC", letters):
        letters = _NOISE.sub("", unicodedata.normalize("NFKC", letters))
    return letters.casefold()


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard similarity of two shingle sets, 0 when either is empty."""
    if not first or not second:
        return 0.0
    common = len(first & second)
    return common / (len(first) + len(second) - common)


def candidates(
    db: Session, case: Case, actor: Actor, *, limit: int = 5, terms: Terms | None = None
) -> list[Candidate]:
    """The open reports most likely to be the same matter as `case`, best first."""
    require_role(actor, DUPLICATE_READERS)
    if not may_see(actor, case.region_code):
        raise NotFound("case_not_found", number=case.number)
    terms = terms or Terms.configured()
    siblings = _sibling_categories(db, case.category_code)
    words = shingles(case.description)
    found = [
        candidate
        for other in _pool(db, case, actor, terms, siblings)
        if (candidate := _judge(case, other, words, terms)) is not None
    ]
    found.sort(key=lambda candidate: (-candidate.score, candidate.case.id))
    return found[:limit]


def _pool(
    db: Session, case: Case, actor: Actor, terms: Terms, siblings: frozenset[str]
) -> list[Case]:
    """The open cases in the time window and the place's bounding box, by index range scans.

    In a flood the pool is capped, half on each side of the case's time, nearest first.
    """
    created = as_utc(case.created_at)
    query = select(Case).where(
        Case.id != case.id,
        Case.status.not_in([status.value for status in FINISHED]),
        readable(actor),
    )
    if case.category_code is not None:
        query = query.where(
            or_(Case.category_code.is_(None), Case.category_code.in_(sorted(siblings)))
        )
    unplaced = Case.lng.is_(None) & Case.address.is_not(None)
    if case.lng is None or case.lat is None:
        query = query.where(Case.address.is_not(None))
    else:
        query = query.where(or_(_box(case.lng, case.lat, terms.radius_m), unplaced))
    side = POOL_LIMIT // 2
    earlier = query.where(Case.created_at.between(created - terms.window, created))
    later = query.where(Case.created_at > created, Case.created_at <= created + terms.window)
    return [
        *db.scalars(earlier.order_by(Case.created_at.desc()).limit(side)),
        *db.scalars(later.order_by(Case.created_at).limit(side)),
    ]


def _box(lng: float, lat: float, radius_m: float) -> ColumnElement[bool]:
    """A bounding box a little larger than the circle, for the (lng, lat) index."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return and_(Case.lng.between(lng - dlng, lng + dlng), Case.lat.between(lat - dlat, lat + dlat))


def _sibling_categories(db: Session, code: str | None) -> frozenset[str]:
    """The category and the others under its level-1 group (related matters)."""
    if code is None:
        return frozenset()
    category = get_category(db, code)
    if category is None or category.parent_code is None:
        return frozenset({code})
    rows = db.scalars(select(Category.code).where(Category.parent_code == category.parent_code))
    return frozenset({code, *rows})


def _judge(case: Case, other: Case, words: frozenset[str], terms: Terms) -> Candidate | None:
    # Place first: it is cheap, and the wording's bigrams are most of a look-up's time.
    place = _place(case, other, terms.radius_m)
    if place is None:
        return None
    text = similarity(words, shingles(other.description))
    if text < terms.min_similarity:
        return None
    closeness, distance, place_reason = place
    hours = abs(as_utc(case.created_at) - as_utc(other.created_at)).total_seconds() / 3600
    category_weight, category_reasons = _category(case.category_code, other.category_code)
    recency = max(0.0, 1 - hours / (terms.window.total_seconds() / 3600))
    score = (
        WEIGHTS["text"] * text
        + WEIGHTS["place"] * closeness
        + WEIGHTS["time"] * recency
        + WEIGHTS["category"] * category_weight
    )
    reasons = (
        Reason("similar_text", {"percent": round(text * 100)}),
        place_reason,
        Reason("hours_apart", {"hours": round(hours, 1)}),
        *category_reasons,
    )
    return Candidate(other, round(score, 3), round(text, 3), distance, round(hours, 1), reasons)


def _place(case: Case, other: Case, radius_m: float) -> tuple[float, float | None, Reason] | None:
    """How close two reports are: by distance when both have a point, else by address."""
    if None not in (case.lng, case.lat, other.lng, other.lat):
        metres = great_circle_m(case.lng, case.lat, other.lng, other.lat)  # type: ignore[arg-type]
        if metres > radius_m:
            return None
        return 1 - metres / radius_m, round(metres, 1), Reason("near", {"metres": round(metres)})
    if _same_address(case.address, other.address):
        return 0.5, None, Reason("same_address", {"address": other.address})
    return None


def _same_address(first: str | None, second: str | None) -> bool:
    """One address names the other's place: equal, or one written inside the other."""
    a, b = (_letters(text or "") for text in (first, second))
    if min(len(a), len(b)) < MIN_ADDRESS_CHARS:
        return False
    return a in b or b in a


def _category(code: str | None, other: str | None) -> tuple[float, tuple[Reason, ...]]:
    if code is None or other is None:
        return 0.5, ()
    if code == other:
        return 1.0, (Reason("same_category", {}),)
    return 0.5, (Reason("related_category", {}),)


def merge(db: Session, *, case: Case, into: Case, actor: Actor, note: str = "") -> Case:
    """Close `case` as a duplicate of `into`; its reporters follow the surviving case.

    Both rows are locked in id order first, so two dispatchers merging a pair
    each way round cannot deadlock, and the survivor cannot close meanwhile.
    The caller commits, which releases the locks.
    """
    require_role(actor, CENTRE)
    if case.id == into.id:
        raise Invalid("merge_into_itself", number=case.number)
    for row in (case, into):
        if not may_see(actor, row.region_code):
            raise NotFound("case_not_found", number=row.number)
    locked = {row.id: lock_case(db, row.id) for row in sorted((case, into), key=lambda r: r.id)}
    _require_open_target(db, locked[into.id])
    return transition(
        db,
        case_id=case.id,
        change=Change(to=Status.MERGED, note=note, merge_into_id=into.id),
        actor=actor,
    )


def _require_open_target(db: Session, into: Case) -> None:
    status = Status(into.status)
    if status is Status.MERGED:
        raise Conflict(
            "merge_target_merged", number=into.number, survivor=surviving_case(db, into).number
        )
    if status in FINISHED:
        raise Conflict("merge_target_finished", number=into.number)


def surviving_case(db: Session, case: Case) -> Case:
    """The case a merged case now lives on in, following merges of merges."""
    return merge_chain(db, case)[-1]


def merge_chain(db: Session, case: Case) -> list[Case]:
    """The case followed by each case it was merged into, in order."""
    chain = [case]
    while chain[-1].merged_into_id is not None:
        survivor = db.get(Case, chain[-1].merged_into_id)
        if survivor is None or survivor in chain:
            break
        chain.append(survivor)
    return chain
