"""Round 62b: what round 62 left of grades and their units. A plain number among cells
written with their unit read in that unit however far from them it lies (``0.002`` typed
as % among ``12 ppm``: a grade of 0.002 ppm, 10 000 times too small); unit cells of one
unit in two spellings (``ppm`` and ``PPM``) making every one of them missing because of one
plain number; a label's grade ``-0.5`` under ``Li`` (the USGS way of writing ``<0.5``)
read as the grade -0.5; and ``flags`` on the labels' grade column refused in a points
source that also makes layers unless the column was listed in ``columns`` (and so made a
layer of it).

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``), the
point reader (``prospect.io.points.read_points``) and the job config (``load_job``) what
laboratories export and survey scientists write (2026-12-07), taking round 62's "found
and left". Every table is small and SYNTHETIC: round 56's eight wells in the Netherlands,
and the tiny job's twenty wells near Bonaire (``tests/robustness/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.labels import read_occurrences

from .conftest import Sandbox
from .test_point_tables import PLACES, WELLS
from .test_vectors_round22 import _caught

NL_PLACES = [(5.1 + 0.05 * i, 52.0 + 0.03 * i) for i in range(8)]
"""Round 56's eight SYNTHETIC wells in the Netherlands, in degrees."""
NL = RegionGrid(
    name="nlrd", crs="EPSG:28992", resolution=1000, bounds=(100_000, 400_000, 200_000, 500_000)
)
"""A region in RD New around them."""

_PPM = ["12 ppm", "<0.5 ppm", "15 ppm", "20 ppm", "11 ppm", "13 ppm", "14 ppm", "16 ppm"]
"""SYNTHETIC grade cells with their unit, as an assay export writes them."""
_PLAIN = ["12", "<0.5", "15", "20", "11", "13", "14", "16"]
"""SYNTHETIC grade cells without a unit."""


def _table(folder: Path, cells: list[str], column: str = "li") -> Path:
    """The SYNTHETIC wells as a CSV with grade cells ``cells`` (column ``column``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wells.csv"
    path.write_text(f"lon,lat,{column}\n" + "".join(
        f'{x},{y},"{c}"\n' for (x, y), c in zip(NL_PLACES, cells, strict=True)), "utf-8")
    return path


def _labels(path: Path, column: str = "li", **options: Any
            ) -> tuple[Any, list[str], Exception | None]:
    """The labels reader's read of ``path``'s grade column ``column``."""
    return _caught(lambda: read_occurrences(path, NL, value_column=column, **options))


def _with(cell: str, cells: list[str] = _PPM, at: int = 3) -> list[str]:
    """``cells`` with ``cell`` at row ``at``."""
    out = list(cells)
    out[at] = cell
    return out


# --- a plain number orders of magnitude from the unit cells -------------------------------


@pytest.mark.parametrize("cell", ["0.002", "0.0015", "20000"])
def test_a_plain_number_far_from_the_unit_cells_is_missing_and_said(
    tmp_path: Path, cell: str
) -> None:
    """SYNTHETIC: grades written ``12 ppm``, one typed by hand without its unit and in
    another (``0.002``, meant as %: 20 ppm; ``20000``, meant as ppb). Before: read in ppm,
    the unit the others write (round 62), a grade of 0.002 ppm (a negative under any
    threshold) or 20 000 ppm (the richest positive), said only as "read in ppm"; now a
    plain number more than 1000 times below or above every unit cell is missing, said
    apart with the fix, and the others read as before."""
    occ, said, error = _labels(_table(tmp_path, _with(cell)))
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, np.nan, 11, 13, 14, 16],
                          equal_nan=True), occ.values
    assert occ.unit == "ppm" and occ.limit[1] == 0.5 and np.isnan(occ.limit[3])
    (far,) = [w for w in said if "more than 1000 times" in w]
    assert (f"1 value(s) in column 'li' are plain numbers among 6 value(s) written in ppm, "
            f"more than 1000 times below or above every one of them (11 to 16 ppm) (line 5; "
            f"e.g. {cell!r}): each is read as missing, not as {cell} ppm") in far, far
    assert f"write each with its unit ('{cell} %', '{cell} ppb', ...)" in far, far
    assert not any("each is read in ppm" in w for w in said), said


def test_the_point_reader_leaves_the_far_plain_number_out_too(tmp_path: Path) -> None:
    """SYNTHETIC: the same column read for a surface (``read_points``). Before: a well
    of 0.002 ppm among wells of 11 to 16 ppm, a hole in the surface; now missing, said."""
    table, said, error = _caught(lambda: read_points(
        _table(tmp_path, _with("0.002")), x="lon", y="lat", to_crs="EPSG:4326",
        columns=["li"]))
    assert error is None, error
    values = table.values["li"]
    assert np.isnan(values[3]), values
    assert values[[0, 2, 4, 5, 6, 7]].tolist() == [12.0, 15.0, 11.0, 13.0, 14.0, 16.0]
    assert any("more than 1000 times" in w for w in said), said


# --- one unit in two spellings ------------------------------------------------------------


@pytest.mark.parametrize(("one", "other"), [("ppm", "PPM"), ("mg/L", "mg/l"),
                                            ("ppm", "Ppm")])
def test_a_plain_number_among_one_unit_in_two_spellings_is_read_in_it(
    tmp_path: Path, one: str, other: str
) -> None:
    """SYNTHETIC: a lab's grades written ``12 ppm`` and ``15 PPM`` (one unit in two
    spellings, as exports of two batches write it) and one ``20`` typed by hand. Before:
    every unit cell missing ("written in ppm, a unit the column does not state", round
    30's reading, which round 62 kept for two spellings); now read as round 62 reads one
    spelling: the plain number in the unit, said in the spelling most cells write."""
    cells = [f"12 {one}", f"<0.5 {one}", f"15 {other}", "20", f"11 {one}", f"13 {other}",
             f"14 {one}", f"16 {one}"]
    occ, said, error = _labels(_table(tmp_path, cells))
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, 20, 11, 13, 14, 16], equal_nan=True)
    assert occ.unit == one and occ.limit[1] == 0.5
    assert not any("not finite numbers" in w for w in said), said
    (told,) = [w for w in said if "are plain numbers among" in w]
    assert (f"1 value(s) in column 'li' are plain numbers among 6 value(s) written in {one} "
            f"(line 5; e.g. '20'): each is read in {one}") in told, told


# --- a label's negative grade under a column named by its element -------------------------


@pytest.mark.parametrize(("column", "element"), [("li", "a grade of lithium"),
                                                 ("W", "a grade of tungsten"),
                                                 ("grade", "a grade")])
def test_a_labels_negative_grade_is_below_a_limit(
    tmp_path: Path, column: str, element: str
) -> None:
    """SYNTHETIC: a label's grade column named by its element or as a grade, stating no
    unit, with ``-0.5`` (the USGS way of writing ``<0.5``). Before: the grade -0.5 (a
    number below every threshold and in every quantile, where a surface of the same
    column read it as below a limit of 0.5); now below a limit of 0.5, as ``<0.5`` is,
    said as a surface's column says it."""
    occ, said, error = _labels(_table(tmp_path, _with("-0.5", _PLAIN), column), column)
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, np.nan, 11, 13, 14, 16],
                          equal_nan=True), occ.values
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, 0.5] + [np.nan] * 4,
                          equal_nan=True), occ.limit
    (negative,) = [w for w in said if "are negative" in w]
    assert (f"of 8 value(s) in column {column!r}, 1 are negative (line 5; e.g. -0.5), "
            f"which {element}") in negative, negative


# --- flags on the labels' grade column of a source that makes layers ----------------------


def _job(box: Sandbox, flags: dict[str, str]) -> Path:
    """The tiny job with wells making a heat-flow layer, labelled by their ``li``."""
    rows = [f"{x:.0f},{y:.0f},{60 + i}," + ("0.5,<" if i % 5 == 0 else f"{100 + i},")
            for i, (x, y) in enumerate(PLACES)]
    (box.root / "wells.csv").write_text("x,y,hf,li,li_q\n" + "\n".join(rows) + "\n")
    return box.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
                 {**WELLS, "columns": ["hf"], "flags": flags}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "labels": {"source": "wells", "value_column": "li", "threshold": 50},
               "cv": {"kind": "random", "n_splits": 2}})


def test_flags_on_the_labels_grade_column_of_a_source_making_layers(tmp_path: Path) -> None:
    """SYNTHETIC: wells that make a heat-flow surface (``columns: [hf]``) and are the
    labels' source, graded by ``li`` with its qualifier column (``flags: {li: li_q}``).
    Before: "'flags' names value column(s) ['li'] that 'columns' does not list" (exit 2):
    the grade column had to be listed, and so interpolated into a layer of the labels'
    own grade (a feature that sees its label); now the job loads and the labels read the
    flags."""
    from prospect.config import load_job, resolve_grid
    from prospect.models.training import read_labels

    box = Sandbox(tmp_path)
    job, _, error = _caught(lambda: load_job(_job(box, {"li": "li_q"})))
    assert error is None, error
    assert job.sources[1].columns == ["hf"]
    _, said, error = _caught(lambda: read_labels(job.sources[1], resolve_grid(job),
                                                 job.model.labels))
    assert error is None, error
    assert any("4 are flagged below the detection limit by column 'li_q'" in w
               for w in said), said


# --- a place in one column ---------------------------------------------------------------


@pytest.mark.parametrize("form", ["{y}, {x}", "({y};{x})", "{y} {x}"],
                         ids=["web-map", "brackets", "space"])
def test_both_coordinates_in_one_column_are_named_with_the_split(
    tmp_path: Path, form: str
) -> None:
    """SYNTHETIC: occurrences whose place is one column, ``coords``, of ``52.0, 5.1`` (a
    pair copied from a web map or a GPS, latitude first). Before: "no column(s) ['lon',
    'lat']; columns are ['name', 'coords', 'li']" and nothing of the pairs; now the column
    is named as holding both coordinates, with the ranges of each and the split to make
    (which is which is the user's to say: refused, not guessed)."""
    folder = tmp_path / "pairs"
    folder.mkdir()
    path = folder / "occurrences.csv"
    path.write_text("name,coords,li\n" + "".join(
        f'w{i},"{form.format(x=x, y=y)}",{10 + i}\n' for i, (x, y) in enumerate(NL_PLACES)),
        "utf-8")
    _, _, error = _labels(path)
    assert type(error).__name__ == "DataError", error
    assert str(error).startswith(f"{path}: no column(s) ['lon', 'lat']"), error
    assert (f"column 'coords' holds both coordinates in one cell (e.g. "
            f"{form.format(x=5.1, y=52.0)!r}; first numbers 52 to 52.21, second 5.1 to 5.45): "
            "split it into two columns") in str(error), error
    assert "\n" not in str(error)


# --- controls -------------------------------------------------------------------------------


def test_control_plain_numbers_near_the_unit_cells_read_in_their_unit(tmp_path: Path) -> None:
    """SYNTHETIC: plain ``0.05`` (220 times below 11 ppm) and ``20`` among ``12 ppm``
    cells: read in ppm, said, as round 62 reads them."""
    for name, cell in (("a", "0.05"), ("b", "20")):
        occ, said, error = _labels(_table(tmp_path / name, _with(cell)))
        assert error is None, error
        assert np.array_equal(occ.values, [12, np.nan, 15, float(cell), 11, 13, 14, 16],
                              equal_nan=True), occ.values
        assert any("each is read in ppm" in w for w in said), said
        assert not any("more than 1000 times" in w for w in said), said


def test_control_a_column_of_decimal_commas_is_no_pair(tmp_path: Path) -> None:
    """SYNTHETIC: a table without its coordinate columns whose grades are written with
    a decimal comma (``12,5``) or grouped by a space (``12 500``): the error names no
    column as a pair of coordinates, as before."""
    folder = tmp_path / "commas"
    folder.mkdir()
    path = folder / "occurrences.csv"
    path.write_text("name;li;mg\n" + "".join(f"w{i};{10 + i},5;12 500\n" for i in range(8)),
                    "utf-8")
    _, _, error = _labels(path)
    assert type(error).__name__ == "DataError", error
    assert "no column(s) ['lon', 'lat']" in str(error), error
    assert "both coordinates" not in str(error), error


def test_control_label_columns_that_keep_their_negative_values(tmp_path: Path) -> None:
    """SYNTHETIC: a label column of log-ratios under ``li`` (half its values negative)
    and a grade column named by no element (``value``): their negative values are read as
    before, as values."""
    logs = ["1.2", "-0.5", "1.5", "-0.3", "-1.1", "-1.3", "1.4", "1.6"]
    occ, _, error = _labels(_table(tmp_path / "a", logs))
    assert error is None, error
    assert occ.values.tolist() == [float(v) for v in logs]
    occ, _, error = _labels(_table(tmp_path / "b", _with("-0.5", _PLAIN), "value"), "value")
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, -0.5, 11, 13, 14, 16], equal_nan=True)


def test_control_flags_on_another_column_of_a_source_making_layers_refused(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: ``flags: {Li: li_q}`` (no column of the source, nor the labels' grade
    ``li``) in the wells that make a layer: refused at load naming the key, as before."""
    from prospect.config import load_job
    from prospect.errors import ConfigError

    box = Sandbox(tmp_path)
    path = _job(box, {"Li": "li_q"})
    assert yaml.safe_load(path.read_text())["sources"][1]["flags"] == {"Li": "li_q"}
    with pytest.raises(ConfigError, match=r"'flags' names value column\(s\) \['Li'\] that "
                                          r"'columns' does not list"):
        load_job(path)
