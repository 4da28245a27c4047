"""The mediation agreement (人民调解协议书) as a Word document, always in Chinese.

The layout follows the agreement the People's Mediation Law (art. 29) asks
for: the parties, the facts and points in dispute, the agreed terms, how and
by when they are performed, the mediator, and a line for each signature.
Party phones and ID numbers stay out of it: names and roles identify the
parties, the sealed data stays sealed.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH

from civicgrid.i18n import translate

LOCALE = "zh-CN"


@dataclass(frozen=True)
class AgreementText:
    """What goes into one agreement; built by the service from the dispute's rows."""

    number: str
    kind: str
    parties: tuple[tuple[str, str], ...]  # (role, name)
    facts: str
    terms: str
    performance_method: str
    performance_deadline: date
    mediator: str
    signed_on: date


def _t(message_id: str, **params: object) -> str:
    return translate(message_id, LOCALE, **params)


def write_agreement(text: AgreementText, directory: Path) -> Path:
    """Write `<number>.docx` under `directory`, replacing an earlier version of it."""
    document = Document()
    title = document.add_heading(_t("dispute.doc.title"), level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(_t("dispute.doc.number", number=text.number))
    document.add_paragraph(_t("dispute.doc.kind", kind=_t(f"dispute.kind.{text.kind}")))
    for role, name in text.parties:
        document.add_paragraph(_t("dispute.doc.party", role=_t(f"dispute.role.{role}"), name=name))
    _section(document, "dispute.doc.facts", text.facts)
    _section(document, "dispute.doc.terms", text.terms)
    _section(document, "dispute.doc.performance", text.performance_method)
    document.add_paragraph(
        _t("dispute.doc.deadline", deadline=_chinese_date(text.performance_deadline))
    )
    document.add_paragraph(_t("dispute.doc.effect"))
    document.add_paragraph(_t("dispute.doc.mediator", name=text.mediator))
    for role, name in text.parties:
        document.add_paragraph(
            _t("dispute.doc.signature", role=_t(f"dispute.role.{role}"), name=name)
        )
    document.add_paragraph(_t("dispute.doc.mediator_signature"))
    document.add_paragraph(_t("dispute.doc.date", date=_chinese_date(text.signed_on)))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{text.number}.docx"
    document.save(str(path))
    return path


def _section(document: WordDocument, heading_id: str, body: str) -> None:
    document.add_heading(_t(heading_id), level=2)
    for line in body.splitlines() or [""]:
        document.add_paragraph(line)


def _chinese_date(day: date) -> str:
    return _t("dispute.doc.date_format", year=day.year, month=day.month, day=day.day)
