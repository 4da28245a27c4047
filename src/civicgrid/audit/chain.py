"""The one rule every hash chain follows: each row's hash covers its content and the
hash before it, so an edited, removed or reordered row breaks every hash after it.

The case history (`cases.workflow`) and the administrators' change log
(`audit.log`) both link and check their rows through here.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from civicgrid.timeutil import as_utc

GENESIS_HASH = "0" * 64
"""What the first row of a chain links to."""


def link_hash(content: Sequence[object], previous_hash: str) -> str:
    """The hash of one row: its content (JSON-able values, in a fixed order) and its
    predecessor's hash, last, as the case history has always written it."""
    encoded = json.dumps([*content, previous_hash], ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    """A moment as hashed: UTC wall clock to the microsecond, the same on both engines."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True)
class Link:
    """One stored row as a chain sees it: its place, what it says it follows, its hash,
    and the hash its content gives now."""

    sequence: int
    previous_hash: str
    hash: str
    recomputed: str


@dataclass(frozen=True)
class Breaks:
    missing: list[int]
    altered: list[int]


def breaks(links: Sequence[Link]) -> Breaks:
    """Sequences absent from 1..n, and rows whose hash or link no longer holds."""
    present = {link.sequence for link in links}
    missing = sorted(set(range(1, len(links) + 1)) - present)
    altered = []
    previous = GENESIS_HASH
    for link in links:
        if link.previous_hash != previous or link.recomputed != link.hash:
            altered.append(link.sequence)
        previous = link.hash
    return Breaks(missing=missing, altered=altered)
