"""Negative concentrations in a stated unit and formulas saved without their values, as
lab exports and field spreadsheets hand them over.

Found by feeding the point reader (``prospect.io.points``), the detection-limit reader
(``prospect.io.companions``) and the labels reader what a lab export or a field
spreadsheet is (2026-12-04): a value below the detection limit written as minus the limit
(``-0.5`` for ``<0.5``, as many labs and USGS exports do) was read as missing only where
the header spelled its unit one of a few ways (``Li_ppm``, ``Li (mg/L)``): under
``Li (µg/g)``, ``Li_ug_g``, ``Li (µg L-1)``, a row of units saying ``ppm``, cells written
``-0.5 ppm`` or ``-0.01%``, or a source's ``units:``, -0.5 was a measured grade, without a
word; a workbook a program wrote with formulas and no spreadsheet recalculated (GDAL reads
such a cell as empty) was read as missing grades, or rows without coordinates, without a
word. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.grid import RegionGrid
from prospect.io.points import read_points, source_options
from prospect.models.labels import read_occurrences

from .test_vectors_round22 import _caught

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the lon/lat places below lie in it)."""

PLACES = [(5.1 + i / 100, 52.1 + i / 100) for i in range(4)]
"""Four SYNTHETIC places in RD's region."""


def _csv(path: Path, header: str, cells: list[str], units: str | None = None) -> Path:
    """A SYNTHETIC CSV of ``lon,lat,<header>`` (a row of units under it where given)."""
    rows = [f'{x},{y},"{c}"' for (x, y), c in zip(PLACES, cells, strict=False)]
    head = f'lon,lat,"{header}"\n' + (f"deg,deg,{units}\n" if units else "")
    path.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    return path


class Raw(str):
    """A cell's XML as written (``{ref}`` its reference): a formula, with or without the
    value it computes."""


def _xlsx(path: Path, rows: list[list[Any]] | None = None,
          sheets: dict[str, list[list[Any]]] | None = None, hidden: tuple[str, ...] = ()
          ) -> Path:
    """A SYNTHETIC workbook of one sheet ``samples`` of ``rows`` (or of ``sheets``, the
    ``hidden`` ones hidden) of text, number and :class:`Raw` cells, written as the Office
    Open XML parts Excel or openpyxl write."""
    def cell(r: int, c: int, v: Any) -> str:
        ref = f"{chr(65 + c)}{r}"
        if v is None:
            return ""
        if isinstance(v, Raw):
            return v.format(ref=ref, r=r)
        if isinstance(v, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        return f'<c r="{ref}"><v>{v!r}</v></c>'

    named = sheets if sheets is not None else {"samples": rows or []}
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    ids = range(1, len(named) + 1)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?>'
                   f'<Types xmlns="{pkg}/content-types"><Default Extension="rels" '
                   'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/><Override '
                   f'PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
                   + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                             f'ContentType="{kind}.worksheet+xml"/>' for i in ids)
                   + "</Types>")
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}/'
                   f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {main} xmlns:r="{rel}">'
                   "<sheets>" + "".join(
                       f'<sheet name="{name}" sheetId="{i}" '
                       + ('state="hidden" ' if name in hidden else "") + f'r:id="rId{i}"/>'
                       for i, name in zip(ids, named, strict=True))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships '
                   f'xmlns="{pkg}/relationships">' + "".join(
                       f'<Relationship Id="rId{i}" Type="{rel}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>' for i in ids)
                   + "</Relationships>")
        for i, cells in zip(ids, named.values(), strict=True):
            data = "".join(f'<row r="{r}">' + "".join(cell(r, c, v) for c, v in enumerate(row))
                           + "</row>" for r, row in enumerate(cells, 1))
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<?xml version="1.0"?><worksheet '
                       f"{main}><sheetData>{data}</sheetData></worksheet>")
    return path


# --- negative concentrations: below the detection limit wherever the unit is stated ------

NEGATIVE = ["12.5", "-0.5", "14", "-5"]
"""Grades of four samples, two below the detection limit written as minus the limit."""


@pytest.mark.parametrize(("header", "cells", "units"), [
    ("Li (µg/g)", NEGATIVE, None),
    ("Li_ug_g", NEGATIVE, None),
    ("Li ug/g", NEGATIVE, None),
    ("Li (µg L-1)", NEGATIVE, None),
    ("Li_mg_per_l", NEGATIVE, None),
    ("Li", NEGATIVE, "ppm"),
    ("Li", [f"{c} ppm" for c in NEGATIVE], None),
    ("Li2O", ["1.2%", "-0.01%", "1.4%", "-0.02%"], None),
], ids=["ug-per-g", "ug_g", "ug-g-words", "ug-L-1", "mg_per_l", "units-row", "cell-units",
        "percent-cells"])
def test_negative_concentrations_in_a_stated_unit_are_below_detection(
        tmp_path: Path, header: str, cells: list[str], units: str | None) -> None:
    """Before: read as measured grades (-0.5 ppm), without a word: a negative grade was
    missing only under a header spelled ``Li_ppm`` or ``Li (mg/L)``."""
    path = _csv(tmp_path / "assays.csv", header, cells, units)
    table, said, error = _caught(lambda: read_points(path, columns=[header],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    values = table.values[header]
    assert np.isnan(values[[1, 3]]).all(), values
    assert np.isfinite(values[[0, 2]]).all()
    lines = "lines 4, 6" if units else "lines 3, 5"  # (the row of units is line 2)
    assert any("2 are negative" in s and lines in s and "detection limit" in s
               for s in said), said


def test_a_sources_units_make_negative_grades_below_detection(tmp_path: Path) -> None:
    """Before: ``units: {Li: mg/kg}`` in the points source named the surface's unit, but
    the table's -0.5 (``<0.5``) was a measured grade; the labels alike."""
    path = _csv(tmp_path / "assays.csv", "Li", NEGATIVE)
    given = source_options(PointSource(name="assays", path=path, columns=["Li"],
                                       units={"Li": "mg/kg"}))
    assert given["units"] == {"Li": "mg/kg"}
    table, said, error = _caught(lambda: read_points(**{**given, "path": path},
                                                     columns=["Li"], to_crs="EPSG:28992"))
    assert error is None, error
    assert np.isnan(table.values["Li"][[1, 3]]).all()
    assert any("2 are negative" in s and "mg/kg" in s for s in said), said
    occ, said, error = _caught(lambda: read_occurrences(
        path, RD, value_column="Li", units={"Li": "mg/kg"}))
    assert error is None, error
    assert np.isnan(occ.values[[1, 3]]).all()
    assert any("2 are negative" in s for s in said), said


@pytest.mark.parametrize(("header", "units", "config"), [
    ("T (°C)", None, None), ("d18O (‰)", None, None), ("Eh", "mV", None),
    ("Li", None, None), ("Li", None, "log ppm"),
], ids=["celsius", "permil", "millivolts-row", "no-unit", "units-log"])
def test_negative_values_of_other_quantities_stay_measured(
        tmp_path: Path, header: str, units: str | None, config: str | None) -> None:
    """Control: a temperature, a delta value, a redox potential, a log-ratio and a column
    no unit names can be negative; they stay as written, without a word of limits."""
    path = _csv(tmp_path / "samples.csv", header, NEGATIVE, units)
    given = {"units": {header: config}} if config else {}  # ('units=' is new this round)
    table, said, error = _caught(lambda: read_points(
        path, columns=[header], to_crs="EPSG:28992", **given))
    assert error is None, error
    np.testing.assert_array_equal(table.values[header], [12.5, -0.5, 14.0, -5.0])
    assert not any("are negative" in s for s in said), said


# --- formulas saved without the values they compute ---------------------------------------

UNCOMPUTED = Raw('<c r="{ref}"><f>D{r}*0.4645</f></c>')
"""A formula cell as openpyxl writes it: no ``<v>``, the value never computed."""
COMPUTED = Raw('<c r="{ref}"><f>D{r}*0.4645</f><v>0.929</v></c>')
"""The same formula as Excel saves it, with the value it computed."""


def test_a_grade_column_of_formulas_without_values_is_refused(tmp_path: Path) -> None:
    """Before: every grade missing ("not finite numbers" said of none: GDAL gives an empty
    cell), exit 0; the labels had no positive, the surface no value."""
    rows = [["lon", "lat", "li", "li2o"]] + [[x, y, UNCOMPUTED, 2.0] for x, y in PLACES]
    path = _xlsx(tmp_path / "assays.xlsx", rows)
    for call in (lambda: read_points(path, columns=["li"], to_crs="EPSG:28992"),
                 lambda: read_occurrences(path, RD, value_column="li")):
        _, _, error = _caught(call)
        assert error is not None
        text = str(error)
        assert "assays.xlsx" in text and "'li'" in text and "C2, C3, C4, C5" in text
        assert "formula" in text and "recalculated" in text and "save it again" in text


def test_coordinates_of_formulas_without_values_are_refused(tmp_path: Path) -> None:
    """Before: "2 of 4 row(s) without usable coordinates dropped", as if those samples had
    no place: their longitudes were formulas never computed (under a title too)."""
    rows = [["Assays 2024"], ["lon", "lat", "li", "e"],
            [Raw('<c r="{ref}"><f>E{r}/100000</f></c>'), 52.1, 1.0, 510000.0],
            [Raw('<c r="{ref}"><f>E{r}/100000</f></c>'), 52.11, 2.0, 511000.0],
            [5.12, 52.12, 3.0, 512000.0], [5.13, 52.13, 4.0, 513000.0]]
    path = _xlsx(tmp_path / "assays.xlsx", rows)
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:28992"))
    assert error is not None
    assert "'lon'" in str(error) and "A3, A4" in str(error) and "formula" in str(error)


def test_formulas_with_their_values_and_unread_formulas_read_as_before(tmp_path: Path) -> None:
    """Control: a formula saved with its value reads that value; formulas never computed
    in a column nobody reads say nothing."""
    rows = [["lon", "lat", "li", "li2o"]] + [[x, y, COMPUTED, UNCOMPUTED] for x, y in PLACES]
    path = _xlsx(tmp_path / "assays.xlsx", rows)
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    np.testing.assert_array_equal(table.values["li"], [0.929] * 4)
    assert not any("formula" in s for s in said), said


# --- a row of units under a sheet's header; a first sample below detection ---------------

def test_a_sheets_row_of_units_is_read_as_units(tmp_path: Path) -> None:
    """Before: a sheet's row of units (``deg, deg, ppm`` under ``lon, lat, Li``, as lab
    sheets write it) was "1 row without usable coordinates dropped (row 2)": the surface
    recorded no unit, and -0.5 (``<0.5``) under it was a measured grade. A CSV's was read."""
    rows = [["lon", "lat", "Li"], ["deg", "deg", "ppm"]] + [
        [x, y, float(v)] for (x, y), v in zip(PLACES, NEGATIVE, strict=True)]
    path = _xlsx(tmp_path / "assays.xlsx", rows)
    table, said, error = _caught(lambda: read_points(path, columns=["Li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert table.units == {"Li": "ppm"}
    assert list(table.lines) == [3, 4, 5, 6]
    assert np.isnan(table.values["Li"][[1, 3]]).all()
    assert any("row 2 holds units" in s for s in said), said
    assert any("2 are negative" in s and "rows 4, 6" in s for s in said), said
    assert not any("without usable coordinates" in s for s in said), said


@pytest.mark.parametrize("code", ["n.d.", "bdl", "ND", "-"])
def test_a_first_sample_below_detection_is_no_row_of_units(tmp_path: Path, code: str) -> None:
    """Before: the first sample's ``n.d., n.d.`` (both grades below detection) was "line 2
    holds units (li: n.d., cu: n.d.)": the sample dropped, its place and all, and the
    surfaces of ``li`` and ``cu`` recorded in units of ``n.d.``."""
    path = tmp_path / "assays.csv"
    path.write_text(f"lon,lat,li,cu\n5.1,52.1,{code},{code}\n5.11,52.11,1,2\n"
                    "5.12,52.12,3,4\n", encoding="utf-8")
    table, said, error = _caught(lambda: read_points(path, columns=["li", "cu"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert len(table.x) == 3 and table.units == {}
    assert np.isnan(table.values["li"][0]) and np.isnan(table.values["cu"][0])
    assert not any("holds units" in s for s in said), said


# --- degrees as PROJ and GDAL write them; the hemisphere letter O -------------------------

def _cs2cs(lon: float, lat: float) -> tuple[str, str]:
    """``lon``, ``lat`` as PROJ's ``cs2cs`` writes them in degrees (``5d7'12"E``)."""
    import shutil
    import subprocess

    if shutil.which("cs2cs") is None:
        pytest.skip("PROJ's cs2cs is not installed")
    out = subprocess.run(["cs2cs", "+proj=longlat", "+datum=WGS84", "+to", "+proj=longlat",
                          "+datum=WGS84"], input=f"{lon} {lat}\n", capture_output=True,
                         text=True, check=True, timeout=30).stdout.split()
    return out[0], out[1]


@pytest.mark.parametrize("writer", ["cs2cs", "gdalinfo"])
def test_degrees_as_proj_and_gdal_write_them_are_read(tmp_path: Path, writer: str) -> None:
    """Before: ``5d7'12"E`` (PROJ's ``cs2cs``, and ``gdalinfo``'s corner coordinates
    ``5d 7'12.00"E``) was "holds no numbers ...: these are numbers with a unit (only a
    concentration unit ...)": a d for the degree sign was no degree."""
    places = [(5 + (7 + i) / 60 + 12 / 3600, -(52 + (5 + i) / 60 + 12 / 3600))
              for i in range(3)]  # (south: the sign comes from the letter)
    if writer == "cs2cs":
        cells = [_cs2cs(x, y) for x, y in places]
    else:
        cells = [(f"5d {7 + i}'12.00\"E", f"52d {5 + i}'12.00\"S") for i in range(3)]
    quoted = ['"' + a.replace('"', '""') + '","' + b.replace('"', '""') + '",1\n'
              for a, b in cells]
    path = tmp_path / "corners.csv"
    path.write_text("lon,lat,li\n" + "".join(quoted), encoding="utf-8")
    table, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert error is None, error
    np.testing.assert_allclose(table.x, [x for x, _ in places], atol=1e-9)
    np.testing.assert_allclose(table.y, [y for _, y in places], atol=1e-9)


def test_the_hemisphere_letter_o_is_refused_naming_both_readings(tmp_path: Path) -> None:
    """Before: ``5°07'12"O`` was "numbers with a unit (only a concentration unit ...)".
    O is west in Spanish, French and Portuguese sheets and east in German and Dutch ones:
    no reading is safe, and the refusal says so."""
    path = tmp_path / "muestras.csv"
    path.write_text("lon,lat,li\n" + "".join(
        f'"5°0{i}\'12""O","52°05\'12""N",1\n' for i in range(7, 10)), encoding="utf-8")
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert error is not None
    text = str(error)
    assert "'lon'" in text and "letter O" in text and "west" in text and "east" in text
    assert "concentration unit" not in text


# --- an Indian export's grouping ---------------------------------------------------------

@pytest.mark.parametrize(("cells", "want"), [
    (["1,50,000", "2,50,000", "3,250"], [150000.0, 250000.0, 3250.0]),
    (["12,34,567.5", "2,50,000", "3.5"], [1234567.5, 250000.0, 3.5]),
], ids=["lakhs", "crores-and-decimals"])
def test_numbers_grouped_in_lakhs_are_read(tmp_path: Path, cells: list[str],
                                           want: list[float]) -> None:
    """Before: ``1,50,000`` (one lakh and a half, as an Indian-locale spreadsheet groups
    it) was missing, "write numbers only (units belong in the header)"."""
    path = _csv(tmp_path / "assays.csv", "li", cells)
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    np.testing.assert_array_equal(table.values["li"], want)
    assert not any("not finite" in s for s in said), said


def test_a_row_naming_only_the_grades_unit_is_read_as_units(tmp_path: Path) -> None:
    """Before: ``,,ppm`` under ``lon,lat,Li`` (the coordinates' cells left empty) was "1
    of 4 rows without usable coordinates dropped" and ``'ppm'`` a grade that is no number:
    the surface recorded no unit, and the grade -0.5 (``<0.5``) was measured, in the
    point table and the labels alike."""
    path = tmp_path / "assays.csv"
    path.write_text("lon,lat,Li\n,,ppm\n" + "".join(
        f"{x},{y},{v}\n" for (x, y), v in zip(PLACES, NEGATIVE, strict=True)),
        encoding="utf-8")
    table, said, error = _caught(lambda: read_points(path, columns=["Li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert table.units == {"Li": "ppm"} and len(table.x) == 4
    assert np.isnan(table.values["Li"][[1, 3]]).all()
    assert any("line 2 holds units (Li: ppm)" in s for s in said), said
    assert not any("without usable coordinates" in s for s in said), said
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="Li"))
    assert error is None, error
    assert np.isnan(occ.values[[1, 3]]).all() and len(occ.values) == 4
    assert not any("no usable coordinates" in s for s in said), said


def test_a_row_of_words_over_grades_stays_a_record(tmp_path: Path) -> None:
    """Control: ``,,granite`` under ``lon,lat,Li`` names no unit: the row is a record
    without coordinates (dropped and said), and no unit is recorded."""
    path = tmp_path / "assays.csv"
    path.write_text("lon,lat,Li\n,,granite\n" + "".join(
        f"{x},{y},{v}\n" for (x, y), v in zip(PLACES, NEGATIVE, strict=True)),
        encoding="utf-8")
    table, said, error = _caught(lambda: read_points(path, columns=["Li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert table.units == {}
    assert any("without usable coordinates" in s and "line 2" in s for s in said), said


# --- UTM zones stated in a column --------------------------------------------------------

def _wells(path: Path, column: str, zones: list[str], eastings: list[float]) -> Path:
    """A SYNTHETIC well list in UTM metres with a column of each row's zone."""
    path.write_text(f"easting,northing,{column},li\n" + "".join(
        f"{e},{5_770_000 + 1000 * i},{z},{i + 1}\n"
        for i, (z, e) in enumerate(zip(zones, eastings, strict=True))), encoding="utf-8")
    return path


@pytest.mark.parametrize(("column", "zones", "crs"), [
    ("Zone", ["31", "31", "32", "32U"], "EPSG:32631"),
    ("Huso", ["31", "31", "32", "32"], "EPSG:25831"),
    ("fuseau", ["31", "31", "32", "32"], "EPSG:32631"),
], ids=["zone", "huso", "fuseau"])
def test_rows_of_two_utm_zones_are_refused(tmp_path: Path, column: str, zones: list[str],
                                          crs: str) -> None:
    """Before: a well list of two UTM zones with a column named ``Zone`` (``Huso`` in
    Spanish, ``Fuseau`` in French) was read in the source's one ``crs``: the zone-32 wells
    were placed 6 degrees of longitude west, 400 km off, without a word (only ``utm_zone``
    and ``EPSG`` columns were read)."""
    path = _wells(tmp_path / "wells.csv", column, zones, [650_000, 660_000, 300_000, 310_000])
    _, _, error = _caught(lambda: read_points(path, x="easting", y="northing", crs=crs,
                                              columns=["li"], to_crs="EPSG:4326"))
    assert error is not None
    text = str(error)
    assert f"column {column!r} states 2 coordinate systems" in text and "line 4" in text


def test_one_utm_zone_stated_other_than_the_crs_is_refused(tmp_path: Path) -> None:
    """Before: ``utm_zone`` 32N on every row, read in ``crs: EPSG:32631`` (zone 31N),
    without a word: every well 6 degrees of longitude off."""
    path = _wells(tmp_path / "wells.csv", "utm_zone", ["32N", "32N"], [300_000, 310_000])
    _, _, error = _caught(lambda: read_points(path, x="easting", y="northing",
                                              crs="EPSG:32631", columns=["li"],
                                              to_crs="EPSG:4326"))
    assert error is not None
    text = str(error)
    assert "'utm_zone'" in text and "'32N'" in text and "EPSG:32631" in text
    assert "6° of longitude" in text and "crs:" in text


@pytest.mark.parametrize(("zones", "eastings"), [
    (["1", "2", "3", "2"], [650_000, 660_000, 650_000, 660_000]),
    (["31U", "31", "31N", "31"], [650_000, 660_000, 650_000, 660_000]),
], ids=["ore-zones", "one-zone-spelt-three-ways"])
def test_ore_zones_and_one_zone_spelt_several_ways_read(tmp_path: Path, zones: list[str],
                                                        eastings: list[float]) -> None:
    """Control: a ``zone`` column of ore zones (1, 2, 3: no UTM zone of the ``crs``), and
    one zone written ``31``, ``31N`` and ``31U`` (an MGRS latitude band), read as before."""
    path = _wells(tmp_path / "wells.csv", "zone", zones, eastings)
    table, _, error = _caught(lambda: read_points(path, x="easting", y="northing",
                                                  crs="EPSG:32631", columns=["li"],
                                                  to_crs="EPSG:4326"))
    assert error is None, error
    assert len(table.x) == 4 and (table.x > 5).all()


# --- degrees typed in the other notation ---------------------------------------------------

@pytest.mark.parametrize(("text", "cell", "read"), [
    ("lon;lat;li\n5.123;52.100;1,5\n5.234;52.200;2,5\n5.345;52.300;3,5\n", "'5.123'", "5123"),
    ("lon;lat;li\n5,123;52,100;1.5\n5,234;52,200;2.5\n5,345;52,300;3.25\n", "'5,123'",
     "5123"),
], ids=["points-in-a-table-of-commas", "commas-in-a-table-of-points"])
def test_degrees_typed_in_the_other_notation_are_named(tmp_path: Path, text: str, cell: str,
                                                       read: str) -> None:
    """Before: "they look like metres of a projected CRS (x 5123 to 5345 ...): set 'crs:'
    ... to their UTM zone": the degrees were typed with a point in a table of decimal
    commas (or the other way round), so the table's notation read the point as grouping
    thousands, and no CRS would have placed them."""
    path = tmp_path / "samples.csv"
    path.write_text(text, encoding="utf-8")
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:4326"))
    assert error is not None
    message = str(error)
    assert f"column 'lon' writes {cell}" in message and f"reads as {read}" in message
    assert "look like metres" not in message


# --- radiometric equivalents and total rare earths -----------------------------------------

@pytest.mark.parametrize(("column", "commodity"), [
    ("eU", "uranium"), ("eU_ppm", "uranium"), ("eU (ppm)", "uranium"), ("eTh_ppm", "thorium"),
    ("TREE", "rare earths"), ("TREE_ppm", "rare earths"),
])
def test_equivalent_and_total_grades_name_their_commodity(column: str, commodity: str) -> None:
    """Before: a radiometric survey's ``eU`` (equivalent uranium, from the gamma counts of
    its daughters) was a grade of europium, so a uranium model labelled by it was told
    "set model.mineral to 'europium'"; ``TREE`` (total rare-earth elements) named none,
    so a lithium model labelled by it was not warned of."""
    from prospect.config.commodities import column_commodity, grade_of_another

    assert column_commodity(column) == commodity
    assert grade_of_another(commodity, column) is None
    assert grade_of_another("lithium", column) == commodity


@pytest.mark.parametrize(("column", "commodity"), [
    ("Eu_ppm", "europium"), ("EU", "europium"), ("eK_pct", None), ("Eu", "europium")])
def test_europium_and_potassium_stay_what_they_were(column: str, commodity: str | None) -> None:
    """Control: europium in symbol case or capitals stays europium; ``eK`` names none."""
    from prospect.config.commodities import column_commodity

    assert column_commodity(column) == commodity


# --- hidden sheets -----------------------------------------------------------------------

SAMPLES = [["lon", "lat", "li"]] + [[x, y, 10.0 + i] for i, (x, y) in enumerate(PLACES)]
"""A sheet of four SYNTHETIC samples."""


def test_a_hidden_sheet_read_for_its_coordinates_is_said(tmp_path: Path) -> None:
    """Before: a workbook whose visible sheet is a README and whose samples sit in a
    sheet the author hid (a raw or superseded copy) was read at the hidden sheet without a
    word."""
    path = _xlsx(tmp_path / "survey.xlsx", sheets={
        "README": [["Assays of the 2024 campaign"], ["see sheet 'final'"]],
        "raw": SAMPLES}, hidden=("raw",))
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert len(table.x) == 4
    assert any("'raw'" in s and "hides it" in s and "layer:" in s for s in said), said
    table, said, error = _caught(lambda: read_points(path, columns=["li"], layer="raw",
                                                     to_crs="EPSG:28992"))
    assert error is None and not any("hides" in s for s in said), said


def test_sheets_to_choose_from_are_named_with_the_hidden_ones_said(tmp_path: Path) -> None:
    """Before: "the workbook holds 2 sheets: 'old' (4 rows), 'new' (4 rows)": which one
    the author hid (the old one) was not said."""
    path = _xlsx(tmp_path / "survey.xlsx", sheets={"old": SAMPLES, "new": SAMPLES},
                 hidden=("old",))
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:28992"))
    assert error is not None
    assert "'old' (4 rows, hidden)" in str(error) and "'new' (4 rows)" in str(error)


def test_a_hidden_readme_beside_the_samples_says_nothing(tmp_path: Path) -> None:
    """Control: a hidden sheet that is not read says nothing."""
    path = _xlsx(tmp_path / "survey.xlsx", sheets={
        "README": [["Assays of the 2024 campaign"]], "samples": SAMPLES}, hidden=("README",))
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert len(table.x) == 4 and not any("hid" in s for s in said), said


# --- grades above an upper limit -------------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("lon,lat,Li_ppm\n5.1,52.1,120\n5.11,52.11,>1000\n5.12,52.12,<5\n5.13,52.13,300\n",
     [120.0, 1000.0, np.nan, 300.0]),
    ("lon;lat;Li_ppm\n5,1;52,1;120,5\n5,11;52,11;≥ 2.500\n5,12;52,12;<5\n5,13;52,13;300\n",
     [120.5, 2500.0, np.nan, 300.0]),
], ids=["greater", "at-least-in-decimal-commas"])
def test_labels_read_a_grade_above_its_upper_limit_as_the_limit(
        tmp_path: Path, text: str, want: list[float]) -> None:
    """Before: the richest sample, ``>1000`` (above the lab's upper limit), was a grade
    that is no number, "never a positive": a negative label at the best occurrence."""
    from prospect.models.labels import grade_positives

    path = tmp_path / "occ.csv"
    path.write_text(text, encoding="utf-8")
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="Li_ppm"))
    assert error is None, error
    np.testing.assert_array_equal(occ.values, want)
    assert any("above an upper limit" in s and "line 3" in s for s in said), said
    positive, _ = grade_positives(occ.values, threshold=500.0)
    assert positive.tolist() == [False, True, False, False]


def test_a_value_above_its_upper_limit_is_not_told_to_be_halved(tmp_path: Path) -> None:
    """Before: ``>1000`` in a surface's column was one of the "detection limits: give them
    as numbers (e.g. half the limit)", 500 for a grade of at least 1000."""
    path = _csv(tmp_path / "assays.csv", "li", ["120", ">1000", "<5", "300"])
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:28992"))
    assert error is None, error
    assert np.isnan(table.values["li"][[1, 2]]).all()  # (a surface: missing, as before)
    line = next(s for s in said if "not finite" in s)
    assert "1 are above an upper limit ('>1000')" in line and "at least its limit" in line
    assert "1 are detection limits ('<5')" in line


@pytest.mark.parametrize("code", [">", "G"])
def test_labels_read_a_grade_flagged_above_its_limit_as_the_limit(tmp_path: Path,
                                                                  code: str) -> None:
    """Before: a grade of 1000 flagged ``>`` (USGS NGDB: ``G``) in ``Li_ppm_Q`` was read as
    missing, "never a positive", so the richest occurrence was a negative label; a surface
    still reads it as missing (``test_tables_round12``)."""
    path = tmp_path / "occ.csv"
    path.write_text("lon,lat,Li_ppm,Li_ppm_Q\n5.1,52.1,120,\n5.11,52.11,1000,"
                    f"{code}\n5.12,52.12,5,<\n", encoding="utf-8")
    occ, said, error = _caught(lambda: read_occurrences(path, RD, value_column="Li_ppm"))
    assert error is None, error
    np.testing.assert_array_equal(occ.values, [120.0, 1000.0, np.nan])
    assert any("1 are flagged above the upper limit by column 'Li_ppm_Q' (line 3): each is "
               "read as its value, the limit" in s for s in said), said


# --- UTF-16 without a byte-order mark ------------------------------------------------------

@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path: Path, codec: str) -> None:
    """Before: "not a text table as read: it holds NUL bytes at every other place, UTF-16
    text without a byte-order mark; save it as CSV (UTF-8)", where every other byte NUL
    and none of the others tells the reading (a .NET or Java program's Unicode bytes)."""
    path = tmp_path / "assays.csv"
    path.write_bytes("lon,lat,li (µg/g)\n5.1,52.1,12.5\n5.11,52.11,13.5\n".encode(codec))
    table, _, error = _caught(lambda: read_points(path, columns=["li (µg/g)"],
                                                  to_crs="EPSG:28992"))
    assert error is None, error
    np.testing.assert_array_equal(table.values["li (µg/g)"], [12.5, 13.5])


def test_utf16_padded_with_nul_bytes_stays_refused(tmp_path: Path) -> None:
    """Control: UTF-16 without a mark that ends in NUL bytes (a copy cut short) is not
    taken for a table."""
    path = tmp_path / "assays.csv"
    path.write_bytes("lon,lat,li\n5.1,52.1,12.5\n".encode("utf-16-le") + b"\0" * 64)
    _, _, error = _caught(lambda: read_points(path, columns=["li"], to_crs="EPSG:28992"))
    assert error is not None and "NUL" in str(error)
