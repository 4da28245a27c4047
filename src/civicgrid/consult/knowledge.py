"""The knowledge base: policies and FAQs an administrator uploads, split into passages.

A file is read by its kind (.docx with python-docx, .pdf with pypdf, .txt as
UTF-8 or GB18030), checked against its claimed kind by its first bytes, split
at paragraphs into passages of a few hundred characters, and each passage
becomes a `consult_documents` row (kind knowledge) that cites the file's title
and the passage's number. Limits stop a file from costing more than it may: its
size, a .docx's unpacked size (a zip bomb unpacks to gigabytes), a .pdf's
pages, and the text's length.
"""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.consult.models import ConsultDocument, KnowledgeDocument
from civicgrid.consult.roles import KNOWLEDGE_KEEPERS
from civicgrid.consult.text import joined
from civicgrid.errors import Invalid, NotFound, TooLarge
from civicgrid.masking import mask_personal_data
from civicgrid.timeutil import utcnow

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_PAGES = 500
MAX_CHARS = 500_000
PASSAGE_CHARS = 400
TITLE_CHARS = 200
KINDS = {".docx": "docx", ".pdf": "pdf", ".txt": "txt"}
_MAGIC = {"docx": b"PK\x03\x04", "pdf": b"%PDF-"}
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    title: str = ""


def add_document(db: Session, actor: Actor, upload: Upload) -> KnowledgeDocument:
    """Read, split and store an uploaded policy; its passages are searchable after the next
    index build (the caller runs `indexing.refresh` after committing, or the worker does)."""
    require_role(actor, KNOWLEDGE_KEEPERS)
    if actor.scope_code is None:
        raise Invalid("knowledge_no_scope")
    kind = _kind(upload)
    passages = split(read_text(kind, upload.data))
    if not passages:
        raise Invalid("knowledge_file_empty")
    title = (upload.title.strip() or Path(upload.filename).stem)[:TITLE_CHARS]
    document = KnowledgeDocument(
        title=title,
        filename=Path(upload.filename).name[:255],
        file_kind=kind,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        chunk_count=len(passages),
        region_code=actor.scope_code,
        uploaded_by=actor.username,
        created_at=utcnow(),
    )
    db.add(document)
    db.flush()
    for number, passage in enumerate(passages, start=1):
        db.add(_passage_row(document, number, passage))
    db.flush()
    return document


def list_documents(db: Session, actor: Actor) -> list[KnowledgeDocument]:
    require_role(actor, KNOWLEDGE_KEEPERS)
    query = select(KnowledgeDocument).where(in_scope(actor, KnowledgeDocument.region_code))
    return list(db.scalars(query.order_by(KnowledgeDocument.id.desc())))


def remove_document(db: Session, actor: Actor, document_id: int) -> None:
    """The file and its passages; the index drops them at its next build."""
    require_role(actor, KNOWLEDGE_KEEPERS)
    document = db.get(KnowledgeDocument, document_id)
    if document is None or not may_see(actor, document.region_code):
        raise NotFound("knowledge_not_found", id=document_id)
    db.execute(delete(ConsultDocument).where(ConsultDocument.knowledge_id == document.id))
    db.delete(document)
    db.flush()


def read_text(kind: str, data: bytes) -> str:
    """The file's text, paragraphs on their own lines; 422 for a file that does not read."""
    try:
        if kind == "docx":
            text = _docx_text(data)
        elif kind == "pdf":
            text = _pdf_text(data)
        else:
            text = _plain_text(data)
    except (zipfile.BadZipFile, KeyError, ValueError, PdfReadError) as error:
        raise Invalid("knowledge_file_unreadable", kind=kind) from error
    if len(text) > MAX_CHARS:
        raise TooLarge("knowledge_text_too_long", limit=MAX_CHARS)
    return text


def split(text: str) -> list[str]:
    """Passages of up to PASSAGE_CHARS: whole paragraphs joined, long ones cut at sentences."""
    passages: list[str] = []
    current = ""
    for paragraph in (line.strip() for line in text.splitlines()):
        for piece in _pieces(paragraph):
            if current and len(current) + len(piece) + 1 > PASSAGE_CHARS:
                passages.append(current)
                current = ""
            current = f"{current}\n{piece}" if current else piece
    if current:
        passages.append(current)
    return passages


def _pieces(paragraph: str) -> list[str]:
    if len(paragraph) <= PASSAGE_CHARS:
        return [paragraph] if paragraph else []
    pieces: list[str] = []
    current = ""
    for sentence in filter(None, _SENTENCE_END.split(paragraph)):
        if current and len(current) + len(sentence) > PASSAGE_CHARS:
            pieces.append(current)
            current = ""
        current += sentence
        while len(current) > PASSAGE_CHARS:
            pieces.append(current[:PASSAGE_CHARS])
            current = current[PASSAGE_CHARS:]
    if current:
        pieces.append(current)
    return pieces


def _kind(upload: Upload) -> str:
    if len(upload.data) > MAX_BYTES:
        raise TooLarge("knowledge_file_too_large", limit=MAX_BYTES // (1024 * 1024))
    kind = KINDS.get(Path(upload.filename).suffix.lower())
    if kind is None:
        raise Invalid("knowledge_file_kind", kinds=", ".join(KINDS))
    magic = _MAGIC.get(kind)
    if magic is not None and not upload.data.startswith(magic):
        raise Invalid("knowledge_file_unreadable", kind=kind)
    return kind


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(entry.file_size for entry in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise TooLarge("knowledge_file_too_large", limit=MAX_UNPACKED_BYTES // (1024 * 1024))
    document = docx.Document(io.BytesIO(data))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        lines.extend(" ".join(cell.text for cell in row.cells) for row in table.rows)
    return "\n".join(lines)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    if len(reader.pages) > MAX_PAGES:
        raise TooLarge("knowledge_pdf_too_many_pages", limit=MAX_PAGES)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _plain_text(data: bytes) -> str:
    """UTF-8, else GB18030 (what Chinese Windows saves); a NUL byte means it is no text."""
    if b"\x00" in data:
        raise ValueError("binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _passage_row(document: KnowledgeDocument, number: int, passage: str) -> ConsultDocument:
    body = mask_personal_data(passage)
    return ConsultDocument(
        kind="knowledge",
        source_ref=f"{document.id}#{number}",
        region_code=document.region_code,
        grid_code=None,
        title=document.title,
        body=body,
        answer="",
        answered_by=document.title,
        category_code=None,
        outcome=str(number),
        source_time=document.created_at,
        tokens=joined(f"{document.title} {body}"),
        knowledge_id=document.id,
    )
