"""Case photo endpoints: evidence upload, the list, and the image itself, inside jurisdiction."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.cases import photos
from civicgrid.cases.service import visible_case
from civicgrid.cases.workflow import actor_label
from civicgrid.db import RowId
from civicgrid.settings import get_settings

router = APIRouter(prefix="/api/v1/cases", tags=["photos"])


class PhotoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purpose: str
    content_type: str
    size: int
    width: int
    height: int
    lng: float | None
    lat: float | None
    uploaded_by: str
    created_at: datetime


@router.post("/{number}/photos", response_model=list[PhotoOut], status_code=status.HTTP_201_CREATED)
def post_photos(
    number: str, files: Annotated[list[UploadFile], File()], db: DbSession, actor: CurrentActor
) -> list[PhotoOut]:
    """Evidence of handling; every file is checked before any is stored."""
    case = visible_case(db, actor, number)
    # Read one byte past the limit: enough to refuse an oversized file without reading all of it.
    uploads = [upload.file.read(get_settings().photo_max_bytes + 1) for upload in files]
    stored = photos.add_evidence(db, case, uploads, actor=actor, actor_label=actor_label(actor))
    db.commit()
    return [PhotoOut.model_validate(photo) for photo in stored]


@router.get("/{number}/photos", response_model=list[PhotoOut])
def get_photos(number: str, db: DbSession, actor: CurrentActor) -> list[PhotoOut]:
    case = visible_case(db, actor, number)
    return [PhotoOut.model_validate(photo) for photo in photos.list_photos(db, case)]


@router.get("/{number}/photos/{photo_id}", response_class=FileResponse)
def get_photo(number: str, photo_id: RowId, db: DbSession, actor: CurrentActor) -> FileResponse:
    """The stored bytes; `nosniff` so a browser never reads them as anything but an image."""
    photo, path = photos.photo_file(db, visible_case(db, actor, number), photo_id)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"}
    return FileResponse(path, media_type=photo.content_type, headers=headers)
