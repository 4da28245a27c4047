"""Personal data in sight: masks for ID numbers, phones and names, and a log filter.

Every response, page, public text and log line shows these masked by default
(PIPL art. 51: de-identification as a security measure); one module, so that
the registry, Open311's public descriptions and the server logs mask alike.
"""

import logging
import re


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


# Bounded by anything but ASCII letters and digits: Chinese text around a number
# still counts as a boundary, while long hex digests and serials are left alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])((?:\+?86[- ]?)?)(1[3-9][0-9]{9})(?![0-9A-Za-z])")


def mask_personal_data(text: str) -> str:
    """Every ID number and mobile number in free text, masked."""
    text = _ID_NUMBER.sub(lambda match: mask_id_number(match.group()), text)
    return _MOBILE.sub(lambda match: match.group(1) + mask_phone(match.group(2)), text)


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
