"""A QGIS ``WKT`` export of RD New points beside its ``.prj``, and a table zipped with its
``.prj``, read in WGS 84 and refused, the ``.prj`` never looked at; a laboratory's words
for the upper limit (``>UDL 1000``, ``UDL(1000)``) reading the richest sample as missing,
and without the limit (``>UDL``, ``ULD``, ``over range``) or as ALS writes an insufficient
sample (``IS``, ``NSS``) told "write numbers only".

Found by feeding the point reader (``prospect.io.points.read_points``) and the train
stage's label reading (``prospect.models.training.read_labels``) what survey scientists,
their laboratories and their GIS tools hand over (2026-12-07), taking round 56's "found
and left". Every table is small and SYNTHETIC: round 35's eight Great Basin places and
round 56's eight wells in the Netherlands.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import CRS, Transformer

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.config.vsi import GdalPath
from prospect.io.points import read_points
from prospect.models.training import read_labels

from .test_labels_round35 import PLACES, _labels, _table
from .test_labels_round56 import GRADES, NL, NL_PLACES
from .test_vectors_round22 import _caught

_TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)
RD_PLACES = [_TO_RD.transform(*p) for p in NL_PLACES]
"""The SYNTHETIC wells in RD New metres."""


def _wkt_table(folder: Path, *, degrees: bool = False, srid: int | None = None) -> Path:
    """The SYNTHETIC wells as a QGIS CSV export, ``wells.csv`` (a ``WKT`` column of RD New
    metres, or of degrees, with ``SRID=`` before each when ``srid``), beside ``wells.prj``
    of RD New in ESRI WKT."""
    folder.mkdir(exist_ok=True)
    places = NL_PLACES if degrees else RD_PLACES
    prefix = f"SRID={srid};" if srid else ""
    path = folder / "wells.csv"
    path.write_text(
        "well,WKT,li\n"
        + "".join(
            f'W{i},"{prefix}POINT ({x:.5f} {y:.5f})",{g}\n'
            for i, ((x, y), g) in enumerate(zip(places, GRADES, strict=True))
        )
    )
    (folder / "wells.prj").write_text(CRS.from_epsg(28992).to_wkt("WKT1_ESRI"))
    return path


def _xy_table(folder: Path) -> Path:
    """The SYNTHETIC wells in RD New metres as ``wells.csv`` of ``x``/``y`` columns beside
    ``wells.prj`` (RD New)."""
    folder.mkdir(exist_ok=True)
    path = folder / "wells.csv"
    path.write_text(
        "well,x,y,li\n"
        + "".join(
            f"W{i},{x:.5f},{y:.5f},{g}\n"
            for i, ((x, y), g) in enumerate(zip(RD_PLACES, GRADES, strict=True))
        )
    )
    (folder / "wells.prj").write_text(CRS.from_epsg(28992).to_wkt("WKT1_ESRI"))
    return path


def _zipped(table: Path) -> Path:
    """``table`` and the ``.prj`` beside it zipped together, as they are sent."""
    packed = table.parent / "wells.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.write(table, table.name)
        archive.write(table.with_suffix(".prj"), "wells.prj")
    return packed


def _in_rd(table: Any) -> None:
    """``table``'s points are the SYNTHETIC wells in RD New."""
    assert table.source_crs == "EPSG:28992", table.source_crs
    assert np.allclose(table.x, [p[0] for p in RD_PLACES], atol=0.01), table.x
    assert np.allclose(table.y, [p[1] for p in RD_PLACES], atol=0.01), table.y


# --- a .prj beside a WKT export, or zipped with the table -------------------------------------


def test_a_wkt_csv_beside_its_prj_is_read_in_it(tmp_path: Path) -> None:
    """SYNTHETIC: a QGIS CSV export (``WKT`` column of RD New metres) beside its
    ``wells.prj``, the points source stating no ``crs``. Before: refused, "no row's
    geometry (column 'WKT', WKT) are valid in WGS 84", though the ``.prj`` says RD New
    (round 56 read it beside x/y columns only); now read in RD New: the points and the
    labels (8 positives)."""
    path = _wkt_table(tmp_path)
    table, _, error = _caught(lambda: read_points(path, to_crs="EPSG:28992", columns=["li"]))
    assert error is None and table is not None, error
    _in_rd(table)
    source = PointSource(kind="points", name="occ", path=str(path))
    out, _, error = _caught(lambda: read_labels(source, NL, LabelsConfig(source="occ")))
    assert error is None and out is not None, error
    assert out[0].n_positive == 8, out[0].counts


@pytest.mark.parametrize("kind", ["xy", "wkt", "vsizip", "gzip"])
def test_a_table_zipped_with_its_prj_is_read_in_it(tmp_path: Path, kind: str) -> None:
    """SYNTHETIC: ``wells.zip`` holding ``wells.csv`` (x/y columns, or a ``WKT`` column, of
    RD New metres) and ``wells.prj`` (RD New), named as the zip or as GDAL's
    ``/vsizip/.../wells.csv``, and ``wells.csv.gz`` beside ``wells.prj``. Before: the
    ``.prj`` was never read, the table read in WGS 84 and refused ("no row's coordinates
    ... are valid in WGS 84"); now read in RD New."""
    if kind == "xy":
        path, x, y = _zipped(_xy_table(tmp_path)), "x", "y"
    elif kind == "gzip":
        table = _xy_table(tmp_path)
        path, x, y = table.with_name("wells.csv.gz"), "x", "y"
        path.write_bytes(gzip.compress(table.read_bytes()))
        table.unlink()
    else:
        path, x, y = _zipped(_wkt_table(tmp_path)), "lon", "lat"
    if kind == "vsizip":
        path = GdalPath(f"/vsizip/{path}/wells.csv")
    table, _, error = _caught(
        lambda: read_points(path, x=x, y=y, to_crs="EPSG:28992", columns=["li"])
    )
    assert error is None and table is not None, error
    _in_rd(table)


def test_degrees_in_a_wkt_column_beside_a_prj_of_metres_are_read_as_degrees_with_a_word(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: a ``WKT`` column of degrees beside a ``wells.prj`` of RD New (a CRS file
    of other data, copied). Read in WGS 84 as before, now with a warning naming the file,
    the column and the fix (before: the ``.prj`` was never looked at)."""
    path = _wkt_table(tmp_path, degrees=True)
    table, said, error = _caught(lambda: read_points(path, to_crs="EPSG:4326", columns=["li"]))
    assert error is None and table is not None, error
    assert np.allclose(table.x, [p[0] for p in NL_PLACES]), table.x
    assert any(
        "wells.prj beside it states Amersfoort / RD New, but the geometries in column 'WKT'" in s
        and "remove wells.prj" in s
        for s in said
    ), said


def test_control_an_srid_or_a_stated_crs_comes_before_the_prj(tmp_path: Path) -> None:
    """Control, SYNTHETIC: degrees written ``SRID=4326;POINT (...)`` beside an RD New
    ``.prj`` (the file's own word comes first), and degrees beside it with ``crs:
    EPSG:4326`` stated in the source: read in WGS 84 without a word of the ``.prj``, as
    before."""
    for folder, srid in ((tmp_path / "srid", 4326), (tmp_path / "stated", None)):
        path = _wkt_table(folder, degrees=True, srid=srid)
        table, said, error = _caught(
            lambda p=path, s=srid is None: read_points(
                p, to_crs="EPSG:4326", columns=["li"], crs="EPSG:4326", override_crs=s
            )
        )
        assert error is None and table is not None, error
        assert np.allclose(table.x, [p[0] for p in NL_PLACES]), table.x
        assert not any(".prj" in s for s in said), said


# --- a laboratory's words for the upper limit ------------------------------------------------

CELLS = ["12", "15", "0.5", "X", "11", "13", "14", "16"]
"""SYNTHETIC lithium grades (ppm) of the eight places, record S3's cell under test."""


def _cells(cell: str) -> list[str]:
    """:data:`CELLS` with record S3's cell ``cell``."""
    return [cell if c == "X" else c for c in CELLS]


def _points(path: Path, cell: str) -> tuple[Any, list[str], Exception | None]:
    """``read_points`` of the SYNTHETIC table with record S3's cell ``cell``."""
    path.write_text(_table("li", _cells(cell)), "utf-8")
    return _caught(lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["li"]))


@pytest.mark.parametrize(
    "cell", [">UDL 1000", "UDL(1000)", "> ULD 1000", "ULOQ: 1000", "over range 1000"]
)
def test_an_upper_limit_named_with_its_number_is_read_at_it(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: a label's grade written with the laboratory's words for the upper limit
    and the limit (``>UDL 1000``). Before: missing, "write numbers only", so the richest
    sample was never a positive (6 positive cells); now read as ``>1000``, as ``>1000``
    is: a positive under a threshold of 10 (7), said as above an upper limit."""
    out, said, error = _labels(
        tmp_path / "l.csv", _table("li", _cells(cell)), value_column="li", threshold=10
    )
    assert error is None and out is not None, error
    assert out.counts["positive_cells"] == 7, out.counts
    assert out.counts["records_without_grade"] == 0, out.counts
    assert any("are above an upper limit of determination" in s for s in said), said
    assert not any("write numbers only" in s for s in said), said


@pytest.mark.parametrize("cell", [">UDL", "ULD", "UDL", "u.d.l.", "over range", ">"])
def test_an_upper_limit_without_its_number_is_said_so(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: a value above the upper limit whose limit the cell does not give
    (``>UDL``, ``ULD``, ``over range``). Read as missing, as before (the limit is
    unknown), but said as "write numbers only (units belong in the header)"; now what it
    is and the fix."""
    table, said, error = _points(tmp_path / "p.csv", cell)
    assert error is None and table is not None, error
    assert np.isnan(table.values["li"][3]), table.values
    assert any(
        "1 are above an upper limit whose number they do not give" in s
        and "write the limit with it ('>UDL 1000' or '>1000'" in s
        for s in said
    ), said
    assert not any("write numbers only" in s for s in said), said


@pytest.mark.parametrize("cell", ["IS", "NS", "NSS", "LNR"])
def test_an_insufficient_sample_code_is_said_not_analysed(tmp_path: Path, cell: str) -> None:
    """SYNTHETIC: ``IS`` (insufficient sample), ``NS`` (not sampled), ALS's ``NSS`` (not
    sufficient sample) and ``LNR`` (listed not received) as a certificate writes them,
    without points. Before: "write numbers only (units belong in the header)" (``I.S.``
    with its points was read as not analysed); now so, missing as meant."""
    table, said, error = _points(tmp_path / "p.csv", cell)
    assert error is None and table is not None, error
    assert np.isnan(table.values["li"][3]), table.values
    assert any("1 say the sample was not analysed" in s for s in said), said
    assert not any("write numbers only" in s for s in said), said


def test_control_limits_and_words_read_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``>1000`` still read as its limit for a label; ``>LOD`` (above
    the detection limit: detected, not above the range) still "write numbers only";
    ``DL`` still a detection limit; ``is`` in lower case no laboratory's code."""
    out, said, error = _labels(
        tmp_path / "l.csv", _table("li", _cells(">1000")), value_column="li", threshold=10
    )
    assert error is None and out is not None, error
    assert out.counts["positive_cells"] == 7, out.counts
    for cell, words in (
        (">LOD", "write numbers only"),
        ("DL", "are detection limits"),
        ("is", "write numbers only"),
    ):
        table, said, error = _points(tmp_path / "p.csv", cell)
        assert error is None and table is not None, error
        assert np.isnan(table.values["li"][3]), table.values
        assert any(words in s for s in said), (cell, said)
        assert not any("upper limit whose number" in s for s in said), (cell, said)


# --- a grade in a column of another unit beside the grade column ------------------------------

UNITS = ["mg/kg", "mg/kg", "mg/L", "mg/L", "mg/kg", "mg/L", "mg/kg", "mg/kg"]
"""SYNTHETIC: which of the eight places are rocks (mg/kg) and which brines (mg/L)."""


def _two_columns(header: str = "Li_mg_kg,Li_mg_L", limits: bool = False) -> str:
    """The SYNTHETIC places with lithium of rocks in the first of ``header``'s columns and
    of brines in the second (each blank where the other is filled; with ``limits``, the
    second is a detection-limit column filled on every line)."""
    rows = []
    for i, ((x, y), value, unit) in enumerate(zip(PLACES, CELLS, UNITS, strict=True)):
        value = "20" if value == "X" else value
        second = "0.1" if limits else (value if unit == "mg/L" else "")
        first = value if unit == "mg/kg" or limits else ""
        rows.append(f"S{i},{x:.5f},{y:.5f},{first},{second}\n")
    return f"site,lon,lat,{header}\n" + "".join(rows)


def test_records_graded_only_in_another_units_column_are_said(tmp_path: Path) -> None:
    """SYNTHETIC: rocks' lithium in ``Li_mg_kg`` and brines' in ``Li_mg_L`` beside it,
    labelled by ``Li_mg_kg`` under a threshold. Before: the three brines (lines 4, 5, 7)
    left out of the labels without a word (5 positive cells of 8 records); now the same
    labels, with a warning naming the column that grades them, the lines and the fix."""
    out, said, error = _labels(
        tmp_path / "l.csv", _two_columns(), value_column="Li_mg_kg", threshold=10
    )
    assert error is None and out is not None, error
    assert out.counts["positive_cells"] == 5 and out.counts["records_without_grade"] == 3
    assert any(
        "3 record(s) without a grade in 'Li_mg_kg' (model.labels.value_column) have one "
        "in 'Li_mg_L' (lines 4, 5, 7; e.g. 0.5 mg/l, where 'Li_mg_kg' is in mg/kg)"
        in s
        and "give every record's grade in one column in one unit" in s
        for s in said
    ), said


def test_control_a_limit_column_or_a_full_grade_column_says_nothing(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a detection-limit column ``Li_mg_kg_DL`` filled on every line
    beside a full ``Li_mg_kg``, and a full ``Li_mg_kg`` beside ``Li_mg_L``: labelled as
    before, without a word of another column."""
    for header, limits in (("Li_mg_kg,Li_mg_kg_DL", True), ("Li_mg_kg,Li_mg_L", True)):
        out, said, error = _labels(
            tmp_path / "l.csv",
            _two_columns(header, limits),
            value_column="Li_mg_kg",
            threshold=10,
        )
        assert error is None and out is not None, error
        assert out.counts["positive_cells"] == 7, out.counts
        assert not any("without a grade in" in s for s in said), said


# --- a GDAL name of a zipped table given as text ---------------------------------------------


def test_a_vsizip_name_given_as_text_reads_the_zipped_table(tmp_path: Path) -> None:
    """SYNTHETIC: ``read_points`` and ``read_occurrences`` given
    ``/vsizip//abs/wells.zip/wells.csv`` as a ``str`` (as a notebook writes it). Before:
    ``Path()`` made it a relative archive and the table was "cannot unpack the table (No
    such file or directory): the  file is damaged or cut short", of a zip that reads; now
    read as the same name given as a ``GdalPath`` is."""
    from prospect.models.labels import read_occurrences

    name = f"/vsizip/{_zipped(_xy_table(tmp_path))}/wells.csv"
    assert name.startswith("/vsizip//"), name
    table, _, error = _caught(
        lambda: read_points(name, x="x", y="y", to_crs="EPSG:28992", columns=["li"])
    )
    assert error is None and table is not None, error
    _in_rd(table)
    occ, _, error = _caught(lambda: read_occurrences(name, NL, x="x", y="y"))
    assert error is None and occ is not None, error
    assert len(occ.x) == 8, occ.x
