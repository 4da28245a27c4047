"""Inbox and webhook administration."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.db import RowId
from civicgrid.notify import service
from civicgrid.notify.schemas import (
    NotificationOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
)
from civicgrid.timeutil import utcnow

router = APIRouter(prefix="/api/v1", tags=["notify"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/notifications", response_model=list[NotificationOut])
def get_notifications(
    db: DbSession, actor: CurrentActor, limit: Limit = 100
) -> list[NotificationOut]:
    """The caller's own inbox, unread first."""
    return [NotificationOut.model_validate(n) for n in service.inbox(db, actor, limit=limit)]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def post_read(notification_id: RowId, db: DbSession, actor: CurrentActor) -> NotificationOut:
    notification = service.mark_read(db, actor, notification_id, utcnow())
    db.commit()
    return NotificationOut.model_validate(notification)


@router.get("/webhooks", response_model=list[WebhookOut])
def get_webhooks(db: DbSession, actor: CurrentActor) -> list[WebhookOut]:
    return [WebhookOut.model_validate(hook) for hook in service.list_webhooks(db, actor)]


@router.post("/webhooks", response_model=WebhookCreatedOut, status_code=status.HTTP_201_CREATED)
def post_webhook(body: WebhookIn, db: DbSession, actor: CurrentActor) -> WebhookCreatedOut:
    hook = service.create_webhook(db, actor, **body.model_dump())
    db.commit()
    return WebhookCreatedOut.model_validate(hook)


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: RowId, db: DbSession, actor: CurrentActor) -> Response:
    service.delete_webhook(db, actor, webhook_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
