"""Grades below a detection limit as negatives, and the .dbf asterisks warning.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``)
the grade columns a lab's export hands over (2026-12-04): a sample written ``<5`` (or
``-5`` under ``Li_ppm``, or under its row's detection limit in ``Li_DL``) with
``threshold: 30`` is certainly below the cut-off, but it was read as missing and dropped
as ``records_without_grade``, so ``negatives: below_threshold`` or ``both`` lost the most
barren samples without a word. A ``<50`` at a cut-off of 30 is undecided: dropped, and now
said. And a Shapefile written by GDAL (geopandas, QGIS) with an empty grade was warned of
as "a number too wide for the field": GDAL writes an empty number as asterisks too. Every
file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.labels import read_occurrences
from prospect.models.training import read_labels

from .test_vectors_round22 import _caught

RD = RegionGrid(crs="EPSG:28992", resolution=100.0,
                bounds=(120_000.0, 440_000.0, 180_000.0, 500_000.0))
"""A Dutch region of 100 m cells (the places below lie in it, each in a cell of its own)."""

PLACES = [(5.1234, 52.1234), (5.2345, 52.2345), (5.3456, 52.3456), (5.1111, 52.2222)]
"""Four SYNTHETIC places in RD's region (four decimals: not coarse)."""


def _table(path: Path, columns: dict[str, list[str]], sep: str = ",") -> Path:
    """A SYNTHETIC CSV of ``lon, lat`` at :data:`PLACES` and ``columns``."""
    head = sep.join(["lon", "lat", *columns])
    point = "," if sep == ";" else "."  # (a semicolon table: decimal commas throughout)
    rows = [sep.join([str(x).replace(".", point), str(y).replace(".", point),
                      *(cells[i] for cells in columns.values())])
            for i, (x, y) in enumerate(PLACES)]
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return path


def _labels(path: Path, column: str, source: dict[str, object] | None = None,
            **labels: object) -> tuple[dict[str, object], list[str]]:
    """The train stage's label counts of ``path`` graded by ``column`` and the warnings."""
    point_source = PointSource(kind="points", name="occ", path=str(path), **(source or {}))
    config = LabelsConfig(source="occ", value_column=column, **labels)
    out, said, error = _caught(lambda: read_labels(point_source, RD, config))
    assert error is None, error
    cells, _, threshold = out
    return {**cells.counts, "threshold": threshold}, said


def _cells(counts: dict[str, object]) -> tuple[object, ...]:
    return (counts["positive_cells"], counts["negative_cells"],
            counts["records_without_grade"])


# --- a grade below a limit at or under the cut-off is a negative ----------------------------

@pytest.mark.parametrize("columns", [
    {"Li_ppm": ["500", "<5", "20", "400"]},
    {"Li_ppm": ["500", "< 5", "20", "400"]},
    {"Li_ppm": ["500", "-5", "20", "400"]},
    {"Li_ppm": ["500", "<30", "20", "400"]},
    {"Li_ppm": ["500", "2", "20", "400"], "Li_DL": ["5", "5", "5", "5"]},
    {"Li_ppm": ["500", "5", "20", "400"], "Li_ppm_Q": ["", "<", "", ""],
     "Li_ppm_DL": ["5", "5", "5", "5"]},
], ids=["lt-cell", "lt-space", "negative-ppm", "lt-at-cutoff", "under-limit-column",
        "flag-with-limit-column"])
def test_a_grade_below_a_limit_under_the_cutoff_is_a_negative(
        tmp_path: Path, columns: dict[str, list[str]]) -> None:
    """SYNTHETIC: ``Li_ppm`` of 500, below a limit of 5 (or 30), 20, 400 with
    ``threshold: 30``. Before: 2 positive and 1 negative cells, the barren sample dropped
    as a record without a grade. Now 2 and 2: a grade under a limit at or under 30 is
    under 30."""
    path = _table(tmp_path / "samples.csv", columns)
    counts, said = _labels(path, "Li_ppm", threshold=30, negatives="both")
    assert _cells(counts) == (2, 2, 0), counts
    assert counts["records_below_limit_as_negative"] == 1, counts
    told = [s for s in said if "record(s) of column 'Li_ppm' are below a detection" in s]
    assert told and "samples.csv" in told[0] and "line 3: below" in told[0], said


def test_limits_in_decimal_commas_are_read_in_the_tables_notation(tmp_path: Path) -> None:
    """SYNTHETIC: a semicolon CSV with decimal commas, ``<0,5`` at ``threshold: 1``.
    Before: dropped; now a negative (the limit 0.5, not 5 or 0)."""
    path = _table(tmp_path / "samples.csv", {"Li_pct": ["2,5", "<0,5", "0,2", "1,5"]},
                  sep=";")
    counts, _ = _labels(path, "Li_pct", {"decimal": ","}, threshold=1,
                        negatives="below_threshold")
    assert _cells(counts) == (2, 2, 0), counts


def test_a_limit_above_the_cutoff_stays_undecided_and_is_said(tmp_path: Path) -> None:
    """SYNTHETIC: ``<50`` at ``threshold: 30``: the grade may be 40 (a positive) or 4.
    Dropped as before, and now said as undecided, with how many and where."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "<50", "20", "400"]})
    counts, said = _labels(path, "Li_ppm", threshold=30, negatives="both")
    assert _cells(counts) == (2, 1, 1), counts
    assert counts["records_below_limit_undecided"] == 1, counts
    told = [s for s in said if "are below a detection limit above the threshold 30" in s]
    assert told and "line 3: below 50" in told[0] and "samples.csv" in told[0], said


# --- controls: no threshold, measured grades, an inclusive limit, a flag alone --------------

@pytest.mark.parametrize("cells,expected", [
    (["500", "<=30", "20", "400"], (2, 1, 1)),  # may be 30, the cut-off: undecided
    (["500", "≤ 30", "20", "400"], (2, 1, 1)),
    (["500", "n.d.", "20", "400"], (2, 1, 1)),  # no limit given: undecided
    (["500", "10", "20", "400"], (2, 2, 0)),  # measured only
], ids=["le-cutoff", "le-sign", "nd", "measured"])
def test_undecided_and_measured_grades_read_as_before(
        tmp_path: Path, cells: list[str], expected: tuple[int, int, int]) -> None:
    """Controls: a limit that the cut-off may equal, a limit not given, and measured
    grades keep their counts."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": cells})
    counts, _ = _labels(path, "Li_ppm", threshold=30, negatives="both")
    assert _cells(counts) == expected, counts


def test_a_flag_alone_gives_no_limit(tmp_path: Path) -> None:
    """A ``<`` flag beside a number, without a detection-limit column: the number is the
    limit in some databases (USGS NGDB), 0 in others (GTK's till data) and half the
    limit in others, so (round 28) the grade is under twice the number whichever it is:
    8.78 is under 17.56, a negative at 30 (round 27: undecided)."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "8.78", "20", "400"],
                                             "Li_ppm_Q": ["", "<", "", ""]})
    counts, _ = _labels(path, "Li_ppm", threshold=30, negatives="both")
    assert _cells(counts) == (2, 2, 0), counts


def test_without_a_threshold_every_record_stays_a_positive(tmp_path: Path) -> None:
    """Control: without a threshold every record is a positive, a ``<5`` too."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "<5", "20", "400"]})
    counts, _ = _labels(path, "Li_ppm")
    assert _cells(counts) == (4, 0, 0), counts


def test_a_quantile_is_of_the_measured_grades(tmp_path: Path) -> None:
    """SYNTHETIC: ``threshold_quantile: 0.5`` ranks the ``<5`` below the measured grades
    (round 28: the median of <5, 20, 400, 500 is 210, whatever the censored grade; round
    27 took the measured grades only, 400), and the ``<5`` is a negative under it
    (before: dropped)."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "<5", "20", "400"]})
    counts, _ = _labels(path, "Li_ppm", threshold_quantile=0.5, negatives="both")
    assert counts["threshold"] == 210.0, counts
    assert _cells(counts) == (2, 2, 0), counts


def test_the_occurrences_carry_each_records_limit(tmp_path: Path) -> None:
    """The reader's limits: NaN where measured or no limit is given."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "<5", "n.d.", "-2.5"]})
    occ, _, error = _caught(lambda: read_occurrences(path, RD, value_column="Li_ppm"))
    assert error is None, error
    assert np.isnan(occ.values[1:]).all(), occ.values
    np.testing.assert_array_equal(occ.limit, [np.nan, 5.0, np.nan, 2.5])


def test_a_surface_reads_limits_as_missing_as_before(tmp_path: Path) -> None:
    """Control: the point reader (surfaces) reads ``<5`` as missing, as before."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "<5", "20", "400"]})
    table, _, error = _caught(lambda: read_points(path, columns=["Li_ppm"],
                                                  to_crs="EPSG:28992"))
    assert error is None, error
    np.testing.assert_array_equal(np.isnan(table.values["Li_ppm"]),
                                  [False, True, False, False])


# --- a .dbf's asterisks: an empty number as GDAL writes it, or one too wide -----------------

def test_an_empty_grade_written_by_gdal_is_not_called_too_wide(tmp_path: Path) -> None:
    """SYNTHETIC: geopandas (GDAL) writes ``li`` of 12.5, None, 30.0 to a Shapefile; its
    empty number is asterisks in the ``.dbf``. Before: warned of as "a number too wide for
    the field"; now the warning says both readings."""
    path = tmp_path / "wells.shp"
    gpd.GeoDataFrame({"li": [12.5, None, 30.0]},
                     geometry=[Point(-68.9 + 0.01 * i, 12.1) for i in range(3)],
                     crs="EPSG:4326").to_file(path)
    table, said, error = _caught(lambda: read_points(path, columns=["li"],
                                                     to_crs="EPSG:32619"))
    assert error is None, error
    np.testing.assert_array_equal(np.isnan(table.values["li"]), [False, True, False])
    told = [s for s in said if "asterisks" in s]
    assert told, said
    assert "a number too wide for the field" not in told[0], told
    assert "empty" in told[0] and "feature 2" in told[0] and "wider field" in told[0], told


@pytest.mark.parametrize("cell,expected", [
    ("<5 ppm", (2, 2, 0)),  # the column's unit: a limit of 5 ppm
    ("<5 ppb", (2, 2, 0)),  # another size of it: 0.005 ppm (round 41), a negative
], ids=["same-unit", "other-unit"])
def test_a_limit_written_with_a_unit_counts_in_the_columns_unit(
        tmp_path: Path, cell: str, expected: tuple[int, int, int]) -> None:
    """SYNTHETIC: ``Li`` cells written with their unit (``500 ppm``), a sample ``<5 ppm``
    at ``threshold: 30``. Before: dropped; now a negative. A limit in another size of the
    column's unit (``<5 ppb``) was not compared with the threshold (undecided); since
    round 41 it is converted (0.005 ppm), a negative too."""
    path = _table(tmp_path / "samples.csv", {"Li": ["500 ppm", cell, "20 ppm", "400 ppm"]})
    counts, _ = _labels(path, "Li", threshold=30, negatives="both")
    assert _cells(counts) == expected, counts


# --- the fix a label's limits are given: not half the limit ---------------------------------

@pytest.mark.parametrize("columns", [
    {"Li_ppm": ["500", "<50", "20", "400"]},
    {"Li_ppm": ["500", "-50", "20", "400"]},
    {"Li_ppm": ["500", "8.78", "20", "400"], "Li_ppm_Q": ["", "<", "", ""]},
], ids=["lt-cell", "negative-ppm", "flag"])
def test_a_labels_limits_are_not_to_be_halved(tmp_path: Path,
                                              columns: dict[str, list[str]]) -> None:
    """SYNTHETIC: a label's grade below a limit of 50. Before: the warning's fix was "give
    them as numbers (e.g. half the limit)", which made ``<50`` a measured 25, a negative at
    a threshold of 30 though the grade may be 40. Now the fix keeps the limit. Since round
    41 a ``<50`` cell's limit is read (no value made missing, nothing to fix: the labels
    say it as a negative or undecided under a threshold), so no half limit is offered."""
    path = _table(tmp_path / "samples.csv", columns)
    _, said, error = _caught(lambda: read_occurrences(path, RD, value_column="Li_ppm"))
    assert error is None, error
    told = [s for s in said if "'Li_ppm'" in s and "limit" in s]
    assert not [s for s in told if "(e.g. half the limit)" in s], told
    if "<50" not in columns["Li_ppm"]:
        assert [s for s in told if "do not put half the limit in its place" in s], told


def test_a_surfaces_limits_keep_their_fix(tmp_path: Path) -> None:
    """Control: the point reader (surfaces) keeps "e.g. half the limit"."""
    path = _table(tmp_path / "samples.csv", {"Li_ppm": ["500", "<5", "20", "-5"]})
    _, said, error = _caught(lambda: read_points(path, columns=["Li_ppm"],
                                                 to_crs="EPSG:28992"))
    assert error is None, error
    assert len([s for s in said if "(e.g. half the limit)" in s]) == 2, said
