"""Round 17: occurrence and well tables, point files and outlines as survey scientists bring
them.

Found by feeding the point reader (``prospect.io.points``), the vector reader and the
outline reader the forms real exports take (2026-12-02): a ``crs:`` in the config that
replaced a GeoPackage's own CRS moved its wells 5 000 km without a word; a table whose
``EPSG`` or ``utm_zone`` column named two zones, or whose ``datum`` column named another
datum than the source's ``crs``, was read in the one ``crs``; rows at exactly 0, 0 (a blank
coordinate in many exports) were samples off Ghana; a table of ``Longitude``/``Latitude``,
``Rechtswert``/``Hochwert`` or a WKT column was only "no column(s) ['lon', 'lat']"; ``68.3
W`` was "numbers with a unit"; a Multipoint Shapefile of one point a feature was refused as
no points, and the refusal of lines among points named no feature; a GeoJSON of no feature
was "no column 'li'; columns are []"; pyogrio's "More than one layer found" reached the
terminal beside the refusal naming the layers; an outline of coastline lines was "no polygon
features", and points or lines among its polygons were dropped without a word. Every file
here is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.errors import DataError, DataWarning
from prospect.io.points import read_points
from prospect.outlines import read_outline

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import PLACES, WELLS, _at_points, _ingest

RD_WELLS = [(150_000.0, 400_000.0), (151_000.0, 401_000.0), (152_000.0, 402_000.0)]


def _read(path: Path, **options: Any) -> tuple[Any, list[str], Exception | None]:
    """``read_points`` of ``path``: the table (or ``None``), every warning's text, the error."""
    options = {"to_crs": "EPSG:4326", "columns": ["li"], **options}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table, error = read_points(path, **options), None
        except DataError as exc:
            table, error = None, exc
    return table, [str(w.message) for w in caught], error


def _data_warnings(said: list[str], needle: str) -> list[str]:
    return [" ".join(s.split()) for s in said if needle in s]


def _gpkg(path: Path, crs: str = "EPSG:28992", points: list[Any] | None = None) -> Path:
    geoms = points if points is not None else [shapely.Point(p) for p in RD_WELLS]
    gpd.GeoDataFrame({"li": [float(i + 1) for i in range(len(geoms))]}, geometry=geoms,
                     crs=crs).to_file(path, layer="wells")
    return path


# --- a config's crs over a file's own -----------------------------------------------------

def test_a_config_crs_that_moves_a_point_files_features_is_warned(tmp_path: Path) -> None:
    """Before: ``crs: EPSG:32631`` over a GeoPackage in RD New put the wells 5 342 km away,
    with no word (the config's crs wins, for files whose .prj is wrong)."""
    path = _gpkg(tmp_path / "wells.gpkg")
    table, said, error = _read(path, crs="EPSG:32631", override_crs=True, to_crs="EPSG:28992")
    assert error is None and table is not None
    warned = _data_warnings(said, "replaces the CRS the file states")
    assert len(warned) == 1, said
    for needle in ("wells.gpkg", "'EPSG:32631'", "Amersfoort / RD New", "EPSG:28992",
                   "km from where the file's CRS puts it", "remove 'crs:'"):
        assert needle in warned[0], warned


@pytest.mark.parametrize("crs", ["EPSG:28992", "ESRI"])
def test_control_a_config_crs_that_is_the_files_own_says_nothing(tmp_path: Path,
                                                                 crs: str) -> None:
    """Control: the same CRS, as EPSG or as the ESRI WKT of a .prj, is no replacement."""
    path = _gpkg(tmp_path / "wells.gpkg")
    given = "EPSG:28992" if crs != "ESRI" else \
        __import__("pyproj").CRS("EPSG:28992").to_wkt("WKT1_ESRI")
    table, said, error = _read(path, crs=given, override_crs=True, to_crs="EPSG:28992")
    assert error is None and table is not None
    assert not _data_warnings(said, "replaces the CRS"), said
    np.testing.assert_allclose(table.x, [p[0] for p in RD_WELLS], atol=1e-6)


@pytest.mark.realdata
def test_control_a_crs_that_corrects_a_wrong_prj_says_nothing(shared_data: Path) -> None:
    """Control: the shipped Meuse job gives ``crs: EPSG:28992`` over the real meuse.shp,
    whose stereographic .prj puts the samples 4 206 km off; the correction is no warning."""
    path = shared_data / "meuse_heavy_metals_nl" / "meuse.shp"
    table, said, error = _read(path, columns=["zinc"], crs="EPSG:28992", override_crs=True,
                               to_crs="EPSG:28992")
    assert error is None and table is not None and len(table) == 155
    assert not _data_warnings(said, "replaces the CRS"), said


# --- a column stating each row's CRS ------------------------------------------------------

@pytest.mark.parametrize(("column", "cells", "needles"), [
    ("epsg", ["32619", "32619", "32620"], ["column 'epsg' states 2 coordinate systems",
                                           "'32620' on 1 row(s)", "line 4"]),
    ("UTM zone", ["19N", "20N", "19N"], ["column 'UTM zone' states 2 coordinate systems",
                                         "line 3"]),
    ("CRS", ["EPSG:32619", "EPSG:4326", "EPSG:4326"], ["column 'CRS' states 2"]),
])
def test_a_table_of_several_coordinate_systems_is_refused(
        tmp_path: Path, column: str, cells: list[str], needles: list[str]) -> None:
    """Before: every row was read in the one ``crs``; a well list of two UTM zones put the
    zone-20 wells 650 km off, without a word."""
    rows = [f"x,y,{column},li"] + [f"{500000 + 10 * i},{1350000 + 10 * i},{c},{i}"
                                   for i, c in enumerate(cells)]
    (tmp_path / "wells.csv").write_text("\n".join(rows) + "\n")
    _, _, error = _read(tmp_path / "wells.csv", x="x", y="y", crs="EPSG:32619",
                        to_crs="EPSG:32619")
    assert error is not None
    for needle in (*needles, "wells.csv", "split the table into one source per coordinate "
                   "system", "'EPSG:32619'"):
        assert needle in str(error), error


def test_a_datum_column_that_is_not_the_sources_crs_is_refused(tmp_path: Path) -> None:
    """Before: lon/lat on NAD27 read as WGS 84 (80 m off in California), without a word."""
    (tmp_path / "wells.csv").write_text(
        "lon,lat,datum,li\n-118.1,34.1,NAD27,1\n-118.2,34.2,NAD27,2\n")
    _, _, error = _read(tmp_path / "wells.csv")
    assert error is not None
    for needle in ("column 'datum' says the coordinates are in 'NAD27'", "'EPSG:4326'",
                   "m apart here", "crs: \"EPSG:4267\""):
        assert needle in str(error), error


@pytest.mark.parametrize("table", [
    "lon;lat;Datum;li\n5,1;52,1;2021-03-04;1\n5,2;52,2;2021-03-05;2\n",  # Dutch: a date
    "lon,lat,datum,li\n5.1,52.1,ETRS89,1\n5.2,52.2,WGS84,2\n",  # one place in both
    "lon,lat,crs,li\n5.1,52.1,WGS 84,1\n5.2,52.2,EPSG:4326,2\n",  # one CRS spelt two ways
])
def test_control_crs_columns_that_agree_or_are_no_crs_read(tmp_path: Path,
                                                            table: str) -> None:
    (tmp_path / "wells.csv").write_text(table)
    result, said, error = _read(tmp_path / "wells.csv")
    assert error is None and result is not None and len(result) == 2, (error, said)


# --- rows at 0, 0 -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv", "gpkg"])
def test_rows_at_zero_zero_are_dropped_and_counted(tmp_path: Path, kind: str) -> None:
    """Before: a blank coordinate written as 0, 0 was a sample off Ghana, read without a
    word (a label there, a neighbour of IDW's cells)."""
    places = [(5.1, 52.1), (0.0, 0.0), (5.3, 52.3), (5.4, 52.4), (0.0, 0.0)]
    if kind == "csv":
        path = tmp_path / "wells.csv"
        path.write_text("lon,lat,li\n" + "".join(f"{x},{y},{i + 1}\n"
                                                for i, (x, y) in enumerate(places)))
        where = "lines 3, 6"
    else:
        path = _gpkg(tmp_path / "wells.gpkg", "EPSG:4326", [shapely.Point(p) for p in places])
        where = "features 2, 5"
    table, said, error = _read(path)
    assert error is None and table is not None
    np.testing.assert_allclose(table.values["li"], [1, 3, 4])
    warned = _data_warnings(said, "exactly 0, 0")
    assert len(warned) == 1, said
    for needle in ("2 of 5 record(s)", where, "Null Island", "dropped"):
        assert needle in warned[0], warned
    assert not _data_warnings(said, "without usable"), said  # not counted twice


def test_control_a_local_grids_origin_is_a_place(tmp_path: Path) -> None:
    """Control: a site grid in metres whose points lie near its origin keeps 0, 0."""
    path = _gpkg(tmp_path / "site.gpkg", "EPSG:28992",
                 [shapely.Point(100, 120), shapely.Point(0, 0), shapely.Point(300, 50)])
    table, said, error = _read(path, to_crs="EPSG:28992")
    assert error is None and table is not None and len(table) == 3
    assert not _data_warnings(said, "exactly 0, 0"), said


def test_rows_at_zero_zero_do_not_reach_the_cube(sandbox: Sandbox, cli,
                                                 scheduler: str) -> None:
    """The real CLI: two wells at 0, 0 of a projected table are dropped with the warning;
    the others' values reach the cube."""
    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES)]
    rows[3] = "0,0,999"
    rows[9] = "0,0,999"
    (sandbox.root / "wells.csv").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert result.code == 0, result.err[-3000:]
    said = " ".join(result.err.split())
    assert "2 of 20 record(s) have coordinates x/y of exactly 0, 0 (lines 4, 10)" in said, \
        said[-2000:]
    kept = [i for i in range(20) if i not in (2, 8)]
    np.testing.assert_allclose(_at_points(sandbox)[kept], [i + 1 for i in kept], rtol=1e-4)
    assert sandbox.untouched()


# --- coordinates under other names or in other forms --------------------------------------

@pytest.mark.parametrize(("header", "needles"), [
    ("Longitude,Latitude,li", ["x: 'Longitude', y: 'Latitude'"]),
    ("Rechtswert,Hochwert,li", ["x: 'Rechtswert', y: 'Hochwert'", "and 'crs:'"]),
    ("X,Y,Lat83,Long83,li", ["x: 'X' or 'Long83', y: 'Y' or 'Lat83'"]),
    ("kinh độ,vĩ độ,li", ["x: 'kinh độ', y: 'vĩ độ'"]),
])
def test_coordinate_columns_under_other_names_are_named(tmp_path: Path, header: str,
                                                        needles: list[str]) -> None:
    """Before: only "no column(s) ['lon', 'lat']; columns are [...]"."""
    width = header.count(",") + 1
    rows = [header] + [",".join(["5.1", "52.1", *["1"] * (width - 2)])] * 2
    (tmp_path / "wells.csv").write_text("\n".join(rows) + "\n")
    _, _, error = _read(tmp_path / "wells.csv")
    assert error is not None
    for needle in ("no column(s) ['lon', 'lat']", "its coordinates look like", *needles):
        assert needle in str(error), error


def test_a_column_of_wkt_geometries_is_read(tmp_path: Path) -> None:
    """Before: a QGIS "CSV with geometry as WKT" was only "no column(s) ['lon', 'lat']";
    round 17 named the column and an ogr2ogr line; round 23 reads it."""
    (tmp_path / "wells.csv").write_text('WKT,li\n"POINT (5.1 52.1)",1\n"POINT (5.2 52.2)",2\n')
    table, _, error = _read(tmp_path / "wells.csv")
    assert error is None and len(table.x) == 2, error


@pytest.mark.parametrize(("cells", "place"), [(("68.3 W", "12.2 N"), (-68.3, 12.2)),
                                              (("W68.3", "N12.2"), (-68.3, 12.2)),
                                              (("5.1E", "52.1N"), (5.1, 52.1))])
def test_degrees_with_a_hemisphere_letter_are_read_signed(
        tmp_path: Path, cells: tuple[str, str], place: tuple[float, float]) -> None:
    """Before round 17: "these are numbers with a unit: ... the unit belongs in the
    header"; round 17 refused them naming the hemisphere letter; since round 20 a letter
    that gives the side is read as the sign (west and south negative)."""
    (tmp_path / "wells.csv").write_text(
        "lon,lat,li\n" + f"{cells[0]},{cells[1]},1\n" * 3)
    table, _, error = _read(tmp_path / "wells.csv")
    assert error is None and table is not None, error
    np.testing.assert_allclose(table.x, [place[0]] * 3)
    np.testing.assert_allclose(table.y, [place[1]] * 3)


# --- geometries of a point file -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["shp", "geojson"])
def test_multipoints_of_one_point_are_read_as_points(tmp_path: Path, kind: str) -> None:
    """Before: ArcGIS's Multipoint Shapefile (one point a feature) was refused as "expected
    point geometries, found ['MultiPoint']"."""
    geoms = [shapely.MultiPoint([p]) for p in RD_WELLS]
    frame = gpd.GeoDataFrame({"li": [1.0, 2.0, 3.0]}, geometry=geoms, crs="EPSG:28992")
    path = tmp_path / f"wells.{kind}"
    frame.to_file(path)
    table, _, error = _read(path, to_crs="EPSG:28992")
    assert error is None and table is not None, error
    np.testing.assert_allclose(np.column_stack([table.x, table.y]), RD_WELLS)
    np.testing.assert_allclose(table.values["li"], [1, 2, 3])


def test_features_that_are_no_point_are_named(tmp_path: Path) -> None:
    """Before: "found ['LineString', 'MultiPoint', 'Point']", naming no feature."""
    geoms = [shapely.Point(RD_WELLS[0]), shapely.LineString(RD_WELLS[:2]),
             shapely.MultiPoint(RD_WELLS[1:])]
    path = _gpkg(tmp_path / "wells.gpkg", points=geoms)
    _, _, error = _read(path, to_crs="EPSG:28992")
    assert error is not None
    for needle in ("2 of 3 feature(s) are no point", "features 2, 3", "LineString"):
        assert needle in str(error), error


def test_a_geojson_of_no_feature_says_so(tmp_path: Path) -> None:
    """Before: "no column 'li'; columns are []"."""
    path = tmp_path / "wells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    _, _, error = _read(path)
    assert error is not None
    assert "holds no features" in str(error), error


def test_a_file_of_several_layers_says_so_without_pyogrios_warning(tmp_path: Path) -> None:
    """Before: pyogrio's "More than one layer found in 'wells.gpkg'" ``UserWarning``, with its
    source line, reached the terminal above the refusal that names the layers."""
    path = _gpkg(tmp_path / "wells.gpkg")
    _gpkg(path.with_name("other.gpkg"))
    gpd.read_file(path.with_name("other.gpkg")).to_file(path, layer="other")
    _, said, error = _read(path, to_crs="EPSG:28992")
    assert error is not None and "holds 2 layers" in str(error), error
    assert not [s for s in said if "More than one layer" in s], said


# --- outlines -----------------------------------------------------------------------------

def test_an_outline_of_lines_is_named(tmp_path: Path) -> None:
    """Before: "no polygon features; an outline needs land polygons" of a coastline."""
    path = tmp_path / "coast.geojson"
    gpd.GeoDataFrame({"name": ["coast"]}, geometry=[shapely.LineString(
        [(5, 52), (6, 53), (6, 52), (5, 52)])], crs="EPSG:4326").to_file(path)
    with pytest.raises(DataError) as caught:
        read_outline(path)
    for needle in ("1 feature(s) of LineString", "coastline", "Polygonize"):
        assert needle in str(caught.value), caught.value


def test_points_and_lines_among_outline_polygons_are_counted(tmp_path: Path) -> None:
    """Before: left out of the land without a word."""
    path = tmp_path / "land.geojson"
    gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=[
        shapely.box(5, 52, 6, 53), shapely.LineString([(5, 52), (6, 53)]),
        shapely.Point(5.5, 52.5)], crs="EPSG:4326").to_file(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outline = read_outline(path)
    assert outline.area == pytest.approx(1.0)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("2 of 3 outline feature(s) are no polygon" in s and "features 2, 3" in s
               for s in said), said


# --- the CLI ------------------------------------------------------------------------------

def test_a_table_of_two_utm_zones_is_refused_by_ingest(sandbox: Sandbox, cli,
                                                       scheduler: str) -> None:
    """The real CLI: one line naming the column and the fix, exit 1, no cube."""
    rows = ["x,y,utm_zone,li"] + [f"{x:.0f},{y:.0f},{19 if i < 15 else 20},{i + 1}"
                                  for i, (x, y) in enumerate(PLACES)]
    (sandbox.root / "wells.csv").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler, sources=[WELLS])
    assert_clean_error(result, 1, "wells.csv", "column 'utm_zone' states 2 coordinate systems",
                       "line 17")
    assert not (sandbox.out / "cube.zarr").exists()
    assert sandbox.untouched()


# --- tables in other containers -----------------------------------------------------------

def test_a_geopackage_attribute_table_is_read_as_a_table(tmp_path: Path) -> None:
    """Before: ``internal error: AttributeError: 'DataFrame' object has no attribute 'crs'``
    (exit 70) for a GeoPackage table of samples with lon/lat columns and no geometry."""
    import pandas as pd
    import pyogrio

    from prospect.io.vector import read_vector

    path = tmp_path / "samples.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"lon": [5.1, 5.2], "lat": [52.1, 52.2],
                                          "li": [1.0, 2.0]}), path, layer="samples",
                            driver="GPKG")
    table, _, error = _read(path)
    assert error is None and table is not None, error
    np.testing.assert_allclose(table.x, [5.1, 5.2])
    np.testing.assert_allclose(table.values["li"], [1, 2])
    with pytest.raises(DataError, match="holds no geometries"):  # as a geology map
        read_vector(path)


@pytest.mark.parametrize("suffix", [".dat", ".xyz", ".prn"])
def test_text_tables_under_survey_software_names_are_read(tmp_path: Path,
                                                         suffix: str) -> None:
    """Before: "cannot read as a vector file (corrupt?): ... not recognized as being in a
    supported file format" of a logger's ``.dat`` or Geosoft's ``.xyz``."""
    path = tmp_path / f"wells{suffix}"
    path.write_text("lon lat li\n5.1 52.1 1\n5.2 52.2 2\n")
    table, _, error = _read(path)
    assert error is None and table is not None, error
    np.testing.assert_allclose(table.values["li"], [1, 2])
    np.testing.assert_array_equal(table.lines, [2, 3])


def test_a_zipped_text_table_is_read(tmp_path: Path) -> None:
    """Before: "give the archive of the geology map" of a zipped well table; it was then
    refused as "a text table is read unzipped", and is now read as the table inside."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "wells.zip", "w") as archive:
        archive.writestr("wells.csv", "lon,lat,li\n5.1,52.1,1\n5.2,52.2,2.5\n")
    table = read_points(tmp_path / "wells.zip", to_crs="EPSG:4326", columns=["li"])
    np.testing.assert_allclose(table.values["li"], [1, 2.5])
    np.testing.assert_allclose(np.column_stack([table.x, table.y]), [[5.1, 52.1], [5.2, 52.2]])
    np.testing.assert_array_equal(table.lines, [2, 3])


@pytest.mark.parametrize(("rows", "needles"), [
    ("5.1,52.1,1\n5.2,52.2,2\n5.3,52.3,3\n", ["as longitude/latitude 3 of 3"]),
    ("52.1,5.1,1\n52.2,5.2,2\n", ["as latitude/longitude 2 of 2", "x: 'y', y: 'x'"]),
])
def test_degrees_read_as_metres_of_a_projected_crs_are_refused(
        tmp_path: Path, rows: str, needles: list[str]) -> None:
    """Before: lon/lat given the region's ``crs: EPSG:28992`` were read as a patch 180 m wide
    at RD New's origin in France, without a word from the reader."""
    (tmp_path / "wells.csv").write_text("x,y,li\n" + rows)
    _, _, error = _read(tmp_path / "wells.csv", x="x", y="y", crs="EPSG:28992",
                        to_crs="EPSG:28992")
    assert error is not None
    for needle in ("read as metres of 'EPSG:28992'", "set 'crs: \"EPSG:4326\"'", *needles):
        assert needle in str(error), error


@pytest.mark.parametrize(("text", "needle"), [
    ("<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n", "an HTML page"),
    ('<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"></kml>\n',
     "an XML document"),
    ('{"type": "FeatureCollection", "features": []}\n', "a GeoJSON document"),
])
def test_a_document_under_a_table_name_is_named(tmp_path: Path, text: str,
                                                needle: str) -> None:
    """Before: read as a one-row table, "no column(s) ['lon', 'lat']; columns are
    ['<!DOCTYPE', 'html><html><body>404'...]"."""
    (tmp_path / "wells.csv").write_text(text)
    with pytest.raises(Exception, match="not a text table but") as caught:
        read_points(tmp_path / "wells.csv", to_crs="EPSG:4326", columns=["li"])
    assert needle in str(caught.value), caught.value


def test_an_empty_vector_file_is_named(tmp_path: Path) -> None:
    """Before: "cannot read as a vector file (corrupt?): ... not recognized as being in a
    supported file format" of a GeoJSON of 0 bytes."""
    (tmp_path / "wells.geojson").write_bytes(b"")
    with pytest.raises(Exception, match=r"the file is empty \(0 bytes\)"):
        read_points(tmp_path / "wells.geojson", to_crs="EPSG:4326", columns=["li"])


def _islands(path: Path) -> Path:
    gpd.GeoDataFrame({"NAME": ["Curaçao", "Aruba"]}, geometry=[
        shapely.box(-69.2, 12.0, -68.7, 12.4), shapely.box(-70.1, 12.4, -69.8, 12.6)],
        crs="EPSG:4326").to_file(path)
    return path


@pytest.mark.parametrize(("options", "needles"), [
    ({"names": ["Curacao"], "name_column": "NAME"}, ["did you mean 'Curaçao' for 'Curacao'?"]),
    ({"names": ["aruba"], "name_column": "NAME"}, ["did you mean 'Aruba' for 'aruba'?"]),
    ({"names": ["Aruba"]}, ["columns are ['NAME']", "did you mean 'NAME'?",
                            "mask.name_column"]),
])
def test_outline_names_and_name_columns_not_found_say_what_is_there(
        tmp_path: Path, options: dict[str, Any], needles: list[str]) -> None:
    """Before: "no feature named ['Curacao'] in column 'NAME'" (the file says Curaçao), and
    "no column 'name' to pick outlines by name" of Natural Earth's ``NAME``."""
    with pytest.raises(DataError) as caught:
        read_outline(_islands(tmp_path / "islands.geojson"), **options)
    for needle in needles:
        assert needle in str(caught.value), caught.value
