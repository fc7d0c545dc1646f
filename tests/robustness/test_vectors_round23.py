"""Cell types of OpenDocument sheets, percentage cells and geometries written as WKT
text, as survey scientists bring them.

Found by feeding the point reader (``prospect.io.points``) and the labels reader what
round 22 left and the forms exports take (2026-12-03): an ``.ods`` sheet's cells were read
only as GDAL gives them (a column of number cells and text numbers in decimal commas
refused as "both notations", and below a title unreadable in ``decimal: ","``; its hidden
rows read without a word; a header cell merged across a value and its flag column naming
the value only, the flag ``<`` never read); a column formatted as percentages (``1.2%``)
was read as the stored fraction (0.012) under a header saying ``%``, a hundredth of the
grade, in ``.ods`` and ``.xlsx`` alike; a CSV whose only geometry is a column of WKT
(``POINT (5.1 52.1)``, as QGIS and PostGIS export a layer) was refused with an
``ogr2ogr`` line, where GDAL itself reads it. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pytest

from prospect.errors import DataError
from prospect.io.points import read_points
from prospect.models.labels import read_occurrences

from .test_vectors_round21 import _xlsx
from .test_vectors_round22 import RD, _caught

_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def _ods_cell(value: Any) -> str:
    """A cell of a ``content.xml``: text (``str``), a number, ``None`` (empty),
    ``("percentage", 0.012, "1.2%")`` (a typed cell: its stored value and what it shows)
    or ``("span", 2, inner)`` (``inner`` spanning 2 columns)."""
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, tuple) and value[0] == "span":
        inner = _ods_cell(value[2]).replace(
            "<table:table-cell", f'<table:table-cell table:number-columns-spanned="{value[1]}"',
            1)
        return inner + "<table:covered-table-cell/>" * (value[1] - 1)
    if isinstance(value, tuple):
        kind, stored, shown = value
        return (f'<table:table-cell office:value-type="{kind}" office:value="{stored}">'
                f"<text:p>{escape(shown)}</text:p></table:table-cell>")
    if isinstance(value, str):
        return (f'<table:table-cell office:value-type="string"><text:p>{escape(value)}'
                "</text:p></table:table-cell>")
    return (f'<table:table-cell office:value-type="float" office:value="{value!r}">'
            f"<text:p>{value!r}</text:p></table:table-cell>")


def _ods(path: Path, rows: list[list[Any]], hidden: tuple[int, ...] = (),
         tail: int = 0) -> Path:
    """An OpenDocument sheet of ``rows`` as LibreOffice writes one: typed cells, rows
    ``hidden`` (from 1) collapsed, ``tail`` empty rows repeated at its end."""
    collapsed = ' table:visibility="collapse"'
    body = "".join(
        f"<table:table-row{collapsed if i in hidden else ''}>"
        + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
        for i, row in enumerate(rows, 1))
    if tail:
        body += (f'<table:table-row table:number-rows-repeated="{tail}">'
                 '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
               'office:version="1.2"><office:body><office:spreadsheet>'
               f'<table:table table:name="wells">{body}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    kind = "application/vnd.oasis.opendocument.spreadsheet"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), kind)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{kind}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>'))
    return path


def _read(path: Path, **options: Any) -> tuple[Any, list[str], Exception | None]:
    options.setdefault("to_crs", "EPSG:28992")
    return _caught(lambda: read_points(path, **options))


# --- an .ods sheet's cell types, hidden rows and merged cells (left by round 22) -----------

MIXED = [["lon", "lat", "li"], [5.1234, 52.1234, 1.125], ["5,2345", "52,2345", "1.250,5"],
         [5.3456, 52.1456, 3]]
"""Number cells beside text cells in decimal commas (typed, or pasted from a Dutch export)."""


@pytest.mark.parametrize("title", [False, True])
def test_an_ods_column_of_number_cells_and_text_numbers_reads_each_as_it_is(
        tmp_path: Path, title: bool) -> None:
    """SYNTHETIC ``.ods`` sheet: number cells and text cells in decimal commas in one
    column (below a title ``Wells 1991`` in the second case, read in ``decimal: ","``).
    Before: refused as "decimal commas ... and decimal points" (only an ``.xlsx``
    sheet's XML was read for its cell types), and below a title ``decimal: ","`` was
    refused ("delete the rows above the header"). Now each cell reads as it is: the
    number cell 1.125 is 1.125, the text ``1.250,5`` is 1250.5."""
    path = _ods(tmp_path / "wells.ods", [["Wells 1991"], *MIXED] if title else MIXED)
    table, _, error = _read(path, columns=["li"], decimal="," if title else None)
    assert error is None, error
    assert np.allclose(table.values["li"], [1.125, 1250.5, 3.0]), table.values
    plain = read_points(_ods(tmp_path / "plain.ods", [MIXED[0], MIXED[1]]), to_crs="EPSG:28992")
    assert np.allclose(table.x[:1], plain.x) and np.allclose(table.y[:1], plain.y)


def test_an_ods_sheets_hidden_rows_are_said(tmp_path: Path) -> None:
    """SYNTHETIC ``.ods`` sheet whose row 3 is hidden (a filter saved with the sheet),
    with LibreOffice's repeated empty rows to the sheet's end. Before: read as every
    other row without a word (only an ``.xlsx`` sheet's hidden rows were said)."""
    path = _ods(tmp_path / "wells.ods", [["lon", "lat", "li"], [5.1, 52.1, 1],
                                         [5.2, 52.2, 2], [5.3, 52.3, 3]],
                hidden=(3,), tail=1_048_572)
    table, said, error = _read(path, columns=["li"])
    assert error is None and len(table.x) == 3, error
    assert any("1 of 3 row(s) of the sheet are hidden (rows 3" in s for s in said), said


def test_an_ods_header_cell_merged_over_a_value_and_its_flag_is_refused(
        tmp_path: Path) -> None:
    """SYNTHETIC ``.ods`` sheet whose header cell ``li`` spans the value column and its
    flag column (``<`` on the first row). Before: the value read as a measurement (1, a
    value below its detection limit) and the flag never read, without a word."""
    path = _ods(tmp_path / "wells.ods", [["lon", "lat", ("span", 2, "li")],
                                         [5.1, 52.1, 1, "<"], [5.2, 52.2, 2, None],
                                         [5.3, 52.3, 3, None]])
    _, _, error = _read(path, columns=["li"])
    assert isinstance(error, DataError), error
    assert "the header's cell C1:D1 ('li') is merged across 2 columns" in str(error), error


# --- cells formatted as percentages -----------------------------------------------------------

def _xlsx_styled(path: Path, rows: list[list[Any]], percent: list[str],
                 code: str | None = None) -> Path:
    """:func:`_xlsx`'s workbook with the cells ``percent`` (``C2``) formatted as
    percentages: Excel's built-in ``0.00%`` or a format of its own (``code``)."""
    _xlsx(path, rows)
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref in percent:
        sheet = sheet.replace(f'<c r="{ref}">', f'<c r="{ref}" s="1">')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    own = (f'<numFmts count="1"><numFmt numFmtId="164" formatCode={quoteattr(code)}/>'
           "</numFmts>" if code else "")
    parts["xl/styles.xml"] = (
        '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{own}<cellXfs count="2"><xf numFmtId="0"/>'
        f'<xf numFmtId="{164 if code else 10}" applyNumberFormat="1"/></cellXfs>'
        "</styleSheet>").encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


PERCENT_ROWS = [["lon", "lat", "Li2O_pct"], [5.1, 52.1, 0.012], [5.2, 52.2, 0.008],
                [5.3, 52.3, 0.015]]
"""Li2O grades typed as ``1.2%``, ``0.8%``, ``1.5%`` in a column formatted as Percent (the
sheet stores 0.012, 0.008, 0.015)."""


@pytest.mark.parametrize("kind", ["ods", "xlsx", "xlsx own format"])
def test_cells_formatted_as_percentages_read_as_the_sheet_shows_them(
        tmp_path: Path, kind: str) -> None:
    """SYNTHETIC sheet of Li2O grades in a column formatted as Percent under a header
    ``Li2O_pct``. Before: read as the stored fractions (0.012 for ``1.2%``) and recorded
    as %, a hundredth of every grade, without a word. Now read as shown (1.2) in %."""
    if kind == "ods":
        path = _ods(tmp_path / "grades.ods", [PERCENT_ROWS[0], *[
            [*row[:2], ("percentage", row[2], f"{row[2] * 100:.1f}%")]
            for row in PERCENT_ROWS[1:]]])
    else:
        path = _xlsx_styled(tmp_path / "grades.xlsx", PERCENT_ROWS, ["C2", "C3", "C4"],
                            '0.0" "%' if kind == "xlsx own format" else None)
    table, _, error = _read(path, columns=["Li2O_pct"])
    assert error is None, error
    assert table.values["Li2O_pct"].tolist() == [1.2, 0.8, 1.5], table.values
    assert table.units == {"Li2O_pct": "%"}, table.units


def test_a_format_of_percent_as_text_is_no_percentage(tmp_path: Path) -> None:
    """SYNTHETIC control: a number format that writes ``%`` only as quoted text
    (``0.00"%"`` is a plain number followed by a percent sign) is no percentage: the
    cells stay as stored (passes before and after)."""
    path = _xlsx_styled(tmp_path / "grades.xlsx", [PERCENT_ROWS[0], [5.1, 52.1, 1.2],
                                                   [5.2, 52.2, 0.8]], ["C2", "C3"],
                        '0.00"%"')
    table, _, error = _read(path, columns=["Li2O_pct"])
    assert error is None and table.values["Li2O_pct"].tolist() == [1.2, 0.8], error


def test_a_column_of_percentages_and_plain_numbers_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC ``.ods`` grade column of ``1.2%`` (a percentage cell) above a plain
    number cell 0.8 (typed without the format: 0.8 % or 80 %?). Before: read as 0.012
    and 0.8, a factor of 100 between two rows of one column, without a word."""
    path = _ods(tmp_path / "grades.ods", [["lon", "lat", "Li2O"],
                                          [5.1, 52.1, ("percentage", 0.012, "1.2%")],
                                          [5.2, 52.2, 0.8]])
    _, _, error = _read(path, columns=["Li2O"])
    assert isinstance(error, DataError), error
    assert "column 'Li2O' holds cells formatted as percentages" in str(error), error
    assert "(row 3)" in str(error), error


def test_labels_read_percentage_grades_as_shown(tmp_path: Path) -> None:
    """SYNTHETIC occurrence sheet graded in Li2O % (formatted as Percent). Before: the
    grades read as fractions (0.012), so a ``min_value`` of 1 (%) made none positive."""
    path = _ods(tmp_path / "occ.ods", [["lon", "lat", "grade"], *[
        [5.1 + i / 10, 52.1, ("percentage", g, f"{g * 100:.1f}%")]
        for i, g in enumerate([0.012, 0.008, 0.015])]])
    occ, _, error = _caught(lambda: read_occurrences(path, RD, value_column="grade"))
    assert error is None, error
    assert sorted(np.round(occ.values, 6).tolist()) == [0.8, 1.2, 1.5], occ.values


# --- a table whose geometries are a column of WKT (left by round 17) --------------------------

def test_a_table_of_wkt_points_is_read(tmp_path: Path) -> None:
    """SYNTHETIC "CSV with geometry as WKT" (QGIS's export; GDAL's CSV driver reads a
    ``WKT`` column by itself) with an empty cell and one that is no WKT. Before: refused
    ("no column(s) ['lon', 'lat'] ... save the table as a vector file", an ``ogr2ogr``
    line). Now read, the two rows dropped naming their lines and why."""
    (tmp_path / "wells.csv").write_text(
        'WKT,li\n"POINT (5.1 52.1)",1\n"POINT Z (5.2 52.2 3)",2\n,3\n"POINT (5.3",4\n')
    table, said, error = _read(tmp_path / "wells.csv", columns=["li"])
    assert error is None, error
    lonlat = read_points(_csv(tmp_path / "xy.csv", "lon,lat,li\n5.1,52.1,1\n5.2,52.2,2\n"),
                         to_crs="EPSG:28992", columns=["li"])
    assert np.allclose(table.x, lonlat.x) and np.allclose(table.y, lonlat.y), table
    assert table.values["li"].tolist() == [1.0, 2.0] and table.lines.tolist() == [2, 3]
    dropped = [s for s in said if "without usable geometry (column 'WKT', WKT)" in s]
    assert dropped and "(lines 4, 5)" in dropped[0], said
    assert "line 5 holds no WKT geometry (e.g. 'POINT (5.3')" in dropped[0], said


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_ewkt_points_are_read_in_the_crs_their_srid_states(tmp_path: Path) -> None:
    """SYNTHETIC PostGIS export of EWKT points in RD New (``SRID=28992;POINT (...)``).
    Before: refused as a table without coordinates. Now read in EPSG:28992 (the SRID
    stated, the points source stating no ``crs``)."""
    path = _csv(tmp_path / "wells.csv", "id,geom,li\n1,SRID=28992;POINT (135000 456000),5\n"
                "2,SRID=28992;POINT (142000.5 468000),6\n")
    table, _, error = _read(path, columns=["li"])
    assert error is None, error
    assert table.source_crs == "EPSG:28992" and table.x.tolist() == [135000.0, 142000.5]


@pytest.mark.parametrize("case", ["crs stated otherwise", "two srids"])
def test_ewkt_of_another_crs_than_stated_is_refused(tmp_path: Path, case: str) -> None:
    """SYNTHETIC EWKT points whose SRID disagrees with the points source's ``crs``, or
    two SRIDs in one column. Before: refused as a table without coordinates (the fix
    offered, ``ogr2ogr ... -a_srs EPSG:4326``, would have read the RD metres as
    degrees)."""
    second = "SRID=4326;POINT (5.1 52.1)" if case == "two srids" else \
        "SRID=28992;POINT (142000 468000)"
    path = _csv(tmp_path / "wells.csv",
                f"geom,li\nSRID=28992;POINT (135000 456000),5\n{second},6\n")
    options = {"crs": "EPSG:4326", "override_crs": True} if case != "two srids" else {}
    _, _, error = _read(path, columns=["li"], **options)
    assert isinstance(error, DataError), error
    needle = ("says its geometries are in EPSG:28992" if case != "two srids" else
              "gives its geometries in 2 CRSs (SRID=4326 from line 3, SRID=28992 from line 2)")
    assert needle in str(error), error


def test_labels_read_wkt_outlines(tmp_path: Path) -> None:
    """SYNTHETIC occurrence table of a WKT outline and a WKT point. Before: refused
    ("no column(s) ['lon', 'lat']"). Now the outline labels the cells it covers."""
    path = _csv(tmp_path / "occ.csv", 'name,WKT\nA,"POLYGON ((5.1 52.1, 5.11 52.1, 5.11 '
                '52.11, 5.1 52.11, 5.1 52.1))"\nB,POINT (5.2 52.2)\n')
    occ, _, error = _caught(lambda: read_occurrences(path, RD))
    assert error is None, error
    assert occ.n_records == 2 and occ.polygon is not None and occ.polygon.sum() > 50, occ


# --- grades named by a chemical formula -------------------------------------------------------

@pytest.mark.parametrize(("column", "commodity"), [
    ("WO3_pct", "tungsten"), ("TiO2", "titanium"), ("MnO_pct", "manganese"),
    ("LiCl_mg_l", "lithium"), ("TREO_pct", "rare earths"), ("CO2_ppm", None)])
def test_grades_named_by_a_formula_are_of_their_element(column: str,
                                                        commodity: str | None) -> None:
    """SYNTHETIC labels' grade columns named by an oxide or salt (``WO3_pct`` for a
    lithium model: the mineral changed and the labels not). Before: ``WO3``, ``TiO2``,
    ``MnO``, ``LiCl`` and ``TREO`` named no commodity, so the warning that the labels are
    grades of another commodity never came (a lithium model trained on tungsten
    grades, its card saying lithium), and ``CO2_ppm`` was cobalt."""
    from prospect.config.commodities import column_commodity, grade_of_another

    assert column_commodity(column) == commodity
    other = "potash" if commodity == "lithium" else "lithium"
    assert grade_of_another(other, column) == commodity


def test_blank_rows_above_a_sheets_header_are_skipped_without_a_word(
        tmp_path: Path) -> None:
    """SYNTHETIC ``.ods`` sheet whose table starts on row 3 (two blank rows above it), its
    grades formatted as percentages. Before: "the header is row 3, not row 1: the row(s)
    above it () hold no record and are read as a title" (quoting nothing), and the
    grades read as fractions. Now nothing is said, and the number cells below keep
    their rows (1.2 % stays on the first record)."""
    path = _ods(tmp_path / "grades.ods", [[None, None, None], [None], PERCENT_ROWS[0],
                                          [5.1, 52.1, ("percentage", 0.012, "1.2%")],
                                          ["5,2", "52,2", ("percentage", 0.008, "0.8%")]])
    table, said, error = _read(path, columns=["Li2O_pct"])
    assert error is None and not said, (error, said)
    assert table.values["Li2O_pct"].tolist() == [1.2, 0.8] and table.lines.tolist() == [4, 5]


# --- cells that are no number, named for what they are ---------------------------------------

@pytest.mark.parametrize(("cells", "needle"), [
    (("1,5", "2,25"), "2 are written with a decimal comma ('1,5'): set 'decimal: \",\"'"),
    (("1.5±0.2", "2.5 +/- 0.3 ppm"), "2 give a value with its uncertainty ('1.5±0.2')"),
    (("0.5-1.0", "~3"), "2 are ranges or approximations ('0.5-1.0')")])
def test_cells_that_are_no_number_are_named_for_what_they_are(
        tmp_path: Path, cells: tuple[str, str], needle: str) -> None:
    """SYNTHETIC GeoJSON whose ``li`` property is a number on some features and text on
    others (``"1,5"`` typed in a decimal comma, ``1.5±0.2``, ``0.5-1.0``). Before: each was
    "write numbers only (units belong in the header)", naming a cause they do not have."""
    features = [{"type": "Feature", "properties": {"li": value},
                 "geometry": {"type": "Point", "coordinates": [5.1 + i / 10, 52.1]}}
                for i, value in enumerate([*cells, 3, 4])]
    path = tmp_path / "wells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    table, said, error = _read(path, columns=["li"])
    assert error is None and np.isnan(table.values["li"][:2]).all(), error
    (warned,) = [s for s in said if "not finite numbers" in s]
    assert needle in warned and "units belong" not in warned, warned


@pytest.mark.parametrize("text", ["lon,lat,Li2O\n5.1,52.1,1.2%\n5.2,52.2,0.8%\n5.3,52.3,\n",
                                  "lon;lat;Li2O\n5,1;52,1;1,2 %\n5,2;52,2;0,8 %\n5,3;52,3;\n"])
def test_a_text_tables_percentages_are_read_in_percent(tmp_path: Path, text: str) -> None:
    """SYNTHETIC CSV of a sheet's Percent column exported as text (``1.2%``, ``1,2 %``
    in a Dutch export). Before: refused as "numbers with a unit" (a sheet's percentage
    cells are now read). Now read as 1.2 and 0.8 in %."""
    table, _, error = _read(_csv(tmp_path / "grades.csv", text), columns=["Li2O"])
    assert error is None, error
    assert table.values["Li2O"][:2].tolist() == [1.2, 0.8] and table.units == {"Li2O": "%"}


def test_a_text_column_of_percentages_and_plain_numbers_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC CSV of ``1.2%`` above a plain ``0.8`` (0.8 % or 80 %?). Before: refused
    as "numbers with a unit" naming no row. Now refused naming the plain number's line."""
    path = _csv(tmp_path / "grades.csv", "lon,lat,li\n5.1,52.1,1.2%\n5.2,52.2,0.8\n"
                "5.3,52.3,1.5%\n")
    _, _, error = _read(path, columns=["li"])
    assert isinstance(error, DataError) and "plain numbers (line 3: '0.8')" in str(error), error
