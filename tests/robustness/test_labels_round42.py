"""Geochemistry tables whose cells or unit column write several sizes of one unit
(``1.2 ppm`` beside ``350 ppb``; ``mg/L`` on most rows, ``µg/L`` on one), and a row of units
whose own unit, written again in a value's cell, read the value as missing.

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) and
the train stage's label reading (``prospect.models.training.read_labels``) the tables
laboratories export (2026-12-06), taking round 41's "found and left". Every file is small
and SYNTHETIC (round 35's ten Dutch wells, lithium 10 to 55; its Great Basin places).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prospect.errors import DataError

from .test_labels_round35 import WELLS, _labels, _table
from .test_labels_round36 import _plan

MISSING = "are not finite numbers and are read as missing"
"""What the warning of cells read as no value says."""

LITHIUM = [10.0 + 5 * i for i in range(10)]
"""The ten wells' lithium, in the unit of most of their cells."""


def _wells(header: str, cells: list[str], extra: list[str] | None = None,
           extra_header: str = "") -> str:
    """:data:`WELLS` (ten SYNTHETIC wells) under ``site, lon, lat, <header>`` with their
    value ``cells`` (and ``extra`` cells of a column ``extra_header``)."""
    rows = []
    for i, (well, cell) in enumerate(zip(WELLS, cells, strict=True)):
        name, x, y, _ = well.split(",")
        rows.append(f'{name},{x},{y},"{cell}"' + (f",{extra[i]}" if extra else ""))
    head = f'site,lon,lat,"{header}"' + (f",{extra_header}" if extra else "")
    return head + "\n" + "\n".join(rows) + "\n"


def _z(layers: list | None) -> np.ndarray:
    assert layers, layers
    return np.asarray(layers[0].z, dtype=float)


# --- every cell written with a unit, in several sizes of one --------------------------------


@pytest.mark.parametrize(("header", "unit", "odd", "cell"), [
    ("li", "ppm", 3, "25000 ppb"),
    ("li", "mg/L", 3, "25000 µg/L"),
    ("Li_ppm", "ppm", 3, "25000 ppb"),
    ("li", "mg/L", 0, "0.01 g/L"),
], ids=["ppm-ppb", "mg-ug", "header-ppm", "g-first"])
def test_cells_in_several_sizes_of_one_unit_are_converted(
        tmp_path: Path, header: str, unit: str, odd: int, cell: str) -> None:
    """A lab export writing a unit in every cell, one well (``odd``) in another size of it
    (``25000 ppb`` among ppm). Before: refused ("holds numbers written with different
    units ... convert them to one unit"); now converted to the unit of most cells (the
    header's where it states one), every well kriged at its value, the converted cell
    said with its line and what it is read as."""
    cells = [f"{v:g} {unit}" for v in LITHIUM]
    cells[odd] = cell
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, cells), column=header)
    assert error is None, error
    np.testing.assert_allclose(_z(layers), LITHIUM, rtol=1e-9)
    told = [s for s in said if "another size" in s]
    assert len(told) == 1, said
    assert f"line {odd + 2}" in told[0] and f"e.g. {cell!r}" in told[0], told
    assert f"converted to {unit}" in told[0], told
    assert not any(MISSING in s for s in said), said


def test_grades_in_several_sizes_of_one_unit_label_by_their_value(tmp_path: Path) -> None:
    """An occurrence table graded ``30 ppm``, ``5 ppm`` ... with S2 (line 4) written
    ``25000 ppb`` (25 ppm), threshold 20. Before: refused; now S2 is a positive, as 25 ppm
    is."""
    cells = ["30 ppm", "5 ppm", "25000 ppb", "30 ppm", "5 ppm", "5 ppm", "40 ppm", "5 ppm"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["positive_cells"] == 4, labels.counts
    assert any("another size" in s and "line 4" in s for s in said), said


def test_control_cells_of_two_quantities_are_still_refused(tmp_path: Path) -> None:
    """Control: ``mg/L`` (a water's) beside ``ppm`` (a rock's) is no size of one unit:
    refused, naming both, as before."""
    cells = [f"{v:g} mg/L" for v in LITHIUM]
    cells[3] = "25 ppm"
    layers, _, error = _plan(tmp_path / "w.csv", _wells("li", cells))
    assert isinstance(error, DataError) and layers is None, error
    assert "different units" in str(error) and "'ppm' (line 5)" in str(error), error


# --- a unit column mixing sizes row by row ----------------------------------------------------


@pytest.mark.parametrize(("units", "cells", "expected"), [
    (["mg/L"] * 3 + ["µg/L"] + ["mg/L"] * 6,
     [f"{v:g}" for v in LITHIUM[:3]] + ["25000"] + [f"{v:g}" for v in LITHIUM[4:]], LITHIUM),
    (["ug/l"] * 2 + ["mg/l"] + ["ug/l"] * 7,
     [f"{v * 1000:g}" for v in LITHIUM[:2]] + ["20"] + [f"{v * 1000:g}" for v in LITHIUM[3:]],
     [v * 1000 for v in LITHIUM]),
], ids=["one-ug-among-mg", "one-mg-among-ug"])
def test_a_unit_column_of_several_sizes_is_converted(
        tmp_path: Path, units: list[str], cells: list[str], expected: list[float]) -> None:
    """A ``unit`` column naming ``mg/L`` on most rows and ``µg/L`` on one (or the other
    way round), as a lab's long export does. Before: refused ("in different units row by
    row ... convert the values to one unit"); now each value is converted to the unit of
    most rows, said once naming the unit column and the line."""
    layers, said, error = _plan(tmp_path / "w.csv",
                                _wells("li", cells, units, "unit"))
    assert error is None, error
    np.testing.assert_allclose(_z(layers), expected, rtol=1e-9)
    told = [s for s in said if "row by row" in s]
    assert len(told) == 1 and "'unit'" in told[0], said
    assert "converted to" in told[0], told


def test_a_limit_on_a_row_of_another_size_is_converted(tmp_path: Path) -> None:
    """W3 (line 5) ``<5`` on a ``µg/L`` row among mg/L rows. Before: refused; now half its
    limit, 0.0025 mg/L, said in the column's unit."""
    units = ["mg/L"] * 3 + ["µg/L"] + ["mg/L"] * 6
    cells = [f"{v:g}" for v in LITHIUM[:3]] + ["<5"] + [f"{v:g}" for v in LITHIUM[4:]]
    layers, said, error = _plan(tmp_path / "w.csv", _wells("li", cells, units, "unit"))
    assert error is None, error
    z = _z(layers)
    assert np.isclose(z, 0.0025, rtol=1e-9).sum() == 1, z
    assert any("0.0025 mg/L" in s for s in said), said


@pytest.mark.parametrize(("unit", "cell"), [("mg/kg", "55"), ("µg/L", "55000 J")],
                         ids=["mg-kg", "qualified"])
def test_control_a_unit_column_of_two_quantities_is_still_refused(
        tmp_path: Path, unit: str, cell: str) -> None:
    """Control: ``mg/L`` rows beside a ``mg/kg`` row (a water's and a rock's) cannot be
    converted, nor a ``µg/L`` row's ``55000 J`` (a lab's qualifier after the number, read
    later in the column's unit): refused as before, naming each unit's count."""
    units = ["mg/L"] * 9 + [unit]
    cells = [f"{v:g}" for v in LITHIUM[:9]] + [cell]
    _, _, error = _plan(tmp_path / "w.csv", _wells("li", cells, units, "unit"))
    assert isinstance(error, DataError), error
    assert "different units row by row" in str(error) and f"'{unit}' on 1" in str(error), error


# --- a row of units, its unit written again in a cell -------------------------------------------


@pytest.mark.parametrize(("cell", "value", "word"), [
    ("55 mg/L", 55.0, "the unit the column states"),
    ("55000 µg/L", 55.0, "another unit than the column's"),
], ids=["same", "ug"])
def test_a_cell_in_the_unit_of_a_row_of_units_is_read(
        tmp_path: Path, cell: str, value: float, word: str) -> None:
    """A table whose second line states the units (``,,,mg/L``), W9 (line 12) typed
    ``55 mg/L`` (or ``55000 µg/L``) among plain numbers. Before: missing, "write numbers
    only (units belong in the header)", though the row of units said mg/L; now read (or
    converted) as a header's unit is, with its word."""
    rows = [",,,mg/L", *WELLS[:9], f"W9,5.410000,52.220000,{cell}"]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows)
                                + "\n")
    assert error is None, error
    np.testing.assert_allclose(_z(layers), [*LITHIUM[:9], value], rtol=1e-9)
    assert not any(MISSING in s for s in said), said
    assert any(word in s and "(line 12;" in s for s in said), said


# --- summary rows under the records -------------------------------------------------------------


def _summaries(*words: str) -> list[str]:
    """Summary rows of :data:`WELLS` as a spreadsheet's formulas filled right across every
    column write them: ``Mean`` (the mean place and value), ``Min``, ``Max``."""
    cols = list(zip(*(w.split(",")[1:] for w in WELLS), strict=True))
    xs, ys, vs = (np.asarray(c, float) for c in cols)
    how = {"mean": np.mean, "average:": np.mean, "gemiddelde": np.mean, "min": np.min,
           "max": np.max}
    return [f"{w},{how[w.casefold()](xs):.6f},{how[w.casefold()](ys):.6f},"
            f"{how[w.casefold()](vs):g}" for w in words]


@pytest.mark.parametrize("words", [("Mean",), ("Average:",), ("Gemiddelde",),
                                   ("Mean", "Min", "Max")],
                         ids=["mean", "average", "dutch", "three"])
def test_summary_rows_under_the_wells_are_no_wells(tmp_path: Path,
                                                   words: tuple[str, ...]) -> None:
    """A well table with ``Mean`` (``=AVERAGE`` filled right across lon, lat and li), or
    ``Mean``, ``Min``, ``Max``, under its ten wells. Before: each read as a well (at the
    wells' mean place, 32.5 mg/L; at the south-west one, 10), kriged without a word; now
    left out, said naming the lines and words."""
    text = "site,lon,lat,li\n" + "\n".join([*WELLS, *_summaries(*words)]) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None, error
    np.testing.assert_allclose(_z(layers), LITHIUM, rtol=1e-9)
    told = [s for s in said if "summary row" in s]
    lines = ", ".join(str(12 + i) for i in range(len(words)))
    assert len(told) == 1 and lines in told[0] and repr(words[0]) in told[0], said


def test_a_mean_row_above_a_footnote_is_no_well(tmp_path: Path) -> None:
    """``Mean`` (line 12) with a footnote under it (``Source: SYNTHETIC lab, 2019``, line
    13). Before: a well at the mean place; now left out, the footnote dropped as before (a
    row without coordinates)."""
    text = ("site,lon,lat,li\n" + "\n".join([*WELLS, *_summaries("Mean")])
            + "\nSource: SYNTHETIC lab 2019,,,\n")
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None, error
    np.testing.assert_allclose(_z(layers), LITHIUM, rtol=1e-9)
    assert any("line 12 is a summary row ('Mean')" in s for s in said), said


def test_a_mean_row_under_the_occurrences_is_no_label(tmp_path: Path) -> None:
    """An occurrence table with a ``Mean`` row under its eight sites. Before: a ninth
    positive at their mean place; now eight records, the row said."""
    text = _table("li", ["30"] * 8)
    text += "Mean,-118.02050,38.59550,30\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, value_column="li",
                                  threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records"] == 8, labels.counts
    assert any("line 10 is a summary row ('Mean')" in s for s in said), said


def test_a_summary_row_of_a_workbook_is_no_well(tmp_path: Path) -> None:
    """A workbook's ``Average`` row (row 12) under ten wells of number cells. Before: an
    eleventh well; now ten, said naming the sheet's row."""
    from prospect.io.points import read_points

    from .test_vectors_round21 import _xlsx
    from .test_vectors_round22 import _caught
    rows: list[list[object]] = [["site", "lon", "lat", "li"]]
    for well in WELLS:
        name, x, y, v = well.split(",")
        rows.append([name, float(x), float(y), float(v)])
    rows.append(["Average", 5.23, 52.085, 32.5])
    path = _xlsx(tmp_path / "wells.xlsx", rows)
    table, said, error = _caught(lambda: read_points(path, x="lon", y="lat",
                                                     crs="EPSG:4326", to_crs="EPSG:4326",
                                                     columns=["li"]))
    assert error is None, error
    np.testing.assert_allclose(table.values["li"], LITHIUM, rtol=1e-9)
    assert any("row 12 is a summary row ('Average')" in s for s in said), said


def test_control_a_site_named_as_a_summary_among_the_records_is_a_record(
        tmp_path: Path) -> None:
    """Control: a well named ``Max`` (line 6) among the others, and a last well ``Mean``
    whose row names its aquifer beside its word, are wells, nothing said."""
    rows = [w.replace("W4,", "Max,") for w in WELLS]
    rows = [f"{r},sand" for r in rows[:9]] + [rows[9].replace("W9,", "Mean,") + ",clay"]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li,aquifer\n"
                                + "\n".join(rows) + "\n")
    assert error is None, error
    np.testing.assert_allclose(_z(layers), LITHIUM, rtol=1e-9)
    assert not any("summary row" in s for s in said), said
