"""Words for BM25: jieba's words of a text, less punctuation, numbers alone and stopwords.

The search mode of jieba (`cut_for_search`) also yields the short words inside a
long one (噪音扰民 → 噪音, 扰民, 噪音扰民), so a report that says 噪音 meets a
past case that said 噪音扰民. The same function cuts the indexed texts and the
questions, so both sides agree on every word.
"""

import logging
import re
import unicodedata
from functools import cache
from importlib.resources import files

import jieba

# jieba logs its dictionary loading to stderr on first use; the platform has nothing to add.
jieba.setLogLevel(logging.WARNING)

# Texts past this many characters are cut at it: the opening of a report says what it is
# about, and jieba costs about 4 µs a character.
MAX_CHARS = 2000
# Distinct words a question is asked with (bench/consult.py: the quality holds, p99 falls).
QUESTION_WORDS = 32
_WORDLESS = re.compile(r"^[\W_\d]+$")


@cache
def stopwords() -> frozenset[str]:
    """Function words and the greetings every message carries (data/stopwords.txt)."""
    text = files("civicgrid.consult").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def words(text: str) -> list[str]:
    """The text's searchable words, in order, repeats kept (BM25 counts them)."""
    normal = unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold()
    stop = stopwords()
    return [
        word
        for word in jieba.cut_for_search(normal, HMM=False)
        if word.strip() and word not in stop and not _WORDLESS.match(word)
    ]


def question(text: str) -> list[str]:
    """The words a question is asked with: each once, the first QUESTION_WORDS of them.

    A long report repeats itself and ends in greetings and detail; its opening says what
    it is about, and every word asked costs a column of the index to sum.
    """
    return list(dict.fromkeys(words(text)))[:QUESTION_WORDS]


def joined(text: str) -> str:
    """The words as one space-separated string, as `consult_documents.tokens` stores them."""
    return " ".join(words(text))
