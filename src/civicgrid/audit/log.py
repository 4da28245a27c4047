"""Record and verify the administrators' changes (settings, accounts, rules, keys).

A domain calls `record_change` inside the transaction that makes the change, so
the change and its log row commit or roll back together (the caller commits).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicgrid.audit.chain import GENESIS_HASH, Link, breaks, link_hash, stamp
from civicgrid.audit.models import AdminChainHead, AdminChange
from civicgrid.masking import mask_personal_data
from civicgrid.timeutil import utcnow

HEAD_ID = 1


class ChangeKind(StrEnum):
    USER = "user"
    DEPARTMENT = "department"
    ROUTING_RULE = "routing_rule"
    CATEGORY = "category"
    FIELDWORK_WEIGHTS = "fieldwork_weights"
    TRIAGE_SETTINGS = "triage_settings"
    RESOURCE = "resource"
    API_KEY = "api_key"
    REGISTRY_KEYS = "registry_keys"
    DEVICE = "device"
    SCENE_RULE = "scene_rule"
    ALARM_RULE = "alarm_rule"
    THRESHOLD_RULE = "threshold_rule"
    EXTERNAL_SOURCE = "external_source"
    FIELDWORK_PLAN = "fieldwork_plan"
    SAFE_PLACE_LIST = "safe_place_list"
    DUTY_ROSTER = "duty_roster"


class Author(Protocol):
    """Whoever made a change: `auth.scope.Actor` fits, without this layer importing it."""

    @property
    def kind(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def api_key_id(self) -> int | None: ...
    @property
    def scope_code(self) -> str | None: ...


def author_label(author: Author) -> str:
    """How an actor is named in a history: API keys by id, since their names may change."""
    if author.kind == "user":
        return f"user:{author.username}"
    if author.kind == "api_key":
        return f"api_key:{author.api_key_id}"
    return author.kind


def record_change(
    db: Session,
    *,
    author: Author,
    kind: ChangeKind,
    action: str,
    target: str,
    region_code: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> AdminChange:
    """Append one change to the chain; `region_code` defaults to the author's scope
    (a city-wide setting belongs to whoever may set it)."""
    sequence, previous = _raise_head(db)
    row = AdminChange(
        sequence=sequence,
        kind=kind.value,
        action=action,
        target=target[:120],
        actor=author_label(author)[:120],
        region_code=region_code if region_code is not None else author.scope_code or "",
        before=_snapshot(before),
        after=_snapshot(after),
        created_at=now or utcnow(),
        previous_hash=previous,
    )
    row.hash = change_hash(row)
    db.add(row)
    db.execute(update(AdminChainHead).where(AdminChainHead.id == HEAD_ID).values(hash=row.hash))
    db.flush()
    return row


def _raise_head(db: Session) -> tuple[int, str]:
    """The next sequence and the hash it follows, the head row locked until commit."""
    upsert = sqlite_insert if db.get_bind().dialect.name == "sqlite" else postgresql_insert
    insert = upsert(AdminChainHead).values(id=HEAD_ID, sequence=1, hash=GENESIS_HASH)
    raised = insert.on_conflict_do_update(
        index_elements=[AdminChainHead.id], set_={"sequence": AdminChainHead.sequence + 1}
    ).returning(AdminChainHead.sequence, AdminChainHead.hash)
    sequence, previous = db.execute(raised).one()
    return int(sequence), str(previous)


def _snapshot(values: Mapping[str, Any] | None) -> str:
    """JSON of what was set, with every ID number and phone a person would read masked."""
    if values is None:
        return "null"
    return json.dumps(_masked(dict(values)), ensure_ascii=False, sort_keys=True, default=str)


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, Mapping):
        return {str(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item) for item in value]
    return value


def change_hash(row: AdminChange) -> str:
    return link_hash(
        [
            row.sequence,
            row.kind,
            row.action,
            row.target,
            row.actor,
            row.region_code,
            row.before,
            row.after,
            stamp(row.created_at),
        ],
        row.previous_hash,
    )


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    problems: list[str]


def verify_changes(db: Session) -> ChainCheck:
    """Every break in the change log: edited, removed, reordered or cut-off rows."""
    rows = list(db.scalars(select(AdminChange).order_by(AdminChange.sequence)))
    found = breaks(
        [Link(row.sequence, row.previous_hash, row.hash, change_hash(row)) for row in rows]
    )
    problems = [f"admin change {sequence} missing" for sequence in found.missing]
    problems += [f"admin change {sequence} altered" for sequence in found.altered]
    head = db.get(AdminChainHead, HEAD_ID)
    last = (rows[-1].sequence, rows[-1].hash) if rows else (0, GENESIS_HASH)
    if head is not None and (head.sequence, head.hash) != last:
        problems.append(f"admin changes after {last[0]} missing (the head is at {head.sequence})")
    if head is None and rows:
        problems.append("admin change log has no head")
    return ChainCheck(rows=len(rows), problems=problems)
