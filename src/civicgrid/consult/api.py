"""HTTP routes of 智能咨询: similar cases for a handler, answered questions for a resident,
similar disputes for a mediator, and the knowledge base's files for an administrator."""

from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)

from civicgrid.auth.deps import CurrentActor, CurrentVisitor, DbSession, Locale
from civicgrid.consult import knowledge, service
from civicgrid.consult.indexing import index_root, refresh_in_own_session
from civicgrid.consult.knowledge import MAX_BYTES, Upload
from civicgrid.consult.schemas import ConsultationOut, KnowledgeOut, MatchOut
from civicgrid.db import RowId
from civicgrid.errors import TooLarge

router = APIRouter(prefix="/api/v1/consult", tags=["consultation"])

Limit = Annotated[int, Query(ge=1, le=20)]


@router.get("/cases/{number}/similar", response_model=ConsultationOut)
def get_similar_cases(
    number: str,
    *,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    limit: Limit = 5,
) -> ConsultationOut:
    root = index_root(request.app.state.settings)
    found = service.similar_cases(db, actor, number, root=root, locale=locale, limit=limit)
    return ConsultationOut(
        matches=[MatchOut.of(match, locale) for match in found.matches], draft=found.draft
    )


@router.get("/answers", response_model=list[MatchOut])
def get_answers(
    *,
    request: Request,
    db: DbSession,
    visitor: CurrentVisitor,
    locale: Locale,
    q: Annotated[str, Query(max_length=service.MAX_QUESTION_CHARS)],
    limit: Limit = 5,
) -> list[MatchOut]:
    """Open to anyone (the report form asks while the resident types); counted per address.
    The question is neither stored nor logged."""
    visitor.throttle.spend((visitor.budgets.consult_per_address, visitor.address))
    root = index_root(request.app.state.settings)
    found = service.answered_questions(db, q, root=root, limit=limit)
    return [MatchOut.of(match, locale) for match in found]


@router.get("/disputes/{number}/similar", response_model=list[MatchOut])
def get_similar_disputes(
    number: str,
    *,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    limit: Limit = 5,
) -> list[MatchOut]:
    root = index_root(request.app.state.settings)
    found = service.similar_disputes(db, actor, number, root=root, limit=limit)
    return [MatchOut.of(match, locale) for match in found]


@router.get("/knowledge", response_model=list[KnowledgeOut])
def get_knowledge(db: DbSession, actor: CurrentActor) -> list[KnowledgeOut]:
    documents = knowledge.list_documents(db, actor)
    return [KnowledgeOut.model_validate(document, from_attributes=True) for document in documents]


@router.post("/knowledge", response_model=KnowledgeOut, status_code=status.HTTP_201_CREATED)
def post_knowledge(
    *,
    background: BackgroundTasks,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(max_length=200)] = "",
) -> KnowledgeOut:
    """The file is read whole (at most MAX_BYTES, refused past it before parsing) and split;
    the index is rebuilt right after the answer is sent, so the next question finds it."""
    data = file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge("knowledge_file_too_large", limit=MAX_BYTES // (1024 * 1024))
    upload = Upload(filename=file.filename or "", data=data, title=title)
    document = knowledge.add_document(db, actor, upload)
    db.commit()
    _rebuild_after(background, request)
    return KnowledgeOut.model_validate(document, from_attributes=True)


@router.delete("/knowledge/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_knowledge(
    document_id: RowId,
    *,
    background: BackgroundTasks,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
) -> Response:
    knowledge.remove_document(db, actor, document_id)
    db.commit()
    _rebuild_after(background, request)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _rebuild_after(background: BackgroundTasks, request: Request) -> None:
    root = index_root(request.app.state.settings)
    background.add_task(refresh_in_own_session, request.app.state.sessions, root, force=True)
