"""HTTP routes of sensor readings (posted by devices) and threshold rules (city administrators)."""

import threading
from pathlib import Path as FilePath

from fastapi import APIRouter, FastAPI, Request, Response, status

from civicgrid.alarms import thresholds
from civicgrid.alarms.api import CurrentDevice
from civicgrid.alarms.reading_schemas import (
    ReadingBatchIn,
    ReadingsTakenOut,
    ThresholdIn,
    ThresholdOut,
)
from civicgrid.alarms.reading_store import readings_root
from civicgrid.alarms.readings import LockedPipeline, ReadingPipeline, Sensor
from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.db import RowId

readings_router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])
_creating = threading.Lock()


def _pipeline(app: FastAPI) -> LockedPipeline:
    """The server process's one readings pipeline, made on the first readings request."""
    with _creating:
        pipeline: LockedPipeline | None = getattr(app.state, "readings", None)
        if pipeline is None:
            folder: FilePath = readings_root(app.state.settings.effective_archive_dir)
            pipeline = app.state.readings = LockedPipeline(ReadingPipeline(folder))
        return pipeline


@readings_router.post("/readings", response_model=ReadingsTakenOut)
def post_readings(
    body: ReadingBatchIn, request: Request, db: DbSession, device: CurrentDevice
) -> ReadingsTakenOut:
    """A device's readings, written to the store before the answer; repeats are not stored.

    A bad reading (unknown measure, a time far ahead or long past) refuses the whole batch.
    """
    pipeline = _pipeline(request.app)
    taken = pipeline.take(db, request.app.state.grid_index, Sensor.of(device), body)
    db.commit()
    return ReadingsTakenOut(accepted=taken.accepted, repeated=taken.repeated)


@readings_router.get("/thresholds", response_model=list[ThresholdOut])
def get_thresholds(db: DbSession, actor: CurrentActor) -> list[ThresholdOut]:
    return [ThresholdOut.of(rule) for rule in thresholds.list_thresholds(db, actor)]


@readings_router.post(
    "/thresholds", response_model=ThresholdOut, status_code=status.HTTP_201_CREATED
)
def post_threshold(body: ThresholdIn, db: DbSession, actor: CurrentActor) -> ThresholdOut:
    rule = thresholds.create_threshold(db, actor, body.data())
    db.commit()
    return ThresholdOut.of(rule)


@readings_router.put("/thresholds/{rule_id}", response_model=ThresholdOut)
def put_threshold(
    rule_id: RowId, body: ThresholdIn, db: DbSession, actor: CurrentActor
) -> ThresholdOut:
    rule = thresholds.update_threshold(db, actor, rule_id, body.data())
    db.commit()
    return ThresholdOut.of(rule)


@readings_router.delete("/thresholds/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_threshold(rule_id: RowId, db: DbSession, actor: CurrentActor) -> Response:
    thresholds.delete_threshold(db, actor, rule_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
