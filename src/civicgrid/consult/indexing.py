"""Keeping the index up to date: closed cases and finished disputes into `consult_documents`,
then a new index generation when the documents changed.

The worker runs `refresh` every round and `civicgrid consult reindex` runs it by
hand (or rebuilds from nothing). Catching up is incremental and needs no
watermark of its own: a closed case is due when it has no document, or one
older than its last closing (a case reopened and closed again carries a new
reply). The documents and their case rows are read in one transaction, so a
worker killed half way leaves either the documents of a batch or none, and the
next round finds the rest; the index is then rebuilt from the documents alone
(`engine.build`), never from memory.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.auth.models import Department
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.states import CLOSED, Status
from civicgrid.consult import engine
from civicgrid.consult.models import ConsultDocument
from civicgrid.consult.text import joined
from civicgrid.disputes.models import Dispute, DisputeEvent, DisputeParty
from civicgrid.disputes.states import Status as DisputeStatus
from civicgrid.masking import mask_name, mask_personal_data
from civicgrid.settings import Settings
from civicgrid.timeutil import as_utc

BATCH = 500
TITLE_CHARS = 60
# The statuses whose note is the reply a case's reporter was given.
REPLY_STATUSES = (Status.RESOLVED.value, Status.SELF_RESOLVED.value)
# How a dispute ended, read from the last of these it entered before closing.
DISPUTE_ENDINGS = (
    DisputeStatus.AGREED.value,
    DisputeStatus.FAILED.value,
    DisputeStatus.REFERRED.value,
    DisputeStatus.JUDICIAL_CONFIRMATION_REQUESTED.value,
)


@dataclass(frozen=True)
class Refresh:
    """What one refresh wrote, and whether it built a new index generation."""

    cases: int
    disputes: int
    built: bool


def index_root(settings: Settings) -> Path:
    """`<data dir>/consult`: beside the embedded database, never inside the checkout."""
    return settings.data_dir / "consult"


def refresh(db: Session, root: Path, *, force: bool = False) -> Refresh:
    """Catch the documents up with closed cases and disputes, then rebuild if they changed
    and the last build is not too recent (`engine.resting`; `force` builds regardless).

    The caller commits; the documents are flushed before the build reads them, so a
    build made inside an uncommitted transaction matches what that transaction sees.
    """
    stale_documents(db)
    cases = catch_up_cases(db)
    disputes = catch_up_disputes(db)
    db.flush()
    signature = document_signature(db)
    changed = signature != engine.signature_in_force(root)
    built = force or (changed and not engine.resting(root))
    if built:
        engine.build(root, _rows(db), signature=signature)
    return Refresh(cases=cases, disputes=disputes, built=built)


def refresh_in_own_session(
    sessions: sessionmaker[Session], root: Path, *, force: bool = False
) -> Refresh:
    """`refresh` in a transaction of its own: the worker's round, or after an upload."""
    with sessions() as db:
        done = refresh(db, root, force=force)
        db.commit()
    return done


def document_signature(db: Session) -> str:
    """Changes with any added, replaced or removed document (a replaced one gets a new id)."""
    count, highest, total = db.execute(
        select(
            func.count(ConsultDocument.id),
            func.coalesce(func.max(ConsultDocument.id), 0),
            func.coalesce(func.sum(ConsultDocument.id), 0),
        )
    ).one()
    return f"{count}-{highest}-{total}"


def _rows(db: Session) -> Iterator[engine.Row]:
    query = select(
        ConsultDocument.id,
        ConsultDocument.kind,
        ConsultDocument.region_code,
        ConsultDocument.tokens,
    ).order_by(ConsultDocument.id)
    for row in db.execute(query.execution_options(yield_per=10_000)):
        yield engine.Row(
            id=row.id, kind=row.kind, region_code=row.region_code, words=row.tokens.split()
        )


def catch_up_cases(db: Session) -> int:
    """Documents for the closed cases that have none, or an older one; how many were written."""
    fresh = exists().where(
        ConsultDocument.kind == "case",
        ConsultDocument.source_ref == Case.number,
        ConsultDocument.source_time >= Case.closed_at,
    )
    due = (
        select(Case)
        .where(Case.status.in_([status.value for status in CLOSED]), Case.closed_at.is_not(None))
        .where(~fresh)
        .order_by(Case.id)
        .limit(BATCH)
    )
    written = 0
    while batch := list(db.scalars(due)):
        departments = _department_names(db, batch)
        replies = _replies(db, [case.id for case in batch])
        for case in batch:
            _replace(db, case_document(case, replies.get(case.id, ""), departments))
        db.flush()
        written += len(batch)
    return written


def case_document(case: Case, reply: str, departments: dict[int, str]) -> ConsultDocument:
    """A closed case as the public may read it: masked description and reply."""
    body = mask_personal_data(case.description)
    answer = mask_personal_data(reply)
    assert case.closed_at is not None
    return ConsultDocument(
        kind="case",
        source_ref=case.number,
        region_code=case.region_code,
        grid_code=case.grid_code,
        title=_title(body),
        body=body,
        answer=answer,
        answered_by=departments.get(case.department_id or 0, ""),
        category_code=case.category_code,
        outcome=case.status,
        source_time=as_utc(case.closed_at),
        tokens=joined(body),
    )


def catch_up_disputes(db: Session) -> int:
    """Documents for the closed disputes that have none, or an older one."""
    fresh = exists().where(
        ConsultDocument.kind == "dispute",
        ConsultDocument.source_ref == Dispute.number,
        ConsultDocument.source_time >= Dispute.closed_at,
    )
    due = (
        select(Dispute)
        .where(Dispute.closed_at.is_not(None), ~fresh)
        .order_by(Dispute.id)
        .limit(BATCH)
    )
    written = 0
    while batch := list(db.scalars(due)):
        ids = [dispute.id for dispute in batch]
        names = _party_names(db, ids)
        endings = _endings(db, ids)
        for dispute in batch:
            _replace(db, dispute_document(dispute, names.get(dispute.id, []), endings))
        db.flush()
        written += len(batch)
    return written


def dispute_document(
    dispute: Dispute, party_names: list[str], endings: dict[int, str]
) -> ConsultDocument:
    """A finished dispute with its agreement, the parties' names masked wherever they stand."""
    body = _without_names(dispute.description, party_names)
    agreement = _without_names(dispute.agreement_terms or "", party_names)
    assert dispute.closed_at is not None
    return ConsultDocument(
        kind="dispute",
        source_ref=dispute.number,
        region_code=dispute.region_code,
        grid_code=None,
        title=_title(body),
        body=body,
        answer=agreement,
        answered_by="",
        category_code=dispute.kind,
        outcome=endings.get(dispute.id, dispute.status),
        source_time=as_utc(dispute.closed_at),
        tokens=joined(body),
    )


def _replace(db: Session, document: ConsultDocument) -> None:
    """The source's old document out, the new one in (with a new id, which the signature sees)."""
    db.execute(
        delete(ConsultDocument).where(
            ConsultDocument.kind == document.kind,
            ConsultDocument.source_ref == document.source_ref,
        )
    )
    db.add(document)


def _title(body: str) -> str:
    first = body.strip().splitlines()[0] if body.strip() else ""
    return first[:TITLE_CHARS]


def _without_names(text: str, names: list[str]) -> str:
    for name in sorted(filter(None, names), key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return mask_personal_data(text)


def _department_names(db: Session, cases: list[Case]) -> dict[int, str]:
    ids = {case.department_id for case in cases if case.department_id is not None}
    if not ids:
        return {}
    rows = db.execute(select(Department.id, Department.name).where(Department.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _replies(db: Session, case_ids: list[int]) -> dict[int, str]:
    """Each case's last non-empty resolving note: the reply its reporter was given."""
    rows = db.execute(
        select(CaseAction.case_id, CaseAction.note)
        .where(
            CaseAction.case_id.in_(case_ids),
            CaseAction.to_status.in_(REPLY_STATUSES),
            CaseAction.note != "",
        )
        .order_by(CaseAction.case_id, CaseAction.sequence)
    )
    return {row.case_id: row.note for row in rows}


def _party_names(db: Session, dispute_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    rows = db.execute(
        select(DisputeParty.dispute_id, DisputeParty.name).where(
            DisputeParty.dispute_id.in_(dispute_ids)
        )
    )
    for row in rows:
        names.setdefault(row.dispute_id, []).append(row.name)
    return names


def _endings(db: Session, dispute_ids: list[int]) -> dict[int, str]:
    rows = db.execute(
        select(DisputeEvent.dispute_id, DisputeEvent.to_status)
        .where(
            DisputeEvent.dispute_id.in_(dispute_ids), DisputeEvent.to_status.in_(DISPUTE_ENDINGS)
        )
        .order_by(DisputeEvent.dispute_id, DisputeEvent.sequence)
    )
    return {row.dispute_id: row.to_status for row in rows}


def stale_documents(db: Session) -> None:
    """Case documents whose case was reopened since: dropped until it closes again."""
    reopened = select(Case.number).where(Case.status.not_in([status.value for status in CLOSED]))
    db.execute(
        delete(ConsultDocument).where(
            and_(ConsultDocument.kind == "case", ConsultDocument.source_ref.in_(reopened))
        )
    )
