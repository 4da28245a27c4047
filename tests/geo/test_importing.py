"""Importing regions (division codes + DataV boundaries) and grid files, on a real database."""

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapefile
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.divisions import Level
from civicgrid.errors import Invalid
from civicgrid.geo import crs, division_list
from civicgrid.geo.grid_files import CODE_KEYS, NAME_KEYS, GridProblem, grid_properties
from civicgrid.geo.grid_import import GridImportReport, GridIssue, import_grids
from civicgrid.geo.models import Region
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.region_import import import_regions
from civicgrid.geo.service import save_regions
from civicgrid.i18n import translate

BAOSHAN_DISTRICTS = {"530502", "530521", "530523", "530524", "530581"}
COMMUNITY = "530502001001"
NEIGHBOUR = "530502001002"
X0, Y0, CELL = 99.10, 25.10, 0.01  # community 001 is 2×2 cells from (X0, Y0)
WGS84_PRJ = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
GK_PRJ = 'PROJCS["CGCS2000_3_Degree_GK_CM_99E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000"]]'


def count_regions(db: Session, level: Level | None = None) -> int:
    query = select(func.count()).select_from(Region)
    if level is not None:
        query = query.where(Region.level == level.value)
    return db.scalar(query) or 0


def stored_geometry(db: Session, code: str) -> BaseGeometry:
    region = db.get(Region, code)
    assert region is not None
    assert region.geometry is not None
    return shapely.from_wkb(region.geometry)


def codes_dir(shared_data: Path) -> Path:
    return shared_data / "geo" / "division_codes"


def boundaries_dir(shared_data: Path) -> Path:
    return shared_data / "geo" / "boundaries"


def import_shared(db, shared_data: Path, prefix: str):
    return import_regions(
        db,
        codes_dir=codes_dir(shared_data),
        boundaries_dir=boundaries_dir(shared_data),
        prefix=prefix,
    )


# Regions


def test_baoshan_import_stores_its_districts_in_wgs84(db, shared_data):
    report = import_shared(db, shared_data, "5305")
    db.commit()

    districts = db.scalars(select(Region).where(Region.parent_code == "530500")).all()
    assert {d.code for d in districts} == BAOSHAN_DISTRICTS
    assert all(d.geometry is not None and d.display_geojson for d in districts)
    assert report.stored[Level.STREET] == count_regions(db, Level.STREET) == 76
    assert report.outlined_cities == ("530500",)
    assert not report.boundary_without_code
    assert not report.county_without_boundary
    assert not report.name_mismatches


def test_boundaries_are_moved_from_gcj02_to_wgs84_by_hundreds_of_metres(db, shared_data):
    import_shared(db, shared_data, "530502")
    source = json.loads((boundaries_dir(shared_data) / "530500_full.json").read_text("utf-8"))
    feature = next(f for f in source["features"] if f["properties"]["adcode"] == 530502)
    given_gcj02 = shape(feature["geometry"])
    stored = stored_geometry(db, "530502")

    # Taking the stored shape back to GCJ-02 with the forward formula must give the
    # input: the importer applied the inverse, not the forward shift a second time.
    assert shapely.hausdorff_distance(to_crs(stored, crs.Crs.GCJ02), given_gcj02) < 1e-7
    shift_m = shapely.hausdorff_distance(stored, given_gcj02) * 111_000
    assert 100 < shift_m < 1000


def test_city_outline_is_the_union_of_its_districts(db, shared_data):
    import_shared(db, shared_data, "5305")
    city = stored_geometry(db, "530500")
    districts = shapely.union_all([stored_geometry(db, code) for code in BAOSHAN_DISTRICTS])

    assert city.area == pytest.approx(districts.area, rel=1e-9)


def test_ankang_mismatch_is_reported_and_both_counties_are_kept(db, shared_data):
    report = import_shared(db, shared_data, "6109")
    db.commit()

    assert [(r.code, r.name) for r in report.boundary_without_code] == [("610928", "旬阳县")]
    assert [(r.code, r.name) for r in report.county_without_boundary] == [("610981", "旬阳市")]
    old, new = db.get(Region, "610928"), db.get(Region, "610981")
    assert old is not None
    assert (old.parent_code, old.source) == ("610900", "datav")
    assert old.geometry is not None
    assert new is not None
    assert (new.parent_code, new.source, new.geometry) == (
        "610900",
        "nbs",
        None,
    )
    text = "\n".join(report.lines("zh-CN"))
    assert "610928" in text
    assert "610981" in text


def test_prefix_keeps_the_region_its_province_and_nothing_else(db, shared_data):
    report = import_regions(
        db, codes_dir=codes_dir(shared_data), boundaries_dir=None, prefix="5305"
    )

    codes = db.scalars(select(Region.code)).all()
    assert all(code == "530000" or code.startswith("5305") for code in codes)
    assert report.stored[Level.PROVINCE] == report.stored[Level.CITY] == 1
    assert report.total == len(codes) == 1 + 1 + 5 + 76
    assert report.boundaries == 0


def test_without_tables_every_township_of_a_province_comes_from_the_shipped_codes(db):
    report = import_regions(db, codes_dir=None, boundaries_dir=None, prefix="53")
    db.commit()

    townships = division_list.within("53", division_list.TOWNSHIP_DIGITS)
    assert report.stored[Level.STREET] == count_regions(db, Level.STREET) == len(townships)
    assert report.stored[Level.PROVINCE] == 1
    assert report.stored[Level.CITY] == 16
    baoshan = db.scalars(select(Region).where(Region.code.like("5305_____"))).all()
    assert len(baoshan) == 76
    lancheng = db.get(Region, "530502001")
    assert lancheng is not None
    assert (lancheng.name, lancheng.parent_code, lancheng.generated) == (
        "兰城街道",
        "530502",
        False,
    )


def test_the_shipped_codes_store_what_the_shared_tables_store(db, shared_data):
    shipped = import_regions(db, codes_dir=None, boundaries_dir=None, prefix="5305")
    rows = db.execute(select(Region.code, Region.name, Region.parent_code)).all()
    db.rollback()
    from_tables = import_regions(
        db, codes_dir=codes_dir(shared_data), boundaries_dir=None, prefix="5305"
    )

    assert shipped.stored == from_tables.stored
    assert set(db.execute(select(Region.code, Region.name, Region.parent_code)).all()) == set(rows)


def test_reimporting_codes_without_boundaries_keeps_the_shapes(db, shared_data):
    folders = {"codes_dir": codes_dir(shared_data), "prefix": "5305"}
    import_regions(db, boundaries_dir=boundaries_dir(shared_data), **folders)
    db.commit()
    import_regions(db, boundaries_dir=None, **folders)
    db.commit()

    assert count_regions(db) == 83
    assert db.get(Region, "530502").geometry is not None


@pytest.mark.parametrize(
    ("file", "damage"),
    [
        ("townships.csv", lambda text: None),
        ("counties.csv", lambda text: text.replace("code,name", "id,name", 1)),
        ("cities.csv", lambda text: text + '53AB,"坏行",53\n'),
        ("townships.csv", lambda text: text + '530502999,"孤儿街道",539999,53,5399\n'),
    ],
    ids=["missing", "column renamed", "letters in code", "parent unknown"],
)
def test_a_broken_code_file_is_refused_before_anything_is_written(
    db, shared_data, tmp_path, file, damage
):
    broken = tmp_path / "codes"
    shutil.copytree(codes_dir(shared_data), broken)
    (broken / file).chmod(0o644)
    text = damage((broken / file).read_text("utf-8"))
    if text is None:
        (broken / file).unlink()
    else:
        (broken / file).write_text(text, "utf-8")

    with pytest.raises(Invalid) as refused:
        import_regions(db, codes_dir=broken, boundaries_dir=None, prefix="53")

    assert refused.value.code == "region_file_invalid"
    assert refused.value.params["file"] == file
    assert count_regions(db) == 0


def test_a_broken_boundary_file_is_refused_before_anything_is_written(db, shared_data, tmp_path):
    (tmp_path / "530500_full.json").write_text(
        '{"type": "FeatureCollection", "features": [', "utf-8"
    )

    with pytest.raises(Invalid) as refused:
        import_regions(db, codes_dir=codes_dir(shared_data), boundaries_dir=tmp_path, prefix="5305")

    assert refused.value.params["file"] == "530500_full.json"
    assert count_regions(db) == 0


# Grids


@pytest.fixture
def communities(db: Session) -> None:
    """Two side-by-side communities of 2×2 cells each, in WGS-84."""
    records = [
        RegionRecord("530000", "云南省", Level.PROVINCE, None),
        RegionRecord("530500", "保山市", Level.CITY, "530000"),
        RegionRecord("530502", "隆阳区", Level.DISTRICT, "530500"),
        RegionRecord("530502001", "永昌街道", Level.STREET, "530502"),
        RegionRecord(COMMUNITY, "青阳社区", Level.COMMUNITY, "530502001", cells(0, 0, 2, 2)),
        RegionRecord(NEIGHBOUR, "太保社区", Level.COMMUNITY, "530502001", cells(2, 0, 2, 2)),
    ]
    save_regions(db, records, kind="test", summary="test communities")
    db.commit()


def cells(column: int, row: int, width: int = 1, height: int = 1) -> Polygon:
    x, y = X0 + column * CELL, Y0 + row * CELL
    return box(x, y, x + width * CELL, y + height * CELL)


def grid(number: int, geometry: Any, *, community: str = COMMUNITY, name: str = "") -> dict:
    return {
        "type": "Feature",
        "properties": {"code": f"{community}{number:03d}", "name": name or f"第{number}网格"},
        "geometry": mapping(geometry) if isinstance(geometry, BaseGeometry) else geometry,
    }


CELLS = [(0, 0), (1, 0), (0, 1), (1, 1)]


def four_grids() -> list[dict]:
    """Community 001 cut into its four cells, numbered row by row."""
    return [grid(n, cells(column, row)) for n, (column, row) in enumerate(CELLS, start=1)]


def write_geojson(folder: Path, features: list[dict], name: str = "grids.geojson") -> Path:
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def grid_codes(db: Session) -> list[str]:
    return list(db.scalars(select(Region.code).where(Region.level == Level.GRID.value)))


def to_crs(geometry: BaseGeometry, system: crs.Crs) -> BaseGeometry:
    def convert(points: np.ndarray) -> np.ndarray:
        lng, lat = crs.from_wgs84(points[:, 0], points[:, 1], system)
        return np.column_stack([lng, lat])

    return shapely.transform(geometry, convert)


def test_a_valid_geojson_replaces_its_communitys_grids(db, communities, tmp_path):
    stale = RegionRecord(f"{COMMUNITY}009", "旧网格", Level.GRID, COMMUNITY, cells(0, 0))
    save_regions(db, [stale], kind="test", summary="old grid")

    report = import_grids(db, path=write_geojson(tmp_path, four_grids()))
    db.commit()

    assert report.ok
    assert (report.read, report.imported, report.communities) == (4, 4, 1)
    assert sorted(grid_codes(db)) == [f"{COMMUNITY}00{n}" for n in (1, 2, 3, 4)]
    stored = db.get(Region, f"{COMMUNITY}004")
    assert stored is not None
    assert (stored.name, stored.parent_code) == ("第4网格", COMMUNITY)
    assert stored_geometry(db, f"{COMMUNITY}004").equals(cells(1, 1))
    assert not report.warnings


@pytest.mark.parametrize("system", [crs.Crs.GCJ02, crs.Crs.BD09])
def test_gcj02_and_bd09_grids_are_stored_at_their_wgs84_position(db, communities, tmp_path, system):
    features = [grid(n, to_crs(cells(c, r), system)) for n, (c, r) in enumerate(CELLS, start=1)]

    report = import_grids(db, path=write_geojson(tmp_path, features), crs=system.value)

    assert report.ok, report.lines("en")
    for number, (column, row) in enumerate(CELLS, start=1):
        stored = stored_geometry(db, f"{COMMUNITY}{number:03d}")
        assert shapely.hausdorff_distance(stored, cells(column, row)) < 1e-8


def write_shapefile(base: Path, features: list[dict], *, encoding: str = "utf-8") -> Path:
    """A polygon Shapefile with upper-case attribute names, as desktop GIS writes them."""
    with shapefile.Writer(base, shapeType=shapefile.POLYGON, encoding=encoding) as writer:
        writer.field("GRID_CODE", "C", size=15)
        writer.field("NAME", "C", size=50)
        for feature in features:
            # Shapefile outer rings run clockwise.
            outline = orient(shape(feature["geometry"]), sign=-1.0)
            writer.poly([list(outline.exterior.coords)])
            writer.record(feature["properties"]["code"], feature["properties"]["name"])
    base.with_suffix(".prj").write_text(WGS84_PRJ, "ascii")
    return base.with_suffix(".shp")


def zip_shapefile(shp: Path) -> Path:
    archive = shp.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as packed:
        for part in sorted(shp.parent.glob(f"{shp.stem}.*")):
            if part != archive:
                packed.write(part, f"grids/{part.name}")
    return archive


@pytest.mark.parametrize("packaging", ["shp", "zip"])
def test_a_shapefile_imports_loose_or_zipped(db, communities, tmp_path, packaging):
    shp = write_shapefile(tmp_path / "grids", four_grids())
    path = zip_shapefile(shp) if packaging == "zip" else shp

    report = import_grids(db, path=path)

    assert report.ok, report.lines("en")
    assert report.imported == 4
    assert db.get(Region, f"{COMMUNITY}003").name == "第3网格"
    assert stored_geometry(db, f"{COMMUNITY}003").equals(cells(0, 1))


def test_a_shapefile_in_gbk_without_codepage_file_keeps_its_chinese_names(
    db, communities, tmp_path
):
    shp = write_shapefile(tmp_path / "grids", four_grids(), encoding="gbk")
    shp.with_suffix(".cpg").unlink(missing_ok=True)

    report = import_grids(db, path=shp)

    assert report.ok, report.lines("en")
    assert db.get(Region, f"{COMMUNITY}001").name == "第1网格"


def test_a_projected_shapefile_is_refused(db, communities, tmp_path):
    shp = write_shapefile(tmp_path / "grids", four_grids())
    shp.with_suffix(".prj").write_text(GK_PRJ, "ascii")

    report = import_grids(db, path=shp)

    assert [(e.problem, e.detail) for e in report.errors] == [
        (GridProblem.PROJECTED_CRS, "CGCS2000_3_Degree_GK_CM_99E")
    ]
    assert grid_codes(db) == []


BOW_TIE = Polygon([(X0 + 0.01, Y0 + 0.01), (X0 + 0.02, Y0 + 0.02), (X0 + 0.02, Y0 + 0.01),
                   (X0 + 0.01, Y0 + 0.02)])  # fmt: skip


def replace_fourth(**changes: Any) -> list[dict]:
    """The four good grids with the fourth one changed."""
    features = four_grids()
    fourth = features[3]
    if "geometry" in changes:
        geometry = changes["geometry"]
        fourth["geometry"] = mapping(geometry) if isinstance(geometry, BaseGeometry) else geometry
    fourth["properties"].update({k: v for k, v in changes.items() if k != "geometry"})
    return features


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (replace_fourth(geometry=BOW_TIE), (GridProblem.INVALID_GEOMETRY, (f"{COMMUNITY}004",))),
        (
            replace_fourth(geometry=box(X0 + 0.005, Y0 + 0.01, X0 + 0.02, Y0 + 0.02)),
            (GridProblem.OVERLAP, (f"{COMMUNITY}003", f"{COMMUNITY}004")),
        ),
        (
            replace_fourth(geometry=box(X0 + 0.01, Y0 + 0.01, X0 + 0.02, Y0 + 0.03)),
            (GridProblem.OUTSIDE_COMMUNITY, (f"{COMMUNITY}004",)),
        ),
        (
            replace_fourth(code="530502001099004"),
            (GridProblem.UNKNOWN_COMMUNITY, ("530502001099004",)),
        ),
        (replace_fourth(code="53050200100104"), (GridProblem.BAD_CODE, ("53050200100104",))),
        (replace_fourth(code="530502001001000"), (GridProblem.BAD_CODE, ("530502001001000",))),
        (replace_fourth(code=""), (GridProblem.MISSING_CODE, ("#4",))),
        (
            replace_fourth(code=f"{COMMUNITY}003"),
            (GridProblem.DUPLICATE_CODE, (f"{COMMUNITY}003",)),
        ),
        (replace_fourth(name="  "), (GridProblem.MISSING_NAME, (f"{COMMUNITY}004",))),
        (replace_fourth(geometry=None), (GridProblem.MISSING_GEOMETRY, (f"{COMMUNITY}004",))),
        (replace_fourth(geometry=Point(X0, Y0)), (GridProblem.NOT_POLYGON, (f"{COMMUNITY}004",))),
        (
            replace_fourth(geometry={"type": "Polygon", "coordinates": [[[X0, Y0], [X0]]]}),
            (GridProblem.BAD_COORDINATES, (f"{COMMUNITY}004",)),
        ),
        (
            replace_fourth(geometry=box(X0, 95.0, X0 + 0.01, 95.01)),
            (GridProblem.BAD_COORDINATES, (f"{COMMUNITY}004",)),
        ),
    ],
    ids=[
        "bow-tie",
        "overlap",
        "outside community",
        "community unknown",
        "code too short",
        "code with a zero segment",
        "code missing",
        "duplicate code",
        "name blank",
        "geometry missing",
        "point",
        "malformed coordinates",
        "latitude out of range",
    ],
)
def test_a_file_with_an_error_is_reported_and_nothing_is_stored(
    db, communities, tmp_path, features, expected
):
    before = count_regions(db)

    report = import_grids(db, path=write_geojson(tmp_path, features))

    assert not report.ok
    assert [(e.problem, e.codes) for e in report.errors] == [expected]
    assert report.imported == 0
    assert count_regions(db) == before


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ('{"type": "FeatureCollection", "features": [', "Expecting"),
        ('{"type": "Feature", "geometry": null, "properties": {}}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": [42]}', "#1"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
    ],
    ids=["broken json", "not a collection", "not a feature", "empty"],
)
def test_an_unreadable_file_is_reported_not_raised(db, communities, tmp_path, content, detail):
    path = tmp_path / "grids.geojson"
    path.write_text(content, "utf-8")

    report = import_grids(db, path=path)

    [error] = report.errors
    assert error.problem is GridProblem.FILE_UNREADABLE
    assert detail in error.detail
    assert grid_codes(db) == []


@pytest.mark.parametrize("name", ["missing.geojson", "grids.kml"])
def test_a_missing_or_unsupported_file_is_reported(db, communities, tmp_path, name):
    (tmp_path / "grids.kml").write_text("<kml/>", "utf-8")

    report = import_grids(db, path=tmp_path / name)

    assert [(e.problem, e.codes) for e in report.errors] == [(GridProblem.FILE_UNREADABLE, (name,))]


def test_a_dry_run_checks_without_writing(db, communities, tmp_path):
    report = import_grids(db, path=write_geojson(tmp_path, four_grids()), dry_run=True)

    assert report.ok
    assert report.imported == 0
    assert grid_codes(db) == []
    assert translate("import.grids.checked", "zh-CN") in report.lines("zh-CN")


def test_a_community_left_partly_without_grids_is_a_warning(db, communities, tmp_path):
    report = import_grids(db, path=write_geojson(tmp_path, four_grids()[:3]))

    assert report.ok
    assert report.imported == 3
    assert [(w.problem, w.codes, w.detail) for w in report.warnings] == [
        (GridProblem.COMMUNITY_NOT_COVERED, (COMMUNITY,), "25.0")
    ]


def test_grids_that_touch_along_edges_and_holes_are_not_overlaps(db, communities, tmp_path):
    ring = cells(0, 0, 2, 2).difference(cells(0, 0).buffer(-0.002))
    core = cells(0, 0).buffer(-0.002)
    features = [grid(1, MultiPolygon([ring])), grid(2, core)]

    report = import_grids(db, path=write_geojson(tmp_path, features))

    assert report.ok, report.lines("en")


def test_an_unknown_coordinate_system_is_refused(db, communities, tmp_path):
    with pytest.raises(Invalid) as refused:
        import_grids(db, path=write_geojson(tmp_path, four_grids()), crs="epsg:3857")

    assert refused.value.code == "unknown_crs"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_problem_has_a_message_in_both_languages(locale):
    for problem in GridProblem:
        message_id = f"import.grids.{problem.value}"
        assert translate(message_id, locale) != message_id


def test_report_lines_name_the_offending_grids_and_cap_long_lists():
    errors = tuple(
        GridIssue(GridProblem.MISSING_NAME, (f"{COMMUNITY}{n:03d}",)) for n in range(1, 31)
    )
    report = GridImportReport(file="grids.geojson", dry_run=False, read=30, errors=errors)

    lines = report.lines("zh-CN", per_problem=20)

    assert f"{COMMUNITY}001" in lines[2]
    assert "没有名称" in lines[2]
    assert lines[-1] == translate("import.grids.more", "zh-CN", count=10)
    assert report.error_counts() == {GridProblem.MISSING_NAME: 30}
    assert len(lines) == 2 + 20 + 1


def spellings(keys: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A key as files write it: any accepted name, in any case, perhaps padded."""
    key = st.sampled_from(keys)
    return key.flatmap(lambda k: st.sampled_from([k, k.upper(), k.title(), f" {k} "]))


@st.composite
def code_values(draw: st.DrawFn) -> tuple[str, Any]:
    """A 15-digit code and the way a file holds it: padded text, an integer or a double."""
    code = draw(st.from_regex(r"[1-9][0-9]{14}", fullmatch=True))
    return code, draw(st.sampled_from([code, f" {code}\t", int(code), float(code)]))


@given(
    keys=st.tuples(spellings(CODE_KEYS), spellings(NAME_KEYS)),
    code=code_values(),
    name=st.text(min_size=1).map(str.strip).filter(bool),
    other=st.dictionaries(st.sampled_from(["id", "area", "备注"]), st.integers()),
)
def test_code_and_name_are_found_under_any_accepted_spelling(keys, code, name, other):
    (code_key, name_key), (expected_code, stored_code) = keys, code
    properties = {**other, code_key: stored_code, name_key: f" {name} "}

    assert grid_properties(properties) == (expected_code, name)


@given(st.dictionaries(st.sampled_from(["id", "area", "备注", "label"]), st.integers()))
def test_properties_without_code_or_name_give_empty_strings(properties):
    assert grid_properties(properties) == ("", "")
