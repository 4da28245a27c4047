"""Validators for the identifiers the registry stores, with errors a clerk can act on.

The importer and the API call these on every row, so each one normalises what
office software does to a value (full-width digits, stray spaces, a lower-case
x) but never guesses: a number Excel has already rounded cannot be recovered,
and saying so is kinder than storing a wrong identity.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from operator import mul
from typing import Any

from civicgrid.divisions import normalise_code
from civicgrid.errors import Invalid
from civicgrid.masking import mask_middle
from civicgrid.timeutil import DISPLAY_ZONE

# GB/T 2260 province-level codes, plus 83 which the residence permits of Taiwan
# residents carry (Hong Kong 81 and Macao 82 permits reuse those two).
PROVINCE_CODES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65", "71", "81", "82", "83"),
    }
)
EARLIEST_BIRTH = date(1900, 1, 1)

_ID_FORM = re.compile(r"^[0-9]{17}[0-9X]$")
_LEGACY_ID_FORM = re.compile(r"^[0-9]{15}$")
_ID_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_ID_CHECK = "10X98765432"
_ASCII_ZERO_TOTAL = ord("0") * sum(_ID_WEIGHTS)

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {char: value for value, char in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_FORM = re.compile(rf"^[{CREDIT_ALPHABET}]{{18}}$")
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# What Excel turns a long number into: scientific notation, a float's ".0",
# or thousands separators from a number format.
_EXCEL_NUMBER = re.compile(
    r"^(?:[0-9](?:\.[0-9]+)?E\+?[0-9]+|[0-9]+\.[0-9]*|[0-9]{1,3}(?:,[0-9]{3})+)$", re.IGNORECASE
)
# Characters that survive copy-and-paste from web pages and Word but are not whitespace.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

_MOBILE_FORM = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE_FORM = re.compile(r"^0[1-9][0-9]{8,10}$")
_SHORT_AREA = re.compile(r"^0(?:10|2[0-9])")
_COUNTRY_PREFIX = re.compile(r"^(?:\+|00)86")
_EXTENSION_MARK = re.compile(r"(?:转|分机|ext\.?|x|#)\s*([0-9]{1,6})$", re.IGNORECASE)
_TRAILING_GROUP = re.compile(r"^(.*[0-9])[\s\-]+([0-9]{1,6})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


class Sex(StrEnum):
    """Sex as the ID number encodes it: registry data only, never an input to any score."""

    MALE = "male"
    FEMALE = "female"


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"


def pickled_by_fields(value: Any) -> tuple[type, tuple[Any, ...]]:
    """A slotted frozen dataclass pickled as a call of its constructor (`__reduce__`).

    Its own pickling walks `dataclasses.fields` for every object it restores, six times
    slower, and an import's reading process sends a million of these, to be restored
    in the import's own process (registry/importing/pipeline.py).
    """
    return type(value), tuple(getattr(value, name) for name in value.__slots__)


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A checked resident ID number and what it encodes, so nobody types those twice."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex

    __reduce__ = pickled_by_fields


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A checked unified social credit code split into the parts GB 32100 defines."""

    code: str
    registration_authority: str
    organisation_type: str
    region_code: str
    organisation_code: str

    __reduce__ = pickled_by_fields


@dataclass(frozen=True, slots=True)
class Phone:
    """Digits only: a mobile's 11, or a landline's area code and number (extension apart)."""

    digits: str
    kind: PhoneKind
    extension: str | None = None

    __reduce__ = pickled_by_fields


def parse_resident_id(raw: str | float, *, today: date | None = None) -> ResidentId:
    """Check an 18-character ID number (GB 11643-1999) and derive region, birth date and sex.

    `today` is the Shanghai calendar date unless given, so a baby born this
    morning in China is not "in the future" on a UTC server.
    """
    number = _text_of(raw, "id_number")
    if _LEGACY_ID_FORM.match(number):
        raise Invalid("id_number_legacy", value=mask_middle(number))
    if not _ID_FORM.match(number):
        raise Invalid("id_number_format", value=mask_middle(number), length=len(number))
    if resident_id_check_char(number[:17]) != number[17]:
        raise Invalid(_rounded_or("id_number_checksum", number), value=mask_middle(number))
    if number[:2] not in PROVINCE_CODES:
        raise Invalid("id_number_region", value=mask_middle(number), province=number[:2])
    birth = _birth_date(number, today or datetime.now(DISPLAY_ZONE).date())
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return ResidentId(number=number, region_code=number[:6], birth_date=birth, sex=sex)


def resident_id_check_char(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 (ASCII) digits.

    Weighting the character codes and subtracting what the "0"s contribute
    is three times faster than int() per digit, and the importer runs this
    on every row.
    """
    total = sum(map(mul, body.encode("ascii"), _ID_WEIGHTS)) - _ASCII_ZERO_TOTAL
    return _ID_CHECK[total % 11]


def _birth_date(number: str, today: date) -> date:
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise Invalid("id_number_birth_date", value=mask_middle(number)) from None
    if not EARLIEST_BIRTH <= birth <= today:
        raise Invalid("id_number_birth_date", value=mask_middle(number))
    return birth


def _rounded_or(code: str, number: str) -> str:
    """Name Excel when a failing number ends the way Excel's 15-digit rounding leaves it.

    A numeric cell keeps 15 significant digits, so positions 16-18 come back
    as zeros; the checksum then fails, and the real cause is the column format.
    """
    return "id_number_excel_mangled" if number.endswith("000") else code


def parse_credit_code(raw: str | float) -> CreditCode:
    """Check an 18-character unified social credit code (GB 32100-2015)."""
    code = _text_of(raw, "credit_code")
    if not _CREDIT_FORM.match(code):
        raise Invalid("credit_code_format", value=code, length=len(code))
    if code[0] == "0" or not "1" <= code[1] <= "9":
        raise Invalid("credit_code_type", value=code, authority=code[0], type=code[1])
    if not code[2:8].isdigit():
        raise Invalid("credit_code_region", value=code, region=code[2:8])
    organisation = code[8:17]
    if organisation_code_check_char(organisation[:8]) != organisation[8]:
        raise Invalid("credit_code_organisation_checksum", value=code, organisation=organisation)
    if credit_code_check_char(code[:17]) != code[17]:
        raise Invalid("credit_code_checksum", value=code)
    return CreditCode(
        code=code,
        registration_authority=code[0],
        organisation_type=code[1],
        region_code=code[2:8],
        organisation_code=organisation,
    )


def credit_code_check_char(body: str) -> str:
    """GB 32100's check character over the first 17 characters, modulus 31."""
    total = sum(map(mul, map(_CREDIT_VALUE.__getitem__, body), _CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[-total % 31]


def organisation_code_check_char(body: str) -> str:
    """GB 11714's check character over an organisation code's 8 characters (A=10 … Z=35)."""
    total = sum(
        int(char, 36) * weight for char, weight in zip(body, _ORGANISATION_WEIGHTS, strict=True)
    )
    remainder = -total % 11
    return "X" if remainder == 10 else str(remainder)


def parse_phone(raw: str | float) -> Phone:
    """Accept a mainland mobile or landline as people write them, and return its digits.

    "+86 138-1234-5678", "0871-6123456 转 801" and "(0871) 6123456" all
    parse; an international form without the trunk 0 ("+86 871 6123456")
    gets it back, since that is the same number.
    """
    text = _text_of(raw, "phone", keep_spaces=True, exact_ints=True)
    extension, number = _split_extension(text)
    digits = _PHONE_SEPARATORS.sub("", number)
    if _COUNTRY_PREFIX.match(digits):
        digits = _COUNTRY_PREFIX.sub("", digits)
        digits = digits if digits.startswith(("0", "1")) else "0" + digits
    if extension is None and _MOBILE_FORM.match(digits):
        return Phone(digits=digits, kind=PhoneKind.MOBILE)
    if _is_landline(digits):
        return Phone(digits=digits, kind=PhoneKind.LANDLINE, extension=extension)
    raise Invalid("phone_invalid", value=mask_middle(text))


def _split_extension(text: str) -> tuple[str | None, str]:
    """Peel an extension off the end: after 转/ext/x/#, or a last group after a full landline."""
    marked = _EXTENSION_MARK.search(text)
    if marked:
        return marked.group(1), text[: marked.start()]
    grouped = _TRAILING_GROUP.match(text)
    if grouped and _is_landline(_PHONE_SEPARATORS.sub("", grouped.group(1))):
        return grouped.group(2), grouped.group(1)
    return None, text


def _is_landline(digits: str) -> bool:
    """Area code (3 digits for 010 and 02x, 4 for the rest) and a 7-8 digit local number.

    The split matters because a local number never starts with 0 or 1; that
    is how "0101234567" is told apart from a valid number.
    """
    if not _LANDLINE_FORM.match(digits):
        return False
    local = len(digits) - (3 if _SHORT_AREA.match(digits) else 4)
    return local in {7, 8} and digits[-local] not in "01"


def parse_region_code(raw: str | float) -> str:
    """A division code as the platform stores it, from whatever a spreadsheet cell held."""
    return normalise_code(_text_of(raw, "region_code", exact_ints=True))


def _text_of(
    raw: str | float, kind: str, *, keep_spaces: bool = False, exact_ints: bool = False
) -> str:
    """The value as plain ASCII-width text, refusing numbers Excel has already rounded.

    A numeric cell keeps only 15 significant digits, so an 18-character
    identifier read as a number is already lost and we ask for a text column.
    `exact_ints` lets shorter values through when an integer cell still holds
    every digit (a mobile number, a region code).
    """
    if exact_ints and type(raw) is int and 0 <= raw < 10**15:
        raw = str(raw)
    if not isinstance(raw, str):
        raise Invalid(f"{kind}_excel_mangled", value=mask_middle(str(raw)))
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw.translate(_INVISIBLE))
    text = text.strip() if keep_spaces else "".join(text.split())
    if _EXCEL_NUMBER.match(text):
        raise Invalid(f"{kind}_excel_mangled", value=mask_middle(text))
    return text if keep_spaces else text.upper()
