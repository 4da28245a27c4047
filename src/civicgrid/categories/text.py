"""How the classifier reads a text: one normalised spelling, its opening, its tokens."""

import logging
import re
import unicodedata

import jieba

# jieba logs its dictionary loading to stderr on first use; the platform has nothing to add.
jieba.setLogLevel(logging.WARNING)
# What a suggestion reads of a text: the opening states the problem, and the cost of
# every step grows with length (some petitions run to thousands of characters).
READ_CHARS = 1000
# jieba costs about 4 µs a character in pure Python, so words come from about a
# subject line; character bigrams, far cheaper, cover everything read.
WORD_CHARS = 30
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


def read_opening(text: str) -> str:
    """The normalised opening a suggestion is based on."""
    return normalise_text(text)[:READ_CHARS]


def text_features(text: str) -> list[str]:
    """jieba words of a normalised text's opening plus character bigrams: the model's tokens.

    Words carry meaning (物业, 噪音); bigrams survive words jieba's dictionary
    splits badly, and misspellings. Bigrams are taken within runs of letters
    and digits: one straddling punctuation says nothing.
    """
    words = [w for w in jieba.cut(text[:WORD_CHARS], HMM=False) if len(w) > 1 and w.isalnum()]
    runs = _WORD_RUNS.findall(text)
    return words + [run[i : i + 2] for run in runs for i in range(len(run) - 1)]


def load_dictionary() -> None:
    """Load jieba's dictionary now; it is otherwise read on the first text cut (about a second)."""
    jieba.initialize()
