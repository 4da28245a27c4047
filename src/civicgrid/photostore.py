"""The photo store: images checked by decoding, stripped of metadata, kept once by content.

An upload is trusted for nothing it claims about itself: the format is what
Pillow decodes, the size and the pixel count are bounded before any pixel is
decoded (a 50 kB PNG can inflate to gigabytes), and what we keep is a fresh
encoding of the pixels, so no EXIF, XMP or maker note (a phone's serial
number, the reporter's home coordinates) survives into storage. Files are
named by their SHA-256 under the data directory; which case or field record a
photo belongs to is its caller's business (`cases.photos`, field work).
"""

import base64
import binascii
import hashlib
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from civicgrid.errors import Invalid
from civicgrid.settings import get_settings


@dataclass(frozen=True)
class Encoding:
    format: str
    content_type: str
    extension: str
    options: dict[str, Any]


# Pillow format name -> how we store it. JPEG and WebP are re-encoded lossily at a
# quality where the loss is invisible; PNG stays lossless.
ENCODINGS = {
    "JPEG": Encoding("JPEG", "image/jpeg", "jpg", {"quality": 90, "optimize": True}),
    "PNG": Encoding("PNG", "image/png", "png", {"optimize": True}),
    "WEBP": Encoding("WEBP", "image/webp", "webp", {"quality": 90}),
}
_DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*),", re.ASCII)
_WHITESPACE = re.compile(r"\s+")
NULL_ISLAND = (0.0, 0.0)


@dataclass(frozen=True)
class CheckedImage:
    """An image that decoded cleanly, re-encoded without metadata, ready to store."""

    data: bytes
    sha256: str
    content_type: str
    extension: str
    width: int
    height: int
    lng: float | None = None
    lat: float | None = None


def check_image(data: bytes, *, position: int = 1) -> CheckedImage:
    """Decode, bound and re-encode one upload; `position` names it in error messages."""
    settings = get_settings()
    if not data:
        raise Invalid("photo_empty", position=position)
    if len(data) > settings.photo_max_bytes:
        raise Invalid(
            "photo_too_large", position=position, limit_mb=_megabytes(settings.photo_max_bytes)
        )
    image = _decoded(data, position=position, max_pixels=settings.photo_max_pixels)
    encoding = ENCODINGS[str(image.format)]
    point = exif_location(image.getexif())
    upright = _without_metadata(_storable_mode(ImageOps.exif_transpose(image), encoding))
    stored = _encode(upright, encoding, icc_profile=image.info.get("icc_profile"))
    return CheckedImage(
        data=stored,
        sha256=hashlib.sha256(stored).hexdigest(),
        content_type=encoding.content_type,
        extension=encoding.extension,
        width=upright.width,
        height=upright.height,
        lng=point[0] if point else None,
        lat=point[1] if point else None,
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g}"


def _decoded(data: bytes, *, position: int, max_pixels: int) -> Image.Image:
    """Open, bound by the header's pixel count, verify, then decode for real.

    The pixel check comes before `load()`, which is where a bomb would explode;
    `verify()` catches broken structure (bad PNG checksums) that a partial decode
    might let through, and needs a fresh open afterwards by Pillow's contract.
    """
    try:
        _open(data, position=position, max_pixels=max_pixels).verify()
        image = _open(data, position=position, max_pixels=max_pixels)
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as broken:
        if isinstance(broken, Image.DecompressionBombError):
            raise _too_many_pixels(position, max_pixels) from None
        raise Invalid("photo_damaged", position=position) from None
    return image


def _open(data: bytes, *, position: int, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data), formats=list(ENCODINGS))
    except UnidentifiedImageError:
        raise Invalid("photo_not_image", position=position) from None
    if image.width * image.height > max_pixels:
        raise _too_many_pixels(position, max_pixels)
    return image


def _too_many_pixels(position: int, max_pixels: int) -> Invalid:
    return Invalid("photo_too_many_pixels", position=position, limit_mp=f"{max_pixels / 1e6:g}")


def _without_metadata(image: Image.Image) -> Image.Image:
    """Pixels and mode only: `exif_transpose` and `convert` carry the EXIF along in `info`."""
    clean = image.copy()
    clean.info = {}
    return clean


def _encode(image: Image.Image, encoding: Encoding, *, icc_profile: bytes | None) -> bytes:
    """The ICC colour profile is kept: it describes the screen, not the person,
    and dropping it turns a phone's Display P3 photo dull."""
    buffer = BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(buffer, format=encoding.format, **encoding.options, **extra)
    return buffer.getvalue()


def _storable_mode(image: Image.Image, encoding: Encoding) -> Image.Image:
    """A mode every viewer shows alike; read while `info` still says which colour is transparent.

    JPEG has no alpha; a palette or 16-bit image becomes RGB, or RGBA if it had transparency.
    """
    if encoding.extension == "jpg":
        return image if image.mode in {"RGB", "L"} else image.convert("RGB")
    if image.mode in {"RGB", "RGBA", "L", "LA"}:
        return image
    transparent = image.mode == "PA" or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def exif_location(exif: Image.Exif) -> tuple[float, float] | None:
    """WGS-84 (lng, lat) from EXIF GPS tags, or None when absent or not believable.

    EXIF writes GPS in WGS-84 as degree/minute/second rationals with an N/S or
    E/W reference. Phones without a fix often write 0/0, which is discarded.
    """
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = gps_degrees(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), limit=90
    )
    lng = gps_degrees(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), limit=180
    )
    if lat is None or lng is None or (lng, lat) == NULL_ISLAND:
        return None
    return lng, lat


def gps_degrees(triple: Any, ref: Any, *, limit: float) -> float | None:
    """Signed decimal degrees from (degrees, minutes, seconds) rationals, or None."""
    if not isinstance(triple, tuple | list) or len(triple) != 3:
        return None
    sign = {"N": 1, "E": 1, "S": -1, "W": -1}.get(_ref_letter(ref))
    try:
        degrees, minutes, seconds = (float(part) for part in triple)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    parts_sane = all(math.isfinite(part) and part >= 0 for part in (degrees, minutes, seconds))
    # 60 itself is let through: writers that round 59.9996 seconds write 60.
    if sign is None or not parts_sane or minutes > 60 or seconds > 60:
        return None
    value = degrees + minutes / 60 + seconds / 3600
    return sign * value if value <= limit else None


def _ref_letter(ref: Any) -> str:
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return str(ref or "").strip("\x00 ").upper()


def decode_base64_photos(items: Sequence[str]) -> list[CheckedImage]:
    """Photos sent inside JSON, as plain base64 or `data:` URLs; all checked, or none."""
    settings = get_settings()
    if len(items) > settings.photo_max_per_case:
        raise Invalid("photo_limit", limit=settings.photo_max_per_case)
    # Base64 inflates by 4/3: refuse an oversized text before decoding it.
    encoded_limit = (settings.photo_max_bytes + 2) // 3 * 4
    uploads = []
    for position, item in enumerate(items, start=1):
        payload = _base64_payload(item, position=position)
        if len(payload) > encoded_limit:
            raise Invalid(
                "photo_too_large", position=position, limit_mb=_megabytes(settings.photo_max_bytes)
            )
        uploads.append(_b64decode(payload, position=position))
    return check_images(uploads)


def check_images(uploads: Sequence[bytes]) -> list[CheckedImage]:
    """Every photo of one request, their pixels together bounded before any is decoded.

    Each photo alone may be large; nine of them at once cost seconds of CPU, so
    one request's total is bounded too, read from the headers alone.
    """
    _require_request_pixels(uploads)
    return [check_image(data, position=i) for i, data in enumerate(uploads, start=1)]


def _require_request_pixels(uploads: Sequence[bytes]) -> None:
    settings = get_settings()
    limit = settings.photo_max_pixels_per_request
    total = 0
    for data in uploads:
        total += _header_pixels(data, settings.photo_max_bytes)
        if total > limit:
            raise Invalid("photo_request_too_many_pixels", limit_mp=f"{limit / 1e6:g}")


def _header_pixels(data: bytes, max_bytes: int) -> int:
    """Width x height as the header claims; 0 for what `check_image` will refuse with its reason."""
    if not data or len(data) > max_bytes:
        return 0
    try:
        with Image.open(BytesIO(data), formats=list(ENCODINGS)) as image:
            return int(image.width * image.height)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return 0


def _base64_payload(item: str, *, position: int) -> str:
    match = _DATA_URL.match(item)
    if match is None:
        return _WHITESPACE.sub("", item)
    if ";base64" not in match.group("params").lower():
        raise Invalid("photo_base64_invalid", position=position)
    return _WHITESPACE.sub("", item[match.end() :])


def _b64decode(payload: str, *, position: int) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("photo_base64_invalid", position=position) from None


def exif_point(images: Sequence[CheckedImage]) -> tuple[float, float] | None:
    """The WGS-84 (lng, lat) of the first photo that carries one."""
    for image in images:
        if image.lng is not None and image.lat is not None:
            return image.lng, image.lat
    return None


def photo_root() -> Path:
    return get_settings().data_dir / "photos"


def photo_path(sha256: str, extension: str) -> Path:
    return photo_root() / sha256[:2] / f"{sha256}.{extension}"


def store_file(image: CheckedImage) -> Path:
    """Write once by content; a temp file renamed into place is never seen half-written."""
    path = photo_path(image.sha256, image.extension)
    if path.exists():
        return path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(image.data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def extension_of(content_type: str) -> str:
    """The file extension photos of this content type are stored under."""
    return next(e.extension for e in ENCODINGS.values() if e.content_type == content_type)
