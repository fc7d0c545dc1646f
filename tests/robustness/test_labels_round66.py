"""Round 66: what round 65b left of labels and point tables. A drill-hole assay table of
depth intervals (``hole_id``/``from``/``to``, several intervals a hole) was labelled per
interval without a word (a cell a positive where any one interval, however short,
reaches the threshold); and a detection-limit column stating its unit (``lod_pct``)
named in ``limits:`` for a grade column stating none (``li``) was read in the grades'
unknown unit without a word, where ``lod_pct`` beside ``li_ppm`` is converted.

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``) and the
point reader (``prospect.io.points.read_points``, a surface's) tables as laboratories and
drill-hole databases (Leapfrog's, Datamine's ``HoleID``/``From``/``To``) export them
(2026-12-08). Every table is small and SYNTHETIC: round 56's eight wells in the
Netherlands (as rounds 62b to 65b), as collars of drill holes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.io.points import source_options
from prospect.models.labels import read_occurrences

from .test_labels_round62b import NL, NL_PLACES
from .test_labels_round64 import _labels, _points, _write
from .test_vectors_round22 import _caught

# --- a drill-hole table of depth intervals ------------------------------------------------------


def _intervals(folder: Path, head: tuple[str, str, str], per_hole: int = 3,
               holes: int = 4) -> Path:
    """SYNTHETIC assays of ``holes`` drill holes at the first wells' places, ``per_hole``
    2 m intervals each, under the headers ``head`` (the hole's, the interval's top and
    bottom) and ``lon,lat,li``; hole ``DH1``'s last interval is the one at 40 ppm."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for h in range(holes):
        x, y = NL_PLACES[h]
        for k in range(per_hole):
            grade = 40 if (h, k) == (1, per_hole - 1) else 10 + h + k
            rows.append(f"DH{h},{2 * k},{2 * k + 2},{x},{y},{grade}")
    path = folder / "assays.csv"
    path.write_text(",".join([*head, "lon", "lat", "li"]) + "\n" + "\n".join(rows) + "\n",
                    "utf-8")
    return path


def _said_intervals(said: list[str]) -> list[str]:
    return [w for w in said if "depth interval(s)" in w]


def test_a_table_of_depth_intervals_is_said_by_the_labels(tmp_path: Path) -> None:
    """SYNTHETIC: 4 holes of 3 intervals each, graded in ``li``. Before: 12 records, each
    labelled alone, without a word; now said once with the holes, the intervals and the
    rule (any one interval reaching the threshold), the 12 records read as before."""
    path = _intervals(tmp_path, ("hole_id", "from", "to"))
    occ, said, error = _labels(path)
    assert error is None, error
    assert occ.values.tolist() == [10, 11, 12, 11, 12, 40, 12, 13, 14, 13, 14, 15]
    assert _said_intervals(said) == [
        f"{path}: the table gives 12 depth interval(s) of 4 hole(s) (columns 'hole_id', "
        "'from'/'to'; up to 3 a hole, e.g. 'DH0': 0-2, 2-4, 4-6 on lines 2, 3, 4), and each "
        "interval is labelled as a record of its own at its hole's place: a cell is a "
        "positive where any one interval's 'li' reaches the threshold "
        "(model.labels.threshold), however short, the hole's other intervals not weighed "
        "against it; to label each hole by its grade over its length, set 'intervals: "
        "composite' in model.labels (one record a hole, its intervals' length-weighted mean "
        "grade)"], said


@pytest.mark.parametrize("head", [
    ("HoleID", "From_m", "To_m"), ("BHID", "mFrom", "mTo"), ("DHID", "FROM", "TO"),
    ("Boorgat", "Van", "Tot"), ("Bohrung", "von (m)", "bis (m)")],
    ids=["leapfrog", "datamine", "upper", "dutch", "german"])
def test_depth_intervals_under_other_headers_are_said(tmp_path: Path,
                                                      head: tuple[str, str, str]) -> None:
    """SYNTHETIC: the same holes under a drill-hole database's and the partners' headers
    (``HoleID``/``From_m``/``To_m``, ``BHID``/``mFrom``/``mTo``, Dutch ``Boorgat``/``Van``/
    ``Tot``, German ``Bohrung``/``von``/``bis``). Before: nothing said; now said once,
    naming the columns as written."""
    path = _intervals(tmp_path, head)
    _, said, error = _labels(path)
    assert error is None, error
    found = _said_intervals(said)
    assert len(found) == 1, said
    assert f"(columns {head[0]!r}, {head[1]!r}/{head[2]!r}; up to 3 a hole" in found[0], found


def test_depth_intervals_of_a_labels_source_read_by_its_options_are_said(
        tmp_path: Path) -> None:
    """SYNTHETIC: the holes' table as a points source (``x: lon``, ``y: lat``) read with
    its options, as the train stage reads it: said once."""
    path = _intervals(tmp_path, ("hole_id", "from", "to"), per_hole=2, holes=6)
    source = PointSource(kind="points", name="holes", path=str(path))
    _, said, error = _caught(lambda: read_occurrences(
        path, NL, value_column="li", **source_options(source)))
    assert error is None, error
    found = _said_intervals(said)
    assert len(found) == 1 and "gives 12 depth interval(s) of 6 hole(s)" in found[0], said


def test_control_one_interval_a_hole_is_not_said(tmp_path: Path) -> None:
    """SYNTHETIC control: 8 holes of one interval each (a collar table with the sampled
    interval): each hole one record, nothing said, as before."""
    path = _intervals(tmp_path, ("hole_id", "from", "to"), per_hole=1, holes=8)
    occ, said, error = _labels(path)
    assert error is None, error
    assert len(occ.values) == 8 and not _said_intervals(said), said


def test_control_intervals_without_a_grade_column_are_not_said(tmp_path: Path) -> None:
    """SYNTHETIC control: the holes' intervals labelled without ``value_column`` (every
    record a positive, each hole one place): nothing said, as before."""
    path = _intervals(tmp_path, ("hole_id", "from", "to"))
    _, said, error = _caught(lambda: read_occurrences(path, NL))
    assert error is None, error
    assert not _said_intervals(said), said


def _composite_table(folder: Path) -> Path:
    """SYNTHETIC holes of unequal intervals (lines 2-11) and a sample of no hole (line
    12): ``DH0`` 10, 20, 40 ppm over 2, 4, 1 m (mean 20); ``DH1`` 100 ppm over 1 m over
    9 m below 5 (at most 14.5); ``DH2`` above 1000 over 2 m and 12 over 2 m (at least
    506); ``DH3`` 15 over 3 m and 2 m without a grade (15); ``DH4`` one interval (30)."""
    folder.mkdir(parents=True, exist_ok=True)
    holes = {0: [(0, 2, "10"), (2, 6, "20"), (6, 7, "40")], 1: [(0, 1, "100"), (1, 10, "<5")],
             2: [(0, 2, ">1000"), (2, 4, "12")], 3: [(0, 3, "15"), (3, 5, "")],
             4: [(0, 3, "30")]}
    rows = [f"DH{h},{a},{b},{NL_PLACES[h][0]},{NL_PLACES[h][1]},{g}"
            for h, parts in holes.items() for a, b, g in parts]
    rows.append(f",,,{NL_PLACES[5][0]},{NL_PLACES[5][1]},7")
    path = folder / "holes.csv"
    path.write_text("hole_id,from,to,lon,lat,li\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def test_intervals_composite_labels_each_hole_by_its_length_weighted_mean(
        tmp_path: Path) -> None:
    """SYNTHETIC: ``model.labels.intervals: composite``. Before: no such key (each
    interval a record); now one record a hole at its first interval's line, graded by
    the length-weighted mean (20; below at most 14.5; at least 506; 15; 30), the sample
    of no hole as it is, and said once."""
    path = _composite_table(tmp_path)
    occ, said, error = _labels(path, intervals="composite")
    assert error is None, error
    assert np.array_equal(occ.values, [20.0, np.nan, 506.0, 15.0, 30.0, 7.0], equal_nan=True)
    assert np.array_equal(occ.limit, [np.nan, 14.5] + [np.nan] * 4, equal_nan=True)
    assert occ.floor.tolist() == [False, False, True, False, False, False]
    assert occ.numbers.tolist() == [2, 5, 7, 9, 11, 12]
    assert (occ.n_records, occ.n_dropped) == (11, 0)
    assert [w for w in said if "one record a hole" in w] == [
        f"{path}: 10 depth interval(s) of 5 hole(s) (columns 'hole_id', 'from'/'to') are "
        "labelled as one record a hole (model.labels.intervals: composite), at its first "
        "interval's place: its intervals' length-weighted mean of 'li' (e.g. 'DH0': 20 over "
        "7 m of 3 interval(s)); an interval below its detection limit bounds the mean by its "
        "limit, one without a grade takes no part"], said


def test_intervals_composite_through_the_labels_config(tmp_path: Path) -> None:
    """SYNTHETIC: the key as a job gives it (``LabelsConfig``), read by the train stage's
    reader (:func:`prospect.models.training.read_labels`): one record a hole."""
    from prospect.config.model import LabelsConfig
    from prospect.models.training import read_labels

    path = _composite_table(tmp_path)
    source = PointSource(kind="points", name="holes", path=str(path))
    labels = LabelsConfig(source="holes", value_column="li", threshold=18,
                          intervals="composite")
    result, said, error = _caught(lambda: read_labels(source, NL, labels))
    assert error is None, error
    occ = result[1]
    assert np.array_equal(occ.values, [20.0, np.nan, 506.0, 15.0, 30.0, 7.0], equal_nan=True)
    assert len([w for w in said if "one record a hole" in w]) == 1, said


@pytest.mark.parametrize(("cells", "message"), [
    ("DH0,2,2,5.1,52.0,10\nDH0,2,4,5.1,52.0,12\nDH1,0,1,5.2,52.1,3",
     "1 graded interval(s) of column 'li' have no length (e.g. line 2: 'from' '2', 'to' "
     "'2'), which model.labels.intervals: composite weighs by; give each interval its top "
     "in 'from' and its bottom, deeper, in 'to'"),
    ("DH0,4,2,5.1,52.0,10\nDH0,4,6,5.1,52.0,12\nDH1,0,1,5.2,52.1,3",
     "1 graded interval(s) of column 'li' have no length (e.g. line 2: 'from' '4', 'to' "
     "'2'), which model.labels.intervals: composite weighs by; give each interval its top "
     "in 'from' and its bottom, deeper, in 'to'")], ids=["zero", "upside-down"])
def test_intervals_composite_refuses_an_interval_without_length(
        tmp_path: Path, cells: str, message: str) -> None:
    """SYNTHETIC: an interval from 2 to 2 m, or from 4 up to 2 m, under ``composite``:
    refused naming the line and both cells, no traceback."""
    path = tmp_path / "holes.csv"
    path.write_text("hole_id,from,to,lon,lat,li\n" + cells + "\n", "utf-8")
    _, _, error = _labels(path, intervals="composite")
    assert isinstance(error, DataError) and str(error) == f"{path}: {message}", error


def test_intervals_composite_refuses_a_table_without_intervals(tmp_path: Path) -> None:
    """SYNTHETIC: ``composite`` asked of the eight wells (no hole, no ``from``/``to``):
    refused naming what it needs and the columns."""
    path = _write(tmp_path, "lon,lat,li", [10, 11, 12, 13, 14, 15, 16, 17])
    _, _, error = _labels(path, intervals="composite")
    assert isinstance(error, DataError) and str(error) == (
        f"{path}: model.labels.intervals is 'composite', but the table has no drill hole's "
        "intervals: it needs a hole column (e.g. 'hole_id', 'HoleID', 'BHID') and the "
        "intervals' 'from' and 'to' columns; columns are ['lon', 'lat', 'li']; or leave "
        "'intervals' out to label each record"), error


def test_intervals_composite_needs_a_grade_column() -> None:
    """``intervals: composite`` without ``value_column``: refused at load naming it."""
    from pydantic import ValidationError

    from prospect.config.model import LabelsConfig

    with pytest.raises(ValidationError, match=r"intervals: composite needs 'value_column'"):
        LabelsConfig(source="holes", intervals="composite")


def test_control_the_labels_config_dumps_as_before() -> None:
    """Control: a labels config without ``intervals`` dumps the same keys as before (a
    job's config hash does not move)."""
    from prospect.config.model import LabelsConfig

    dumped = LabelsConfig(source="holes", value_column="li", threshold=18).model_dump()
    assert "intervals" not in dumped and dumped["source"] == "holes", dumped


# --- a limit column stating its unit beside a grade column stating none -----------------------


def _limited(folder: Path, limit: str, limits: list[str]) -> Path:
    """SYNTHETIC grades under ``li`` (no unit; lines 3 and 6 below a limit) with each
    row's detection limit under ``limit``."""
    grades = ["12", "<LOD", "15", "20", "BDL", "13", "14", "16"]
    return _write(folder, f"lon,lat,li,{limit}",
                  [f"{g},{lim}" for g, lim in zip(grades, limits, strict=True)])


_PCT = ["0.00005"] * 3 + ["0.0001"] * 2 + ["0.00005"] * 3
"""The limits 0.5 and 1 ppm in percent."""


def _said_unit(path: Path, limit: str, unit: str) -> str:
    return (f"{path}: 'limits' names {limit!r}, in {unit}, as the detection-limit column of "
            "'li', whose unit neither its header, a row of units nor 'units:' states: the "
            f"grades of 'li' are read in {unit} too, as the limits; if they are in another "
            "unit, state it in the points source ('units: {li: <unit>}', e.g. ppm) and the "
            "limits are converted into it")


@pytest.mark.parametrize(("limit", "unit"), [("lod_pct", "pct"), ("Detection limit (%)", "%")],
                         ids=["lod_pct", "bracketed"])
def test_a_limit_column_in_a_unit_beside_grades_in_none_is_said_by_the_labels(
        tmp_path: Path, limit: str, unit: str) -> None:
    """SYNTHETIC: ``limits: {li: lod_pct}``, ``li`` stating no unit. Before: the limits
    read as the grades' unknown unit without a word (0.00005, where ``li_ppm`` is
    converted to 0.5); now said, with ``units:`` as the fix, the limits as written."""
    path = _limited(tmp_path, limit, _PCT)
    occ, said, error = _labels(path, limits={"li": limit})
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 5e-05, np.nan, np.nan, 1e-04] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert [w for w in said if "'limits' names" in w] == [_said_unit(path, limit, unit)], said


def test_a_limit_column_in_a_unit_beside_grades_in_none_is_said_by_a_surface(
        tmp_path: Path) -> None:
    """SYNTHETIC: the same table read for a surface: said once, each value below its
    limit half of it as written (2.5e-05, 5e-05), as before."""
    path = _limited(tmp_path, "lod_pct", _PCT)
    table, said, error = _points(path, limits={"li": "lod_pct"})
    assert error is None, error
    assert table.values["li"].tolist() == [12.0, 2.5e-05, 15.0, 20.0, 5e-05, 13.0, 14.0, 16.0]
    assert [w for w in said if "'limits' names" in w] == [
        _said_unit(path, "lod_pct", "pct")], said


def test_control_grades_stated_by_units_convert_the_limits(tmp_path: Path) -> None:
    """SYNTHETIC control: the fix said, ``units: {li: ppm}``: the limits converted into
    ppm (0.5, 1), nothing said of their unit, as before."""
    path = _limited(tmp_path, "lod_pct", _PCT)
    occ, said, error = _labels(path, limits={"li": "lod_pct"}, units={"li": "ppm"})
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert not [w for w in said if "'limits' names" in w], said


def test_control_a_limit_column_stating_no_unit_is_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: ``limits: {li: DL}``, neither stating a unit: the limits are
    the grades' unit, nothing said, as before."""
    path = _limited(tmp_path, "DL", ["0.5"] * 3 + ["1"] * 2 + ["0.5"] * 3)
    occ, said, error = _labels(path, limits={"li": "DL"})
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert not [w for w in said if "'limits' names" in w], said


def test_control_probed_grade_cells_read_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control (probed this round, sound): ``<0.5``, ``-5`` (minus the limit),
    ``-9999`` (a fill) and ``-`` in the labels' grade column: undecided with their limit
    (0.5, 5), missing, missing; each said, as before."""
    cells: list[Any] = ["<0.5", "-5", "-9999", "-", 14, 15, 16, 17]
    path = _write(tmp_path, "lon,lat,li", cells)
    occ, said, error = _labels(path)
    assert error is None, error
    assert np.array_equal(occ.values, [np.nan] * 4 + [14, 15, 16, 17], equal_nan=True)
    assert np.array_equal(occ.limit, [0.5, 5] + [np.nan] * 6, equal_nan=True), occ.limit
    assert len(said) >= 3, said
