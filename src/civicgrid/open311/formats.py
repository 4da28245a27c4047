"""The two GeoReport v2 wire formats: the same records as JSON or as XML.

XML follows the spec's element names: a list is a plural element holding one
singular element per item (`<attributes><attribute>…`), booleans are
`true`/`false`, and an absent value is an empty element.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse, Response

XML_MEDIA_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
# The singular element inside each plural one.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all, even escaped: ElementTree would write them
# and leave the client a document its parser refuses.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(StrEnum):
    JSON = "json"
    XML = "xml"


def respond(fmt: Format, root: str, body: Any, *, status_code: int = 200) -> Response:
    """A list of records under `root` (or one record when `body` is not a list)."""
    data = _plain(body)
    if fmt is Format.JSON:
        return JSONResponse(data, status_code=status_code)
    return Response(_xml(root, data), status_code=status_code, media_type=XML_MEDIA_TYPE)


def _plain(body: Any) -> Any:
    if is_dataclass(body) and not isinstance(body, type):
        return asdict(body)
    if isinstance(body, list | tuple):
        return [_plain(item) for item in body]
    return body


def _xml(root: str, data: Any) -> str:
    element = ET.Element(root)
    _fill(element, root, data)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), key, child)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        singular = ITEM_NAMES.get(name, "item")
        for item in value:
            _fill(ET.SubElement(element, singular), singular, item)
    elif value is not None:
        element.text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
