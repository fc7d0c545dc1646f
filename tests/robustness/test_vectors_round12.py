"""Round 12b: geology vector maps, faults and outlines as survey scientists have them.

Found by fuzzing ``prospect ingest`` with vector forms (2026-12-02): a Shapefile's UTF-8
unit names read as Latin-1 (no ``.cpg``, or one naming 1252) into the code table as
``grÃ¨s``; a GeometryCollection of a unit's polygon and a line burning that line into the
next unit's cells; a NaN vertex ending in ``internal error: GEOSException`` (a polygon, an
outline) or dropping its fault from every distance, and a polygon at 1e30 left out of the
codes, all without a word; a ring not closed (a hand-written GeoJSON) ending in ``internal
error``; fault lines of no length measured as points (or, once repaired, named "points");
unit names of only spaces made a unit of their own. Each case runs the real CLI and holds
it to the corpus's rules; the controls must keep reading as before. Every file here is
small and SYNTHETIC.
"""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import X0, Y0, _ingest

CRS = "EPSG:32619"


def _notes(box: Sandbox) -> list[str]:
    stage = json.loads((box.out / "manifest.json").read_text())["stages"]["ingest"]
    return [" ".join(n.split()) for n in stage["notes"] if n.startswith("warning:")]


def _cube(box: Sandbox, variable: str) -> np.ndarray:
    import xarray as xr

    return np.asarray(xr.open_zarr(box.out / "cube.zarr")[variable].values)


def _categories(box: Sandbox, variable: str = "geo") -> dict[str, str]:
    import xarray as xr

    return dict(json.loads(xr.open_zarr(box.out / "cube.zarr")[variable].attrs["categories"]))


def _frame(units: list[Any], geoms: list[Any], crs: str = CRS) -> Any:
    import geopandas as gpd

    return gpd.GeoDataFrame({"unit": units}, geometry=geoms, crs=crs)


def _strips(units: list[Any]) -> Any:
    """Vertical strips of equal width over the tiny region, one per unit."""
    import shapely

    width = 400 / len(units)
    return _frame(units, [shapely.box(X0 + i * width, Y0, X0 + (i + 1) * width, Y0 + 400)
                          for i in range(len(units))])


def _geo(**kw: Any) -> list[dict[str, Any]]:
    return [{"kind": "vector", "name": "geo", "path": kw.pop("path", "geo.gpkg"), **kw}]


def _said(result: Any) -> str:
    return " ".join((result.out + result.err).split())


# --- a Shapefile's UTF-8 text read in a code page ------------------------------------------

@pytest.mark.parametrize("cpg", [None, "1252", "ANSI 1252"], ids=["no-cpg", "1252", "ansi"])
def test_utf8_unit_names_under_a_code_page_are_read_as_utf8(sandbox: Sandbox, cli,
                                                           scheduler: str,
                                                           cpg: str | None) -> None:
    """Before: exit 0, the code table said 'grÃ¨s' for 'grès' (GDAL read the UTF-8 .dbf
    in ISO-8859-1 without a .cpg, or in the code page the .cpg named), without a word; a
    model's schema and the legend carried the garbled name."""
    _strips(["grès", "schiste"]).to_file(sandbox.root / "geo.shp", encoding="utf-8")
    (sandbox.root / "geo.cpg").unlink()
    if cpg is not None:
        (sandbox.root / "geo.cpg").write_text(cpg)
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.shp", attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert sorted(_categories(sandbox).values()) == ["grès", "schiste"]
    assert any("is UTF-8" in n and "geo.cpg" in n for n in _notes(sandbox))
    assert sandbox.untouched()


@pytest.mark.parametrize("cpg", [None, "1252", "65001-latin1-control"],
                         ids=["no-cpg", "1252", "65001"])
def test_latin1_unit_names_keep_reading_without_a_warning(sandbox: Sandbox, cli,
                                                          scheduler: str,
                                                          cpg: str | None) -> None:
    """Control: a Latin-1 .dbf without a .cpg, with 1252, or with a .cpg GDAL does not
    know reads 'grès' as before, without the UTF-8 warning."""
    _strips(["grès", "schiste"]).to_file(sandbox.root / "geo.shp", encoding="latin1")
    (sandbox.root / "geo.cpg").unlink(missing_ok=True)
    if cpg is not None:
        (sandbox.root / "geo.cpg").write_text(cpg.split("-")[0])
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.shp", attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert sorted(_categories(sandbox).values()) == ["grès", "schiste"]
    assert not any("is UTF-8" in n for n in _notes(sandbox))


def test_utf8_names_in_an_outline_shapefile_are_found(sandbox: Sandbox, cli,
                                                     scheduler: str) -> None:
    """Before: 'no feature named ['Curaçao']': the outline's UTF-8 names were read as
    Latin-1, so 'mask.names' never matched."""
    import geopandas as gpd
    import shapely

    land = gpd.GeoDataFrame({"name": ["Curaçao"]},
                            geometry=[shapely.box(X0, Y0, X0 + 200, Y0 + 400)], crs=CRS)
    land.to_file(sandbox.root / "land.shp", encoding="utf-8")
    (sandbox.root / "land.cpg").unlink()
    result = _ingest(sandbox, cli, scheduler,
                     mask={"path": "land.shp", "names": ["Curaçao"]})
    assert result.code == 0, result.err[-3000:]
    assert int(_cube(sandbox, "land").sum()) == 800


# --- collections of polygons and lines -----------------------------------------------------

def test_a_collection_of_a_polygon_and_a_line_burns_only_its_polygon(
    sandbox: Sandbox, cli, scheduler: str,
) -> None:
    """Before: exit 0, 20 cells of unit 'b' along the collection's diagonal line were coded
    'a' (the feature later in the file), without a word."""
    import shapely

    gc = shapely.GeometryCollection([shapely.box(X0, Y0, X0 + 200, Y0 + 400),
                                     shapely.LineString([(X0, Y0), (X0 + 400, Y0 + 400)])])
    _frame(["b", "a"], [shapely.box(X0 + 200, Y0, X0 + 400, Y0 + 400), gc]).to_file(
        sandbox.root / "geo.gpkg")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    codes = _cube(sandbox, "geo")
    assert (codes[:, :20] == 0).all() and (codes[:, 20:] == 1).all()
    assert any("collections of polygons with lines" in n for n in _notes(sandbox))


def test_a_collection_of_polygons_only_reads_without_a_warning(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """Control: a GeometryCollection of polygons is rasterised whole, without a warning."""
    import shapely

    gc = shapely.GeometryCollection([shapely.box(X0, Y0, X0 + 200, Y0 + 200),
                                     shapely.box(X0, Y0 + 200, X0 + 200, Y0 + 400)])
    _frame(["b", "a"], [shapely.box(X0 + 200, Y0, X0 + 400, Y0 + 400), gc]).to_file(
        sandbox.root / "geo.gpkg")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert (_cube(sandbox, "geo")[:, :20] == 0).all()
    assert not any("collections" in n for n in _notes(sandbox))


# --- coordinates that are no place ---------------------------------------------------------

def _nan_polygon() -> Any:
    import shapely

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore")
        return shapely.Polygon([(X0, Y0), (X0 + 100, np.nan), (X0 + 100, Y0 + 100), (X0, Y0)])


def _nan_line() -> Any:
    import shapely

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore")
        return shapely.LineString([(X0 + 300, Y0), (X0 + 300, np.nan), (X0 + 300, Y0 + 400)])


@pytest.mark.parametrize("case", ["nan-polygon", "huge-polygon", "nan-fault", "huge-fault",
                                  "nan-contacts"])
def test_coordinates_that_are_no_place_are_refused(sandbox: Sandbox, cli, scheduler: str,
                                                   case: str) -> None:
    """Before: a NaN vertex in a unit polygon was 'internal error: GEOSException' (exit
    70); in a fault line, that fault was left out of every distance (exit 0, the cells
    beside it 200 m from a fault); a unit polygon at +-1e30 was left out of the codes by
    GDAL's rasteriser while the overlap warning said it covered them."""
    import geopandas as gpd
    import shapely

    units = _strips(["a", "b"])
    source = _geo(attribute="unit")
    if case == "nan-polygon":
        units.loc[2] = ["c", _nan_polygon()]
    elif case == "huge-polygon":
        units.loc[2] = ["c", shapely.box(-1e30, -1e30, 1e30, 1e30)]
    elif case == "nan-contacts":  # a feature outside the region: the contacts read it all
        with np.errstate(invalid="ignore"):
            units.loc[2] = ["c", shapely.affinity.translate(_nan_polygon(), -1e5)]
        source = _geo(attribute="unit", distance_to_contacts=True)
    units.to_file(sandbox.root / "geo.gpkg", layer="units")
    source[0]["layer"] = "units"
    if case.endswith("fault"):
        line = _nan_line() if case == "nan-fault" else \
            shapely.LineString([(X0 + 300, Y0), (1e30, 1e30)])
        gpd.GeoDataFrame({"id": [1, 2]}, geometry=[line, shapely.LineString(
            [(X0 + 100, Y0), (X0 + 100, Y0 + 400)])], crs=CRS).to_file(
            sandbox.root / "geo.gpkg", layer="faults")
        source[0]["faults_layer"] = "faults"
    result = _ingest(sandbox, cli, scheduler, sources=source)
    assert_clean_error(result, 1, "geo.gpkg", "not finite or beyond")
    assert "RuntimeWarning" not in _said(result)
    assert sandbox.untouched()


def test_a_nan_vertex_in_a_mask_outline_is_refused(sandbox: Sandbox, cli,
                                                  scheduler: str) -> None:
    """Before: 'internal error: GEOSException: ... encountered NaN/Inf numbers' (exit 70)."""
    import geopandas as gpd

    gpd.GeoDataFrame({"name": ["x"]}, geometry=[_nan_polygon()], crs=CRS).to_file(
        sandbox.root / "land.gpkg")
    result = _ingest(sandbox, cli, scheduler, mask={"path": "land.gpkg"})
    assert_clean_error(result, 1, "land.gpkg", "not finite")


# --- rings that are not closed -------------------------------------------------------------

def _unclosed(box: Sandbox, name: str, unit: str = "a") -> Path:
    ring = [[X0, Y0], [X0 + 200, Y0], [X0 + 200, Y0 + 400], [X0, Y0 + 400]]  # no closing point
    path = box.root / name
    path.write_text(json.dumps({
        "type": "FeatureCollection", "name": "SYNTHETIC",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32619"}},
        "features": [{"type": "Feature", "properties": {"unit": unit, "name": "x"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def test_a_ring_not_closed_is_closed_with_a_warning(sandbox: Sandbox, cli,
                                                   scheduler: str) -> None:
    """Before: 'internal error: GEOSException: Points of LinearRing do not form a closed
    linestring' (exit 70), below pyogrio's 'Non closed ring detected' RuntimeWarning."""
    _unclosed(sandbox, "geo.geojson")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(path="geo.geojson",
                                                           attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    codes = _cube(sandbox, "geo")
    assert (codes[:, :20] == 0).all() and np.isnan(codes[:, 20:]).all()
    assert any("not closed" in n for n in _notes(sandbox))
    assert "RuntimeWarning" not in _said(result)


def test_a_mask_outline_with_a_ring_not_closed_is_read(sandbox: Sandbox, cli,
                                                      scheduler: str) -> None:
    """Before: 'internal error: GEOSException' (exit 70)."""
    _unclosed(sandbox, "land.geojson")
    result = _ingest(sandbox, cli, scheduler, mask={"path": "land.geojson"})
    assert result.code == 0, result.err[-3000:]
    assert int(_cube(sandbox, "land").sum()) == 800
    assert any("not closed" in n for n in _notes(sandbox)), (_notes(sandbox), result.err)


# --- faults of no length -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["two-vertices", "three-vertices"])
def test_fault_lines_of_no_length_are_refused(sandbox: Sandbox, cli, scheduler: str,
                                              kind: str) -> None:
    """Before: exit 0, a stray click digitised as a line of no length was a fault: the cells
    around it were 7 m from a 'fault' (a declared line layer was never read at planning)."""
    import geopandas as gpd
    import shapely

    _strips(["a", "b"]).to_file(sandbox.root / "geo.gpkg", layer="units")
    n = 2 if kind == "two-vertices" else 3
    gpd.GeoDataFrame({"id": [1, 2]}, geometry=[
        shapely.LineString([(X0 + 105, Y0 + 105)] * n),
        shapely.LineString([(X0 + 300, Y0), (X0 + 300, Y0 + 400)])], crs=CRS).to_file(
        sandbox.root / "geo.gpkg", layer="faults")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_geo(layer="units", attribute="unit", faults_layer="faults"))
    assert_clean_error(result, 1, "geo.gpkg", "'faults'", "of no length", "x=500105")


def test_fault_lines_with_repeated_vertices_keep_reading(sandbox: Sandbox, cli,
                                                        scheduler: str) -> None:
    """Control: a fault whose vertices repeat (a double click) is measured as the line."""
    import geopandas as gpd
    import shapely

    _strips(["a", "b"]).to_file(sandbox.root / "geo.gpkg", layer="units")
    gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.LineString(
        [(X0 + 300, Y0), (X0 + 300, Y0), (X0 + 300, Y0 + 400), (X0 + 300, Y0 + 400)])],
        crs=CRS).to_file(sandbox.root / "geo.gpkg", layer="faults")
    result = _ingest(sandbox, cli, scheduler,
                     sources=_geo(layer="units", attribute="unit", faults_layer="faults"))
    assert result.code == 0, result.err[-3000:]
    dist = _cube(sandbox, "geo_dist_fault")
    assert dist[20, 30] == pytest.approx(5.0) and dist[20, 0] == pytest.approx(295.0)


# --- unit names of only spaces -------------------------------------------------------------

def test_unit_names_of_only_spaces_are_no_name(sandbox: Sandbox, cli, scheduler: str) -> None:
    """Before: '  ' was a unit of its own code beside the nameless one (''), and the
    warning called them two spellings of one unit."""
    _strips(["granite", "  ", None, "", "schist"]).to_file(sandbox.root / "geo.gpkg")
    result = _ingest(sandbox, cli, scheduler, sources=_geo(attribute="unit"))
    assert result.code == 0, result.err[-3000:]
    assert sorted(_categories(sandbox).values()) == ["", "granite", "schist"]
    assert any("3 of 5 feature(s) have no value" in n for n in _notes(sandbox))
    assert not any("differ only in" in n for n in _notes(sandbox))


# --- forms that keep reading (controls) ----------------------------------------------------

def _ogr2ogr(*args: str) -> None:
    proc = subprocess.run(["ogr2ogr", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"ogr2ogr cannot write this form: {proc.stderr.strip()[:200]}")


@pytest.mark.parametrize("form", ["gpkg-shape-column", "flatgeobuf-no-index", "filegdb",
                                  "csv-wkt", "kml", "curved"])
def test_vector_forms_keep_reading(sandbox: Sandbox, cli, scheduler: str, form: str) -> None:
    """Control: a GeoPackage whose geometry column is not 'geom', FlatGeobuf without a
    spatial index, a FileGDB folder, a CSV of WKT with 'crs:', KML (lon/lat, 'Name')
    and curved GeoPackage geometries (CurvePolygon, MultiSurface) read as the strips."""
    import pyogrio

    units = _strips(["granite", "schist"])
    source = _geo(attribute="unit")
    root = sandbox.root
    if form == "gpkg-shape-column":
        pyogrio.write_dataframe(units, root / "geo.gpkg", GEOMETRY_NAME="shape")
    elif form == "flatgeobuf-no-index":
        units.to_file(root / "geo.fgb", driver="FlatGeobuf", SPATIAL_INDEX="NO")
        source = _geo(path="geo.fgb", attribute="unit")
    elif form == "filegdb":
        units.to_file(root / "geo.gdb", driver="OpenFileGDB", layer="units")
        source = _geo(path="geo.gdb", attribute="unit")
    elif form == "csv-wkt":
        (root / "geo.csv").write_text("WKT,unit\n" + "".join(
            f'"{g.wkt}",{u}\n' for g, u in zip(units.geometry, units.unit, strict=True)))
        source = _geo(path="geo.csv", attribute="unit", crs=CRS)
    elif form == "kml":
        units.to_crs("EPSG:4326").assign(Name=units.unit).to_file(root / "geo.kml",
                                                                  driver="KML")
        source = _geo(path="geo.kml", attribute="Name")
    else:
        units.to_file(root / "flat.gpkg")
        _ogr2ogr("-f", "GPKG", str(root / "geo.gpkg"), str(root / "flat.gpkg"),
                 "-nlt", "MULTISURFACE")
        (root / "flat.gpkg").unlink()
    result = _ingest(sandbox, cli, scheduler, sources=source)
    assert result.code == 0, result.err[-3000:]
    codes = _cube(sandbox, "geo")
    names = _categories(sandbox)
    assert names == {"0": "granite", "1": "schist"}
    assert (codes[:, :20] == 0).all() and (codes[:, 20:] == 1).all()
    assert not _notes(sandbox), _notes(sandbox)
