"""Round 65: what round 64 left of labels and point tables. A detection-limit column named
for no element (``lod_ppm`` beside ``li_ppm``) could be read by no config key, the fix a
rename; a sample ID given twice at one place with two grades read by the point reader (a
surface's, the leakage check's) without a word, where the labels say it; a summary row
with its word filled across (``Mean,Mean,13.5``) and a count row (``n=8``) under the
``Mean`` row said as rows without coordinates, not as summary rows.

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``), the
point reader (``prospect.io.points.read_points``) and the points source config
(``PointSource``, ``load_job``) tables as laboratories and spreadsheets export them
(2026-12-08). Every table is small and SYNTHETIC: round 56's eight wells in the
Netherlands (as rounds 62b to 64).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.io.points import read_points, source_options
from prospect.models.labels import read_occurrences

from .conftest import Sandbox
from .test_labels_round62b import NL, NL_PLACES
from .test_labels_round64 import _GRADES, _id_table, _labels, _points, _write
from .test_point_tables import WELLS
from .test_vectors_round22 import _caught

_LIMITED = ["12,0.5", "<LOD,0.5", "15,0.5", "20,1", "BDL,1", "13,0.5", "14,0.5", "16,0.5"]
"""SYNTHETIC grades under ``li_ppm`` with each row's detection limit beside (lines 3 and 6
below it)."""


# --- a detection-limit column named for no element, named with 'limits:' ----------------------


def _source(path: Path, **keys: Any) -> PointSource:
    """A points source of the SYNTHETIC wells at ``path`` (lon/lat)."""
    return PointSource(kind="points", name="wells", path=str(path), **keys)


@pytest.mark.parametrize("limits", ["lod_ppm", "Detection limit (ppm)", "DL"])
def test_a_limit_column_named_in_limits_is_read_by_the_labels(
        tmp_path: Path, limits: str) -> None:
    """SYNTHETIC: ``<LOD`` and ``BDL`` under ``li_ppm`` beside a limit column named for no
    element, named in the source: ``limits: {li_ppm: <column>}``. Before: no such key (a
    points source refused it), the limits unread, the fix a rename; now each such record
    takes its row's limit (0.5, 1), nothing said of them as unread."""
    path = _write(tmp_path, f"lon,lat,li_ppm,{limits}", _LIMITED)
    source = _source(path, limits={"li_ppm": limits})
    occ, said, error = _caught(lambda: read_occurrences(
        path, NL, value_column="li_ppm", **source_options(source)))
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert not any("not finite numbers" in w for w in said), said


def test_a_limit_column_named_in_limits_is_read_by_a_surface(tmp_path: Path) -> None:
    """SYNTHETIC: the same table read for a surface: each value below its row's limit is
    half of it (0.25, 0.5), as under ``li_ppm_DL``, where it was missing."""
    path = _write(tmp_path, "lon,lat,li_ppm,lod_ppm", _LIMITED)
    source = _source(path, columns=["li_ppm"], limits={"li_ppm": "lod_ppm"})
    table, said, error = _caught(lambda: read_points(
        path, **source_options(source), columns=["li_ppm"], to_crs="EPSG:28992",
        below_as_half=True))
    assert error is None, error
    assert table.values["li_ppm"].tolist() == [12.0, 0.25, 15.0, 20.0, 0.5, 13.0, 14.0, 16.0]
    assert any("2 of 8 value(s) in column 'li_ppm' are below a detection limit (lines 3, "
               "6; e.g. '<LOD'): each is read as half its limit" in w for w in said), said


@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
def test_a_lone_limit_column_unnamed_is_said_with_the_key(tmp_path: Path, read: Any) -> None:
    """SYNTHETIC: the table without ``limits:``. Before: the warning's fix was a rename
    only; now it names the key too."""
    _, said, error = read(_write(tmp_path, "lon,lat,li_ppm,lod_ppm", _LIMITED), "li_ppm")
    assert error is None, error
    (unread,) = [w for w in said if "not finite numbers" in w]
    assert unread.endswith(
        "rename it 'li_ppm_DL' (the grade column's name, then DL) to have each row's limit "
        "read with its grade, or name it in the points source: 'limits: {li_ppm: "
        "lod_ppm}'"), unread


@pytest.mark.parametrize(("column", "cells", "message"), [
    ("lod", _LIMITED, "no column 'lod', which 'limits' names as the detection-limit column "
     "of 'li_ppm'; columns are ['lon', 'lat', 'li_ppm', 'lod_ppm']"),
    ("lod_ppm", [c.split(",")[0] + ",ICP-MS" for c in _LIMITED],
     "'limits' names 'lod_ppm' as the detection-limit column of 'li_ppm' but column "
     "'lod_ppm' holds no number (e.g. 'ICP-MS'); give each row's detection limit as a number "
     "in the grade's unit, or leave 'limits: {li_ppm: ...}' out"),
], ids=["missing", "no-number"])
@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
def test_a_limit_column_named_in_limits_is_checked(
        tmp_path: Path, column: str, cells: list[str], message: str, read: Any) -> None:
    """SYNTHETIC: ``limits`` naming a column the table lacks, or one of no number. Before:
    no such key; now refused naming the column and the fix, no traceback."""
    path = _write(tmp_path, "lon,lat,li_ppm,lod_ppm", cells)
    _, _, error = read(path, "li_ppm", limits={"li_ppm": column})
    assert error is not None and str(error) == f"{path}: {message}", error


def test_limits_on_a_column_the_source_reads_for_nothing_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: ``limits: {Li: lod_ppm}`` in the wells that make a layer of ``li``:
    refused at load naming the key, as a stray ``flags`` key is."""
    from prospect.config import load_job
    from prospect.errors import ConfigError

    box = Sandbox(tmp_path)
    (box.root / "wells.csv").write_text("x,y,li,lod_ppm\n1,2,3,0.5\n")
    path = box.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
                 {**WELLS, "limits": {"Li": "lod_ppm"}}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "labels": {"source": "wells", "value_column": "li", "threshold": 50},
               "cv": {"kind": "random", "n_splits": 2}})
    with pytest.raises(ConfigError, match=r"'limits' names value column\(s\) \['Li'\] that "
                                          r"'columns' does not list"):
        load_job(path)


# --- a sample ID twice at one place with two values, read by the point reader ----------------


@pytest.mark.parametrize("column", ["sample_id", "SampleNo"])
def test_a_sample_id_given_twice_at_one_place_is_said_by_the_point_reader(
        tmp_path: Path, column: str) -> None:
    """SYNTHETIC: sample ``S2`` again at its place with 500 ppm where it had 12. Before:
    the labels said it, the point reader (a surface's) read both without a word; now in
    the labels' words, every record read as before."""
    x, y = NL_PLACES[2]
    table, said, error = _points(_id_table(tmp_path, column, 500, x, y))
    assert error is None, error
    assert table.values["li"].tolist() == [*map(float, _GRADES), 500.0]
    (twice,) = [w for w in said if "sample ID" in w]
    assert twice.endswith(
        f"1 sample ID(s) in column {column!r} are given twice or more at one place with "
        "different values of 'li' (e.g. 'S2': 12, 500 at lines 4, 10): each is read as a "
        "record of its own; a re-assay or a copy slip: keep one record per sample (the "
        "value to use), or give each sample its own ID"), twice


# --- summary rows: the word filled across, a count row ---------------------------------------


_SUMMARY_SAID = ("is a summary row ('Mean'), not a record: left out (a line of a sum or mean "
                 "would be a sample at the mean place); delete such rows before the export")


@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
@pytest.mark.parametrize("row", ["Mean,Mean,13.5", "MEAN,mean,13.5", "Mean,Mean,"])
def test_a_summary_word_filled_across_is_a_summary_row(
        tmp_path: Path, read: Any, row: str) -> None:
    """SYNTHETIC: the spreadsheet's ``Mean`` filled right across lon and lat. Before: "1
    of 9 ... no usable coordinates"; now said as a summary row, the eight wells read."""
    out, said, error = read(_write(tmp_path, "lon,lat,li", _GRADES, [row]))
    assert error is None, error
    values = out.values if isinstance(out.values, np.ndarray) else out.values["li"]
    assert values.tolist() == list(map(float, _GRADES)), values
    assert not any("usable coordinates" in w for w in said), said
    assert any(w.endswith(f"line 10 {_SUMMARY_SAID}".replace("'Mean'", repr(row.split(",")[0])))
               for w in said), said


@pytest.mark.parametrize("read", [_labels, _points], ids=["labels", "surface"])
@pytest.mark.parametrize("count", ["n=8", "N = 8"])
def test_a_count_row_under_the_mean_is_a_summary_row(
        tmp_path: Path, read: Any, count: str) -> None:
    """SYNTHETIC: ``n=8`` alone under the ``Mean`` row. Before: the ``Mean`` row said as
    a summary, the count row as a row without coordinates; now both as summary rows."""
    _, said, error = read(_write(tmp_path, "lon,lat,li", _GRADES, ["Mean,,13.5", f"{count},,"]))
    assert error is None, error
    assert not any("usable coordinates" in w for w in said), said
    assert any(f"lines 10, 11 are summary rows ('Mean', {count!r}), not records" in w
               for w in said), said


# --- controls -----------------------------------------------------------------------------------


def test_control_a_limit_column_named_for_its_element_is_read_without_limits(
        tmp_path: Path) -> None:
    """SYNTHETIC control: ``li_ppm_DL`` found by name, no ``limits:``: each row's limit,
    as before; the source's dump (and so the job's hash) holds no ``limits`` key."""
    path = _write(tmp_path, "lon,lat,li_ppm,li_ppm_DL", _LIMITED)
    occ, said, error = _labels(path, "li_ppm")
    assert error is None, error
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert not any("rename it" in w for w in said), said
    assert "limits" not in _source(path).model_dump(mode="json")


def test_control_a_mean_row_alone_is_a_summary_row_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: ``Mean,,13.5`` under the wells: a summary row, said and left
    out as before; the eight wells read."""
    table, said, error = _points(_write(tmp_path, "lon,lat,li", _GRADES, ["Mean,,13.5"]))
    assert error is None, error
    assert table.values["li"].tolist() == list(map(float, _GRADES))
    assert any(w.endswith(f"line 10 {_SUMMARY_SAID}") for w in said), said


def test_control_a_wells_samples_at_its_collar_are_not_said_by_the_point_reader(
        tmp_path: Path) -> None:
    """SYNTHETIC control: ``hole_id`` ``S2`` twice at its collar with 12 and 500 (two
    samples of one well), and ``sample_id`` ``S2`` again with its own grade: no sample ID
    said, every record read."""
    x, y = NL_PLACES[2]
    for column, again in (("hole_id", 500), ("sample_id", 12)):
        table, said, error = _points(_id_table(tmp_path / column, column, again, x, y))
        assert error is None, error
        assert table.values["li"].size == 9
        assert not any("sample ID" in w for w in said), said
