"""An empty point (``POINT EMPTY``) in a WKT column, a GeoPackage or a GeoParquet ending a
point table's read in a GEOS exception, a column of ``0.5%`` beside plain numbers refused
with a made-up example ("is 0.8 there 0.8 % or 80 %?") rather than one of its own values,
and a grade threshold no record reaches said only by the train stage's refusal.

Found by feeding the point reader (``prospect.io.points.read_points``) and the train
stage's label reading (``prospect.models.training.read_labels``) what survey scientists
and their GIS tools hand over (2026-12-06), taking round 54's "found and left". Every table
is small and SYNTHETIC: round 35's eight Great Basin places.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.io.points import read_points
from prospect.models.training import read_labels

from .test_labels_round35 import NEVADA, PLACES, _labels, _table
from .test_vectors_round22 import _caught

GRADES = [1.2, 3.4, 5.6, 7.8, 9.1, 2.3, 4.5, 6.7]
"""SYNTHETIC lithium grades of the eight places."""


def _points(path: Path, empty: tuple[int, ...], *, none: bool = False) -> gpd.GeoDataFrame:
    """The SYNTHETIC places as points in WGS 84, records ``empty`` (0-based) an empty
    point (``None``: no geometry, when ``none``)."""
    geoms = [
        (None if none else shapely.Point()) if i in empty else shapely.Point(x, y)
        for i, (x, y) in enumerate(PLACES)
    ]
    return gpd.GeoDataFrame(
        {"site": [f"S{i}" for i in range(8)], "li": GRADES}, geometry=geoms, crs="EPSG:4326"
    )


def _write(path: Path, empty: tuple[int, ...], *, none: bool = False) -> Path:
    """The SYNTHETIC points written to ``path`` (by its suffix: ``.csv`` with a ``WKT``
    column as QGIS writes a layer, ``.gpkg``, ``.parquet``)."""
    gdf = _points(path, empty, none=none)
    if path.suffix == ".csv":
        cells = ["" if g is None else g.wkt for g in gdf.geometry]
        rows = [f'S{i},"{c}",{v}' for i, (c, v) in enumerate(zip(cells, GRADES, strict=True))]
        path.write_text("site,WKT,li\n" + "\n".join(rows) + "\n", "utf-8")
    elif path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    return path


def _read(path: Path) -> tuple[object, list[str], Exception | None]:
    """``read_points`` of ``path``'s column ``li`` in WGS 84."""
    return _caught(lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["li"]))


# --- an empty point ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["wkt.csv", "points.gpkg", "points.parquet"],
    ids=["wkt-column", "geopackage", "geoparquet"],
)
def test_an_empty_point_is_a_record_without_a_place(tmp_path: Path, name: str) -> None:
    """SYNTHETIC: record S3 an empty point (``POINT EMPTY`` in a WKT column, as QGIS, GDAL
    and PostGIS write a feature whose place was never set; an empty point in a GeoPackage
    or a GeoParquet). Before: ``GEOSException: getX called on empty Point`` (an internal
    error); now the record is dropped and counted like one without a geometry."""
    table, said, error = _read(_write(tmp_path / name, (3,)))
    assert error is None and table is not None, error
    assert len(table.x) == 7, table  # type: ignore[attr-defined]
    assert table.values["li"].tolist() == [g for i, g in enumerate(GRADES) if i != 3]  # type: ignore[attr-defined]
    note = [s for s in said if "dropped" in s]
    assert len(note) == 1 and "1 of 8 row(s) without usable" in note[0], said
    assert ("(line 5)" if name.endswith(".csv") else "(feature 4)") in note[0], note
    if name.endswith(".csv"):
        assert (
            "holds an empty geometry (e.g. 'POINT EMPTY'), a record without a place" in note[0]
            and "no WKT geometry" not in note[0]
        ), note


def test_a_table_of_empty_points_only_is_refused_as_empty(tmp_path: Path) -> None:
    """SYNTHETIC: every record of a GeoPackage an empty point. Before: the GEOS exception;
    now refused as a table without a place, in one line."""
    _, _, error = _read(_write(tmp_path / "none.gpkg", tuple(range(8))))
    assert isinstance(error, DataError), error
    text = str(error)
    assert "the point table is empty" in text and "\n" not in text, text


def test_an_empty_point_among_the_labels_is_left_out(tmp_path: Path) -> None:
    """SYNTHETIC: the train stage's labels of a GeoPackage of occurrences, S3 an empty
    point. Before: the GEOS exception (the train, score and plan readings of the labels);
    now 7 positives, S3 dropped and counted."""
    path = _write(tmp_path / "occ.gpkg", (3,))
    source = PointSource(kind="points", name="occ", path=str(path))
    out, said, error = _caught(lambda: read_labels(source, NEVADA, LabelsConfig(source="occ")))
    assert error is None and out is not None, error
    assert out[0].n_positive == 7 and out[1].n_dropped == 1, out[0].counts
    assert any("have no usable coordinates (feature 4)" in s for s in said), said


def test_control_null_geometries_and_full_points_read_as_before(tmp_path: Path) -> None:
    """Control, SYNTHETIC: a GeoPackage and a WKT column with S3 missing (``None``, an
    empty cell) drop it with the words they had; the full tables read all eight; a WKT cell
    that is no geometry keeps "no WKT geometry"."""
    for name in ("a.gpkg", "a.csv"):
        table, said, error = _read(_write(tmp_path / name, (3,), none=True))
        assert error is None and table is not None and len(table.x) == 7, error  # type: ignore[attr-defined]
        assert not any("empty geometry" in s for s in said), said
        table, said, error = _read(_write(tmp_path / f"full-{name}", ()))
        assert error is None and table is not None and len(table.x) == 8, error  # type: ignore[attr-defined]
        assert not any("dropped" in s for s in said), said
    path = _write(tmp_path / "bad.csv", ())
    lines = path.read_text().splitlines()
    lines[4] = 'S3,"POINT (-118.089",7.8'
    path.write_text("\n".join(lines) + "\n")
    table, said, error = _read(path)
    assert error is None and table is not None and len(table.x) == 7, error  # type: ignore[attr-defined]
    assert any("holds no WKT geometry (e.g. 'POINT (-118.089')" in s for s in said), said


# --- percentages beside plain numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cells", "asked"),
    [
        (
            "Li_ppm",
            ["12", "0.5%", "33", "41", "50", "60", "70", "80"],
            "(is '12' there 12 ppm or 12 %?)",
        ),
        (
            "Li2O",
            ["1.2%", "0.6", "3%", "4%", "5%", "6%", "7%", "8%"],
            "(is '0.6' there 0.6 % or 60 %?)",
        ),
        (
            "Li_pct",
            ["1.2%", "0.25", "3%", "4%", "5%", "6%", "7%", "8%"],
            "(is '0.25' there 0.25 % or 25 %?)",
        ),
    ],
    ids=["ppm-header", "no-unit", "pct-header"],
)
def test_percent_cells_beside_plain_numbers_ask_of_the_columns_own_value(
    tmp_path: Path, header: str, cells: list[str], asked: str
) -> None:
    """SYNTHETIC: a grade column holding ``0.5%`` beside plain numbers. Refused, as before,
    but the question was always "is 0.8 there 0.8 % or 80 %?", a value the column does
    not hold and, under ``Li_ppm``, not the question (ppm or %); now one of its own values
    in its header's unit."""
    path = tmp_path / "p.csv"
    path.write_text(_table(header, cells), "utf-8")
    _, _, error = _caught(
        lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=[header])
    )
    assert isinstance(error, DataError), error
    text = str(error)
    assert asked in text and "0.8 %" not in text and "\n" not in text, text
    assert "write the whole column one way" in text, text


def test_control_a_column_all_in_percent_is_read(tmp_path: Path) -> None:
    """Control, SYNTHETIC: every cell of ``Li2O`` written with ``%``: read as before."""
    path = tmp_path / "all.csv"
    path.write_text(_table("Li2O", [f"{g}%" for g in GRADES]), "utf-8")
    table, _, error = _caught(
        lambda: read_points(path, x="lon", y="lat", to_crs="EPSG:4326", columns=["Li2O"])
    )
    assert error is None and table is not None, error
    assert table.values["Li2O"].tolist() == GRADES  # type: ignore[attr-defined]


# --- a grade threshold no record reaches -------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cells", "threshold", "highest"),
    [
        (
            "Li_pct",
            ["0.01", "0.2", "0.5", "1.2", "0.3", "0.4", "0.6", "0.7"],
            3000,
            "the highest grade is 1.2 pct",
        ),
        (
            "Li_ppm",
            ["10", "20", "30", "<5", "40", "50", "60", "70"],
            3000,
            "the highest grade is 70 ppm",
        ),
        ("Li", [str(g) for g in GRADES], 100, "the highest grade is 9.1)"),
    ],
    ids=["pct", "ppm-with-a-limit", "no-unit"],
)
def test_a_threshold_no_grade_reaches_is_said_at_the_labels(
    tmp_path: Path, header: str, cells: list[str], threshold: float, highest: str
) -> None:
    """SYNTHETIC: ``threshold: 3000`` (meant in ppm) over ``Li_pct``, over ``Li_ppm`` of
    10 to 70, ``100`` over ``Li`` of 1.2 to 9.1. Before: read as labels of no positive
    without a word (only the train stage's later "0 positive cell(s)" said it; the score
    stage's and the plan's readings nothing); now a warning where the labels are read,
    naming the column, the threshold and the highest grade."""
    labels, said, error = _labels(
        tmp_path / "u.csv", _table(header, cells), value_column=header, threshold=threshold
    )
    assert error is None and labels is not None and labels.n_positive == 0, error
    note = [s for s in said if "none of the 8 graded record(s)" in s]
    assert len(note) == 1, said
    assert f"column {header!r} reaches the threshold {threshold:g}" in note[0], note
    assert highest in note[0] and "none a positive" in note[0], note
    assert "lower it to a grade the occurrences reach" in note[0], note


def test_control_a_threshold_some_grades_reach_is_silent(tmp_path: Path) -> None:
    """Control, SYNTHETIC: ``threshold: 5`` over ``Li_ppm`` of 1.2 to 9.1 (4 positives), no
    threshold (8): no "none of" warning; a threshold under every grade keeps its own."""
    for threshold, positives in ((5, 4), (None, 8)):
        labels, said, error = _labels(
            tmp_path / "s.csv",
            _table("Li_ppm", [str(g) for g in GRADES]),
            value_column="Li_ppm",
            threshold=threshold,
        )
        assert error is None and labels is not None, error
        assert labels.n_positive == positives, labels.counts
        assert not any("none of the" in s for s in said), said
    labels, said, error = _labels(
        tmp_path / "t.csv",
        _table("Li_ppm", [str(g) for g in GRADES]),
        value_column="Li_ppm",
        threshold=1,
    )
    assert error is None and labels is not None and labels.n_positive == 8, error
    assert any("every one of the 8" in s for s in said), said


# --- a large table read by pandas' C engine, the same frame ------------------------------------

TRICKY = {
    "quoted": (
        'site,lon,lat,note,Li_ppm\nS1,-118.5,38.2,"a, b",12\n'
        'S2,-118.4,38.3,"say ""hi""",0.1\nS3,-118.3,38.4,"two\nlines",3e2\n'
    ),
    "semicolons-decimal-commas": (
        "site;lon;lat;Li_ppm\nS1;-118,5;38,2;1,25\nS2;-118,4;38,3;<0,5\n"
    ),
    "tabs-crlf": (
        "site\tlon\tlat\tLi_ppm\r\nS1\t-118.5\t38.2\t0.30000000000000004\r\n\r\n"
        "S2\t-118.4\t38.3\t2.2250738585072011e-308\r\n"
    ),
    "blank-rows-and-nas": (
        "site,lon,lat,Li_ppm\nS1,-118.5,38.2,N/A\n,,,\n   \nS2,-118.4,38.3,#N/A\nS3,-118.3,38.4,\n"
    ),
    "trailing-delimiters": "site,lon,lat,Li_ppm,\nS1,-118.5,38.2,12,\nS2,-118.4,38.3,1.5,\n",
    "non-ascii": "site,lon,lat,Li (µg/L)\nBréda,-118.5,38.2,١٢\nZoë,-118.4,38.3,12\u00a0\n",
    "mixed-types": "site,lon,lat,Li_ppm,flag\nS1,-118.5,38.2,12,True\nS2,-118.4,38.3,<5,false\n",
}
"""SYNTHETIC tables of the kinds earlier rounds read: quotes, doubled quotes and a quoted
line break, decimal commas, tabs and Windows line ends, blank rows and missing values,
delimiters ending every row, non-ASCII text and digits, and mixed cells."""


def _read_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object, list[str]]:
    """``read_table`` of ``path`` as read now, and with the C engine refused (pandas'
    Python engine, as before), and the engines pandas was asked for."""
    import pandas as pd

    from prospect.io import points

    engines: list[str] = []
    real = pd.read_csv

    def spy(*args: object, **kwargs: object) -> object:
        engines.append(str(kwargs.get("engine")))
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(points.pd, "read_csv", spy)
    now = points.read_table(path)
    seen = list(engines)
    monkeypatch.setattr(points, "_c_engine_frame", lambda *args, **kwargs: None, raising=False)
    before = points.read_table(path)
    return now, before, seen


def test_a_large_plain_table_is_read_by_the_c_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNTHETIC: a 5 000-record table of sites and grades. Before: read by pandas'
    Python engine (a 200 000-record table: 0.7 s, the C engine's 0.06 s); now by the C
    engine, the same frame, values and attributes."""
    import pandas as pd

    rows = [
        f"S{i},{-118.5 + i * 1e-5:.6f},{38.2 + i * 1e-5:.6f},{(i % 997) / 7:.4f}"
        for i in range(5_000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("site,lon,lat,Li_ppm\n" + "\n".join(rows) + "\n", "utf-8")
    now, before, engines = _read_both(path, monkeypatch)
    assert engines[0] == "c", engines
    pd.testing.assert_frame_equal(now, before, check_exact=True)  # type: ignore[arg-type]
    assert now.attrs.keys() == before.attrs.keys(), (now.attrs, before.attrs)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_control_tricky_tables_read_the_same_by_either_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Control, SYNTHETIC: each tricky table reads the same frame (values, types, column
    names, the lines of its records, its notation) as pandas' Python engine reads it."""
    import numpy as np
    import pandas as pd

    path = tmp_path / f"{name}.csv"
    path.write_bytes(TRICKY[name].encode("utf-8"))
    now, before, _ = _read_both(path, monkeypatch)
    pd.testing.assert_frame_equal(now, before, check_exact=True)  # type: ignore[arg-type]
    for key in set(now.attrs) | set(before.attrs):  # type: ignore[attr-defined]
        a, b = now.attrs.get(key), before.attrs.get(key)  # type: ignore[attr-defined]
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, (key, a, b)
