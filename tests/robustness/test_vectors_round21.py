"""Titles above a sheet's header, rounded degrees, undefined GeoPackage systems, repaired
polygons, code pages of another script and maps cut at the antimeridian, as survey
scientists bring them.

Found by feeding the point reader (``prospect.io.points``), the vector reader, the labels
reader and the outline reader what round 20 left and the forms exports take (2026-12-03):
a title row above a sheet's or a table's header was refused ("delete the rows above");
longitudes and latitudes rounded by an export to 1 or 2 decimals (+-5.6 km, +-557 m) were
placed in one cell as if exact, without a word; a GeoPackage layer of ``srs_id`` 0 was read
by the labels on an unknown datum (100 m or more off) and one of -1 was ``ProjError``; a
hole drawn outside its polygon became land of an outline (and labelled cells) without a
word; a ``.cpg`` of Windows-1251 over a Latin-1 ``.dbf`` turned ``Bréda`` into ``Brйda``;
a geology map cut at 180 as RFC 7946 says gave no unit to any cell of a Fiji grid. Every
file is small and SYNTHETIC but for the real IHFC Netherlands heat-flow table.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pytest
import shapely

from prospect.errors import CRSError, DataError
from prospect.grid import RegionGrid
from prospect.ingest.geology import GeologyCodesLayer
from prospect.io.points import read_points
from prospect.io.vector import read_units, read_vector
from prospect.models.labels import read_occurrences
from prospect.outlines import read_outline

from .test_vectors_round18 import _read

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the lon/lat places below lie in it)."""
RNG = np.random.default_rng(21)
LON = 5.0 + RNG.random(12) * 0.6
LAT = 52.0 + RNG.random(12) * 0.4


def _caught(call: Any) -> tuple[Any, list[str], Exception | None]:
    """``call()``'s result (or ``None``), every warning's text and the error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out, error = call(), None
        except (DataError, CRSError) as exc:
            out, error = None, exc
    return out, [" ".join(str(w.message).split()) for w in caught], error


def _xlsx(path: Path, rows: list[list[Any]], **sheets: list[list[Any]]) -> Path:
    """A workbook of ``rows`` (its sheet ``wells``; ``sheets`` after it) of text and number
    cells as Excel writes them, written as the Office Open XML parts (GDAL's own XLSX
    driver writes no title above a header)."""
    def cell(r: int, c: int, v: Any) -> str:
        ref = f"{chr(65 + c)}{r}"
        if v is None:
            return ""
        if isinstance(v, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        return f'<c r="{ref}"><v>{v!r}</v></c>'

    def sheet_xml(cells: list[list[Any]]) -> str:
        data = "".join(f'<row r="{i}">' + "".join(cell(i, c, v) for c, v in enumerate(row))
                       + "</row>" for i, row in enumerate(cells, 1))
        return f'<?xml version="1.0"?><worksheet {main}><sheetData>{data}</sheetData></worksheet>'

    named = {"wells": rows, **sheets}
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                    f'ContentType="{kind}.worksheet+xml"/>' for i in range(1, len(named) + 1))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?>'
                   f'<Types xmlns="{pkg}/content-types"><Default Extension="rels" '
                   'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/><Override '
                   f'PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
                   f"{parts}</Types>")
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}/'
                   f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {main} xmlns:r="{rel}">'
                   "<sheets>" + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                                        for i, name in enumerate(named, 1))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships '
                   f'xmlns="{pkg}/relationships">' + "".join(
                       f'<Relationship Id="rId{i}" Type="{rel}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(named) + 1))
                   + "</Relationships>")
        for i, cells in enumerate(named.values(), 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(cells))
    return path


# --- a title above the header (left by round 20) --------------------------------------------

TITLED_ROWS = [["Wells of the 1991 survey"], [], ["lon", "lat", "li"], [5.1234, 52.1234, 1.0],
               [5.2345, 52.2345, 2.5], [5.3456, 52.1456, "n.d."]]


@pytest.mark.parametrize(("name", "header"), [
    ("wells.csv", "line 3"), ("cells.csv", "line 2"), ("wells.xlsx", "row 3")],
    ids=["csv-title-line", "csv-title-cell", "sheet-number-cells"])
def test_a_title_above_the_header_is_skipped_and_said(tmp_path: Path, name: str,
                                                      header: str) -> None:
    """Before: refused, "the header ('lon', 'lat'...) is row 3, not the first row ...
    delete the rows above the header" (and for a text table "line 1 ... is no header")."""
    rows = "lon,lat,li\n5.1234,52.1234,1\n5.2345,52.2345,2.5\n5.3456,52.1456,n.d.\n"
    if name == "wells.csv":
        (tmp_path / name).write_text("Wells of the 1991 survey\n\n" + rows)
    elif name == "cells.csv":
        (tmp_path / name).write_text("Wells of the 1991 survey,,\n" + rows)
    else:
        _xlsx(tmp_path / name, TITLED_ROWS)
    table, said, error = _read(tmp_path / name, to_crs="EPSG:4326")
    assert error is None, error
    np.testing.assert_allclose(table.x, [5.1234, 5.2345, 5.3456])
    np.testing.assert_allclose(table.values["li"], [1.0, 2.5, np.nan])
    what = header.split()[0]
    assert list(table.lines) == ([4, 5, 6] if header.endswith("3") else [3, 4, 5]), table.lines
    title = [s for s in said if f"the header is {header}, not {what} 1" in s]
    assert title and "'Wells of the 1991 survey'" in title[0] and "skipped" in title[0], said


def test_labels_read_a_sheet_below_its_title(tmp_path: Path) -> None:
    """The labels read through the same reader (their row numbers as the sheet shows); the
    sheet of wells is found below its title beside a README sheet (it was "none holds the
    coordinate columns")."""
    path = _xlsx(tmp_path / "occ.xlsx", TITLED_ROWS, README=[["note"], ["wells of 1991"]])
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="li"))
    assert error is None, error
    assert occ.n_records == 3 and occ.x.size == 3, occ
    assert [s for s in said if "the header is row 3" in s], said


def test_control_a_title_that_could_hide_a_record_is_still_refused(tmp_path: Path) -> None:
    """A row above the header that fills both coordinate columns could be a record (not
    dropped): the refusal stands."""
    path = tmp_path / "wells.csv"
    path.write_text("Wells of the 1991 survey,,\n5.0,52.0,\nlon,lat,li\n5.1,52.1,1\n"
                    "5.2,52.2,2\n")
    _, _, error = _read(path, to_crs="EPSG:4326")
    assert isinstance(error, DataError), error
    assert "delete the" in str(error) and "above the header" in str(error), error


def test_a_sheet_in_decimal_commas_below_a_title_reads_its_number_cells_as_numbers(
        tmp_path: Path) -> None:
    """A sheet read with ``decimal: ","`` below a title had its number cells as text
    (``5.125`` would read 5125), so it was refused; the sheet's own cell types now say which
    cells are numbers (round 22): the numbers stay as they are."""
    path = _xlsx(tmp_path / "wells.xlsx", TITLED_ROWS)
    table, _, error = _read(path, to_crs="EPSG:4326", decimal=",")
    assert error is None, error
    np.testing.assert_allclose(table.x, [5.1234, 5.2345, 5.3456])
    np.testing.assert_allclose(table.values["li"], [1.0, 2.5, np.nan])


# --- coordinates rounded by an export (left by round 20) ------------------------------------

def _rounded(path: Path, decimals: int | None) -> Path:
    """The places with ``decimals`` decimals, or in whole minutes (``None``: 51.0833)."""
    if decimals is None:
        cells = [(round(round(x * 60) / 60, 4), round(round(y * 60) / 60, 4))
                 for x, y in zip(LON, LAT, strict=True)]
    else:
        cells = [(round(x, decimals), round(y, decimals)) for x, y in zip(LON, LAT, strict=True)]
    path.write_text("lon,lat,li\n" + "".join(f"{x},{y},{i}\n" for i, (x, y) in enumerate(cells)))
    return path


@pytest.mark.parametrize(("decimals", "needles"), [
    (1, ["1 decimal of a degree", "+-5.6 km"]), (2, ["2 decimals of a degree", "+-557 m"]),
    (None, ["whole minutes of arc", "+-928 m"])], ids=["1-decimal", "2-decimals", "minutes"])
def test_degrees_rounded_coarser_than_the_cells_are_warned(tmp_path: Path, decimals: int | None,
                                                           needles: list[str]) -> None:
    """Before: read and placed in one 100 m cell each, without a word (a place known to
    +-5.6 km). Now the point reader (given the cell) and the labels warn alike."""
    path = _rounded(tmp_path / "wells.csv", decimals)
    _, said, error = _read(path, cell=RD.resolution)
    assert error is None, error
    _, said_labels, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None, error
    for words in (said, said_labels):
        rounded = [s for s in words if "12 of 12 point(s) have their longitude and latitude "
                   "rounded to" in s]
        assert rounded, words
        for needle in (*needles, "wells.csv", "lines 2, 3, 4", "cells' 100 m",
                       "give the coordinates as measured"):
            assert needle in rounded[0], rounded[0]


@pytest.mark.parametrize("case", ["5-decimals", "2-decimals-in-5-km-cells", "metres"])
def test_control_coordinates_as_fine_as_the_cells_say_nothing(tmp_path: Path,
                                                              case: str) -> None:
    """5 decimals (a metre); 2 decimals (+-557 m) in 5 km cells; RD New metres written
    with 1 decimal (a decimetre): no rounding to say."""
    if case == "metres":
        path = tmp_path / "wells.csv"
        path.write_text("x,y,li\n" + "".join(f"{140000.5 + 731 * i},{460000.5 + 377 * i},{i}\n"
                                             for i in range(12)))
        _, said, error = _read(path, x="x", y="y", crs="EPSG:28992", cell=100.0)
    else:
        path = _rounded(tmp_path / "wells.csv", 5 if case == "5-decimals" else 2)
        _, said, error = _read(path, cell=5000.0 if "5-km" in case else 100.0)
    assert error is None, error
    assert not [s for s in said if "rounded to" in s], said


@pytest.mark.realdata
def test_real_heat_flow_sites_rounded_by_their_sources_are_said(shared_data: Path) -> None:
    """The IHFC European sites: 3 901 of 6 807 are given in 2 decimals or whole minutes
    (``44.4667``) by the compilations they come from, in 100 m cells. Control: the
    Netherlands subset (4 decimals; its 2 German rows in whole minutes) says nothing."""
    folder = shared_data / "heatflow_europe_nl_ihfc"
    options = {"x": "Longitude", "y": "Latitude", "columns": ["Heat Flow"], "cell": 100.0}
    _, said, error = _read(folder / "global_hf_eu_v3.csv", **options)
    assert error is None, error
    rounded = [s for s in said if "rounded to" in s]
    assert rounded, said
    for needle in ("3901 of 6807 point(s)", "2 decimals of a degree or whole minutes of arc",
                   "+-557 m"):
        assert needle in rounded[0], rounded[0]
    table, said, error = _read(folder / "heatflow_netherlands_bbox_subset.csv", **options)
    assert error is None and len(table) == 315, error
    assert not [s for s in said if "rounded to" in s], said


# --- a GeoPackage layer of an undefined spatial reference -----------------------------------

def _undefined(tmp_path: Path, srs_id: int) -> Path:
    path = tmp_path / f"srs{srs_id}.gpkg"
    gpd.GeoDataFrame({"li": [1.0, 2.0, 3.0]},
                     geometry=gpd.points_from_xy(LON[:3], LAT[:3]), crs="EPSG:4326"
                     ).to_file(path)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE gpkg_geometry_columns SET srs_id = {srs_id}")
        db.execute(f"UPDATE gpkg_contents SET srs_id = {srs_id}")
    return path


@pytest.mark.parametrize(("srs_id", "name"), [(0, "Undefined geographic SRS"),
                                              (-1, "Undefined Cartesian SRS")])
def test_a_geopackage_of_an_undefined_srs_states_no_crs(tmp_path: Path, srs_id: int,
                                                        name: str) -> None:
    """Before: the labels read srs_id 0 as lon/lat on an unknown datum (PROJ's ballpark,
    100 m or more off) without a word, and srs_id -1 was ``ProjError: Error creating
    Transformer from CRS`` (an internal error); the point reader said "its CRS has an
    ellipsoid (unknown) but no datum" or "a local engineering CRS". Now every reader says
    the file states no CRS, naming the srs_id, and reads it in the config's ``crs:``."""
    path = _undefined(tmp_path, srs_id)
    for call in (lambda: read_points(path, to_crs="EPSG:28992", columns=["li"]),
                 lambda: read_occurrences(path, RD), lambda: read_vector(path)):
        _, _, error = _caught(call)
        assert isinstance(error, CRSError), error
        for needle in ("has no CRS", repr(name), f"srs_id {srs_id}", "crs:"):
            assert needle in str(error), error
    table, _, error = _read(path, crs="EPSG:4326", override_crs=True)
    assert error is None, error
    occ, _, error = _caught(lambda: read_occurrences(path, RD, crs="EPSG:4326",
                                                     override_crs=True))
    assert error is None, error
    np.testing.assert_allclose(occ.x, table.x)


# --- invalid polygons repaired: what each became is said -------------------------------------

SHELL = [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]
OUTSIDE = [[5.2, 52.0], [5.3, 52.0], [5.3, 52.1], [5.2, 52.1], [5.2, 52.0]]
BOWTIE = [[5.0, 52.0], [5.1, 52.1], [5.1, 52.0], [5.0, 52.1], [5.0, 52.0]]


def _polygons(path: Path, *rings: list[list[list[float]]], **props: Any) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x", "li": 1, **props},
         "geometry": {"type": "Polygon", "coordinates": r}} for r in rings]}))
    return path


@pytest.mark.parametrize(("rings", "needles"), [
    ([SHELL, OUTSIDE], ["feature 1 at 5.2, 52", "a hole outside its polygon",
                        "its area counted"]),
    ([BOWTIE], ["feature 1 at 5.05, 52.05", "edges that cross (a bow-tie)"]),
], ids=["hole-outside-its-shell", "bow-tie"])
@pytest.mark.parametrize("reader", ["outline", "labels"])
def test_a_repaired_polygon_says_what_it_became(tmp_path: Path, rings: list[Any],
                                                needles: list[str], reader: str) -> None:
    """Before: an outline's and a label's invalid polygons were repaired without a word
    (a hole drawn outside its island became land; its cells labelled occurrences)."""
    path = _polygons(tmp_path / "poly.geojson", rings)
    call = (lambda: read_outline(path)) if reader == "outline" else \
        (lambda: read_occurrences(path, RD))
    _, said, error = _caught(call)
    assert error is None, error
    kind = "outline" if reader == "outline" else "occurrence"
    repaired = [s for s in said if f"1 invalid geometry of {kind} features repaired" in s]
    assert repaired, said
    for needle in (*needles, "poly.geojson", "Fix Geometries"):
        assert needle in repaired[0], repaired[0]


# --- a .cpg naming a code page of another script ---------------------------------------------

def test_a_cpg_of_another_script_over_western_text_is_read_as_1252(tmp_path: Path) -> None:
    """A ``.dbf`` of Latin-1 names beside a ``.cpg`` saying ``1251`` (Cyrillic). Before:
    ``Bréda`` read as ``Brйda`` (in the code table, the legend), and a mask's ``names:
    [Bréda]`` matched no outline. Now read as Windows-1252 with a warning naming the
    ``.cpg``; a Cyrillic ``.dbf`` under the same ``.cpg`` is read as it says."""
    squares = [shapely.box(5.0 + i / 10, 52.0, 5.05 + i / 10, 52.05) for i in range(3)]
    gdf = gpd.GeoDataFrame({"name": ["Bréda", "Zoë", "Gießen"]}, geometry=squares,
                           crs="EPSG:4326")
    gdf.to_file(tmp_path / "units.shp", encoding="latin1")
    (tmp_path / "units.cpg").write_text("1251")
    units, _, error = _caught(lambda: read_units(tmp_path / "units.shp", "name"))
    assert error is None, error
    assert sorted(units.names) == ["Bréda", "Gießen", "Zoë"], units.names
    outline, said, error = _caught(lambda: read_outline(tmp_path / "units.shp",
                                                        names=["Bréda"]))
    assert error is None and outline.area > 0, error
    recoded = [s for s in said if "Western European (Windows-1252)" in s]
    assert recoded and "its units.cpg says '1251'" in recoded[0], said
    cyrillic = tmp_path / "cyr"
    cyrillic.mkdir()
    gdf.assign(name=["Гранит", "Базальт", "Сланец"]).to_file(cyrillic / "units.shp",
                                                             encoding="cp1251")
    (cyrillic / "units.cpg").write_text("1251")
    units, _, error = _caught(lambda: read_units(cyrillic / "units.shp", "name"))
    assert error is None and sorted(units.names) == ["Базальт", "Гранит", "Сланец"], units


# --- a geology map cut at the antimeridian ---------------------------------------------------

FIJI = RegionGrid(crs="EPSG:32760", resolution=2000.0,
                  bounds=(700_000.0, 8_100_000.0, 900_000.0, 8_250_000.0))
"""A grid of Fiji's Vanua Levu, across 180 degrees (UTM 60S)."""


def _across(path: Path, form: str) -> Path:
    east = [[179.0, -17.0], [180.0, -17.0], [180.0, -16.0], [179.0, -16.0], [179.0, -17.0]]
    west = [[-180.0, -17.0], [-179.5, -17.0], [-179.5, -16.0], [-180.0, -16.0],
            [-180.0, -17.0]]
    wide = [[179.0, -17.0], [180.5, -17.0], [180.5, -16.0], [179.0, -16.0], [179.0, -17.0]]
    geometry = {"type": "MultiPolygon", "coordinates": [[east], [west]]} if form != "0-360" \
        else {"type": "Polygon", "coordinates": [wide]}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"unit": "basalt"}, "geometry": geometry}]}))
    if form == "geoparquet":
        gpd.read_file(path).to_parquet(path.with_suffix(".parquet"))
        return path.with_suffix(".parquet")
    return path


@pytest.mark.parametrize("form", ["rfc7946-cut", "0-360", "geoparquet"])
def test_a_geology_map_across_the_antimeridian_codes_its_cells(tmp_path: Path,
                                                               form: str) -> None:
    """Before: GDAL's filter took the chunk's box of longitudes (178.9 to -179.2) as empty:
    no cell of the Fiji grid got a unit (59 % should), without a word; a GeoParquet map
    was filtered by the box's complement."""
    if form == "geoparquet":
        pytest.importorskip("pyarrow")
    path = _across(tmp_path / "geology.geojson", form)
    layer = GeologyCodesLayer(name="geology", path=str(path), layer=None, attribute="unit",
                              crs=None, codes=("basalt",), units="1", long_name="unit",
                              kind="categorical", inputs=())
    codes = np.concatenate([layer.compute(FIJI, w).ravel() for w in FIJI.chunk_windows()])
    assert 0.55 < float((codes == 0).mean()) < 0.63, (codes == 0).mean()
    near = read_vector(path, bbox=(170.0, -17.0, 171.0, -16.0))
    assert len(near) == 0, near  # a box that does not cross 180 is read as before


# --- a vector file whose own CRS is metres over degrees ---------------------------------------

@pytest.mark.parametrize("reader", ["points", "labels"])
def test_degrees_under_a_files_own_metre_crs_are_refused(tmp_path: Path, reader: str) -> None:
    """A GeoJSON of lon/lat whose ``crs`` member says RD New (left from an earlier export).
    Before: the labels placed every occurrence within 6 m of RD New's origin in France
    without a word (the point reader refused this only for a config's ``crs:``). Now both
    refuse, naming the file's own CRS and the fix."""
    path = tmp_path / "stale.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
        "features": [{"type": "Feature", "properties": {"li": float(i)},
                      "geometry": {"type": "Point", "coordinates": [x, y]}}
                     for i, (x, y) in enumerate(zip(LON[:5], LAT[:5], strict=True))]}))
    call = (lambda: read_points(path, to_crs="EPSG:28992", columns=["li"])) \
        if reader == "points" else (lambda: read_occurrences(path, RD))
    _, _, error = _caught(call)
    assert isinstance(error, DataError), error
    for needle in ("stale.geojson", "read as metres of the file's own CRS, Amersfoort / RD New",
                   "as longitude/latitude 5 of 5 would lie in that area",
                   "crs: \"EPSG:4326\"", "ogr2ogr -a_srs EPSG:4326"):
        assert needle in str(error), error
