"""Personal data in sight: masks for ID numbers, phones and names, and a log filter.

Every response, page, public text and log line shows these masked by default
(PIPL art. 51: de-identification as a security measure); one module, so that
the registry, Open311's public descriptions and the server logs mask alike.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date


def mask_id_number(value: str) -> str:
    """5305**********1234: the region prefix and the last four, as counters show them."""
    return mask_middle(value, keep_start=4, keep_end=4)


def mask_phone(value: str) -> str:
    """138****5678: the carrier prefix and the last four digits."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_middle(value: str, *, keep_start: int = 4, keep_end: int = 4) -> str:
    """The ends kept so a clerk can find the row, the middle hidden."""
    # Too short to keep both ends without revealing most of it: hide everything.
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


# Common two-character surnames (复姓); the rest of a name is the given name.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "闻人",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "端木",
        "西门",
        "南宫",
        "独孤",
        "呼延",
        "万俟",
        "司空",
        "濮阳",
        "赫连",
        "第五",
        "百里",
    ]
)


def mask_name(name: str) -> str:
    """张** / 欧阳**: the surname and always two stars, so the length of the given
    name does not narrow down who it is."""
    name = name.strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]
    return surname + "**"


def mask_personal_data(text: str) -> str:
    """Every ID number, phone and bank card in free text, masked where it stands.

    Masked as a person reads them, not as a program stores them: `139 1234 5678`,
    `139-1234-5678`, full-width `１３９…`, an ID number in blocks of four, a
    landline with its area code. Digits are starred in place, so the spacing
    the writer chose stays; dates, amounts and case numbers are left alone.
    """
    hidden: set[int] = set()
    for run in _NUMBER_RUN.finditer(text):
        hidden.update(_hidden_in_run(_standalone_groups(text, run)))
    if not hidden:
        return text
    return "".join("*" if index in hidden else char for index, char in enumerate(text))


# Digit groups (full-width digits too) joined by one to three of the separators a
# person types inside a number: spaces, dashes, dots, brackets. Possessive, so a
# long run is read once.
_DIGITS = "0-9\uff10-\uff19"
_CHECK_X = "Xx\uff38\uff58"
_SEPARATOR = "[ \u00a0\u3000\\-\u2010-\u2015\uff0d.\uff0e()\uff08\uff09]"
_NUMBER_RUN = re.compile(f"[{_DIGITS}]++(?:{_SEPARATOR}{{1,3}}+[{_DIGITS}]++)*+[{_CHECK_X}]?+")
_GROUP = re.compile(f"[{_DIGITS}]+[{_CHECK_X}]?")
_LONGEST = 19  # digits in a bank card; an ID number has 18, a mobile with +86 13


@dataclass(frozen=True)
class _Group:
    """Digits written together, and where each stands in the text."""

    digits: str
    positions: range


def _standalone_groups(text: str, run: re.Match[str]) -> list[_Group]:
    """The run's groups, less one glued to Latin letters at either end.

    `a530502199001011234b` or `No123` is part of a code or serial, not a number
    standing alone; Chinese text around a number still leaves it standing.
    """
    groups = [
        _Group(
            unicodedata.normalize("NFKC", found.group()).upper(),
            range(run.start() + found.start(), run.start() + found.end()),
        )
        for found in _GROUP.finditer(run.group())
    ]
    if run.start() > 0 and _is_latin_or_digit(text[run.start() - 1]):
        groups = groups[1:]
    if run.end() < len(text) and _is_latin_or_digit(text[run.end()]):
        groups = groups[:-1]
    return groups


def _is_latin_or_digit(char: str) -> bool:
    plain = unicodedata.normalize("NFKC", char)
    return plain.isascii() and plain.isalnum()


def _hidden_in_run(groups: list[_Group]) -> set[int]:
    """Text positions to star: numbers found group by group from the left."""
    hidden: set[int] = set()
    first = 0
    while first < len(groups):
        found = _number_at(groups, first)
        if found is None:
            first += 1
            continue
        first, positions = found
        hidden.update(positions)
    return hidden


def _number_at(groups: list[_Group], first: int) -> tuple[int, list[int]] | None:
    """The number that starts at group `first`: the group after it, and positions to hide.

    The shortest reading wins, so two phones side by side stay two phones; but an
    ID number with a real birth date wins over a shorter reading of its first blocks.
    """
    shortest: tuple[int, list[int]] | None = None
    digits = ""
    positions: list[int] = []
    for after in range(first + 1, len(groups) + 1):
        digits += groups[after - 1].digits
        positions.extend(groups[after - 1].positions)
        if len(digits) > _LONGEST:
            break
        hide = _reading(digits, head=len(groups[first].digits))
        if hide is None:
            continue
        found = (after, [positions[index] for index in hide])
        if _ID_NUMBER.fullmatch(digits) and _dated(digits):
            return found
        shortest = shortest or found
    return shortest


_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"(?:86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{9,11}")
_CARD = re.compile(r"[0-9]{16,19}")


def _reading(digits: str, *, head: int) -> range | None:
    """Which digits to hide if `digits` read as an ID number, a phone or a bank card.

    `head` is how many digits were written first, together: a landline's area
    code stands on its own (`0875-2123456`) or the number is written in one
    piece, which keeps `0.123456789` a fraction.
    """
    if _ID_NUMBER.fullmatch(digits):
        return range(4, 14)  # as mask_id_number
    if _MOBILE.fullmatch(digits):
        return range(len(digits) - 8, len(digits) - 4)  # as mask_phone, past any +86
    area = 3 if digits[1:2] in {"1", "2"} else 4  # 010, 02x; the rest have four
    if _LANDLINE.fullmatch(digits) and head in {area, len(digits)}:
        return range(area, len(digits) - 4)
    if _CARD.fullmatch(digits) and _luhn_valid(digits) and not _dated(digits):
        return range(4, len(digits) - 4)
    return None


def _dated(digits: str) -> bool:
    """Digits 7-14 read as a date: an ID number's birth date, or a case number's day.

    A case number (district, day, sequence) is as long as a bank card and may pass
    its check digit; the day in it tells it apart.
    """
    try:
        year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
        return 1900 <= year <= 2099 and date(year, month, day) is not None
    except ValueError:
        return False


def _luhn_valid(digits: str) -> bool:
    """The bank card check digit (ISO/IEC 7812)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class PersonalDataFilter(logging.Filter):
    """Masks ID numbers and mobiles in the message, the arguments and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A broken format string: drop the arguments rather than let the
            # handler's error report print them unmasked.
            message = str(record.msg)
        record.msg, record.args = mask_personal_data(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def install_log_masking(logger: logging.Logger | None = None) -> PersonalDataFilter:
    """Attach the filter to the logger (the root by default) and to each of its handlers.

    Both, because a logger's own filters see only records logged to it by name;
    records of child loggers propagate straight to the handlers. Call it after
    logging is configured: a handler added later has no filter.
    """
    target = logger or logging.getLogger()
    masking = PersonalDataFilter()
    target.addFilter(masking)
    for handler in target.handlers:
        handler.addFilter(masking)
    return masking
