"""Round 65b: what round 65 left of labels and point tables. A detection-limit column named
in ``limits:`` in another unit than its grades (``lod_pct`` beside ``li_ppm``) was read in
the grades' unit, 10 000 times too low; one record about 1 000 km off the region (a
latitude typed 61.0 for 52.0) was counted outside it by the labels and read by a surface
without a word; a workbook GDAL cannot open (an Excel 97-2003 ``.xls``, a workbook saved
with a password, one cut short, a portal's web page named ``.xls``) was said in GDAL's
words, its fix a driver prefix.

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``), the
point reader (``prospect.io.points.read_points``) and a surface's points
(``prospect.ingest.surfaces.surface_points``) tables as laboratories, spreadsheets and
portals export them (2026-12-08). Every table is small and SYNTHETIC: round 56's eight
wells in the Netherlands (as rounds 62b to 65), and a SYNTHETIC grid of 36 wells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.errors import DataError, InputFileError
from prospect.ingest.surfaces import surface_points
from prospect.io.points import source_options
from prospect.models.labels import read_occurrences

from .test_labels_round62b import NL, NL_PLACES
from .test_labels_round64 import _GRADES, _labels, _points, _write
from .test_vectors_round22 import _caught

# --- a detection-limit column in another unit than its grades ----------------------------------


def _limited(limits: list[str]) -> list[str]:
    """SYNTHETIC grades under ``li_ppm`` (lines 3 and 6 below a limit) with each row's
    detection limit ``limits`` beside."""
    grades = ["12", "<LOD", "15", "20", "BDL", "13", "14", "16"]
    return [f"{g},{lim}" for g, lim in zip(grades, limits, strict=True)]


_PCT = ["0.00005"] * 3 + ["0.0001"] * 2 + ["0.00005"] * 3
"""The limits 0.5 and 1 ppm in percent."""
_PPB = ["500"] * 3 + ["1000"] * 2 + ["500"] * 3
"""The same in ppb."""


def _source(path: Path, **keys: Any) -> PointSource:
    """A points source of the SYNTHETIC wells at ``path`` (lon/lat)."""
    return PointSource(kind="points", name="wells", path=str(path), **keys)


@pytest.mark.parametrize(("name", "limits"), [
    ("lod_pct", _PCT), ("Detection limit (%)", _PCT), ("lod_ppb", _PPB)],
    ids=["pct", "bracketed-pct", "ppb"])
def test_a_limit_column_in_another_unit_is_converted_for_the_labels(
        tmp_path: Path, name: str, limits: list[str]) -> None:
    """SYNTHETIC: ``limits: {li_ppm: lod_pct}``, the limits 0.00005 % and 0.0001 %
    (0.5 and 1 ppm). Before: read as 0.00005 ppm (a label below it a negative under any
    threshold); now converted by the units the headers name: 0.5, 1."""
    path = _write(tmp_path, f"lon,lat,li_ppm,{name}", _limited(limits))
    source = _source(path, limits={"li_ppm": name})
    occ, _, error = _caught(lambda: read_occurrences(
        path, NL, value_column="li_ppm", **source_options(source)))
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit


def test_a_limit_column_in_another_unit_is_converted_for_a_surface(tmp_path: Path) -> None:
    """SYNTHETIC: the same table read for a surface: each value below its limit is half
    of it in ppm (0.25, 0.5), where it was 2.5e-05 and 5e-05."""
    path = _write(tmp_path, "lon,lat,li_ppm,lod_pct", _limited(_PCT))
    table, said, error = _points(path, "li_ppm", limits={"li_ppm": "lod_pct"})
    assert error is None, error
    assert table.values["li_ppm"].tolist() == [12.0, 0.25, 15.0, 20.0, 0.5, 13.0, 14.0, 16.0]
    assert any("each is read as half its limit (0.25)" in w for w in said), said


@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
def test_a_limit_column_in_a_unit_of_another_quantity_is_refused(
        tmp_path: Path, read: Any) -> None:
    """SYNTHETIC: ``lod_mg_l`` (a water's limits) named for ``li_ppm``. Before: read as
    ppm; now refused naming both units and the fix."""
    path = _write(tmp_path, "lon,lat,li_ppm,lod_mg_l", _limited(["0.5"] * 8))
    _, _, error = read(path, "li_ppm", limits={"li_ppm": "lod_mg_l"})
    assert isinstance(error, DataError), error
    assert str(error) == (
        f"{path}: 'limits' names 'lod_mg_l' as the detection-limit column of 'li_ppm', but "
        "its limits are in mg/l and the grades in ppm, which cannot be converted one into "
        "the other; give the limits in ppm, or name a detection-limit column in ppm"), error


@pytest.mark.parametrize("name", ["lod_ppm", "DL", "lod_mg_kg"])
def test_control_a_limit_column_in_the_grades_unit_or_none_is_read_as_before(
        tmp_path: Path, name: str) -> None:
    """SYNTHETIC control: a limit column in ppm, in mg/kg (one unit) or stating none:
    its numbers are the limits, as before."""
    path = _write(tmp_path, f"lon,lat,li_ppm,{name}", _limited(["0.5"] * 3 + ["1"] * 2
                                                              + ["0.5"] * 3))
    occ, _, error = _labels(path, "li_ppm", limits={"li_ppm": name})
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit


# --- a record about 1 000 km off the region -----------------------------------------------------


def _far_said(kept: str, line: int) -> str:
    return (f"1 record(s) lie far outside region 'nlrd', where the rest of the table lies "
            f"(950 km from it; line {line}; e.g. x=5.1, y=61): a coordinate typo, a digit "
            f"or sign lost, or a row in another CRS than the table's? They are {kept}, "
            "outside the region; correct their coordinates in the table, or delete the rows")


def test_a_record_far_off_the_region_is_said_by_the_labels(tmp_path: Path) -> None:
    """SYNTHETIC: the eight wells and one typed 61.0 N for 52.0 N, 950 km north of the
    region. Before: counted outside the region without a word; now said, with the line."""
    path = _write(tmp_path, "lon,lat,li", _GRADES, ["5.1,61.0,99"])
    _, said, error = _labels(path)
    assert error is None, error
    assert any(w.endswith(_far_said("left out of the labels", 10)) for w in said), said


@pytest.fixture(scope="module")
def _many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC: 36 wells in the region on a grid, and one typed 61.0 N (line 38)."""
    folder = tmp_path_factory.mktemp("many")
    rows = [f"{5.1 + 0.04 * (i % 6):.2f},{52.0 + 0.05 * (i // 6):.2f},{10 + i}"
            for i in range(36)]
    path = folder / "wells.csv"
    path.write_text("lon,lat,li\n" + "\n".join([*rows, "5.1,61.0,99"]) + "\n")
    return path


def test_a_record_far_off_the_region_is_said_by_a_surface(_many: Path) -> None:
    """SYNTHETIC: the 36 wells and the far one, for an IDW surface (12 neighbours: the
    far well takes no part). Before: read without a word; now said, every record kept."""
    source = _source(_many, columns=["li"], interpolate=["idw"])
    table, said, error = _caught(lambda: surface_points(source, NL))
    assert error is None, error
    assert len(table) == 37
    assert any(w.endswith(_far_said(
        "read where they are given (taking no part in the region's values)", 38))
        for w in said), said


def test_control_a_turned_sign_is_said_once_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: a longitude that lost its minus sign: said as a turned sign,
    as before, not as a far record too."""
    path = _write(tmp_path, "lon,lat,li", _GRADES, ["-5.3,52.1,99"])
    _, said, error = _labels(path)
    assert error is None, error
    assert any("with the sign of their longitude turned" in w for w in said), said
    assert not any("lie far outside" in w for w in said), said


def test_control_a_table_reaching_beyond_the_region_is_not_said(tmp_path: Path) -> None:
    """SYNTHETIC control: the eight wells and three others in the south of Norway
    (a table wider than the region, not a slip): nothing said of far records."""
    extra = ["5.1,61.0,99", "6.0,60.5,98", "7.0,59.5,97"]
    _, said, error = _labels(_write(tmp_path, "lon,lat,li", _GRADES, extra))
    assert error is None, error
    assert not any("lie far outside" in w for w in said), said


# --- a workbook GDAL cannot open ----------------------------------------------------------------


_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
"""A compound file's first bytes (an Excel 97-2003 workbook, or one saved with a password)."""
_CSV = ("open it in Excel (or LibreOffice Calc) and save the sheet as 'CSV UTF-8 (Comma "
        "delimited)', then give that file as the path")


@pytest.mark.parametrize(("name", "data", "said"), [
    ("old.xls", _CFB, "it is an Excel 97-2003 workbook (.xls), which Prospect has no reader "
     f"for; {_CSV}"),
    ("locked.xlsx", _CFB, "it is a workbook saved with a password (encrypted: a compound "
     "file, not the zip a .xlsx file is), which cannot be read without it; remove the "
     f"password (File > Info > Protect Workbook), or {_CSV}"),
    ("cut.xlsx", b"PK\x03\x04" + bytes(200), "it is a zip file GDAL cannot open as a "
     "workbook: damaged or cut short (a copy, download or sync unfinished?); copy it again "
     f"from its source, or {_CSV}"),
    ("portal.xls", b"<html><body><table><tr><td>lon</td></tr></table></body></html>",
     "it holds text (a web page or a text table with a spreadsheet's suffix, as some "
     "portals' 'Excel' exports are), not a workbook; give it a .csv suffix if it is comma- "
     f"or tab-separated text, else {_CSV}"),
], ids=["xls", "password", "cut-short", "web-page"])
@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
def test_a_workbook_gdal_cannot_open_is_said_with_what_it_is(
        tmp_path: Path, name: str, data: bytes, said: str, read: Any) -> None:
    """SYNTHETIC: workbooks as users meet them. Before: GDAL's "not recognized as being
    in a supported file format ... prefixing the file path with '<DRIVER>:'"; now what
    the file is and how to export it, no traceback."""
    path = tmp_path / name
    path.write_bytes(data)
    _, _, error = read(path)
    assert isinstance(error, InputFileError), error
    assert str(error) == f"{path}: cannot read the spreadsheet: {said}", error


def test_control_a_utf16_tab_text_export_reads_its_wells(tmp_path: Path) -> None:
    """SYNTHETIC control: Excel's "Unicode Text" (UTF-16, tabs, CRLF) saved as ``.txt``:
    the eight wells and their grades, as before."""
    path = tmp_path / "wells.txt"
    rows = [f"{x}\t{y}\t{g}" for (x, y), g in zip(NL_PLACES, _GRADES, strict=True)]
    path.write_bytes(("lon\tlat\tli\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-16"))
    table, _, error = _points(path)
    assert error is None, error
    assert table.values["li"].tolist() == list(map(float, _GRADES))


def test_control_a_real_workbook_reads_its_wells(tmp_path: Path) -> None:
    """SYNTHETIC control: the eight wells in a real ``.xlsx`` (GDAL's XLSX writer): read
    as a table, as before, no workbook said."""
    import pandas as pd
    import pyogrio

    path = tmp_path / "wells.xlsx"
    pyogrio.write_dataframe(pd.DataFrame({
        "lon": [x for x, _ in NL_PLACES], "lat": [y for _, y in NL_PLACES],
        "li": [float(g) for g in _GRADES]}), path, driver="XLSX")
    table, _, error = _points(path)
    assert error is None, error
    assert table.values["li"].tolist() == list(map(float, _GRADES))
