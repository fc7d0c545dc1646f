"""Zipped code pages, sheets of number and text cells, date cells, rounded outlines, text
coordinates and occurrences of other commodities, as survey scientists bring them.

Found by feeding the point reader (``prospect.io.points``), the vector reader, the labels
reader and the outline reader what round 21 left and the forms exports take (2026-12-03):
a zipped Shapefile's ``.cpg`` of another script turned ``Bréda`` into ``Brйda``; a sheet
column of number cells and text numbers in decimal commas was refused as "both notations"
(and below a title could not be read in ``decimal: ","``); a column a spreadsheet
formatted as dates was read as milliseconds since 1970 (``-2.2e12``); occurrence outlines
rounded to 2 decimals (+-557 m) labelled cells as if exact; GeoJSON coordinates written as
text were dropped as "without usable coordinates" (the labels said nothing at all); the
bromine wells of a table of lithium and bromine sites were read as lithium occurrences.
Every file is small and SYNTHETIC but for the real USGS lithium database's ``Loc_Pt``.
"""

from __future__ import annotations

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
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.io.vector import read_units
from prospect.models.labels import read_occurrences
from prospect.outlines import read_outline

from .test_vectors_round21 import _xlsx

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the lon/lat places below lie in it)."""


def _caught(call: Any) -> tuple[Any, list[str], Exception | None]:
    """``call()``'s result (or ``None``), every warning's text and the error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out, error = call(), None
        except (DataError, CRSError, InputFileError) as exc:
            out, error = None, exc
    return out, [" ".join(str(w.message).split()) for w in caught], error


# --- a zipped Shapefile's .cpg of another script (left by round 21) ---------------------------

def test_a_zipped_shapefiles_cpg_of_another_script_is_read_as_1252(tmp_path: Path) -> None:
    """A zip of a Latin-1 ``.dbf`` beside a ``.cpg`` saying ``1251``. Before: ``Brйda``
    in the code table, and a mask's ``names: [Bréda]`` matched nothing ("did you mean
    'Brйda'"): only a ``.cpg`` beside a plain ``.shp`` was checked. Now as unzipped."""
    squares = [shapely.box(5.0 + i / 10, 52.0, 5.05 + i / 10, 52.05) for i in range(3)]
    gpd.GeoDataFrame({"name": ["Bréda", "Zoë", "Gießen"]}, geometry=squares,
                     crs="EPSG:4326").to_file(tmp_path / "units.shp", encoding="latin1")
    (tmp_path / "units.cpg").write_text("1251")
    with zipfile.ZipFile(tmp_path / "units.zip", "w") as z:
        for suffix in ("shp", "shx", "dbf", "prj", "cpg"):
            z.write(tmp_path / f"units.{suffix}", f"maps/units.{suffix}")
    units, _, error = _caught(lambda: read_units(tmp_path / "units.zip", "name"))
    assert error is None and sorted(units.names) == ["Bréda", "Gießen", "Zoë"], units
    outline, said, error = _caught(lambda: read_outline(tmp_path / "units.zip",
                                                        names=["Bréda"]))
    assert error is None and outline.area > 0, error
    recoded = [s for s in said if "Western European (Windows-1252)" in s]
    assert recoded and "its units.cpg says '1251' (in units.zip)" in recoded[0], said


# --- number cells and text numbers in one sheet column (left by round 21) -------------------

MIXED = [["lon", "lat", "li"], [5.1234, 52.1234, 1.125], ["5,2345", "52,2345", "1.250,5"],
         [5.3456, 52.1456, 3]]
"""Number cells beside text cells in decimal commas (typed, or pasted from a Dutch export);
the number cell 1.125 is one and an eighth, the text '1.250,5' twelve hundred and fifty."""


@pytest.mark.parametrize("decimal", [None, ","], ids=["as-shown", "decimal-comma"])
@pytest.mark.parametrize("title", [False, True], ids=["header-first", "below-a-title"])
def test_a_sheet_of_number_cells_and_text_numbers_reads_each_as_it_is(
        tmp_path: Path, title: bool, decimal: str | None) -> None:
    """Before: "the table writes numbers with decimal commas ('5,2345') and with decimal
    points ('5.1234')": GDAL gives such a column as text, each number cell printed, and
    below a title ``decimal: ","`` was refused. Now the sheet's XML says which cells are
    numbers: they stay the numbers they are, the text cells are read in their notation."""
    rows = ([["Wells of the 1991 survey"], [], *MIXED] if title else MIXED)
    path = _xlsx(tmp_path / "wells.xlsx", rows)
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"],
                                                     decimal=decimal))
    assert error is None, error
    np.testing.assert_allclose(table.x, [5.1234, 5.2345, 5.3456])
    np.testing.assert_allclose(table.y, [52.1234, 52.2345, 52.1456])
    np.testing.assert_allclose(table.values["li"], [1.125, 1250.5, 3.0])
    assert list(table.lines) == ([4, 5, 6] if title else [2, 3, 4]), table.lines
    assert bool([s for s in said if "the header is row 3" in s]) == title, said
    assert not [s for s in said if "notation" in s or "decimal" in s], said


# --- date cells where numbers were meant -------------------------------------------------------

def _dated(path: Path, rows: list[list[Any]], cells: list[str]) -> Path:
    """A workbook of ``rows`` whose ``cells`` (``C3``) are number cells formatted as dates
    (Excel's built-in format 14), as a column formatted as Date before the values were
    typed or imported holds them."""
    _xlsx(path, rows)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist()}
    for ref in cells:
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            f'<c r="{ref}">', f'<c r="{ref}" s="1">')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/styles.xml"] = (f'<?xml version="1.0"?><styleSheet xmlns="{main}"><cellXfs '
                              'count="2"><xf numFmtId="0"/><xf numFmtId="14" '
                              'applyNumberFormat="1"/></cellXfs></styleSheet>')
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>", f'<Override PartName="/xl/styles.xml" ContentType="{kind}"/></Types>')
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        f'<Relationship Id="rId99" Type="{rel}" Target="styles.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def test_a_column_of_date_cells_is_named_not_read_as_milliseconds(tmp_path: Path) -> None:
    """A grade column a spreadsheet formatted as dates (every cell). Before: GDAL gave
    dates, read as milliseconds since 1970: Li of -2.2e12, 1.7e12, -2.2e12, exit 0. Now
    refused naming the dates and the fix (the labels: no grade, warned naming the dates);
    a single date cell among numbers is named as a
    date (it was "not finite numbers", ``2023/12/07`` not taken for a date)."""
    rows = [["lon", "lat", "li"], [5.1234, 52.1234, 1.0], [5.2345, 52.2345, 45267],
            [5.3456, 52.1456, 3.5]]
    path = _dated(tmp_path / "all.xlsx", rows, ["C2", "C3", "C4"])
    _, _, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    assert isinstance(error, DataError), error
    assert "holds no numbers" in str(error) and "look like dates" in str(error), error
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="li"))
    assert error is None and np.isnan(occ.values).all(), (error, occ)  # (not -2.2e12)
    assert [s for s in said if "3 look like dates ('1899-12-31')" in s], said
    path = _dated(tmp_path / "one.xlsx", rows, ["C3"])
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], [1.0, np.nan, 3.5])
    dates = [s for s in said if "look like dates ('2023/12/07')" in s]
    assert dates and "row 3" in dates[0], said


# --- occurrence outlines rounded by an export (left by round 21) ------------------------------

ROUNDED = [shapely.Polygon([(5.1, 52.1), (5.13, 52.12), (5.15, 52.1), (5.14, 52.07)]),
           shapely.Polygon([(5.3, 52.2), (5.33, 52.22), (5.35, 52.2), (5.34, 52.17)])]


@pytest.mark.parametrize(("case", "geoms"), [
    ("2-decimals", ROUNDED),
    ("control-licence-blocks", [shapely.box(5.1, 52.1, 5.15, 52.15),
                                shapely.box(5.2, 52.1, 5.25, 52.15)]),
    ("control-5-decimals", [shapely.affinity.translate(g, 0.00321, 0.00213) for g in ROUNDED]),
])
def test_occurrence_outlines_rounded_coarser_than_the_cells_are_warned(
        tmp_path: Path, case: str, geoms: list[Any]) -> None:
    """Mine outlines exported in 2 decimals (+-557 m) over 100 m cells. Before: labelled
    cells as if exact, without a word (the rounding check looked at points only). Now
    warned naming the features, the step and the distance. Controls: blocks drawn along
    meridians and parallels (a licence grid, exact as drawn) and 5 decimals say nothing."""
    path = tmp_path / "mines.geojson"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=geoms, crs="EPSG:4326").to_file(path)
    occ, said, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None and occ.x.size > 100, error
    rounded = [s for s in said if "rounded to" in s]
    if case.startswith("control"):
        assert not rounded, said
        return
    assert rounded, said
    for needle in ("2 of 2 polygon(s) have every vertex rounded to 2 decimals of a degree",
                   "features 1, 2", "+-557 m"):
        assert needle in rounded[0], rounded[0]


# --- GeoJSON coordinates written as text (left by round 21) ----------------------------------

def _text_points(path: Path, coordinates: list[list[Any]]) -> Path:
    features = [{"type": "Feature", "properties": {"li": float(i + 1)},
                 "geometry": {"type": "Point", "coordinates": c}}
                for i, c in enumerate(coordinates)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_geojson_coordinates_written_as_text_are_named(tmp_path: Path) -> None:
    """``["5.1", "52.1"]``: GDAL gives such a feature no geometry. Before: the point reader
    said "2 of 4 row(s) without usable coordinates dropped" and no why; the labels left
    them out without a word; a file of only such features was "no usable occurrence
    geometries". Now each says the coordinates are text and to remove the quotes."""
    path = _text_points(tmp_path / "occ.geojson",
                        [["5.1", "52.1"], [5.2, 52.2], ["5.3", "52.3"], [5.25, 52.25]])
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326",
                                                     columns=["li"]))
    assert error is None and len(table) == 2, error
    dropped = [s for s in said if "without usable coordinates dropped" in s]
    assert dropped and 'features 1, 3) write their coordinates as text in quotes (["5.1", ' \
        '"52.1"])' in dropped[0], said
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="li"))
    assert error is None and occ.x.size == 2, error
    left = [s for s in said if "left out of the labels" in s]
    assert left and "as text in quotes" in left[0] and "features 1, 3" in left[0], said
    path = _text_points(tmp_path / "all.geojson", [["5.1", "52.1"], ["5.3", "52.3"]])
    for call in (lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]),
                 lambda: read_occurrences(path, RD)):
        _, _, error = _caught(call)
        assert isinstance(error, DataError) and "without the quotes" in str(error), error


# --- occurrences of other commodities -----------------------------------------------------

COMMODITY_TABLE = ("lon,lat,Commodity\n5.11,52.11,Li\n5.12,52.12,lithium\n"
                   "5.13,52.13,LITHIUM \n5.14,52.14,spodumene\n5.15,52.15,gold\n"
                   "5.16,52.16,Au; Ag\n5.17,52.17,lithium; bromine\n5.18,52.18,\n"
                   "5.19,52.19,Li-Be-Ta\n5.20,52.20,LCT pegmatite\n")
"""Lithium written five ways, two gold sites, one of lithium and bromine, one unsaid, one
of a deposit type (an LCT pegmatite: lithium, caesium, tantalum, read so since round 31b)."""


@pytest.mark.parametrize(("mineral", "kept", "needles"), [
    ("lithium", 8, ["2 of 10 record(s) name only other commodities than lithium",
                    "gold 2", "lines 6, 7", "'Li'", "'LITHIUM'", "'spodumene'", "'Li-Be-Ta'",
                    "'LCT pegmatite'"]),
    ("Au", 3, ["7 of 10 record(s) name only other commodities than gold", "lithium 7"]),
    (None, 10, ["names several commodities (lithium 7, gold 2"]),
], ids=["lithium-any-spelling", "gold-by-symbol", "no-mineral-said"])
def test_occurrences_of_other_commodities_are_left_out_and_said(
        tmp_path: Path, mineral: str | None, kept: int, needles: list[str]) -> None:
    """Before: every record was an occurrence of the model's mineral, a gold mine a
    lithium occurrence, without a word. Now the records whose commodity cell names only
    other commodities (names in any spelling, an ore mineral as its commodity) are left
    out, counted and named; a row with no commodity, or one naming none known, stays."""
    path = tmp_path / "occ.csv"
    path.write_text(COMMODITY_TABLE)
    occ, said, error = _caught(lambda: read_occurrences(path, RD, mineral=mineral))
    assert error is None, error
    assert occ.x.size == kept and occ.n_records == 10 and occ.n_dropped == 0, occ
    assert occ.other_commodity == 10 - kept, occ
    found = [s for s in said if "commodit" in s]
    assert found, said
    for needle in needles:
        assert needle in found[0], found[0]


def test_occurrences_of_none_of_the_mineral_are_refused_and_grades_keep_all(
        tmp_path: Path) -> None:
    """A table naming no record of the model's mineral is refused naming what it holds; a
    table graded by a value column labels by grade (its commodity column is not read)."""
    path = tmp_path / "occ.csv"
    path.write_text(COMMODITY_TABLE)
    _, _, error = _caught(lambda: read_occurrences(path, RD, mineral="tungsten"))
    assert isinstance(error, DataError), error
    assert "no record's 'Commodity' names tungsten" in str(error), error
    graded = tmp_path / "graded.csv"
    graded.write_text(COMMODITY_TABLE.replace("Commodity\n", "Commodity,li\n").replace(
        "\n5.", ",1\n5.").replace("52.18,\n", "52.18,,1\n").replace("pegmatite\n",
                                                                       "pegmatite,1\n"))
    occ, said, error = _caught(lambda: read_occurrences(graded, RD, mineral="lithium",
                                                        value_column="li"))
    assert error is None and occ.x.size == 10, error
    assert not [s for s in said if "commodit" in s], said


@pytest.mark.realdata
def test_real_usgs_lithium_location_points_of_bromine_wells_are_left_out(
        shared_data: Path) -> None:
    """The USGS lithium database's ``Loc_Pt``: 61 features, 27 of bromine, boron or salt and
    borax only (Smackover's bromine wells). Before: 61 lithium occurrences."""
    path = shared_data / "usgs_lithium_deposits_us" / "USGS_Lithium_US_CSV" / "Loc_Pt.csv"
    us = RegionGrid(crs="EPSG:5070", resolution=5000.0,
                    bounds=(-2_500_000.0, 200_000.0, 2_300_000.0, 3_200_000.0))
    occ, said, error = _caught(lambda: read_occurrences(path, us, x="Long_WGS84",
                                                        y="Lat_WGS84", mineral="Li"))
    assert error is None, error
    assert occ.n_records == 61 and occ.x.size == 34 and occ.other_commodity == 27, occ
    found = [s for s in said if "other commodities than lithium" in s]
    assert found and "bromine 24, boron 3" in found[0], said


# --- a labels table written lat, lon, or in metres read as degrees --------------------------

def test_a_labels_table_written_lat_lon_is_refused_with_the_columns_to_set(
        tmp_path: Path) -> None:
    """Dutch wells written ``52.1, 5.1`` under ``Longitude,Latitude``. Before: the labels
    placed them off Somalia (x 6 360 178 in RD New) without a word (only a vector file's
    axes were checked). Now refused naming the columns to set."""
    path = tmp_path / "occ.csv"
    path.write_text("Longitude,Latitude\n" + "".join(
        f"{52.1 + i / 97:.4f},{5.1 + i / 89:.4f}\n" for i in range(6)))
    _, _, error = _caught(lambda: read_occurrences(path, RD, x="Longitude", y="Latitude"))
    assert isinstance(error, DataError), error
    assert "look swapped" in str(error), error
    assert "set x: 'Latitude' and y: 'Longitude'" in str(error), error


def test_labels_in_metres_read_as_degrees_name_the_crs(tmp_path: Path) -> None:
    """RD New metres in a table read in the default WGS 84. Before: "no usable occurrence
    geometries" (every row), or the rows left out without a word (some rows). Now the
    rows are named, with the CRS that places them."""
    path = tmp_path / "occ.csv"
    path.write_text("lon,lat\n" + "".join(f"{150000 + 100 * i},{470000 + 100 * i}\n"
                                          for i in range(4)))
    _, _, error = _caught(lambda: read_occurrences(path, RD))
    assert isinstance(error, DataError), error
    for needle in ("4 of 4 occurrence record(s) have coordinates outside what WGS 84",
                   "lines 2, 3, 4, 5", "crs: \"EPSG:28992\""):
        assert needle in str(error), error
    path.write_text("lon,lat\n5.1234,52.1234\n5.2234,52.2234\n151234,471234\n")
    occ, said, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None and occ.x.size == 2, error
    left = [s for s in said if "outside what WGS 84 allows" in s]
    assert left and "line 4" in left[0] and "left out of the labels" in left[0], said


# --- hidden rows of a sheet ----------------------------------------------------------------

def test_hidden_rows_of_a_sheet_are_said(tmp_path: Path) -> None:
    """A sheet filtered to some wells and saved: its hidden rows are in the file. Before:
    read as any other row, without a word (the sheet as seen shows none of them). Now
    read and said, naming the rows; a hidden title row is not."""
    rows = [["Wells"], ["lon", "lat", "li"], [5.1, 52.1, 1.0], [5.2, 52.2, 2.0],
            [5.3, 52.3, 3.0], [5.4, 52.4, 4.0]]
    path = _xlsx(tmp_path / "wells.xlsx", rows)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist()}
    for row in (1, 4, 6):
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            f'<row r="{row}">', f'<row r="{row}" hidden="1">')
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326",
                                                     columns=["li"]))
    assert error is None and len(table) == 4, error
    hidden = [s for s in said if "of the sheet are hidden" in s]
    assert hidden and "2 of 4 row(s) of the sheet are hidden (rows 4, 6" in hidden[0], said


# --- a workbook's other sheet of coordinates ---------------------------------------------------

@pytest.mark.parametrize("other", [
    [["Longitude", "Latitude", "Li"], [5.2, 52.2, 2.0], [5.3, 52.3, 3.0]],
    [["about"], ["lon is longitude"]],
], ids=["a-second-sheet-of-wells", "control-a-readme"])
def test_another_sheet_of_coordinates_beside_the_one_read_is_said(
        tmp_path: Path, other: list[list[Any]]) -> None:
    """The sheet holding ``lon``/``lat`` is read (round 20). Before: a second sheet of wells
    under ``Longitude``/``Latitude`` was left out without a word. Now it is named, with
    its rows and columns; a README sheet says nothing."""
    path = _xlsx(tmp_path / "wells.xlsx", [["lon", "lat", "li"], [5.1, 52.1, 1.0]],
                 more=other)
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326",
                                                     columns=["li"]))
    assert error is None and len(table) == 1, error
    others = [s for s in said if "other sheet(s) hold coordinates" in s]
    if other[0][0] == "about":
        assert not others, said
        return
    assert others and "'more' (2 rows; columns 'Longitude', 'Latitude')" in others[0], said


# --- merged header cells ---------------------------------------------------------------------

def _merged(path: Path, rows: list[list[Any]], refs: list[str]) -> Path:
    """A workbook of ``rows`` with the cells ``refs`` (``C1:D1``) merged."""
    _xlsx(path, rows)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist()}
    cells = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        "</sheetData>", f'</sheetData><mergeCells count="{len(refs)}">{cells}</mergeCells>')
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def test_merged_header_cells_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    """A header merged over two rows (``li`` over the title row and the header row) and
    over two columns (``Li`` over a value column and its flag). Before: "no column(s)
    ['li']; columns are ['lon', 'lat', 'Unnamed: 2']"; and ``Li`` read from its first
    column, its flag column (``<``) nameless and unread, the unit row dropped as a record
    "without usable coordinates". Now the first reads; the second is refused naming the
    merged cell and the fix; a title merged across the table stays a title (control)."""
    path = _merged(tmp_path / "title.xlsx", [["Coordinates", None, "li"], ["lon", "lat", None],
                                             [5.1, 52.1, 1.0], [5.2, 52.2, 2.0]],
                   ["A1:B1", "C1:C2"])
    table, _, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], [1.0, 2.0])
    path = _merged(tmp_path / "flag.xlsx", [["lon", "lat", "Li", None],
                                            [None, None, "ppm", "flag"],
                                            [5.1, 52.1, 1.0, "<"], [5.2, 52.2, 2.0, None]],
                   ["A1:A2", "B1:B2", "C1:D1"])
    _, _, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["Li"]))
    assert isinstance(error, DataError), error
    assert "cell C1:D1 ('Li') is merged across 2 columns" in str(error), error
    path = _merged(tmp_path / "titled.xlsx", [["Wells of the 1991 survey", None, None],
                                              ["lon", "lat", "li"], [5.1, 52.1, 1.0]],
                   ["A1:C1"])  # control: a title merged across the table is a title
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326",
                                                     columns=["li"]))
    assert error is None and len(table) == 1, error
    assert [s for s in said if "'Wells of the 1991 survey') hold no record" in s], said


# --- points on cell edges ------------------------------------------------------------------------

def test_control_points_on_cell_edges_take_the_cell_gdal_rasterizes_them_into() -> None:
    """A well at a round coordinate on a cell edge takes the cell east and south of the
    edge, as GDAL's rasterize gives it (``rasterio.features.rasterize``); one on the
    region's own east or south edge stays in the last cell (round 16), where GDAL gives
    none."""
    from rasterio.features import rasterize

    from prospect.models.labels import snap_points

    grid = RegionGrid(crs="EPSG:28992", resolution=100.0, bounds=(0.0, 0.0, 1000.0, 1000.0))
    xs = np.array([200.0, 300.0, 450.0, 500.0, 0.0])
    ys = np.array([500.0, 450.0, 600.0, 700.0, 1000.0])
    labels = snap_points(xs, ys, grid)
    gdal = set()
    for x, y in zip(xs, ys, strict=True):
        cells = rasterize([(shapely.Point(x, y), 1)], out_shape=grid.shape,
                          transform=grid.transform)
        gdal |= {(int(r), int(c)) for r, c in zip(*np.nonzero(cells), strict=True)}
    assert set(zip(labels.rows.tolist(), labels.cols.tolist(), strict=True)) == gdal
    corner = snap_points(np.array([1000.0]), np.array([0.0]), grid)
    assert (int(corner.rows[0]), int(corner.cols[0])) == (9, 9), corner
