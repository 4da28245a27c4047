"""The message catalogue: every user-facing string, zh-CN first, English second.

Catalogues are JSON files in `locales/`, keyed by a stable message id, so code
carries ids and never Chinese literals. `zh-CN.json` holds the kernel's messages;
a domain may keep its own beside it as `<domain>.zh-CN.json`, and all files of a
locale form one catalogue (an id defined twice is an error, not a silent override).
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED_LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
LANG_COOKIE = "civicgrid_lang"


@cache
def catalogue(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in catalogue_files(locale):
        with path.open(encoding="utf-8") as handle:
            data: dict[str, str] = json.load(handle)
        twice = merged.keys() & data.keys()
        if twice:
            raise ValueError(f"{path.name} defines ids already defined: {sorted(twice)[:5]}")
        merged.update(data)
    return merged


def catalogue_files(locale: str) -> list[Path]:
    return [LOCALES_DIR / f"{locale}.json", *sorted(LOCALES_DIR.glob(f"*.{locale}.json"))]


def translate(message_id: str, locale: str = DEFAULT_LOCALE, **params: Any) -> str:
    """The message in `locale`, falling back to zh-CN, then to the id itself."""
    template = catalogue(normalise_locale(locale)).get(message_id) or catalogue(DEFAULT_LOCALE).get(
        message_id, message_id
    )
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def normalise_locale(value: str | None) -> str:
    """Map any spelling of a language tag to a supported locale."""
    if not value:
        return DEFAULT_LOCALE
    tag = value.strip().lower().replace("_", "-")
    if tag.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def negotiate_locale(accept_language: str | None, override: str | None = None) -> str:
    """Pick the locale from an explicit choice (cookie/query) or Accept-Language.

    Accept-Language is read in quality order; the first supported language wins
    and anything unknown falls back to zh-CN, the platform's default language.
    """
    if override:
        return normalise_locale(override)
    if not accept_language:
        return DEFAULT_LOCALE
    for tag in _by_quality(accept_language):
        if tag.startswith(("zh", "en")):
            return normalise_locale(tag)
    return DEFAULT_LOCALE


def _by_quality(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            weighted.append((-quality, position, tag.lower()))
    return [tag for _, _, tag in sorted(weighted)]
