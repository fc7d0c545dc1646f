"""Geology maps and fault layers of 3D surfaces (round 50).

Found by feeding ``plan_vector`` (every chunk of each layer computed) and a real
``prospect ingest`` geology maps and fault layers written with pyogrio and pyarrow into
``tmp_path`` (2026-12-06). A 3D geological model's units exported as closed volumes, or
its fault surfaces, are PolyhedralSurface or TIN geometries (GDAL's reading of an ESRI
multipatch; a GeoPackage's or FlatGeobuf's 3D surface): pyogrio raised GEOS's "Unknown
WKB type 15", the reader's repairing read for unclosed rings then gave each such feature
no geometry, and the map was "no geometry (null or empty)" (its units no code, or the
whole layer refused), while a GeoParquet of them was "no WKB geometry ... write the file
again". Every file here is small and SYNTHETIC: boxes of 200 x 400 m (a top, a bottom
and two side walls) and triangulated or vertical fault planes over the tiny region in
UTM 19N.
"""

from __future__ import annotations

import json
import struct
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio.raw
import pyproj
import pytest
import shapely
import xarray as xr

from prospect.errors import InputFileError
from prospect.grid import RegionGrid

from .conftest import TINY_REGION, Sandbox, plan_vector_cells

TINY = RegionGrid(
    **{
        **TINY_REGION,
        "bounds": tuple(TINY_REGION["bounds"]),
        "chunks": tuple(TINY_REGION["chunks"]),
    }
)
"""40 x 40 cells of 10 m in UTM 19N about 69.0 W, 12.2 N (chunks of 20 x 20)."""

X0, Y0, X1, Y1 = 500000.0, 1350000.0, 500400.0, 1350400.0
MID = 500200.0
"""The region's corners and the x where the two SYNTHETIC units meet."""


def _ring(points: list[tuple[float, float, float]]) -> bytes:
    return struct.pack("<I", len(points)) + b"".join(struct.pack("<ddd", *p) for p in points)


def _face(points: list[tuple[float, float, float]], kind: int = 1003) -> bytes:
    """A WKB PolygonZ (1003) or TriangleZ (1017) of one ring, little-endian."""
    return struct.pack("<BII", 1, kind, 1) + _ring([*points, points[0]])


def _box(x0: float, x1: float, depth: float) -> bytes:
    """A SYNTHETIC unit from ``x0`` to ``x1`` across the region's height, ``depth`` m
    deep, as a WKB PolyhedralSurfaceZ (1015) of a top, a bottom and two side walls."""
    y0, y1 = Y0, Y1
    faces = [
        _face([(x0, y0, 0), (x1, y0, 0), (x1, y1, 0), (x0, y1, 0)]),
        _face([(x0, y0, -depth), (x0, y1, -depth), (x1, y1, -depth), (x1, y0, -depth)]),
        _face([(x0, y0, 0), (x1, y0, 0), (x1, y0, -depth), (x0, y0, -depth)]),
        _face([(x0, y1, 0), (x1, y1, 0), (x1, y1, -depth), (x0, y1, -depth)]),
    ]
    return struct.pack("<BII", 1, 1015, len(faces)) + b"".join(faces)


def _tin(x0: float, x1: float) -> bytes:
    """A SYNTHETIC top surface from ``x0`` to ``x1`` as a WKB TINZ (1016) of two
    triangles."""
    a, b, c, d = (x0, Y0, 5.0), (x1, Y0, 8.0), (x1, Y1, 9.0), (x0, Y1, 4.0)
    return struct.pack("<BII", 1, 1016, 2) + _face([a, b, c], 1017) + _face([a, c, d], 1017)


def _vertical_fault(x: float) -> bytes:
    """A SYNTHETIC vertical fault plane at ``x`` across the region, 100 m high, as a WKB
    PolyhedralSurfaceZ of one face (no area in plan: its trace is the line at ``x``)."""
    face = _face([(x, Y0, 0), (x, Y1, 0), (x, Y1, -100), (x, Y0, -100)])
    return struct.pack("<BII", 1, 1015, 1) + face


def _write_ogr(
    path: Path,
    geoms: list[bytes],
    *,
    layer: str | None = None,
    append: bool = False,
    **fields: list,
) -> Path:
    names = list(fields) or ["n"]
    data = [np.asarray(v, dtype=object) for v in fields.values()] or [np.arange(1, len(geoms) + 1)]
    driver = "FlatGeobuf" if path.suffix == ".fgb" else "GPKG"
    with warnings.catch_warnings():  # (GDAL's note of its GeoPackage extension for surfaces)
        warnings.filterwarnings("ignore", "Registering non-standard", RuntimeWarning)
        pyogrio.raw.write(
            str(path),
            geometry=np.asarray(geoms, dtype=object),
            field_data=data,
            fields=names,
            geometry_type="Unknown",
            crs="EPSG:32619",
            driver=driver,
            layer=layer,
            append=append,
        )
    return path


def _west() -> np.ndarray:
    """Whether each cell of :data:`TINY` lies west of :data:`MID` (the unit codes of a
    map of ``E`` (0) and ``W`` (1))."""
    xs = X0 + 10.0 * (np.arange(40) + 0.5)
    return np.broadcast_to(xs < MID, (40, 40))


def _quiet(said: list[str]) -> list[str]:
    return [w for w in said if "no geometry" in w or "invalid" in w]


@pytest.mark.parametrize(
    ("suffix", "west", "east"),
    [
        (".gpkg", _box(X0, MID, 50.0), _box(MID, X1, 80.0)),
        (".fgb", _box(X0, MID, 50.0), _box(MID, X1, 80.0)),
        (".gpkg", _tin(X0, MID), _tin(MID, X1)),
        (".gpkg", shapely.to_wkb(shapely.box(X0, Y0, MID, Y1)), _box(MID, X1, 80.0)),
    ],
    ids=["polyhedral-gpkg", "polyhedral-fgb", "tin-gpkg", "one-of-two"],
)
def test_a_map_of_3d_surfaces_codes_each_unit_at_its_footprint(
    tmp_path: Path, suffix: str, west: bytes, east: bytes
) -> None:
    """A map whose units are 3D surfaces (closed volumes, TINs) codes each cell as the
    same map in 2D does, with a warning that says how they were read (it was "no
    geometry (null or empty)": the unit no code, or the whole layer refused)."""
    path = _write_ogr(tmp_path / f"units{suffix}", [west, east], unit=["W", "E"])
    out, said = plan_vector_cells(path, TINY, attribute="unit", distance_to_contacts=True)
    layer, cells = out["geology"]
    assert layer.codes == ("E", "W")
    assert np.array_equal(cells, np.where(_west(), 1, 0))
    _, dist = out["geology_dist_contact"]
    assert np.allclose(dist[:, 19:21], 5.0)
    assert not _quiet(said), said
    surfaces = [w for w in said if "3D surfaces" in w]
    assert len(surfaces) == 1, said
    assert "footprint in plan" in surfaces[0] and "layer (first)" in surfaces[0]


def test_a_map_of_2d_polygons_codes_as_before(tmp_path: Path) -> None:
    """Control: the same map as 2D polygons, no warning."""
    frame = gpd.GeoDataFrame(
        {"unit": ["W", "E"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    )
    frame.to_file(tmp_path / "units.gpkg")
    out, said = plan_vector_cells(tmp_path / "units.gpkg", TINY, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("E", "W")
    assert np.array_equal(cells, np.where(_west(), 1, 0))
    assert said == []


def test_a_faults_layer_of_3d_fault_planes_is_measured_at_their_traces(tmp_path: Path) -> None:
    """A faults layer of vertical fault planes (PolyhedralSurface) is measured to the
    line each traces in plan (it was "every one of the 1 feature(s) of the faults layer
    'faults' has no geometry", exit 1)."""
    path = tmp_path / "geology.gpkg"
    gpd.GeoDataFrame(
        {"unit": ["W", "E"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(path, layer="units")
    _write_ogr(path, [_vertical_fault(500300.0)], layer="faults", append=True)
    out, said = plan_vector_cells(
        path, TINY, layer="units", attribute="unit", faults_layer="faults"
    )
    _, dist = out["geology_dist_fault"]
    xs = X0 + 10.0 * (np.arange(40) + 0.5)
    assert np.allclose(dist, np.broadcast_to(np.abs(xs - 500300.0), (40, 40)))
    assert [w for w in said if "3D surfaces" in w and "'faults'" in w], said
    assert not _quiet(said), said


def _geoparquet(path: Path, geoms: list[bytes]) -> Path:
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": [],
                "crs": pyproj.CRS("EPSG:32619").to_json_dict(),
            }
        },
    }
    table = pa.table({"unit": ["W", "E"], "geometry": geoms})
    pq.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), path)
    return path


def test_a_geoparquet_of_3d_surfaces_codes_each_unit_at_its_footprint(tmp_path: Path) -> None:
    """A GeoParquet of PolyhedralSurfaceZ units codes as the 2D map (it was "row 1 of
    geometry column 'geometry' is no WKB geometry (... Unknown WKB type 1015): write the
    file again")."""
    path = _geoparquet(tmp_path / "units.parquet", [_box(X0, MID, 50.0), _box(MID, X1, 80.0)])
    out, said = plan_vector_cells(path, TINY, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("E", "W")
    assert np.array_equal(cells, np.where(_west(), 1, 0))
    assert [w for w in said if "3D surfaces" in w], said


def test_a_geoparquet_row_of_no_known_wkb_type_is_still_refused(tmp_path: Path) -> None:
    """Control: a row whose WKB type is none (99) is refused naming its row."""
    path = _geoparquet(
        tmp_path / "units.parquet",
        [shapely.to_wkb(shapely.box(X0, Y0, MID, Y1)), b"\x01\x63\x00\x00\x00"],
    )
    with pytest.raises(InputFileError, match="row 2 of geometry column 'geometry'"):
        plan_vector_cells(path, TINY, attribute="unit")


def test_ingest_of_a_map_of_3d_surfaces_writes_its_units(
    sandbox: Sandbox, cli, scheduler: str
) -> None:
    """A real ``prospect ingest`` of a GeoPackage of two units as closed 3D volumes writes
    both units where they lie, with the warning (it was exit 1: "every one of the 2
    feature(s) of layer (first) has no geometry")."""
    _write_ogr(
        sandbox.root / "geology.gpkg", [_box(X0, MID, 50.0), _box(MID, X1, 80.0)], unit=["W", "E"]
    )
    sandbox.write_job(
        region=dict(TINY_REGION),
        sources=[{"kind": "vector", "name": "geo", "path": "geology.gpkg", "attribute": "unit"}],
    )
    result = cli("ingest", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert result.code == 0, result.err[-3000:]
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert "3D surfaces" in " ".join((result.out + result.err).split())
    var = xr.open_zarr(sandbox.out / "cube.zarr")["geo"]
    table = {int(k): v for k, v in json.loads(var.attrs["categories"]).items()}
    names = np.vectorize(lambda c: table.get(int(c), ""))(np.asarray(var.values))
    assert np.array_equal(names == "W", _west())
    assert np.array_equal(names == "E", ~_west())
    assert sandbox.untouched()


def _zipped_utf8_shapefile(folder: Path, cpg: str | None) -> Path:
    """A zip of a SYNTHETIC two-unit Shapefile whose text is UTF-8 (``Grès``), its
    ``.cpg`` saying ``cpg`` (none when ``None``)."""
    import zipfile

    folder.mkdir()
    gpd.GeoDataFrame(
        {"unit": ["Grès", "Schiste"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    ).to_file(folder / "geo.shp", encoding="utf-8")
    (folder / "geo.cpg").unlink(missing_ok=True)
    if cpg is not None:
        (folder / "geo.cpg").write_text(cpg)
    archive = folder.parent / "geo.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, part.name)
    return archive


@pytest.mark.parametrize(
    ("cpg", "said"),
    [("1252", "its geo.cpg says '1252' (in geo.zip)"), (None, "no .cpg is beside it (in geo.zip)")],
    ids=["cpg-1252", "no-cpg"],
)
def test_a_vsizip_shapefile_read_against_its_cpg_is_named_as_written(
    tmp_path: Path, cpg: str | None, said: str
) -> None:
    """A zipped UTF-8 Shapefile named ``/vsizip//abs/geo.zip/geo.shp`` (GDAL's absolute
    form) whose ``.cpg`` in the zip says 1252, or that has none, is warned of naming the
    path as written, the ``.cpg`` it has, and the zip to write UTF-8 into (it was
    "/vsizip/abs/...: ... but no .cpg is beside it ... write UTF-8 in geo.cpg": the
    ``//`` made one, the zip not found)."""
    archive = _zipped_utf8_shapefile(tmp_path / "parts", cpg)
    name = f"/vsizip//{archive.as_posix().lstrip('/')}/geo.shp"
    out, warned = plan_vector_cells(name, TINY, attribute="unit")
    assert out["geology"][0].codes == ("Grès", "Schiste")
    recoded = [w for w in warned if "UTF-8" in w]
    assert len(recoded) == 1, warned
    assert recoded[0].startswith(f"{name}: its attribute text is UTF-8 but {said}")
    assert "write UTF-8 in geo.cpg in geo.zip" in recoded[0]


def test_a_zipped_shapefile_given_as_its_zip_is_warned_of_as_before(tmp_path: Path) -> None:
    """Control: the same zip given as ``geo.zip`` names its ``.cpg`` in the zip."""
    archive = _zipped_utf8_shapefile(tmp_path / "parts", "1252")
    out, warned = plan_vector_cells(archive, TINY, attribute="unit")
    assert out["geology"][0].codes == ("Grès", "Schiste")
    assert [
        w
        for w in warned
        if w.startswith(
            f"{archive}: its attribute text is UTF-8 but its geo.cpg says '1252' (in geo.zip)"
        )
    ]


# --- a layer whose stated CRS is not the one its coordinates are in -------------------------


def _two_units(crs: str, *, lonlat: bool = False, scale: float = 1.0) -> gpd.GeoDataFrame:
    """The SYNTHETIC units ``W`` and ``E`` over the tiny region, their coordinates in UTM
    19N (or longitude/latitude, or UTM 19N times ``scale``) but labelled ``crs``."""
    frame = gpd.GeoDataFrame(
        {"unit": ["W", "E"]},
        geometry=[shapely.box(X0, Y0, MID, Y1), shapely.box(MID, Y0, X1, Y1)],
        crs="EPSG:32619",
    )
    if lonlat:
        frame = frame.to_crs("EPSG:4326")
    if scale != 1.0:
        frame.geometry = frame.geometry.scale(scale, scale, origin=(0, 0))
    return frame.set_crs(crs, allow_override=True)


def _refusal(path: Path, **source: object) -> str:
    from prospect.errors import DataError

    with pytest.raises(DataError, match="no feature of layer") as caught:
        plan_vector_cells(path, TINY, attribute="unit", **source)
    text = " ".join(str(caught.value).split())
    assert "Traceback" not in text and "internal error" not in text
    return text


@pytest.mark.parametrize(
    ("labelled", "lonlat", "said"),
    [
        (
            "EPSG:32619",
            True,
            "they look like longitude/latitude and lie in the region read "
            "so, not in 'WGS 84 / UTM zone 19N' (as the file states it): give crs: EPSG:4326",
        ),
        (
            "EPSG:32620",
            False,
            "read in the region's CRS (WGS 84 / UTM zone 19N) they lie in "
            "it, not in 'WGS 84 / UTM zone 20N' (as the file states it): give crs: EPSG:32619",
        ),
        (
            "EPSG:32719",
            False,
            "not in 'WGS 84 / UTM zone 19S' (as the file states it): give crs: EPSG:32619",
        ),
        (
            "EPSG:4326",
            False,
            "e.g. crs: EPSG:32619, the region's CRS (WGS 84 / UTM zone "
            "19N), in which they lie in it",
        ),
    ],
    ids=["lonlat-as-utm", "other-zone", "south-zone", "utm-as-wgs84"],
)
def test_a_map_of_a_wrong_crs_is_told_the_crs_that_places_it(
    tmp_path: Path, labelled: str, lonlat: bool, said: str
) -> None:
    """A map whose file states another CRS than its coordinates are in (a ``.prj`` copied
    from another map; the neighbouring or the south UTM zone) is refused naming the CRS
    that places it in the region (it was told where it lies as read and "check the
    layer's CRS", or offered ``EPSG:326NN`` of any zone)."""
    path = tmp_path / "units.gpkg"
    _two_units(labelled, lonlat=lonlat).to_file(path)
    text = _refusal(path)
    assert said in text, text


def test_a_shapefile_given_another_crs_than_its_own_is_told_the_regions(tmp_path: Path) -> None:
    """A Shapefile of UTM 19N metres without ``.prj`` given ``crs: EPSG:32620`` is told to
    write the region's CRS in place of its ``crs:`` (and still where it lies as read)."""
    path = tmp_path / "units.shp"
    _two_units("EPSG:32619").to_file(path)
    path.with_suffix(".prj").unlink()
    text = _refusal(path, crs="EPSG:32620")
    assert "in WGS 84 / UTM zone 20N (about" in text, text
    assert "write crs: EPSG:32619 in the source config in place of its crs:" in text, text


def test_a_map_no_obvious_crs_places_is_told_to_check_its_crs_as_before(tmp_path: Path) -> None:
    """Control: a map in feet labelled UTM 19N metres lies in the region under no CRS
    tried: the refusal says where it lies and to check the layer's CRS, as before."""
    path = tmp_path / "units.gpkg"
    _two_units("EPSG:32619", scale=3.280833).to_file(path)
    text = _refusal(path)
    assert "km from the region's centre: check the layer's CRS" in text, text
    assert "give crs:" not in text, text


@pytest.mark.parametrize(
    ("labelled", "lonlat", "code"),
    [("EPSG:32619", True, "EPSG:4326"), ("EPSG:32620", False, "EPSG:32619")],
    ids=["lonlat-as-utm", "other-zone"],
)
def test_a_faults_layer_of_a_wrong_crs_is_told_the_crs_that_places_it(
    tmp_path: Path, labelled: str, lonlat: bool, code: str
) -> None:
    """A faults layer whose stated CRS is not its coordinates' is warned of naming the CRS
    that places it in the region, and to write that layer again (the units' CRS is
    right; it was "check that the layer covers the region and its CRS")."""
    path = tmp_path / "geology.gpkg"
    _two_units("EPSG:32619").to_file(path, layer="units")
    fault = gpd.GeoDataFrame(
        {"n": [1]},
        geometry=[shapely.LineString([(500300.0, Y0), (500300.0, Y1)])],
        crs="EPSG:32619",
    )
    if lonlat:
        fault = fault.to_crs("EPSG:4326")
    fault.set_crs(labelled, allow_override=True).to_file(path, layer="faults")
    _, said = plan_vector_cells(path, TINY, layer="units", attribute="unit", faults_layer="faults")
    away = [w for w in said if "faults layer 'faults' lies in" in w]
    assert len(away) == 1, said
    assert "write the layer 'faults' again in that CRS" in away[0], away
    assert f"ogr2ogr -a_srs {code})" in away[0], away


def test_a_faults_layer_in_the_region_gets_no_warning(tmp_path: Path) -> None:
    """Control: the same faults layer in its right CRS is measured with no warning."""
    path = tmp_path / "geology.gpkg"
    _two_units("EPSG:32619").to_file(path, layer="units")
    gpd.GeoDataFrame(
        {"n": [1]},
        geometry=[shapely.LineString([(500300.0, Y0), (500300.0, Y1)])],
        crs="EPSG:32619",
    ).to_file(path, layer="faults")
    out, said = plan_vector_cells(
        path, TINY, layer="units", attribute="unit", faults_layer="faults"
    )
    assert said == []
    assert float(np.min(out["geology_dist_fault"][1])) == 5.0


def test_an_outline_of_a_3d_surface_is_its_footprint(tmp_path: Path) -> None:
    """A region outline given as a PolyhedralSurface (a SYNTHETIC flat face over the tiny
    region, in longitude/latitude) is read as its footprint, with the warning (it was a
    feature of "no geometry")."""
    from pyproj import Transformer

    from prospect.outlines import read_outline

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    (w, s), (e, n) = to_lonlat.transform(X0, Y0), to_lonlat.transform(X1, Y1)
    face = _face([(w, s, 0.0), (e, s, 0.0), (e, n, 0.0), (w, n, 0.0)])
    path = tmp_path / "outline.gpkg"
    with warnings.catch_warnings():  # GDAL's GeoPackage warning of a surface in a layer
        warnings.simplefilter("ignore")  # of any geometry: said once per process only
        pyogrio.raw.write(
            str(path),
            geometry=np.asarray([struct.pack("<BII", 1, 1015, 1) + face], dtype=object),
            field_data=[np.asarray(["Bonaire"], dtype=object)],
            fields=["name"],
            geometry_type="Unknown",
            crs="EPSG:4326",
            driver="GPKG",
        )
    with pytest.warns(Warning) as caught:
        outline = read_outline(path)
    assert outline.normalize().equals(shapely.box(w, s, e, n).normalize())
    said = [" ".join(str(c.message).split()) for c in caught]
    assert [m for m in said if "3D surfaces" in m], said


# --- curves GDAL leaves curved: inside a collection, or in a GeoParquet file ---------------


def _circle(cx: float, cy: float, r: float) -> bytes:
    """A SYNTHETIC WKB CurvePolygon (10): a whole circle as one CircularString (8)."""
    points = [(cx - r, cy), (cx + r, cy), (cx - r, cy)]
    ring = struct.pack("<BII", 1, 8, 3) + b"".join(struct.pack("<dd", *p) for p in points)
    return struct.pack("<BII", 1, 10, 1) + ring


def _lens_cells(cells: np.ndarray) -> int:
    """The cells of unit ``L`` (code 0 of ``A``, ``L``... sorted: ``L`` is 1)."""
    return int((cells == 1).sum())


def test_a_collection_holding_a_curved_polygon_is_read_straightened(tmp_path: Path) -> None:
    """A GeometryCollection holding a CurvePolygon (a circular lens of radius 50 m) and a
    20 m square, in a GeoPackage, codes the lens's 80 cells and the square's 4 (it was an
    internal error: a bare ``GEOSException`` at the first look at its coordinates; GDAL
    makes a layer's curves straight, not one inside a collection)."""
    square = shapely.to_wkb(shapely.box(MID, Y0, MID + 20, Y0 + 20))
    collection = struct.pack("<BII", 1, 7, 2) + _circle(500300.0, 1350200.0, 50.0) + square
    host = shapely.to_wkb(shapely.box(X0, Y0, MID, Y1))
    path = _write_ogr(tmp_path / "units.gpkg", [host, collection], unit=["A", "L"])
    out, said = plan_vector_cells(path, TINY, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("A", "L")
    assert _lens_cells(cells) == 84
    assert int((cells == 0).sum()) == 800
    assert not [w for w in said if "no geometry" in w], said


def test_a_geoparquet_of_a_curved_polygon_is_read_straightened(tmp_path: Path) -> None:
    """A GeoParquet row of a CurvePolygon (the same lens) codes its 80 cells (it was an
    internal error: shapely's "Nonlinear geometry types are not currently supported")."""
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": [],
                "crs": pyproj.CRS("EPSG:32619").to_json_dict(),
            }
        },
    }
    table = pa.table(
        {
            "unit": ["A", "L"],
            "geometry": [
                shapely.to_wkb(shapely.box(X0, Y0, MID, Y1)),
                _circle(500300.0, 1350200.0, 50.0),
            ],
        }
    )
    path = tmp_path / "units.parquet"
    pq.write_table(table.replace_schema_metadata({"geo": json.dumps(geo)}), path)
    out, _ = plan_vector_cells(path, TINY, attribute="unit")
    layer, cells = out["geology"]
    assert layer.codes == ("A", "L")
    assert _lens_cells(cells) == 80


def test_a_collection_of_straight_polygons_codes_as_before(tmp_path: Path) -> None:
    """Control: a GeometryCollection of two straight polygons codes both."""
    square = shapely.box(MID, Y0, MID + 20, Y0 + 20)
    other = shapely.box(MID + 100, Y0, MID + 120, Y0 + 20)
    collection = shapely.to_wkb(shapely.GeometryCollection([square, other]))
    host = shapely.to_wkb(shapely.box(X0, Y0, MID, Y1))
    path = _write_ogr(tmp_path / "units.gpkg", [host, collection], unit=["A", "L"])
    out, said = plan_vector_cells(path, TINY, attribute="unit")
    assert _lens_cells(out["geology"][1]) == 8
    # (the map covers the region's west half: its east is said off the map, round 65b)
    assert len(said) == 1 and "of the region 'tiny' (792 of 1600 cells) lies off the map" \
        in said[0], said
