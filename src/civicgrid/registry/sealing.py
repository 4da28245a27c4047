"""How a registry row's personal fields are sealed and opened: one rule for every writer.

The service writing one resident and the importer writing a million seal the
same way: the record's `uid` as the AES-GCM context, the canonical value in the
blind index. Field names here are the names the tokens are bound to; renaming
one makes every stored token of that field unreadable.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from civicgrid.registry.models import Housing, Organisation, Resident
from civicgrid.registry.protection import DEVELOPMENT_KEY_FILE, FieldCipher, load_keyring
from civicgrid.registry.validation import parse_phone, pickled_by_fields
from civicgrid.settings import Settings

ROTATION_BATCH = 1000

DOCUMENT = "document_number"
PHONE = "phone"
OWNER_PHONE = "owner_phone"
CONTACT_PHONE = "contact_phone"


@dataclass(frozen=True, slots=True)
class Sealed:
    """A value as stored: the token and, for exact look-up, its blind index."""

    token: bytes
    index: bytes

    __reduce__ = pickled_by_fields


def new_uid() -> str:
    """The record's permanent identity, known before insert so tokens can be bound to it."""
    return uuid.uuid4().hex


def cipher_for(settings: Settings) -> FieldCipher:
    """The cipher on the configured keys (production without keys raises registry_key_missing).

    Remembered per keyring source and the key file's modification time, so a
    rotation that writes a new key file is picked up without a restart.
    """
    key_file = settings.registry_key_file or settings.data_dir / DEVELOPMENT_KEY_FILE
    try:
        stamp = key_file.stat().st_mtime_ns
    except OSError:
        stamp = 0
    memo_key = (settings.registry_keys, str(key_file), stamp, settings.environment)
    cipher = _CIPHERS.get(memo_key)
    if cipher is None:
        cipher = _CIPHERS[memo_key] = FieldCipher(load_keyring(settings))
    return cipher


_CIPHERS: dict[tuple[str, str, int, str], FieldCipher] = {}


def seal(
    cipher: FieldCipher, value: str, *, field: str, uid: str, index: bytes | None = None
) -> Sealed:
    """The value sealed to its record; `index` when the caller already has the blind index
    (the importer computes it to refuse repeats before it seals)."""
    return Sealed(
        token=cipher.encrypt(value, field=field, context=uid),
        index=cipher.blind_index(value, field=field) if index is None else index,
    )


def open_token(cipher: FieldCipher, token: bytes, *, field: str, uid: str) -> str:
    return cipher.decrypt(token, field=field, context=uid)


def index_of(cipher: FieldCipher, value: str, *, field: str) -> bytes:
    """The blind index to search by; `value` must already be canonical (see validation)."""
    return cipher.blind_index(value, field=field)


# Every sealed column: what key rotation re-encrypts and how a column is opened.
SEALED_COLUMNS: tuple[tuple[type[Resident | Housing | Organisation], str, str], ...] = (
    (Resident, "document_token", DOCUMENT),
    (Resident, "phone_token", PHONE),
    (Housing, "owner_phone_token", OWNER_PHONE),
    (Organisation, "contact_phone_token", CONTACT_PHONE),
)


def sealed_phone(
    cipher: FieldCipher, raw: str | None, *, field: str, uid: str
) -> tuple[bytes | None, bytes | None]:
    if raw is None or not raw.strip():
        return None, None
    sealed = seal(cipher, parse_phone(raw).digits, field=field, uid=uid)
    return sealed.token, sealed.index


def opened(cipher: FieldCipher, row: Resident | Housing | Organisation, column: str) -> str | None:
    """A sealed column's value, for masking on the way out (never returned unmasked)."""
    token: bytes | None = getattr(row, column)
    if token is None:
        return None
    field = next(field for _, name, field in SEALED_COLUMNS if name == column)
    return open_token(cipher, token, field=field, uid=row.uid)


def reseal_tokens(
    db: Session,
    cipher: FieldCipher,
    model: Any,
    column: str,
    *,
    context: InstrumentedAttribute[str],
    field: str,
) -> int:
    """Re-encrypt one token column under the newest key, a batch per commit; returns how many.

    Tokens already under the newest key are left alone, so an interrupted run resumes.
    """
    token_column = getattr(model, column)
    resealed, last_id = 0, 0
    while True:
        batch = db.execute(
            select(model.id, context, token_column)
            .where(model.id > last_id, token_column.is_not(None))
            .order_by(model.id)
            .limit(ROTATION_BATCH)
        ).all()
        if not batch:
            return resealed
        changes = [
            {"id": row_id, column: new}
            for row_id, uid, token in batch
            if (new := cipher.reencrypt(token, field=field, context=uid)) is not token
        ]
        if changes:
            db.execute(update(model), changes)
        db.commit()
        resealed += len(changes)
        last_id = batch[-1][0]
