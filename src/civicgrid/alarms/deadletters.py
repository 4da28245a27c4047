"""Dead letters: the messages the listener refused, with the reason, for administrators.

A refused message is acknowledged (it would fail the same way on every
redelivery) and kept here instead: its topic, a reason code, when it came, and
the start of its payload with every identity field dropped and personal
numbers masked, so the dead-letter table never holds what intake would not.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from pydantic import ValidationError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from civicgrid.alarms.identity import names_a_person, scrub
from civicgrid.alarms.messages import MAX_JSON_BYTES
from civicgrid.alarms.models import DeadLetter, Device
from civicgrid.alarms.roles import DEAD_LETTER_READERS
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import is_city_admin, require_role
from civicgrid.errors import DomainError
from civicgrid.masking import mask_personal_data

KEPT_CHARACTERS = 2000
# A broken device can send garbage for weeks: older letters go as new ones come.
KEPT_FOR = timedelta(days=30)
# Where a payload is not JSON, `"key": value` pairs whose key names a person are cut out.
_PAIR = re.compile(
    r'"((?:[^"\\]|\\.){1,100})"\s*:\s*'  # a quoted key, then a string, a list or a bare value
    r'("(?:[^"\\]|\\.)*"?|\[[^\]]*\]?|[^,{}\[\]"\s]*)'
)

# The reason codes an administrator filters by, from what refused the message.
REASONS = (
    "bad_json",
    "schema",
    "unknown_device",
    "unknown_camera",
    "unknown_type",
    "device_disabled",
    "oversize",
    "unstorable",
    "refused",
)
_DOMAIN_REASONS = {
    "invalid_device_key": "unknown_device",
    "frigate_camera_unknown": "unknown_camera",
    "frigate_topic_unknown": "unknown_type",
    "alarm_type_unknown": "unknown_type",
    "device_disabled": "device_disabled",
    "alarm_message_too_large": "oversize",
}


def reason_of(refusal: Exception) -> tuple[str, str]:
    """(reason code, a short detail naming fields and error kinds, never the values)."""
    if isinstance(refusal, DomainError):
        return _DOMAIN_REASONS.get(refusal.code, "refused"), refusal.code
    if isinstance(refusal, ValidationError):
        errors = refusal.errors()
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in errors)
        bad_json = any(e["type"] in {"json_invalid", "json_type"} for e in errors)
        return ("bad_json" if bad_json else "schema"), detail[:255]
    if isinstance(refusal, DataError):
        return "unstorable", type(refusal.orig).__name__[:255]
    return "refused", type(refusal).__name__


def record(
    db: Session,
    *,
    topic: str,
    payload: bytes | bytearray,
    refusal: Exception,
    region_code: str | None,
    now: datetime,
) -> DeadLetter:
    """Keep a refused message, and drop those past `KEPT_FOR`; the caller commits."""
    db.execute(delete(DeadLetter).where(DeadLetter.received_at < now - KEPT_FOR))
    reason, detail = reason_of(refusal)
    letter = DeadLetter(
        topic=topic[:255],
        reason=reason,
        detail=detail,
        region_code=region_code,
        received_at=now,
        payload=kept_payload(payload),
        payload_bytes=len(payload),
    )
    db.add(letter)
    db.flush()
    return letter


def kept_payload(payload: bytes | bytearray) -> str:
    """The start of the payload without identities: JSON scrubbed, other text redacted."""
    text = _text(bytes(payload[:MAX_JSON_BYTES]), cut=len(payload) > MAX_JSON_BYTES)
    if text is None:
        return f"<{len(payload)} bytes, not text>"
    parsed = _parsed(text) if len(payload) <= MAX_JSON_BYTES else None
    if isinstance(parsed, dict):
        text = json.dumps(scrub(parsed), ensure_ascii=False)
    else:
        text = _PAIR.sub(_without_identity, text)
    return mask_personal_data(text.replace("\x00", ""))[:KEPT_CHARACTERS]


def _text(head: bytes, *, cut: bool) -> str | None:
    """The payload's head as text; a character the cut split in two is left off."""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if not cut or error.start < len(head) - 3:
            return None
        return head[: error.start].decode("utf-8")


def _parsed(text: str) -> object:
    """The JSON, or None; nesting too deep to parse counts as not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _without_identity(pair: re.Match[str]) -> str:
    return "" if names_a_person(_unescaped(pair.group(1))) else pair.group(0)


def _unescaped(key: str) -> str:
    """The key as JSON spells it out (`\\u59d3\\u540d` is 姓名), or as written if it cannot."""
    try:
        return str(json.loads(f'"{key}"'))
    except ValueError:
        return key


def named_region(
    db: Session, *, topic: str, payload: bytes | bytearray, root: str, frigate_prefix: str
) -> str | None:
    """The grid of the device a refused message names, when it names a registered one.

    A device's topic names its code; a Frigate snapshot's its camera; a Frigate
    event or review names the camera inside (`after.camera`), if it parses.
    """
    if topic.startswith(f"{root}/"):
        code = topic.removeprefix(f"{root}/").partition("/")[0]
        return db.scalar(select(Device.region_code).where(Device.code == code))
    if not topic.startswith(f"{frigate_prefix}/"):
        return None
    rest = topic.removeprefix(f"{frigate_prefix}/")
    camera = rest.partition("/")[0] if "/" in rest else _camera_inside(payload)
    if not camera:
        return None
    return db.scalar(select(Device.region_code).where(Device.frigate_camera == camera))


def _camera_inside(payload: bytes | bytearray) -> str | None:
    if len(payload) > MAX_JSON_BYTES:
        return None
    try:
        parsed = _parsed(bytes(payload).decode("utf-8"))
    except UnicodeDecodeError:
        return None
    after = parsed.get("after") if isinstance(parsed, dict) else None
    camera = after.get("camera") if isinstance(after, dict) else None
    return camera if isinstance(camera, str) else None


@dataclass(frozen=True)
class DeadLetterQuery:
    reason: str | None = None
    limit: int = 100
    offset: int = 0


def list_dead_letters(
    db: Session, actor: Actor, query: DeadLetterQuery
) -> tuple[list[DeadLetter], int]:
    """Newest first, in the administrator's area; those naming no known device city-wide only."""
    require_role(actor, DEAD_LETTER_READERS)
    # A NULL region (no known device) is outside every scope but the city's, added below.
    where = in_scope(actor, cast(ColumnElement[str], DeadLetter.region_code))
    if is_city_admin(actor):
        where = where | DeadLetter.region_code.is_(None)
    conditions = [where]
    if query.reason is not None:
        conditions.append(DeadLetter.reason == query.reason)
    total = db.scalar(select(func.count()).select_from(DeadLetter).where(*conditions)) or 0
    rows = db.scalars(
        select(DeadLetter)
        .where(*conditions)
        .order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(rows), total
