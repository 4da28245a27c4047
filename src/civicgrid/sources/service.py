"""Saving a source's mapping (audited) and finding the sources an administrator runs."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.categories.reference import risk_classes
from civicgrid.errors import Invalid, NotFound
from civicgrid.sources.models import ExternalRecord, ExternalSource
from civicgrid.sources.roles import SOURCE_ADMINS
from civicgrid.sources.schemas import SourceIn, SourceMapping
from civicgrid.timeutil import utcnow


def save_source(db: Session, *, actor: Actor, name: str, data: SourceIn) -> ExternalSource:
    """Create the source or replace its mapping; the change goes to the change log.

    A source belongs to the area of whoever first saved it; an administrator of
    another area may neither see nor change it.
    """
    require_role(actor, SOURCE_ADMINS)
    check_mapping(data.mapping)
    source = db.scalars(select(ExternalSource).where(ExternalSource.name == name)).one_or_none()
    if source is not None and not may_see(actor, source.region_code):
        raise NotFound("source_not_found", name=name)
    before = None if source is None else _snapshot(source)
    now = utcnow()
    if source is None:
        source = ExternalSource(name=name, region_code=actor.scope_code or "", created_at=now)
        db.add(source)
    source.kind = data.kind.value
    source.mapping = data.mapping.model_dump(mode="json")
    source.updated_at = now
    db.flush()
    record_change(
        db,
        author=actor,
        kind=ChangeKind.EXTERNAL_SOURCE,
        action="update" if before else "create",
        target=name,
        region_code=source.region_code,
        before=before,
        after=_snapshot(source),
        now=now,
    )
    return source


def check_mapping(mapping: SourceMapping) -> None:
    """Every class a real risk class; a place for each record; a usable time pattern."""
    known = {risk.code for risk in risk_classes()}
    for value, risk in [*mapping.classes.items(), ("", mapping.default_class)]:
        if risk is not None and risk not in known:
            raise Invalid("source_risk_class_unknown", field="classes", value=value, code=risk)
    columns = mapping.columns
    if (columns.lng is None) != (columns.lat is None):
        raise Invalid("source_point_incomplete", field="columns")
    if columns.lng is None and columns.grid_code is None and columns.address is None:
        raise Invalid("source_no_location_column", field="columns")
    if mapping.time_format is not None and "%" not in mapping.time_format:
        raise Invalid("source_time_format", field="time_format", value=mapping.time_format)


def _snapshot(source: ExternalSource) -> dict[str, Any]:
    return {"kind": source.kind, "region_code": source.region_code, "mapping": source.mapping}


def get_source(db: Session, *, actor: Actor, name: str) -> ExternalSource:
    require_role(actor, SOURCE_ADMINS)
    source = db.scalars(
        select(ExternalSource).where(
            ExternalSource.name == name, in_scope(actor, ExternalSource.region_code)
        )
    ).one_or_none()
    if source is None:
        raise NotFound("source_not_found", name=name)
    return source


def list_sources(db: Session, *, actor: Actor) -> list[tuple[ExternalSource, int]]:
    """The sources of the actor's area, each with how many records it has brought."""
    require_role(actor, SOURCE_ADMINS)
    counts = (
        select(ExternalRecord.source_id, func.count().label("records"))
        .group_by(ExternalRecord.source_id)
        .subquery()
    )
    rows = db.execute(
        select(ExternalSource, func.coalesce(counts.c.records, 0))
        .outerjoin(counts, counts.c.source_id == ExternalSource.id)
        .where(in_scope(actor, ExternalSource.region_code))
        .order_by(ExternalSource.name)
    ).all()
    return [(source, int(records)) for source, records in rows]


def record_count(db: Session, source: ExternalSource) -> int:
    query = select(func.count()).where(ExternalRecord.source_id == source.id)
    return int(db.scalar(query) or 0)
