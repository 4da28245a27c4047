"""Case photos: a report's pictures and the evidence of a fix, attached to the case.

Checking, cleaning and storing the files is the kernel's photo store
(`civicgrid.photostore`); this module decides which case a photo belongs to,
for what purpose, and who may add one.
"""

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.cases.roles import EVIDENCE_ROLES
from civicgrid.cases.states import FINISHED, Status
from civicgrid.cases.workflow import lock_case
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.photostore import CheckedImage, check_images, extension_of, photo_path, store_file
from civicgrid.settings import get_settings

PURPOSES = ("report", "evidence")


def attach(
    db: Session,
    case: Case,
    images: Sequence[CheckedImage],
    *,
    purpose: str,
    actor_label: str,
) -> list[CasePhoto]:
    """Add photos to a case in the caller's transaction; the same content is kept once.

    Files are written before the caller commits, so a rolled-back transaction can
    leave an unreferenced file behind, never a row without its file.
    """
    if purpose not in PURPOSES:
        raise Invalid("photo_purpose_unknown", purpose=purpose, purposes=", ".join(PURPOSES))
    lock_case(db, case.id)  # serialises concurrent uploads, so the limit below holds
    existing = _photos_by_content(db, case.id, purpose)
    fresh = list({image.sha256: image for image in images if image.sha256 not in existing}.values())
    limit = get_settings().photo_max_per_case
    if len(existing) + len(fresh) > limit:
        raise Invalid("photo_limit", limit=limit)
    rows = [_row(case, image, purpose=purpose, actor_label=actor_label) for image in fresh]
    for image in fresh:
        store_file(image)
    db.add_all(rows)
    db.flush()
    by_content = existing | {row.sha256: row for row in rows}
    return [by_content[image.sha256] for image in images]


def _photos_by_content(db: Session, case_id: int, purpose: str) -> dict[str, CasePhoto]:
    rows = db.scalars(
        select(CasePhoto).where(CasePhoto.case_id == case_id, CasePhoto.purpose == purpose)
    )
    return {row.sha256: row for row in rows}


def _row(case: Case, image: CheckedImage, *, purpose: str, actor_label: str) -> CasePhoto:
    return CasePhoto(
        case_id=case.id,
        purpose=purpose,
        sha256=image.sha256,
        content_type=image.content_type,
        size=len(image.data),
        width=image.width,
        height=image.height,
        lng=image.lng,
        lat=image.lat,
        uploaded_by=actor_label,
    )


def require_may_add_evidence(actor: Actor, case: Case) -> None:
    """Those who handle or dispatch the case; a department only for the cases it holds."""
    if actor.role not in EVIDENCE_ROLES:
        raise Forbidden("photo_role")
    if actor.role is Role.DEPARTMENT_HANDLER and case.department_id != actor.department_id:
        raise Forbidden("transition_department")
    # Once a case is finished its record is final: evidence added later would rewrite it.
    if Status(case.status) in FINISHED:
        raise Conflict("photo_case_finished", number=case.number, status=case.status)


def add_evidence(
    db: Session, case: Case, uploads: Sequence[bytes], *, actor: Actor, actor_label: str
) -> list[CasePhoto]:
    """Check every upload before storing any, then attach them as evidence."""
    require_may_add_evidence(actor, case)
    if not uploads:
        raise Invalid("photo_required")
    return attach(db, case, check_images(uploads), purpose="evidence", actor_label=actor_label)


def list_photos(db: Session, case: Case) -> list[CasePhoto]:
    return list(
        db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id).order_by(CasePhoto.id))
    )


def photo_file(db: Session, case: Case, photo_id: int) -> tuple[CasePhoto, Path]:
    """A photo of this case and its file; a photo of another case is not found."""
    photo = db.scalar(
        select(CasePhoto).where(CasePhoto.id == photo_id, CasePhoto.case_id == case.id)
    )
    path = photo_path(photo.sha256, extension_of(photo.content_type)) if photo else None
    if photo is None or path is None or not path.is_file():
        raise NotFound("photo_not_found", number=case.number, photo=photo_id)
    return photo, path
