"""Duplicate detection on real citizen messages: how good the wording test is, and how fast.

Data: the 4,326 messages of ../shared/data/messages/messages_with_votes.csv (2017–2020,
many of them the same complaint sent again or by neighbours).

Pseudo ground truth, stated so that anyone can check a pair by eye: two messages are
the same matter when their titles (留言主题) — with punctuation, spaces and case
removed and stock openers (关于, 投诉, 反映, 举报, 咨询, 建议, 请问, 恳请, 请求, 希望,
再次反映, 再次投诉) cut from the front — share at least half of their character bigrams
(Jaccard ≥ 0.5). The similarity under test reads only the bodies (留言详情), never the
titles, so the truth is not taken from the text being scored. As in the product, only
pairs sent within the time window (7 days) of each other are compared.

Quality: precision, recall and F1 of "civicgrid similarity(body, body) ≥ t" for each
threshold t, and the threshold proposed as the default: the lowest whose F1 is within
0.01 of the best, because a dispatcher confirms every merge and a missed duplicate
costs more than a rejected suggestion.

Speed: the messages become cases (through `report_case`, at their real times) in a
throwaway SQLite database, all at one point so that the place filter removes nothing
(the worst case for one neighbourhood), and `candidates()` is timed for a seeded
sample of them. A second run squeezes all messages into one week: every look-up then
compares against the pool limit. Printed as markdown.

    .venv/bin/python bench/duplicates.py [--csv PATH] [--lookups N] [--seed N] [--show N]
"""

import argparse
import csv
import datetime
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.duplicates import POOL_LIMIT, Terms, candidates, shingles, similarity
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.db import create_db_engine, upgrade_database
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_CSV = SHARED_DATA / "messages" / "messages_with_votes.csv"
WINDOW = datetime.timedelta(days=7)
TITLE_MATCH = 0.5
STOCK_OPENERS = re.compile(
    r"^(关于|投诉|反映|举报|咨询|建议|请问|恳请|请求|希望|再次反映|再次投诉)+"
)
THRESHOLDS = [round(0.15 + 0.05 * step, 2) for step in range(14)]
F1_TOLERANCE = 0.01
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
CITY = "530500"
POINT = (99.16, 25.12)
RESIDENT = Actor(kind="user", role=Role.RESIDENT, scope_code=CITY, username="bench")
DISPATCHER = Actor(kind="user", role=Role.DISPATCHER, scope_code=CITY, username="bench")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    sent: datetime.datetime


@dataclass(frozen=True)
class Score:
    threshold: float
    predicted: int
    correct: int
    truth: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True)
class Timing:
    label: str
    lookups: int
    median_ms: float
    p95_ms: float
    mean_pool: float
    mean_found: float


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def read_messages(path: Path) -> list[Message]:
    with path.open(encoding="utf-8") as handle:
        return [
            Message(row["留言主题"].strip(), row["留言详情"].strip(), parse_time(row["留言时间"]))
            for row in csv.DictReader(handle)
        ]


def parse_time(text: str) -> datetime.datetime:
    for layout in TIME_FORMATS:
        try:
            local = datetime.datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
        return local.replace(tzinfo=DISPLAY_ZONE).astimezone(datetime.UTC)
    raise ValueError(f"unreadable time {text!r}")


def pairs_in_window(messages: Sequence[Message]) -> list[tuple[int, int]]:
    """Index pairs sent within the window of each other, by a sweep over sorted times."""
    order = sorted(range(len(messages)), key=lambda index: messages[index].sent)
    pairs: list[tuple[int, int]] = []
    for position, first in enumerate(order):
        for second in order[position + 1 :]:
            if messages[second].sent - messages[first].sent > WINDOW:
                break
            pairs.append((min(first, second), max(first, second)))
    return pairs


def judged(
    messages: Sequence[Message], pairs: Sequence[tuple[int, int]]
) -> list[tuple[tuple[int, int], float, bool]]:
    """Each pair with its body similarity and whether the title rule calls it the same matter."""
    titles = [shingles(STOCK_OPENERS.sub("", re.sub(r"[\W_]+", "", m.title))) for m in messages]
    bodies = [shingles(message.body) for message in messages]
    return [
        ((a, b), similarity(bodies[a], bodies[b]), similarity(titles[a], titles[b]) >= TITLE_MATCH)
        for a, b in pairs
    ]


def evaluate(scored: Sequence[tuple[tuple[int, int], float, bool]]) -> list[Score]:
    truth = sum(1 for _, _, same in scored if same)
    return [
        Score(
            threshold=threshold,
            predicted=sum(1 for _, value, _ in scored if value >= threshold),
            correct=sum(1 for _, value, same in scored if value >= threshold and same),
            truth=truth,
        )
        for threshold in THRESHOLDS
    ]


def disagreements(
    messages: Sequence[Message],
    scored: Sequence[tuple[tuple[int, int], float, bool]],
    *,
    threshold: float,
    count: int,
    seed: int,
) -> str:
    """A seeded sample of suggestions the title rule calls wrong, for a person to judge."""
    wrong = [(pair, value) for pair, value, same in scored if value >= threshold and not same]
    lines = ["", f"Suggested at {threshold:.2f} but not the same matter by the title rule:", ""]
    for (a, b), value in random.Random(seed).sample(wrong, min(count, len(wrong))):
        lines.append(f"- {value:.2f} 「{messages[a].title}」 / 「{messages[b].title}」")
    return "\n".join(lines)


def proposed(scores: Sequence[Score]) -> Score:
    best = max(score.f1 for score in scores)
    return min(
        (score for score in scores if score.f1 >= best - F1_TOLERANCE),
        key=lambda score: score.threshold,
    )


def similarity_rate(messages: Sequence[Message], pairs: Sequence[tuple[int, int]]) -> float:
    """Pairs compared per second, shingling included (as a look-up does for its pool)."""
    sample = pairs[:20_000]
    started = time.perf_counter()
    for a, b in sample:
        similarity(shingles(messages[a].body), shingles(messages[b].body))
    return len(sample) / (time.perf_counter() - started)


def load_cases(db: Session, messages: Sequence[Message]) -> list[Case]:
    index = GridIndex()
    cases = []
    for message in messages:
        intake = Intake(
            description=message.body or message.title,
            channel="hotline_12345",
            lng=POINT[0],
            lat=POINT[1],
        )
        case, _ = report_case(db, index, intake=intake, actor=RESIDENT, now=message.sent)
        cases.append(case)
    return cases


def time_lookups(
    db: Session, cases: Sequence[Case], *, label: str, terms: Terms, lookups: int, seed: int
) -> Timing:
    sample = random.Random(seed).sample(list(cases), min(lookups, len(cases)))
    durations, pools, found = [], [], []
    for case in sample:
        begun = time.perf_counter()
        offered = candidates(db, case, DISPATCHER, terms=terms)
        durations.append((time.perf_counter() - begun) * 1000)
        pools.append(_pool_size(cases, case, terms))
        found.append(len(offered))
    durations.sort()
    return Timing(
        label=label,
        lookups=len(sample),
        median_ms=statistics.median(durations),
        p95_ms=durations[int(0.95 * (len(durations) - 1))],
        mean_pool=statistics.mean(pools),
        mean_found=statistics.mean(found),
    )


def _pool_size(cases: Sequence[Case], case: Case, terms: Terms) -> int:
    """How many cases the look-up compares: those in the window, up to the pool limit."""
    moment = as_utc(case.created_at)
    within = sum(
        1
        for other in cases
        if other.id != case.id and abs(as_utc(other.created_at) - moment) <= terms.window
    )
    return min(within, POOL_LIMIT)


def squeeze_into_one_week(db: Session, cases: Sequence[Case]) -> None:
    """Bench set-up only: the same order of reports, all within one week."""
    times = [as_utc(case.created_at) for case in cases]
    start, end = min(times), max(times)
    span = (end - start) or datetime.timedelta(seconds=1)
    for case, moment in zip(cases, times, strict=True):
        case.created_at = start + (moment - start) * (WINDOW / span)
    db.commit()


def run_timings(messages: Sequence[Message], terms: Terms, lookups: int, seed: int) -> list[Timing]:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade_database(engine)
        with Session(bind=engine, expire_on_commit=False) as db:
            started = time.perf_counter()
            cases = load_cases(db, messages)
            log(f"{len(cases)} cases stored in {time.perf_counter() - started:.1f} s")
            real = time_lookups(
                db, cases, label="real times, one point", terms=terms, lookups=lookups, seed=seed
            )
            squeeze_into_one_week(db, cases)
            busy = time_lookups(
                db,
                cases,
                label="all in one week, one point",
                terms=terms,
                lookups=lookups,
                seed=seed,
            )
        engine.dispose()
    return [real, busy]


def report(
    messages: Sequence[Message],
    *,
    pairs: int,
    scores: Sequence[Score],
    chosen: Score,
    rate: float,
    timings: Sequence[Timing],
) -> str:
    lines = [
        "# Duplicate detection results",
        "",
        f"{len(messages):,} messages; {pairs:,} pairs sent within {WINDOW.days} days of each "
        f"other; {scores[0].truth} of them the same matter by the title rule "
        f"(Jaccard ≥ {TITLE_MATCH}).",
        "",
        "| threshold | suggested | correct | precision | recall | F1 |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.threshold:.2f}{' **←**' if s is chosen else ''} | {s.predicted} | {s.correct} | "
        f"{s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
        for s in scores
    ]
    lines += [
        "",
        f"Proposed default `duplicate_min_similarity` = **{chosen.threshold:.2f}** "
        f"(P {chosen.precision:.3f}, R {chosen.recall:.3f}, F1 {chosen.f1:.3f}).",
        f"Text comparison rate, shingling included: {rate:,.0f} pairs/s.",
        "",
        "| candidate look-up | look-ups | median ms | p95 ms | mean pool | mean offered |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.label} | {t.lookups} | {t.median_ms:.1f} | {t.p95_ms:.1f} | "
        f"{t.mean_pool:.0f} | {t.mean_found:.2f} |"
        for t in timings
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=0, help="list N disagreements to judge")
    args = parser.parse_args()
    messages = read_messages(args.csv)
    pairs = pairs_in_window(messages)
    log(f"{len(messages)} messages, {len(pairs)} pairs in the window")
    scored = judged(messages, pairs)
    scores = evaluate(scored)
    chosen = proposed(scores)
    rate = similarity_rate(messages, pairs)
    terms = Terms(radius_m=300.0, window=WINDOW, min_similarity=chosen.threshold)
    timings = run_timings(messages, terms, args.lookups, args.seed)
    print(
        report(messages, pairs=len(pairs), scores=scores, chosen=chosen, rate=rate, timings=timings)
    )
    if args.show:
        print(
            disagreements(
                messages, scored, threshold=chosen.threshold, count=args.show, seed=args.seed
            )
        )


if __name__ == "__main__":
    main()
