"""Each kind's personal fields sealed as soon as a row is read, before the database is asked.

Sealing needs the keys and the row alone (the record's uid is made here, known before
insert), so it is part of the per-row work a large file does in its reading process
(importing/pipeline.py). An ID number's blind index is always computed, since the
repeat and registered checks look it up; the tokens only when the rows may be written
(not on a dry run). The writers take `row.uid` and `row.sealed` as they are.
"""

from collections.abc import Callable
from functools import partial

from civicgrid.registry.importing.report import ImportKind
from civicgrid.registry.importing.rows import Row
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.sealing import (
    CONTACT_PHONE,
    DOCUMENT,
    OWNER_PHONE,
    PHONE,
    index_of,
    new_uid,
    seal,
)

# A kind's seal step: the cipher, the rows as read (bad ones are passed over), and
# whether to make the tokens as well as the blind indexes.
Seal = Callable[[FieldCipher, list[Row], bool], None]


def _seal_residents(cipher: FieldCipher, rows: list[Row], tokens: bool) -> None:
    for row in rows:
        if not row.ok:
            continue
        number = row.values["id_number"].number
        index = row.values["document_index"] = index_of(cipher, number, field=DOCUMENT)
        if tokens:
            row.uid = new_uid()
            row.sealed[DOCUMENT] = seal(cipher, number, field=DOCUMENT, uid=row.uid, index=index)
            _seal_phone(cipher, row, "phone", PHONE)


def _seal_phones(
    column: str, field: str, cipher: FieldCipher, rows: list[Row], tokens: bool
) -> None:
    """Kinds whose one personal field is a phone: a dwelling's owner, an organisation's contact."""
    if not tokens:
        return
    for row in rows:
        if row.ok:
            row.uid = new_uid()
            _seal_phone(cipher, row, column, field)


def _seal_phone(cipher: FieldCipher, row: Row, column: str, field: str) -> None:
    phone = row.values[column]
    if phone is not None:
        row.sealed[field] = seal(cipher, phone.digits, field=field, uid=row.uid)


# Module functions and partials of them, so a recipe naming them pickles (pipeline.py).
SEALS: dict[ImportKind, Seal] = {
    ImportKind.RESIDENTS: _seal_residents,
    ImportKind.HOUSING: partial(_seal_phones, "owner_phone", OWNER_PHONE),
    ImportKind.ORGANISATIONS: partial(_seal_phones, "contact_phone", CONTACT_PHONE),
}
