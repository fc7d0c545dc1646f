"""Occurrence tables, point files and outlines as survey scientists bring them (continued).

Found by feeding the point reader (``prospect.io.points``), the vector reader and the
outline reader what round 17 left and the forms real exports take (2026-12-02): a row
pasted twice was read twice without a word; a GeoJSON written latitude, longitude (RFC 7946
says longitude, latitude) was read in the Indian Ocean, and an outline so written masked
the whole region as sea; a ``.csv.gz`` or a zip of one table was refused; an ESRI ASCII grid
(``.asc``) or a GeoTIFF given as points, and a download that returned an HTML page under a
``.geojson`` name, were "cannot read as a vector file (corrupt?)"; Excel's ``#N/A`` was a
value missing without a count, ``#DIV/0!``, ``=A2*2`` and ``5-Dec`` (Excel's date of 5.12)
were "write numbers only (units belong in the header)", and ``BDL`` or ``n.d.`` were not
counted as detection limits; ``li`` against a header ``Li (ppm)`` named no near column;
RD New metres read in the default WGS 84 named no CRS, and longitudes/latitudes in a
GeoPackage given a metre ``crs:`` were read 180 m from its origin. Every file here is
small and SYNTHETIC, but for one real table read compressed.
"""

from __future__ import annotations

import bz2
import gzip
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.errors import CRSError, DataError, InputFileError
from prospect.io.points import read_points
from prospect.outlines import read_outline

from .conftest import Sandbox, assert_clean_error
from .test_point_tables import PLACES, WELLS, _at_points, _ingest

TABLE = "lon,lat,li\n5.1,52.1,1\n5.2,52.2,2\n5.3,52.3,3\n"
NL = [(5.1, 52.1), (5.2, 52.2), (5.3, 52.3)]


def _read(path: Path, **options: Any) -> tuple[Any, list[str], Exception | None]:
    """``read_points`` of ``path``: the table (or ``None``), every warning's text, the error."""
    options = {"to_crs": "EPSG:28992", "columns": ["li"], **options}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table, error = read_points(path, **options), None
        except (DataError, InputFileError, CRSError) as exc:
            table, error = None, exc
    return table, [" ".join(str(w.message).split()) for w in caught], error


def _said(said: list[str], needle: str) -> list[str]:
    return [s for s in said if needle in s]


def _geojson(path: Path, coords: list[tuple[float, float]], **props: list[Any]) -> Path:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": list(c)},
                 "properties": {"li": float(i + 1), **{k: v[i] for k, v in props.items()}}}
                for i, c in enumerate(coords)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


# --- records repeated exactly ------------------------------------------------------------

def test_a_row_pasted_twice_is_warned_with_its_lines(tmp_path: Path) -> None:
    """Before: read twice without a word (IDW weighed the place twice)."""
    path = tmp_path / "wells.csv"
    path.write_text(TABLE + "5.1,52.1,1\n5.4,52.4,4\n5.2,52.2,2\n")
    table, said, error = _read(path)
    assert error is None and len(table) == 6
    (warned,) = _said(said, "repeat an earlier record exactly")
    for needle in ("wells.csv", "2 of 6 record(s)", "lines 5 (= 2), 7 (= 3)", "remove the copies"):
        assert needle in warned, warned


def test_a_feature_repeated_in_a_geopackage_is_warned(tmp_path: Path) -> None:
    """Before: silent; the reader read only the configured columns, so a feature with
    another sample number would have looked like a copy: every field is compared."""
    path = tmp_path / "wells.gpkg"
    gpd.GeoDataFrame({"li": [1.0, 2.0, 1.0, 1.0], "sample": ["a", "b", "a", "c"]},
                     geometry=[shapely.Point(p) for p in (NL[0], NL[1], NL[0], NL[0])],
                     crs="EPSG:4326").to_file(path)
    table, said, error = _read(path)
    assert error is None and len(table) == 4
    (warned,) = _said(said, "repeat an earlier record exactly")
    assert "1 of 4 record(s)" in warned and "features 3 (= 1)" in warned, warned


def test_control_records_at_one_place_that_differ_are_no_copies(tmp_path: Path) -> None:
    """Control: two samples at one well (another depth) are two records."""
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,depth,li\n5.1,52.1,10,1\n5.1,52.1,20,1\n5.2,52.2,10,2\n")
    _, said, error = _read(path)
    assert error is None and not _said(said, "repeat an earlier record"), said


# --- axes the other way round -------------------------------------------------------------

def test_a_geojson_written_lat_lon_is_refused_with_its_formats_fix(tmp_path: Path) -> None:
    """Before: read in the Indian Ocean and projected to RD New without a word."""
    path = _geojson(tmp_path / "wells.geojson", [(lat, lon) for lon, lat in NL])
    _, _, error = _read(path)
    assert isinstance(error, DataError)
    for needle in ("wells.geojson", "look swapped", "3 would with x and y swapped",
                   "RFC 7946", "+proj=axisswap +order=2,1", "wells.geojson"):
        assert needle in str(error), error
    assert "x: 'lat'" not in str(error)  # a table's fix, of no use to a GeoJSON


def test_latitudes_past_90_of_a_vector_file_are_named_as_swapped(tmp_path: Path) -> None:
    """Before: "outside what WGS 84 allows dropped" or "no feature's coordinates are
    valid": a lat, lon GeoJSON of Vietnam has "latitudes" of 102 to 109."""
    path = _geojson(tmp_path / "mines.geojson", [(22.4, 103.4), (21.7, 105.7), (12.0, 107.7)])
    _, _, error = _read(path, to_crs="EPSG:4326")
    assert isinstance(error, DataError)
    for needle in ("3 of 3 latitude(s) pass 90", "features 1, 2, 3", "axisswap"):
        assert needle in str(error), error


def test_control_a_geojson_in_lon_lat_reads(tmp_path: Path) -> None:
    """Control: the same file written as RFC 7946 says reads as before."""
    path = _geojson(tmp_path / "wells.geojson", NL)
    table, said, error = _read(path)
    assert error is None and len(table) == 3, (error, said)


@pytest.mark.parametrize(("name", "needles"), [
    ("wells.csv", ["set x: 'lat' and y: 'lon'"]),
    ("wells.csv.gz", ["set x: 'lat' and y: 'lon'"]),
    ("wells.gpkg", ["-ct '+proj=axisswap +order=2,1' fixed.gpkg wells.gpkg"]),
])
def test_the_fix_of_swapped_axes_is_the_formats(tmp_path: Path, name: str,
                                                needles: list[str]) -> None:
    """The one fix surfaces' region check can name too: a table's ``x:``/``y:``, a vector
    file written again (no config key swaps a GeoPackage's axes)."""
    from prospect.io.points import swapped_axes_fix

    fix = swapped_axes_fix(tmp_path / name, x="lon", y="lat")
    for needle in needles:
        assert needle in fix, fix


def test_an_outline_written_lat_lon_is_refused(tmp_path: Path) -> None:
    """Before: read without a word as a polygon at "latitudes" 102 to 109, nowhere."""
    ring = [[8, 102], [8, 109], [23, 109], [23, 102], [8, 102]]
    path = tmp_path / "vietnam.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Vietnam"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    with pytest.raises(DataError) as caught:
        read_outline(path)
    for needle in ("vietnam.geojson", "no longitude/latitude", "x and y swapped", "axisswap"):
        assert needle in str(caught.value), caught.value


def test_an_outline_of_metres_without_a_crs_is_refused(tmp_path: Path) -> None:
    """Before: UTM metres in a GeoJSON without a ``crs`` member were read as degrees."""
    ring = [[500000, 1340000], [520000, 1340000], [520000, 1360000], [500000, 1340000]]
    path = tmp_path / "bonaire.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                             "coordinates": [ring]}}]}))
    with pytest.raises(DataError) as caught:
        read_outline(path)
    for needle in ("no longitude/latitude", "projected metres", "ogr2ogr -a_srs"):
        assert needle in str(caught.value), caught.value


# --- compressed and zipped tables ----------------------------------------------------------

def _pack(path: Path, kind: str, text: str) -> Path:
    if kind == "gz":
        path = path.with_name("wells.csv.gz")
        path.write_bytes(gzip.compress(text.encode()))
    elif kind == "bz2":
        path = path.with_name("wells.csv.bz2")
        path.write_bytes(bz2.compress(text.encode()))
    else:
        path = path.with_name("wells.zip" if kind == "zip" else "wells.csv.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("export/wells.csv", text)
    return path


@pytest.mark.parametrize("kind", ["gz", "bz2", "zip", "csv.zip"])
def test_a_compressed_or_zipped_table_is_read(tmp_path: Path, kind: str) -> None:
    """Before: "cannot read as a vector file (corrupt?)" (``.gz``) or "a text table is read
    unzipped: extract it" (``.zip``); pandas and GDAL (/vsigzip/, /vsizip/) read them."""
    path = _pack(tmp_path / "wells", kind, "lon,lat,li\n5.1,52.1,1\n\n5.2,52.2,<0.5\n")
    table, said, error = _read(path)
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], [1, np.nan])
    np.testing.assert_array_equal(table.lines, [2, 4])  # lines of the table inside
    assert _said(said, "line 4"), said


def test_a_zip_of_several_tables_names_them_and_layer_picks_one(tmp_path: Path) -> None:
    """Which table is meant cannot be told: refused naming them; ``layer:`` picks one."""
    path = tmp_path / "survey.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("wells.csv", TABLE)
        archive.writestr("springs.csv", "lon,lat,li\n5.5,52.5,9\n")
    _, _, error = _read(path)
    assert isinstance(error, DataError)
    for needle in ("survey.zip", "2 tables", "wells.csv", "springs.csv", "'layer:'"):
        assert needle in str(error), error
    table, _, error = _read(path, layer="springs")
    assert error is None and table.values["li"].tolist() == [9.0]


@pytest.mark.parametrize("kind", ["vsizip", "vsigzip"])
def test_a_gdal_name_of_a_zipped_table_is_read(tmp_path: Path, kind: str) -> None:
    """Before: "point table not found" of ``/vsizip/wells.zip/export/wells.csv`` and
    ``/vsigzip/wells.csv.gz``, the names GDAL reads them by."""
    from prospect.config.vsi import GdalPath

    packed = _pack(tmp_path / "wells", "zip" if kind == "vsizip" else "gz", TABLE)
    name = f"/vsizip/{packed}/export/wells.csv" if kind == "vsizip" else f"/vsigzip/{packed}"
    table, _, error = _read(GdalPath(name))
    assert error is None and table.values["li"].tolist() == [1, 2, 3], error
    np.testing.assert_array_equal(table.lines, [2, 3, 4])


def test_a_table_saved_still_gzip_encoded_is_read(tmp_path: Path) -> None:
    """Before: "not a text table but a gzip-compressed file; unpack it" of a download saved
    gzip-encoded under its own ``.csv`` name."""
    (tmp_path / "wells.csv").write_bytes(gzip.compress(TABLE.encode()))
    table, _, error = _read(tmp_path / "wells.csv")
    assert error is None and table.values["li"].tolist() == [1, 2, 3], error


def test_control_a_zip_of_a_shapefile_and_a_table_reads_the_shapefile(tmp_path: Path) -> None:
    """Control: a zip holding a vector file is read at it, a table beside it or not."""
    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.GeoDataFrame({"li": [7.0]}, geometry=[shapely.Point(NL[0])],
                     crs="EPSG:4326").to_file(shp / "wells.shp")
    path = tmp_path / "wells.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in shp.iterdir():
            archive.write(part, part.name)
        archive.writestr("readme.csv", "a,b\n1,2\n")
    table, _, error = _read(path)
    assert error is None and table.values["li"].tolist() == [7.0], error


def test_a_damaged_gzip_is_named(tmp_path: Path) -> None:
    """A download cut short: named, with the fix."""
    path = tmp_path / "wells.csv.gz"
    path.write_bytes(gzip.compress(TABLE.encode() * 50)[:60])
    _, _, error = _read(path)
    assert isinstance(error, InputFileError)
    assert "cannot unpack the table" in str(error) and "cut short" in str(error), error


# --- grids, web pages and other documents where points are meant --------------------------

ASCII_GRID = "ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 10\nNODATA_value -9999\n" \
    "1 2 3\n4 5 6\n"


@pytest.mark.parametrize(("name", "data", "needle"), [
    ("heat.asc", ASCII_GRID.encode(), "an ESRI ASCII grid (ncols 3, nrows 2, cellsize 10)"),
    ("heat.tif", b"II*\x00" + bytes(200), "a GeoTIFF"),
    ("heat.nc", b"CDF\x01" + bytes(200), "a NetCDF file"),
])
def test_a_grid_given_as_points_is_named(tmp_path: Path, name: str, data: bytes,
                                         needle: str) -> None:
    """Before: "cannot read as a vector file (corrupt?): ... not recognized"."""
    (tmp_path / name).write_bytes(data)
    _, _, error = _read(tmp_path / name)
    assert isinstance(error, InputFileError)
    for text in (name, needle, "a raster of cells", "kind: raster"):
        assert text in str(error), error


def test_a_point_table_named_asc_is_read(tmp_path: Path) -> None:
    """Before: "cannot read as a vector file (corrupt?)"; a table some loggers name
    ``.asc`` is a text table (its first line no grid header)."""
    (tmp_path / "wells.asc").write_text(TABLE.replace(",", " "))
    table, _, error = _read(tmp_path / "wells.asc")
    assert error is None and table.values["li"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("wells.geojson", "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>",
     "an HTML page"),
    ("wells.gpkg", "<html><head><title>Sign in</title></head><body></body></html>",
     "an HTML page"),
    ("wells.geojson", '{"error": {"code": 500, "message": "internal"}}', "no GeoJSON"),
    ("wells.geojson", TABLE, "a text table (its first line: 'lon,lat,li')"),
])
def test_a_document_under_a_vector_name_is_named(tmp_path: Path, name: str, text: str,
                                                 needle: str) -> None:
    """Before: "cannot read as a vector file (corrupt?): ... not recognized as being in a
    supported file format"."""
    (tmp_path / name).write_text(text)
    _, _, error = _read(tmp_path / name)
    assert isinstance(error, InputFileError)
    assert needle in str(error) and "corrupt?" not in str(error), error


def test_a_web_page_saved_as_a_zip_is_named(tmp_path: Path) -> None:
    """Before: "is no zip archive (File is not a zip file); check the download"."""
    (tmp_path / "wells.zip").write_text("<!DOCTYPE html><html><body>Sign in</body></html>")
    _, _, error = _read(tmp_path / "wells.zip")
    assert isinstance(error, InputFileError) and "an HTML page" in str(error), error


def test_a_layer_of_no_features_says_so(tmp_path: Path) -> None:
    """Before: "the point table is empty (no rows with coordinates)" of a GeoPackage layer
    exported from an empty selection."""
    gpd.GeoDataFrame({"li": []}, geometry=[], crs="EPSG:4326").to_file(
        tmp_path / "wells.gpkg", layer="wells")
    _, _, error = _read(tmp_path / "wells.gpkg")
    assert isinstance(error, DataError) and "holds no features" in str(error), error


@pytest.mark.parametrize(("text", "needle"), [
    ("", "(0 bytes)"),
    ("lon,lat,li\n", "a header and no rows"),
])
def test_an_empty_table_says_what_is_missing(tmp_path: Path, text: str, needle: str) -> None:
    """Before: "the point table is empty", with no word of why."""
    (tmp_path / "wells.csv").write_text(text)
    _, _, error = _read(tmp_path / "wells.csv")
    assert isinstance(error, DataError) and needle in str(error), error


# --- cells of spreadsheets ---------------------------------------------------------------

def test_spreadsheet_errors_and_formulas_are_counted_and_named(tmp_path: Path) -> None:
    """Before: ``#N/A`` was missing without a count (pandas' own missing marker), and
    ``#DIV/0!``/``=A2*2`` were "write numbers only (units belong in the header)"."""
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,li\n5.1,52.1,#N/A\n5.2,52.2,#DIV/0!\n5.3,52.3,=B2*1000\n"
                    "5.4,52.4,4\n5.5,52.5,\n")
    table, said, error = _read(path)
    assert error is None and len(table) == 5
    (warned,) = _said(said, "not finite numbers")
    for needle in ("3 of 5 value(s)", "lines 2, 3, 4", "3 are spreadsheet errors or formulas",
                   "export the values"):
        assert needle in warned, warned
    assert "units belong" not in warned


def test_numbers_a_spreadsheet_made_dates_are_named(tmp_path: Path) -> None:
    """Before: Excel's ``5-Dec`` (for 5.12) was "write numbers only"; a whole column of them
    was "pick a numeric column"."""
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,li\n5.1,52.1,5-Dec\n5.2,52.2,Mar-12\n5.3,52.3,3\n")
    _, said, error = _read(path)
    assert error is None
    (warned,) = _said(said, "not finite numbers")
    assert "2 look like dates ('5-Dec')" in warned and "format the column as Number" in warned
    path.write_text("lon,lat,li\n05.Dez,52.1,1\n12-Mar,52.2,2\n")
    _, _, error = _read(path)
    assert isinstance(error, DataError)
    assert "column 'lon'" in str(error) and "look like dates" in str(error), error


def test_detection_limits_in_words_are_counted_as_such(tmp_path: Path) -> None:
    """Before: only ``<0.5`` was counted as a detection limit; ``BDL``, ``n.d.``, ``<LOD``
    were "write numbers only"."""
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,li\n5.1,52.1,BDL\n5.2,52.2,n.d.\n5.3,52.3,<LOD\n5.4,52.4,<0.5\n"
                    "5.5,52.5,7\n")
    _, said, error = _read(path)
    assert error is None
    (warned,) = _said(said, "not finite numbers")
    assert "4 are detection limits ('BDL')" in warned and "units belong" not in warned, warned


@pytest.mark.parametrize(("header", "needle"), [
    ("lon,lat,Li (ppm)", "('li': did you mean 'Li (ppm)'?)"),
    ("lon,lat,LI_PPM", "('li': did you mean 'LI_PPM'?)"),
    ("lon,lat,LI", "('li': did you mean 'LI'?)"),
])
def test_a_column_named_with_its_unit_or_case_is_named(tmp_path: Path, header: str,
                                                       needle: str) -> None:
    """Before: "no column(s) ['li']; columns are [...]", the one meant not named."""
    (tmp_path / "wells.csv").write_text(header + "\n5.1,52.1,1\n")
    _, _, error = _read(tmp_path / "wells.csv")
    assert isinstance(error, DataError) and needle in str(error), error


def test_a_vector_files_column_with_its_unit_is_named(tmp_path: Path) -> None:
    """The vector reader's rule: ``li`` against a GeoJSON property ``Li [mg/L]``."""
    path = tmp_path / "wells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"Li [mg/L]": 1.0},
         "geometry": {"type": "Point", "coordinates": [5.1, 52.1]}}]}))
    _, _, error = _read(path)
    assert isinstance(error, DataError) and "did you mean 'Li [mg/L]'" in str(error), error


# --- coordinates in another CRS's unit --------------------------------------------------

def test_metres_read_as_degrees_name_the_crs_that_places_them(tmp_path: Path) -> None:
    """Before: "no row's coordinates are valid in WGS 84; check the coordinate columns and
    the crs", with no word of metres or of the CRS they lie in."""
    (tmp_path / "wells.csv").write_text("lon,lat,li\n150000,400000,1\n151000,401000,2\n")
    _, _, error = _read(tmp_path / "wells.csv")
    assert isinstance(error, DataError)
    for needle in ("look like metres of a projected CRS", "2 of 2 lie in the area",
                   "set 'crs: \"EPSG:28992\"'"):
        assert needle in str(error), error


def test_metres_in_a_geojson_without_a_crs_name_the_crs(tmp_path: Path) -> None:
    """Before: "no feature's coordinates are valid in WGS 84; check the crs", with no word
    that they are metres, nor of the CRS that places them."""
    path = _geojson(tmp_path / "wells.geojson", [(500100.0, 1350100.0), (500200.0, 1350300.0)])
    _, _, error = _read(path, to_crs="EPSG:32619")
    assert isinstance(error, DataError)
    for needle in ("look like metres", "set 'crs: \"EPSG:32619\"'"):
        assert needle in str(error), error


def test_a_header_repeated_below_is_named(tmp_path: Path) -> None:
    """Before: "1 of 5 row(s) without usable coordinates dropped (line 4)", no word that
    line 4 is the header of a second table joined below the first."""
    path = tmp_path / "wells.csv"
    path.write_text("lon,lat,li\n5.1,52.1,1\n5.2,52.2,2\nlon,lat,li\n5.3,52.3,3\n")
    table, said, error = _read(path)
    assert error is None and len(table) == 3
    (warned,) = _said(said, "without usable coordinates")
    assert "line 4 repeats the header (tables joined" in warned, warned


def test_degrees_in_a_vector_file_given_a_metre_crs_are_refused(tmp_path: Path) -> None:
    """Before: a GeoPackage without a CRS given ``crs: EPSG:28992`` (the region's) had its
    longitudes/latitudes read as metres 180 m from RD New's origin, without a word."""
    path = tmp_path / "wells.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio: "'crs' was not provided"
        gpd.GeoDataFrame({"li": [1.0, 2.0]},
                         geometry=[shapely.Point(p) for p in NL[:2]]).to_file(path)
    _, _, error = _read(path, crs="EPSG:28992", override_crs=True)
    assert isinstance(error, DataError)
    for needle in ("wells.gpkg", "the features' coordinates", "read as metres of 'EPSG:28992'",
                   "set 'crs: \"EPSG:4326\"'"):
        assert needle in str(error), error


# --- through the real CLI, and on real data ----------------------------------------------

def test_a_gzipped_well_table_reaches_the_cube(sandbox: Sandbox, cli, scheduler: str) -> None:
    """The real CLI: ``wells.csv.gz`` was refused; its values now reach the cube, and a row
    pasted twice is said in the run's warnings."""
    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES)]
    rows.append(rows[5])
    (sandbox.root / "wells.csv.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    result = _ingest(sandbox, cli, scheduler, sources=[{**WELLS, "path": "wells.csv.gz"}])
    assert result.code == 0, result.err[-3000:]
    said = " ".join(result.err.split())
    assert "1 of 21 record(s) repeat an earlier record exactly (the same place and the same " \
        "value in every column; lines 22 (= 6))" in said, said[-2000:]
    np.testing.assert_allclose(_at_points(sandbox), np.arange(1, 21), rtol=1e-4)
    assert sandbox.untouched()


def test_a_lat_lon_geojson_is_refused_by_ingest(sandbox: Sandbox, cli, scheduler: str) -> None:
    """The real CLI: exit 1, one line naming the file and the ogr2ogr fix (was: the region's
    far-outside check, naming a table's ``x:``/``y:``)."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    lonlat = [to_lonlat.transform(x, y) for x, y in PLACES[:5]]
    _geojson(sandbox.root / "wells.geojson", [(lat, lon) for lon, lat in lonlat])
    source = {k: v for k, v in WELLS.items() if k not in ("x", "y", "crs")}
    result = _ingest(sandbox, cli, scheduler, sources=[{**source, "path": "wells.geojson"}])
    assert_clean_error(result, 1, "wells.geojson", "look swapped", "axisswap")
    assert sandbox.untouched()


@pytest.mark.realdata
def test_the_real_heat_flow_table_reads_the_same_gzipped(shared_data: Path,
                                                         tmp_path: Path) -> None:
    """The IHFC Netherlands subset, gzipped as a download: the same 315 sites and values
    as the plain file, and no new warning."""
    plain = shared_data / "heatflow_europe_nl_ihfc" / "heatflow_netherlands_bbox_subset.csv"
    packed = tmp_path / "heatflow.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    options = {"x": "Longitude", "y": "Latitude", "columns": ["Heat Flow"]}
    a, said_a, error_a = _read(plain, **options)
    b, said_b, error_b = _read(packed, **options)
    assert error_a is None and error_b is None, (error_a, error_b)
    assert len(a) == len(b) == 315
    np.testing.assert_array_equal(a.values["Heat Flow"], b.values["Heat Flow"])
    np.testing.assert_array_equal(a.lines, b.lines)
    assert [s.replace(str(plain), "") for s in said_a] == \
        [s.replace(str(packed), "") for s in said_b]
    assert not _said(said_a, "repeat an earlier record"), said_a


# --- the labels and the surfaces share the point reader's rules ----------------------------

GRID_UTM = {"crs": "EPSG:32619", "resolution": 10.0,
            "bounds": (500_000.0, 1_350_000.0, 500_400.0, 1_350_400.0)}


def _occurrences(path: Path, **options: Any) -> tuple[Any, Exception | None]:
    """``read_occurrences`` of ``path`` on the tiny UTM grid: the occurrences, or the error."""
    from prospect.grid import RegionGrid
    from prospect.models.labels import read_occurrences

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_occurrences(path, RegionGrid(**GRID_UTM), **options), None
        except (DataError, InputFileError) as exc:
            return None, exc


def test_labels_refuse_a_geojson_written_lat_lon(tmp_path: Path) -> None:
    """Before: occurrences written lat, lon were read in the Pacific and projected to the
    region's CRS without a word, every one then outside the grid; now the labels refuse
    them as the point reader does, with the vector file's fix."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs("EPSG:32619", "EPSG:4326", always_xy=True)
    lonlat = [to_lonlat.transform(x, y) for x, y in PLACES[:5]]
    _geojson(tmp_path / "mines.geojson", [(lat, lon) for lon, lat in lonlat])
    _, error = _occurrences(tmp_path / "mines.geojson")
    assert isinstance(error, DataError), error
    for needle in ("mines.geojson", "look swapped", "RFC 7946", "axisswap"):
        assert needle in str(error), error
    _geojson(tmp_path / "right.geojson", lonlat)  # control: lon, lat reads
    occ, error = _occurrences(tmp_path / "right.geojson")
    assert error is None and len(occ.x) == 5, error


def test_labels_count_copies_in_a_gzipped_table_by_its_lines(tmp_path: Path) -> None:
    """Before: a ``.csv.gz`` was no text table to the labels: a repeated record was named
    by its feature number (4 = 2), not by its line in the table (5 = 3); the one rule
    of a repeated record is the point reader's."""
    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES[:3])]
    rows.insert(4, rows[2])
    (tmp_path / "mines.csv.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    occ, error = _occurrences(tmp_path / "mines.csv.gz", x="x", y="y", crs="EPSG:32619",
                              value_column="li")
    assert error is None, error
    assert [(d["record"], d["same_as"]) for d in occ.duplicates] == [(5, 3)]
    np.testing.assert_allclose(occ.values, [1, 2, 3, 2])


def test_labels_read_a_gdal_name_of_a_zipped_table(tmp_path: Path) -> None:
    """Before: "occurrence file not found" of ``/vsizip//abs/mines.zip/mines.csv`` (the
    name was made a plain path, ``//`` folded), which the point reader reads."""
    from prospect.config.vsi import GdalPath

    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES[:3])]
    with zipfile.ZipFile(tmp_path / "mines.zip", "w") as archive:
        archive.writestr("mines.csv", "\n".join(rows) + "\n")
    occ, error = _occurrences(GdalPath(f"/vsizip/{tmp_path / 'mines.zip'}/mines.csv"),
                              x="x", y="y", crs="EPSG:32619", value_column="li")
    assert error is None, error
    np.testing.assert_allclose(occ.values, [1, 2, 3])
    np.testing.assert_allclose(occ.x, [x for x, _ in PLACES[:3]])


def test_surfaces_name_a_vector_file_written_lat_lon_and_its_fix(tmp_path: Path) -> None:
    """Before: a GeoJSON written lat, lon for a region in a CRS of the whole world (Web
    Mercator; the point reader refuses it where the region's CRS is made for a smaller
    area) was "its points were read in the file's own CRS ... if that is wrong, give the
    right one with 'crs:'", no word of the swap; now the swap and the ogr2ogr fix."""
    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points

    _geojson(tmp_path / "wells.geojson", [(lat, lon) for lon, lat in NL])
    grid = RegionGrid(crs="EPSG:3857", resolution=1000.0,
                      bounds=(550_000.0, 6_800_000.0, 620_000.0, 6_880_000.0))
    source = PointSource(name="wells", path=tmp_path / "wells.geojson", columns=["li"],
                         interpolate=["idw"])
    with pytest.raises(DataError) as caught:
        plan_points(source, grid)
    for needle in ("wells.geojson", "none of its 3 points", "with longitude and latitude "
                   "swapped, 3 would", "axisswap"):
        assert needle in str(caught.value), caught.value
    assert "set x:" not in str(caught.value)


def test_surfaces_name_far_points_of_a_gzipped_table_by_line(tmp_path: Path) -> None:
    """Before: the points far outside the region of a ``.csv.gz`` were named as
    "features" numbered from 1; they are the table's lines, as for a plain ``.csv``."""
    from prospect.config.sources import PointSource
    from prospect.grid import RegionGrid
    from prospect.ingest.surfaces import plan_points

    rows = ["x,y,li"] + [f"{x:.0f},{y:.0f},{i + 1}" for i, (x, y) in enumerate(PLACES[:6])]
    rows.insert(3, "900000,1350100,9")  # line 4, 400 km east
    (tmp_path / "wells.csv.gz").write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    source = PointSource(name="wells", path=tmp_path / "wells.csv.gz", x="x", y="y",
                         crs="EPSG:32619", columns=["li"], interpolate=["idw"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_points(source, RegionGrid(**GRID_UTM))
    said = [" ".join(str(w.message).split()) for w in caught]
    far = [s for s in said if "far outside" in s]
    assert far and "line 4)" in far[0], said


# --- a point table given as a raster -------------------------------------------------------

@pytest.mark.parametrize(("name", "text", "needles"), [
    ("heat.asc", "lon lat li\n5.1 52.1 1\n5.25 52.13 2\n5.3 52.4 3\n",
     ["columns lon, lat, li", "x: lon, y: lat", "columns: [li]"]),
    ("heat.asc", "Northing;Easting;Li (ppm)\n52,1;5,1;1\n52,2;5,2;2\n52,1;5,3;3\n",
     ["x: Easting, y: Northing", "columns: [Li (ppm)]"]),
    ("heat.xyz", "5.1 52.1 1\n5.25 52.13 2\n5.3 52.4 3\n5.7 52.2 3\n",
     ["3 columns and no header", "adding a header line"]),
])
def test_a_point_table_given_as_a_raster_is_named(tmp_path: Path, name: str, text: str,
                                                  needles: list[str]) -> None:
    """Before: "cannot read as a raster (corrupt, truncated or not a raster): Couldn't
    determine X spacing" (GDAL's XYZ driver) of samples given as a raster source."""
    from prospect.io.raster import raster_info

    (tmp_path / name).write_text(text)
    with pytest.raises(InputFileError) as caught:
        raster_info(tmp_path / name)
    for needle in (name, "not a raster but a table of points", "kind: points",
                   "interpolate: [idw]", "gdal_grid", *needles):
        assert needle in str(caught.value), caught.value


def test_control_an_ascii_grid_is_no_point_table(tmp_path: Path) -> None:
    """Control: an ESRI ASCII grid reads; one GDAL cannot open (a header cut short) is
    not called a table of points."""
    from prospect.io.raster import raster_info

    (tmp_path / "heat.asc").write_text(
        "ncols 3\nnrows 2\nxllcorner 500000\nyllcorner 1350000\ncellsize 10\n"
        "1 2 3\n4 5 6\n")
    assert raster_info(tmp_path / "heat.asc", crs="EPSG:32619").width == 3
    (tmp_path / "cut.asc").write_text("ncols 3\nnrows 2\n1 2 3\n4 5 6\n")
    with pytest.raises(Exception) as caught:
        raster_info(tmp_path / "cut.asc", crs="EPSG:32619")
    assert "table of points" not in str(caught.value), caught.value


def test_a_point_table_given_as_a_raster_is_refused_by_ingest(sandbox: Sandbox, cli,
                                                              scheduler: str) -> None:
    """The real CLI: exit 1, one line naming the file, what it is and ``kind: points``."""
    rows = ["x y li"] + [f"{x:.0f} {y:.0f} {i + 1}" for i, (x, y) in enumerate(PLACES)]
    (sandbox.root / "heat.asc").write_text("\n".join(rows) + "\n")
    result = _ingest(sandbox, cli, scheduler,
                     sources=[{"kind": "raster", "name": "heat", "path": "heat.asc",
                               "crs": "EPSG:32619"}])
    assert_clean_error(result, 1, "heat.asc", "a table of points", "kind: points",
                       "x: x, y: y")
    assert sandbox.untouched()


# -- a gzipped vector file ----------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".geojson", ".kml"])
def test_a_gzipped_vector_file_is_read_through_vsigzip(tmp_path: Path, suffix: str) -> None:
    """Before: ``wells.geojson.gz`` was "not recognized as being in a supported file format"
    (GDAL reads a gzipped file only when named ``/vsigzip/...``); now its points and values
    are read, as the plain file's (the control)."""
    from prospect.io.points import read_points
    from prospect.io.vector import read_vector

    plain = tmp_path / f"wells{suffix}"
    gdf = gpd.GeoDataFrame({"li": [5.0, 7.5]},
                           geometry=gpd.points_from_xy([5.5, 5.7], [51.3, 51.4]),
                           crs="EPSG:4326")
    gdf.to_file(plain, driver="GeoJSON" if suffix == ".geojson" else "KML")
    packed = tmp_path / f"wells{suffix}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    got, want = read_vector(packed), read_vector(plain)
    assert len(got) == 2 and list(got.geometry.x) == list(want.geometry.x)
    if suffix == ".geojson":
        table = read_points(packed, columns=["li"], to_crs="EPSG:28992")
        np.testing.assert_array_equal(table.values["li"], [5.0, 7.5])


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_labels_number_a_spreadsheets_rows_as_the_sheet_shows_them(
        tmp_path: Path, suffix: str) -> None:
    """Before: the labels called a workbook's repeated sheet row 5 "feature 4, same as
    feature 1" where the point reader (and the sheet) say rows from 2 under the header;
    now rows 5 and 2, as a CSV's lines 5 and 2 (the control)."""
    import pandas as pd
    import pyogrio

    rows = [(500_105.0, 1_350_105.0, 1.0), (500_205.0, 1_350_205.0, 2.0),
            (500_305.0, 1_350_305.0, 3.0)]
    frame = pd.DataFrame([*rows, rows[0]], columns=["x", "y", "li"])
    path = tmp_path / f"mines{suffix}"
    if suffix == ".xlsx":
        pyogrio.write_dataframe(frame, path, driver="XLSX")
    else:
        frame.to_csv(path, index=False)
    occ, error = _occurrences(path, x="x", y="y", crs="EPSG:32619", value_column="li")
    assert error is None, error
    assert [(d["record"], d["same_as"]) for d in occ.duplicates] == [(5, 2)]
