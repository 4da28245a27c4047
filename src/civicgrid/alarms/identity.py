"""What an edge device may not tell us: identities are dropped at intake, never stored.

The platform records scene events, not people (ARCHITECTURE: "Scene events, not
identities"). Edge analytics may still send a recognised name, a plate or a face
id (Frigate puts them in `sub_label`), so every attribute whose name points at
a person is dropped before anything is stored, and the numbers a person could be
found by (ID numbers, phones, bank cards) are masked in whatever text remains.
Names are matched generously: losing a harmless `zone_name` costs nothing, while
counts of a scene (`person_count`) are kept.
"""

import re
from typing import Any

from civicgrid.masking import mask_personal_data

# Matched inside the attribute's name with case, "_", "-" and spaces removed.
IDENTITY_STEMS = (
    "name",
    "plate",
    "face",
    "personid",
    "phone",
    "mobile",
    "idcard",
    "idnumber",
    "identity",
    "passport",
    "licence",
    "license",
    "gait",
    "reid",
    "sublabel",
    "biometric",
    "fingerprint",
    "iris",
    "姓名",
    "车牌",
    "身份",
    "人脸",
    "手机",
    "电话",
)
MAX_DEPTH = 3
_FOLD = re.compile(r"[\s_\-.]+")

Scalar = str | int | float | bool | None


def names_a_person(key: str) -> bool:
    folded = _FOLD.sub("", key.lower())
    return any(stem in folded for stem in IDENTITY_STEMS)


def scrub(attributes: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """The attributes without identity fields, with personal numbers masked in the text."""
    kept: dict[str, Any] = {}
    for key, value in attributes.items():
        if names_a_person(key):
            continue
        cleaned = _scrub_value(value, depth)
        if cleaned is not _DROPPED:
            kept[key] = cleaned
    return kept


_DROPPED = object()


def _scrub_value(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_DEPTH:
        return _DROPPED
    if isinstance(value, dict):
        return scrub(value, depth + 1)
    if isinstance(value, list):
        items = [_scrub_value(item, depth + 1) for item in value]
        return [item for item in items if item is not _DROPPED]
    return _DROPPED
