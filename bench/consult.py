"""智能咨询 on real replied messages: does BM25 find answers from the right office, and how fast
is it over a million past cases?

Data: the 2,816 messages of ../shared/data/messages/messages_with_replies.csv with the
government's replies, and, for the speed run, the 4,326 of messages_with_votes.csv.

Pseudo ground truth, checkable by eye: the responding unit of a message is the first
office its reply names (`consult.answered.responding_unit`: A7县教育局, 泉塘街道, …;
replies that name no office are left out). Leave one out: each message whose unit
replied to at least one other message asks for the top 5 among all the others (its
subject and body, as a resident would type them); a hit is a message answered by the
same unit among them. The replies are never indexed, so the truth is not read from
the text being searched. Against the obvious alternative, the duplicate detector's
character-bigram Jaccard (`cases.duplicates.similarity`) over the same texts, in the
same run; both also give the mean reciprocal rank of the first same-unit answer
(within the top 50).

Speed: 1,000,000 past cases generated from the 7,142 real messages (each the jieba
words of one real message followed by those of another, cut to a real length, in one
of the city's five districts), built by `consult.engine.build` into a generation on
disk and mapped as the server maps it. Timed: the whole top-10 question of a
district's handler (jieba words of a real message, the district's mask, the top 10),
for 1,000 questions after 50 warm-up ones. Printed as markdown.

    .venv/bin/python bench/consult.py [--cases N] [--questions N] [--seed N]
                                      [--skip-quality] [--skip-speed]
"""

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from civicgrid.cases.duplicates import shingles, similarity
from civicgrid.consult import engine
from civicgrid.consult.answered import read_csv, responding_unit
from civicgrid.consult.text import question, words

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "messages"
REPLIES = SHARED_DATA / "messages_with_replies.csv"
VOTES = SHARED_DATA / "messages_with_votes.csv"
TOP = 5
RANK_DEPTH = 50
DISTRICTS = ("530502", "530521", "530523", "530524", "530581")
MAX_WORDS = 120


def quality() -> list[str]:
    questions = list(read_csv(REPLIES))
    texts = [f"{question.subject} {question.detail}" for question in questions]
    units = [responding_unit(question.reply) for question in questions]
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit] = counts.get(unit, 0) + 1
    asked = [i for i, unit in enumerate(units) if unit and counts[unit] > 1]
    started = time.perf_counter()
    tokenised = [words(text) for text in texts]
    asked_words = [question(text) for text in texts]
    with tempfile.TemporaryDirectory() as folder:
        rows = (engine.Row(i, "answered", "530500", tokens) for i, tokens in enumerate(tokenised))
        generation = engine.build(Path(folder), rows, signature="bench")
        everyone = np.ones(len(texts), dtype=np.float32)

        def bm25(i: int) -> list[int]:
            mask = everyone.copy()
            mask[i] = 0
            return [
                doc for doc, _ in engine.top(generation, asked_words[i], k=RANK_DEPTH, mask=mask)
            ]

        bm25_figures = _judge(asked, units, bm25)
    bm25_seconds = time.perf_counter() - started
    started = time.perf_counter()
    bigrams = [shingles(text) for text in texts]

    def jaccard(i: int) -> list[int]:
        scored = [(similarity(bigrams[i], bigrams[j]), j) for j in range(len(texts)) if j != i]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [j for score, j in scored[:RANK_DEPTH] if score > 0]

    jaccard_figures = _judge(asked, units, jaccard)
    jaccard_seconds = time.perf_counter() - started
    named = sum(1 for unit in units if unit)
    return [
        f"Messages: {len(questions)}; replies naming a unit: {named} ({len(counts) - 1} units); "
        f"asked (their unit answered another message too): {len(asked)}.",
        "",
        "| method | hit@5 (same unit among the top 5) | MRR@50 | seconds (whole run) |",
        "|---|---|---|---|",
        f"| BM25 over jieba words (bm25s, `consult.engine`) | {bm25_figures[0]:.3f} | "
        f"{bm25_figures[1]:.3f} | {bm25_seconds:.1f} |",
        f"| character-bigram Jaccard (`cases.duplicates.similarity`) | {jaccard_figures[0]:.3f} | "
        f"{jaccard_figures[1]:.3f} | {jaccard_seconds:.1f} |",
        f"| chance: a random 5 of the others | {_chance(asked, units, counts):.3f} | | |",
    ]


def _judge(
    asked: Sequence[int], units: Sequence[str], rank: Callable[[int], list[int]]
) -> tuple[float, float]:
    hits = 0
    reciprocal = 0.0
    for i in asked:
        ranked = rank(i)
        same = [position for position, j in enumerate(ranked) if units[j] == units[i]]
        hits += bool(same and same[0] < TOP)
        reciprocal += 1 / (same[0] + 1) if same else 0.0
    return hits / len(asked), reciprocal / len(asked)


def _chance(asked: Sequence[int], units: Sequence[str], counts: dict[str, int]) -> float:
    """P(at least one same-unit message among 5 drawn from the other n-1), averaged."""
    others = len(units) - 1
    total = 0.0
    for i in asked:
        good = counts[units[i]] - 1
        miss = 1.0
        for draw in range(TOP):
            miss *= (others - good - draw) / (others - draw)
        total += 1 - miss
    return total / len(asked)


def speed(cases: int, questions: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = _all_texts()
    started = time.perf_counter()
    tokenised = [words(text)[:MAX_WORDS] for text in texts]
    lengths = [len(tokens) for tokens in tokenised if tokens]
    tokenise_seconds = time.perf_counter() - started

    def rows() -> Iterator[engine.Row]:
        for i in range(cases):
            first, second = rng.choice(tokenised), rng.choice(tokenised)
            length = rng.choice(lengths)
            region = rng.choice(DISTRICTS) + "001001001"
            yield engine.Row(i + 1, "case", region, (first + second)[:length])

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        engine.build(Path(folder), rows(), signature="bench")
        build_seconds = time.perf_counter() - started
        started = time.perf_counter()
        generation = engine.Reader().current(Path(folder))
        assert generation is not None
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        mask = generation.mask("530502", frozenset({"case"}), frozenset({"answered", "knowledge"}))
        mask_seconds = time.perf_counter() - started
        asked = [rng.choice(texts) for _ in range(questions + 50)]
        timings: list[float] = []
        cpu_timings: list[float] = []
        for number, text in enumerate(asked):
            began = time.perf_counter()
            began_cpu = time.process_time()
            same = generation.mask(
                "530502", frozenset({"case"}), frozenset({"answered", "knowledge"})
            )
            found = engine.top(generation, question(text), k=10, mask=same)
            elapsed = time.perf_counter() - began
            cpu = time.process_time() - began_cpu
            assert same is mask
            assert len(found) <= 10
            if number >= 50:
                timings.append(elapsed * 1000)
                cpu_timings.append(cpu * 1000)
    timings.sort()
    cpu_timings.sort()
    p50, p95, p99 = (timings[int(len(timings) * q) - 1] for q in (0.5, 0.95, 0.99))
    c50, c95, c99 = (cpu_timings[int(len(cpu_timings) * q) - 1] for q in (0.5, 0.95, 0.99))
    return [
        f"Past cases: {cases:,} (from {len(texts):,} real messages, "
        f"jieba in {tokenise_seconds:.0f} s); "
        f"index built and written in {build_seconds:.0f} s, mapped in {load_seconds:.2f} s; "
        f"a district's mask made once in {mask_seconds * 1000:.0f} ms (kept per generation).",
        "",
        "| top 10 for a district handler | p50 | p95 | p99 | max | mean |",
        "|---|---|---|---|---|---|",
        f"| {questions:,} questions (jieba + mask + BM25 top 10), ms | {p50:.1f} | {p95:.1f} | "
        f"{p99:.1f} | {timings[-1]:.1f} | {statistics.fmean(timings):.1f} |",
        f"| the same, CPU time of the process (what a quiet core would take), ms | {c50:.1f} | "
        f"{c95:.1f} | {c99:.1f} | {cpu_timings[-1]:.1f} | {statistics.fmean(cpu_timings):.1f} |",
    ]


def _all_texts() -> list[str]:
    texts = []
    for path in (REPLIES, VOTES):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.append(f"{row['留言主题']} {row['留言详情']}".strip())
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not REPLIES.is_file():
        sys.exit(f"{REPLIES} is missing: the benchmark needs ../shared/data beside the checkout")
    if not args.skip_quality:
        print("\n".join(quality()))
        print()
    if not args.skip_speed:
        print("\n".join(speed(args.cases, args.questions, args.seed)))


if __name__ == "__main__":
    main()
