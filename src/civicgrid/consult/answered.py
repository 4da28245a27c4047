"""Answered questions from another system: a government's replied messages, as past answers.

The file is the export such platforms give (columns 留言编号, 留言主题, 留言详情,
答复意见, 答复时间; the real one is ../shared/data/messages/messages_with_replies.csv).
Each message becomes a public `consult_documents` row (kind answered), masked,
with the unit that replied when the reply names one. Importing again replaces
the rows by their message number, so it may be run twice.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from civicgrid.consult.models import ConsultDocument
from civicgrid.consult.text import joined
from civicgrid.errors import Invalid
from civicgrid.masking import mask_personal_data
from civicgrid.timeutil import DISPLAY_ZONE

COLUMNS = ("留言编号", "留言主题", "留言详情", "答复意见", "答复时间")
_SPACE = re.compile(r"\s+")
# A named unit in a reply: a place or body, then what kind of office it is (A市住房和城乡
# 建设局, K4县水利局, 夏多铺镇). Self-references (我局, 我镇) and "相关部门" name nobody.
_UNIT = re.compile(
    r"([A-Z]\d*(?:市|县|区)[\u4e00-\u9fa5]{0,14}?(?:局|委员会|办公室|中心|公司|人民政府|街道|镇)"
    r"|[^\W\d_A-Za-z对您谢我该本全各到在由向和与及的经将请][\u4e00-\u9fa5]{1,3}(?:街道|镇))"
)
_NOT_UNITS = frozenset({"城镇", "乡镇", "村镇"})
# Words a sentence puts before a unit's name (已转, 交由): not part of the name.
_LEADING_WORDS = "已转交至向由经对和与及的在将请"
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d")


@dataclass(frozen=True)
class AnsweredQuestion:
    number: str
    subject: str
    detail: str
    reply: str
    replied_at: datetime


def read_csv(path: Path) -> Iterator[AnsweredQuestion]:
    """The file's rows with a reply; 422 when its header lacks the columns."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise Invalid("consult_answered_columns", columns="、".join(missing))
        for row in reader:
            reply = _clean(row["答复意见"])
            if not reply:
                continue
            yield AnsweredQuestion(
                number=row["留言编号"].strip(),
                subject=_clean(row["留言主题"]),
                detail=_clean(row["留言详情"]),
                reply=reply,
                replied_at=_time(row["答复时间"]),
            )


def responding_unit(reply: str) -> str:
    """The first unit the reply names, or "" when it names none."""
    for found in _UNIT.finditer(_SPACE.sub("", reply)):
        name = found.group(1).lstrip(_LEADING_WORDS)
        if len(name) > 2 and name not in _NOT_UNITS:
            return name
    return ""


def import_answered(db: Session, questions: Iterator[AnsweredQuestion], *, region_code: str) -> int:
    """Store each question as a public past answer of the region; how many were stored."""
    stored = 0
    for question in questions:
        db.execute(
            delete(ConsultDocument).where(
                ConsultDocument.kind == "answered", ConsultDocument.source_ref == question.number
            )
        )
        db.add(answered_document(question, region_code))
        stored += 1
    db.flush()
    return stored


def answered_document(question: AnsweredQuestion, region_code: str) -> ConsultDocument:
    subject = mask_personal_data(question.subject)
    detail = mask_personal_data(question.detail)
    return ConsultDocument(
        kind="answered",
        source_ref=question.number[:64],
        region_code=region_code,
        grid_code=None,
        title=subject[:255],
        body=detail,
        answer=mask_personal_data(question.reply),
        answered_by=responding_unit(question.reply)[:120],
        category_code=None,
        outcome="answered",
        source_time=question.replied_at,
        tokens=joined(f"{subject} {detail}"),
    )


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _time(text: str) -> datetime:
    """Local times in the export's several formats, stored as UTC."""
    text = text.strip()
    for pattern in _TIME_FORMATS:
        try:
            local = datetime.strptime(text, pattern).replace(tzinfo=DISPLAY_ZONE)
        except ValueError:
            continue
        return local.astimezone(UTC)
    raise Invalid("consult_answered_time", value=text[:40])
