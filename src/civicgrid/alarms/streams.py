"""Live stream URLs of cameras, and the video platforms the pages may fetch them from.

A stream URL ends up as what the browser's player fetches, so it is held to what
the Content-Security-Policy allows (`web/security.py` lets media and fetches reach
the configured origins only): http or https, a host, no credentials in it, no
spaces or control characters, at most `MAX_STREAM_URL` characters, and on one of
the configured origins. A URL the page could never play is refused when it is set,
not discovered when a dispatcher opens it.
"""

from collections.abc import Collection
from urllib.parse import urlsplit

from civicgrid.errors import Invalid

MAX_STREAM_URL = 500
SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """scheme://host[:port] as a CSP source and for comparison; None when there is none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    shown_port = f":{port}" if port is not None and port != DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{shown_port}"


def allowed_origins(setting: str) -> tuple[str, ...]:
    """The configured video platforms' origins. An entry with a path, query or credentials
    is no origin and is left out rather than widened to its host."""
    found = []
    for entry in setting.split(","):
        parts = urlsplit(entry.strip())
        bare = parts.path in {"", "/"} and not parts.query and "@" not in parts.netloc
        origin = origin_of(entry)
        if origin is not None and bare:
            found.append(origin)
    return tuple(dict.fromkeys(found))


def checked_stream_url(value: str, origins: Collection[str]) -> str | None:
    """The URL to store ("" clears it: None), or a refusal naming what is wrong with it."""
    url = value.strip()
    if not url:
        return None
    if len(url) > MAX_STREAM_URL:
        raise Invalid("stream_url_too_long", limit=MAX_STREAM_URL)
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise Invalid("stream_url_invalid")
    origin = origin_of(url)
    parts = urlsplit(url)
    if origin is None or parts.username is not None or parts.password is not None:
        raise Invalid("stream_url_invalid")
    if origin not in origins:
        raise Invalid("stream_url_origin", origin=origin)
    return url
