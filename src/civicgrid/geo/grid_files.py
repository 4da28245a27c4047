"""Reading grid files: GeoJSON FeatureCollections and ESRI Shapefiles (`.shp` or `.zip`).

Reading only turns a file into features and notes what is wrong with each one;
whether the features make a valid set of grids is `importing`'s question. A file
that cannot be read at all raises `GridFileError`, so the importer can report it
instead of showing a traceback.
"""

import io
import json
import math
import re
import struct
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import shapefile
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# Property names accepted for a grid's code and name, compared without regard to
# case because Shapefile attribute names are often upper case (`GRID_CODE`). The
# Chinese names are what hand-made files from district offices commonly use.
CODE_KEYS = ("code", "grid_code", "gridcode", "网格编码", "网格代码")
NAME_KEYS = ("name", "grid_name", "gridname", "网格名称")

_POLYGON_TYPES = ("Polygon", "MultiPolygon")
# What Shapely raises for coordinates that do not make a polygon (wrong nesting, too
# few points, strings for numbers).
_SHAPE_ERRORS = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    AttributeError,
    GEOSException,
    shapefile.ShapefileException,
)
_SHAPEFILE_POLYGONS = (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM)
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_PROJECTED = re.compile(r'^\s*PROJC(?:RS|S)\s*\[\s*"([^"]*)"', re.IGNORECASE)
_READ_ERRORS = (
    shapefile.ShapefileException,
    struct.error,
    OSError,
    ValueError,
    EOFError,
    IndexError,
)


class GridProblem(StrEnum):
    """What can be wrong with a grid file; each one is a message `import.grids.<value>`."""

    FILE_UNREADABLE = "file_unreadable"
    PROJECTED_CRS = "projected_crs"
    MISSING_GEOMETRY = "missing_geometry"
    NOT_POLYGON = "not_polygon"
    BAD_COORDINATES = "bad_coordinates"
    INVALID_GEOMETRY = "invalid_geometry"
    MISSING_CODE = "missing_code"
    BAD_CODE = "bad_code"
    UNKNOWN_COMMUNITY = "unknown_community"
    DUPLICATE_CODE = "duplicate_code"
    MISSING_NAME = "missing_name"
    OVERLAP = "overlap"
    OUTSIDE_COMMUNITY = "outside_community"
    COMMUNITY_NOT_COVERED = "community_not_covered"
    COMMUNITY_WITHOUT_GEOMETRY = "community_without_geometry"


class GridFileError(Exception):
    """The file as a whole cannot be read as grids."""

    def __init__(self, problem: GridProblem, detail: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class GridFeature:
    """One feature as read, in the file's own coordinates (not yet checked for range).

    `number` is its 1-based position in the file, the only way to point at a
    feature that has no usable code. `problem` is set, and `geometry` is None,
    when the feature's geometry could not be read as a polygon.
    """

    number: int
    code: str
    name: str
    geometry: BaseGeometry | None
    problem: GridProblem | None = None
    detail: str = ""


class _BadGeometry(Exception):
    def __init__(self, problem: GridProblem, detail: str = "") -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


def read_grid_file(path: Path) -> list[GridFeature]:
    """Read a `.geojson`/`.json`, `.shp` or zipped Shapefile; one without features is an error."""
    features = _read_features(path)
    if not features:
        raise GridFileError(GridProblem.FILE_UNREADABLE, f"{path.name}: no features")
    return features


def _read_features(path: Path) -> list[GridFeature]:
    suffix = path.suffix.lower()
    if suffix in {".geojson", ".json"}:
        return geojson_features(_read_bytes(path))
    if suffix == ".shp":
        return shapefile_features(_sibling_parts(path))
    if suffix == ".zip":
        return shapefile_features(_zipped_parts(path))
    raise GridFileError(GridProblem.FILE_UNREADABLE, f"{path.name}: .geojson, .json, .shp, .zip")


def grid_properties(properties: Mapping[str, Any]) -> tuple[str, str]:
    """The (code, name) a feature's properties carry, "" where absent.

    Codes are often stored as numbers (a 15-digit code fits a double exactly),
    so integral numbers are written back as digits.
    """
    folded = {str(key).strip().casefold(): value for key, value in properties.items()}
    return _first_text(folded, CODE_KEYS), _first_text(folded, NAME_KEYS)


def _first_text(properties: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        text = _as_text(properties.get(key))
        if text:
            return text
    return ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def geojson_features(data: bytes) -> list[GridFeature]:
    """Features of a GeoJSON FeatureCollection."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GridFileError(GridProblem.FILE_UNREADABLE, str(error)) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GridFileError(GridProblem.FILE_UNREADABLE, "not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise GridFileError(GridProblem.FILE_UNREADABLE, "not a GeoJSON FeatureCollection")
    return [_geojson_feature(number, raw) for number, raw in enumerate(features, start=1)]


def _geojson_feature(number: int, raw: Any) -> GridFeature:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise GridFileError(GridProblem.FILE_UNREADABLE, f"feature #{number} is not a Feature")
    properties = raw.get("properties")
    code, name = grid_properties(properties if isinstance(properties, dict) else {})
    try:
        geometry = _geojson_geometry(raw.get("geometry"))
    except _BadGeometry as bad:
        return GridFeature(number, code, name, None, bad.problem, bad.detail)
    return GridFeature(number, code, name, geometry)


def _geojson_geometry(raw: Any) -> BaseGeometry:
    if raw is None:
        raise _BadGeometry(GridProblem.MISSING_GEOMETRY)
    kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
    if kind not in _POLYGON_TYPES:
        raise _BadGeometry(GridProblem.NOT_POLYGON, str(kind))
    try:
        return shape(raw)
    except _SHAPE_ERRORS as error:
        raise _BadGeometry(GridProblem.BAD_COORDINATES, str(error) or kind) from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise GridFileError(GridProblem.FILE_UNREADABLE, f"{path.name}: {error.strerror}") from None


def _sibling_parts(shp: Path) -> dict[str, bytes]:
    """The Shapefile's member files next to the `.shp`, whatever the case of their suffix."""
    siblings = {p.suffix.lower(): p for p in shp.parent.glob(f"{shp.stem}.*") if p.stem == shp.stem}
    parts = {suffix: _read_bytes(p) for suffix, p in siblings.items() if suffix in _SHAPEFILE_PARTS}
    return {**parts, ".shp": _read_bytes(shp)}


def _zipped_parts(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            # macOS archivers add "__MACOSX/._name.shp" resource forks next to the real file.
            names = [n for n in archive.namelist() if not n.startswith("__MACOSX/")]
            shps = [n for n in names if n.lower().endswith(".shp")]
            if len(shps) != 1:
                detail = f"{path.name}: {len(shps)} .shp files, expected 1"
                raise GridFileError(GridProblem.FILE_UNREADABLE, detail)
            stem = shps[0][:-4]
            return {
                name[len(stem) :].lower(): archive.read(name)
                for name in names
                if name[: len(stem)] == stem and name[len(stem) :].lower() in _SHAPEFILE_PARTS
            }
    except (zipfile.BadZipFile, OSError) as error:
        raise GridFileError(GridProblem.FILE_UNREADABLE, f"{path.name}: {error}") from None


def shapefile_features(parts: Mapping[str, bytes]) -> list[GridFeature]:
    """Features of a Shapefile given as its member files' bytes, keyed by suffix."""
    if ".dbf" not in parts:
        raise GridFileError(GridProblem.FILE_UNREADABLE, ".dbf missing")
    _refuse_projected(parts.get(".prj"))
    try:
        return _read_shapefile(parts, encoding=None)
    except _READ_ERRORS as error:
        # Without a .cpg the attribute table's encoding is unknown; Chinese files
        # made on Windows are in the GBK family, which fails to decode as UTF-8.
        if ".cpg" in parts:
            raise GridFileError(GridProblem.FILE_UNREADABLE, str(error)) from None
    try:
        return _read_shapefile(parts, encoding="gb18030")
    except _READ_ERRORS as error:
        raise GridFileError(GridProblem.FILE_UNREADABLE, str(error)) from None


def _refuse_projected(prj: bytes | None) -> None:
    """Grids must come in longitude/latitude; a projection's metres would read as nonsense."""
    found = _PROJECTED.match(prj.decode("utf-8", "replace")) if prj else None
    if found:
        raise GridFileError(GridProblem.PROJECTED_CRS, found.group(1))


def _read_shapefile(parts: Mapping[str, bytes], *, encoding: str | None) -> list[GridFeature]:
    streams = {suffix[1:]: io.BytesIO(data) for suffix, data in parts.items() if suffix != ".prj"}
    with shapefile.Reader(encoding=encoding, **streams) as reader:
        return list(_shapefile_rows(reader))


def _shapefile_rows(reader: shapefile.Reader) -> Iterator[GridFeature]:
    for number, row in enumerate(reader.iterShapeRecords(), start=1):
        code, name = grid_properties(row.record.as_dict())
        try:
            geometry = _shapefile_geometry(row.shape)
        except _BadGeometry as bad:
            yield GridFeature(number, code, name, None, bad.problem, bad.detail)
        else:
            yield GridFeature(number, code, name, geometry)


def _shapefile_geometry(found: shapefile.Shape) -> BaseGeometry:
    if found.shapeType == shapefile.NULL:
        raise _BadGeometry(GridProblem.MISSING_GEOMETRY)
    if found.shapeType not in _SHAPEFILE_POLYGONS:
        raise _BadGeometry(GridProblem.NOT_POLYGON, found.shapeTypeName)
    try:
        return shape(found.__geo_interface__)
    except _SHAPE_ERRORS as error:
        raise _BadGeometry(GridProblem.BAD_COORDINATES, str(error)) from None
