"""Who reported a case, sealed like the registry's people: no reporter's phone or name in clear.

The phone and name are AES-GCM tokens bound to the case number (a token copied to
another case does not open), and the phone also has a blind index of its digits,
which is how a reporter tracking their case by number and phone is recognised.
The keys are the registry's (CIVICGRID_REGISTRY_KEY_FILE / _KEYS).
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.sealing import cipher_for, index_of, open_token, reseal_tokens, seal
from civicgrid.settings import get_settings

PHONE = "case_reporter_phone"
NAME = "case_reporter_name"
DIGITS = frozenset("0123456789")
MOBILE_DIGITS = 11
COUNTRY_PREFIXES = ("0086", "86")


@dataclass(frozen=True)
class Reporter:
    phone: str | None
    name: str | None


def cipher() -> FieldCipher:
    return cipher_for(get_settings())


def phone_digits(raw: str | None) -> str:
    """The digits that identify a phone: separators and a +86 / 0086 country prefix dropped."""
    digits = "".join(char for char in raw or "" if char in DIGITS)
    for prefix in COUNTRY_PREFIXES:
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) == MOBILE_DIGITS and rest.startswith("1"):
            return rest
    return digits


def phone_index(phone: str | None) -> bytes | None:
    """The blind index of a phone's digits; None when it has none."""
    digits = phone_digits(phone)
    return index_of(cipher(), digits, field=PHONE) if digits else None


def seal_reporter(case: Case, *, phone: str | None, name: str | None) -> None:
    """Store the reporter on a numbered case, sealed; the number is the tokens' context."""
    keys = cipher()
    if phone:
        sealed = seal(keys, phone, field=PHONE, uid=case.number)
        case.reporter_phone_token = sealed.token
        case.reporter_phone_index = phone_index(phone)
    if name:
        case.reporter_name_token = seal(keys, name, field=NAME, uid=case.number).token


def reporter_of(case: Case) -> Reporter:
    """The reporter as given, for staff whose view of the case shows them (masked there)."""
    keys = cipher()
    phone, name = case.reporter_phone_token, case.reporter_name_token
    return Reporter(
        phone=open_token(keys, phone, field=PHONE, uid=case.number) if phone else None,
        name=open_token(keys, name, field=NAME, uid=case.number) if name else None,
    )


def reseal_reporters(db: Session, keys: FieldCipher) -> int:
    """Reporters' tokens under the newest key, as `civicgrid registry rotate-keys` does for the
    registry's; the blind index has its own key and stays."""
    return sum(
        reseal_tokens(db, keys, Case, column, context=Case.number, field=field)
        for column, field in (("reporter_phone_token", PHONE), ("reporter_name_token", NAME))
    )
