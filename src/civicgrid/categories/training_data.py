"""Rows to train the model on: labelled CSV files, the categories' own terms, and
message-board exports labelled by keyword."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from civicgrid.categories.keyword_rules import CategoryTerms, keyword_rules
from civicgrid.categories.text import normalise_text, read_opening
from civicgrid.errors import Invalid

# Weak labels keep only messages whose keyword evidence alone is this confident.
WEAK_LABEL_CONFIDENCE = 0.5
TEXT_HEADERS = ("text", "文本")
LABEL_HEADERS = ("category", "类别")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# The subject and body columns of a government message-board export.
MESSAGE_COLUMNS = ("留言主题", "留言详情")


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
    confidence = rules.evidence([read_opening(text) for text in texts])
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
