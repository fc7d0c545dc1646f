"""Round 63: what rounds 62 and 62b left of labels and point tables. Occurrences with an
uncertainty radius (``radius_m``, ``accuracy_km``, Darwin Core's and GBIF's
``coordinateUncertaintyInMeters``, a national database's location precision) read as exact
points, the radius column ignored without a word, a record known to +-5 km labelled in
one 1 km cell, with no way to leave out the records less precise than the cells; and the
warning of two values at one place telling "remove the wrong record" of two wells of one
site, where neither is wrong.

Found by feeding the labels reader (``prospect.models.labels.read_occurrences``), the
point reader (``prospect.io.points.read_points``), the job config (``load_job``) and the
surface planner (``prospect.ingest.surfaces.plan_points``) what occurrence databases
export (2026-12-07). Every table is small and SYNTHETIC: round 56's eight wells in the
Netherlands (as round 62b's file), and the tiny job's twenty wells near Bonaire
(``tests/robustness/conftest.py``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.ingest.surfaces import plan_points
from prospect.io.points import read_points, source_options
from prospect.models.labels import read_occurrences

from .conftest import Sandbox
from .test_labels_round62b import NL, NL_PLACES
from .test_point_tables import PLACES, WELLS
from .test_vectors_round22 import _caught

_RADII_M = [10, 5000, 20, 30, 2500, 15, 10, 10]
"""SYNTHETIC location radii in metres: lines 3 and 6 (5 km and 2.5 km) wider than the
1 km cells of :data:`NL`."""


def _table(folder: Path, column: str | None, radii: list[Any], extra: str = "") -> Path:
    """The SYNTHETIC wells with a grade ``li`` and, under ``column``, ``radii``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "occurrences.csv"
    head = "lon,lat,li" + (f",{column}" if column else "") + (f",{extra}" if extra else "")
    rows = []
    for i, ((x, y), r) in enumerate(zip(NL_PLACES, radii, strict=True)):
        rows.append(f"{x},{y},{10 + i}" + (f",{r}" if column else "")
                    + (f",{r}" if extra else ""))
    path.write_text(head + "\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def _labels(path: Path, **options: Any) -> tuple[Any, list[str], Exception | None]:
    """The labels reader's read of ``path`` onto :data:`NL`."""
    return _caught(lambda: read_occurrences(path, NL, value_column="li", **options))


# --- a radius wider than the cells ---------------------------------------------------------


@pytest.mark.parametrize(("column", "scale", "unit_said"), [
    ("radius_m", 1.0, ""),
    ("coordinateUncertaintyInMeters", 1.0, ""),
    ("accuracy_km", 0.001, ""),
    ("location_precision", 1.0, " (its name states no unit: read as metres)"),
], ids=["radius_m", "darwin-core", "km", "no-unit"])
def test_a_radius_wider_than_the_cells_is_said(
    tmp_path: Path, column: str, scale: float, unit_said: str
) -> None:
    """SYNTHETIC: occurrences with a location radius, two of them (lines 3 and 6) known
    only to +-5 km and +-2.5 km on a grid of 1 km cells. Before: labelled in one cell each
    as if exact, the radius column read by nothing, without a word; now said with the
    column, the records and the fix, every record read as before."""
    radii = [f"{r * scale:g}" for r in _RADII_M]
    occ, said, error = _labels(_table(tmp_path, column, radii))
    assert error is None, error
    assert occ.x.size == 8 and occ.values.tolist() == [10, 11, 12, 13, 14, 15, 16, 17]
    (wide,) = [w for w in said if "location radius" in w]
    assert (f"2 of 8 record(s) have a location radius (column {column!r}{unit_said}) larger "
            "than the region's cells (1000 m) (lines 3, 6; e.g. 5000 m): each is placed in "
            "one cell as if exact; set 'max_radius: <metres>' in the points source to leave "
            "out the records less precise than that") in wide, wide


def test_max_radius_leaves_the_vague_records_out_of_the_labels(tmp_path: Path) -> None:
    """SYNTHETIC: the same occurrences read with ``max_radius=1000``. Before: no such
    argument (a TypeError); now the two records wider than 1000 m are left out, said."""
    occ, said, error = _labels(_table(tmp_path, "radius_m", _RADII_M), max_radius=1000.0)
    assert error is None, error
    assert occ.values.tolist() == [10, 12, 13, 15, 16, 17], occ.values
    assert occ.numbers.tolist() == [2, 4, 5, 7, 8, 9]
    (left,) = [w for w in said if "location radius" in w]
    assert ("2 of 8 record(s) have a location radius (column 'radius_m') over max_radius "
            "1000 m (lines 3, 6; e.g. 5000 m): left out of the labels, as the points "
            "source's 'max_radius' asks") in left, left
    assert not any("larger than the region's cells" in w for w in said), said
    wide, said, _ = _labels(_table(tmp_path, "radius_m", _RADII_M), max_radius=5000.0)
    assert wide.values.size == 8 and not any("location radius" in w for w in said), said


def _job(box: Sandbox, source: dict[str, Any]) -> Path:
    """The tiny job (10 m cells) labelled by its wells, whose radius column is
    ``radius_m``: every fifth well known to +-50 m."""
    rows = [f"{x:.0f},{y:.0f},{100 + i},{50 if i % 5 == 0 else 3}"
            for i, (x, y) in enumerate(PLACES)]
    (box.root / "wells.csv").write_text("x,y,li,radius_m\n" + "\n".join(rows) + "\n")
    return box.write_job(
        sources=[{"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
                 {**WELLS, "columns": [], "interpolate": [], **source}],
        model={"mineral": "lithium", "estimator": "random_forest",
               "labels": {"source": "wells", "value_column": "li", "threshold": 50},
               "cv": {"kind": "random", "n_splits": 2}})


def test_max_radius_in_a_points_source_reaches_the_labels_and_the_points(
        tmp_path: Path) -> None:
    """SYNTHETIC: the tiny job's labels source with ``max_radius: 20``. Before: refused
    as a key the source does not know (exit 2), so a record known to +-50 m was labelled
    in one 10 m cell; now the job loads, the labels leave the four such wells out, and so
    does the point reader of the same source."""
    from prospect.config import load_job, resolve_grid
    from prospect.models.training import read_labels

    box = Sandbox(tmp_path)
    job, _, error = _caught(lambda: load_job(_job(box, {"max_radius": 20})))
    assert error is None, error
    source = job.sources[1]
    assert source.max_radius == 20.0
    (_, occ, _), said, error = _caught(lambda: read_labels(source, resolve_grid(job),
                                                           job.model.labels))
    assert error is None, error
    assert occ.x.size == 16 and occ.numbers.tolist() == [
        n for n in range(2, 22) if (n - 2) % 5], occ.numbers
    assert any("4 of 20 record(s) have a location radius (column 'radius_m') over "
               "max_radius 20 m (lines 2, 7, 12, 17; e.g. 50 m): left out of the labels"
               in w for w in said), said
    table, said, error = _caught(lambda: read_points(
        source.path, **source_options(source), to_crs="EPSG:32619"))
    assert error is None, error
    assert table.lines.tolist() == occ.numbers.tolist()
    assert any("over max_radius 20 m" in w and "dropped" in w for w in said), said


def test_max_radius_without_a_radius_column_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: ``max_radius`` given for a table without a radius column. Before: no
    such argument; now refused, naming the table's columns and ``radius_column``."""
    occ, _, error = _labels(_table(tmp_path, None, _RADII_M), max_radius=1000.0)
    assert occ is None and error is not None
    assert ("'max_radius' is 1000 m but the table has no column of location radii "
            "(radius_m, accuracy_m, location_precision_m, coordinateUncertaintyInMeters...); "
            "columns are ['lon', 'lat', 'li']: name it with 'radius_column: <column>'"
            ) in str(error), error


def test_radius_column_names_a_column_of_another_name(tmp_path: Path) -> None:
    """SYNTHETIC: a radius column named in another language (``genauigkeit_m``) given
    as ``radius_column``. Before: no such argument; now its radii are read (in metres,
    as its name ends) and the records beyond ``max_radius`` left out."""
    occ, said, error = _labels(_table(tmp_path, "genauigkeit_m", _RADII_M),
                               radius_column="genauigkeit_m", max_radius=3000.0)
    assert error is None, error
    assert occ.values.tolist() == [10, 12, 13, 14, 15, 16, 17], occ.values
    assert any("1 of 8 record(s) have a location radius (column 'genauigkeit_m') over "
               "max_radius 3000 m (line 3; e.g. 5000 m)" in w for w in said), said


def test_a_radius_cell_with_its_unit_is_read_in_it(tmp_path: Path) -> None:
    """SYNTHETIC: radii written with their unit in the cell (``5 km``, ``250 m``), as a
    database's location-accuracy field is exported. Before: not read at all; now each in
    its cell's unit: the record of ``5 km`` is said, ``1 km`` is not over 1 km cells."""
    radii = ["10 m", "5 km", "20", "1 km", "250 m", "15", "n/a", "10"]
    occ, said, error = _labels(_table(tmp_path, "radius_m", radii))
    assert error is None, error
    assert occ.x.size == 8
    (wide,) = [w for w in said if "location radius" in w]
    assert ("1 of 8 record(s) have a location radius (column 'radius_m') larger than the "
            "region's cells (1000 m) (line 3; e.g. 5000 m)") in wide, wide


# --- a detection limit written in words, its number in the column beside -------------------


def _limits_table(folder: Path, column: str = "li", limits: str = "li_dl") -> Path:
    """The SYNTHETIC wells with ``<LOD`` and ``BDL`` grades, each row's limit beside."""
    cells = ["12,0.5", "<LOD,0.5", "15,0.5", "20,1", "BDL,1", "13,0.5", "14,0.5", "16,0.5"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "assays.csv"
    path.write_text(f"lon,lat,{column},{limits}\n" + "".join(
        f"{x},{y},{c}\n" for (x, y), c in zip(NL_PLACES, cells, strict=True)), "utf-8")
    return path


def test_a_word_below_the_limit_takes_its_rows_limit_from_the_column_beside(
        tmp_path: Path) -> None:
    """SYNTHETIC: a lab's export writing ``<LOD`` and ``BDL`` in the grade column and each
    row's detection limit in ``li_dl`` beside it. Before: each missing without its limit,
    "leave each as written with its limit" (the limit was beside it), where a number
    under ``li_dl`` was read below that limit; now each is below its row's limit (0.5,
    1), as ``<0.5`` and ``<1`` are, and not said as an unread cell."""
    occ, said, error = _labels(_limits_table(tmp_path))
    assert error is None, error
    assert np.array_equal(occ.values, [12, np.nan, 15, 20, np.nan, 13, 14, 16],
                          equal_nan=True), occ.values
    assert np.array_equal(occ.limit, [np.nan, 0.5, np.nan, np.nan, 1.0] + [np.nan] * 3,
                          equal_nan=True), occ.limit
    assert not any("not finite numbers" in w for w in said), said


def test_a_surface_reads_a_word_below_the_limit_as_half_the_limit_beside(
        tmp_path: Path) -> None:
    """SYNTHETIC: the same table read for a surface (``read_points``). Before: the two
    wells left out ("give them as numbers (e.g. half the limit)"), where a number under
    ``li_dl`` was read as half that limit; now half their rows' limits, said."""
    table, said, error = _caught(lambda: read_points(
        _limits_table(tmp_path), to_crs="EPSG:28992", columns=["li"], below_as_half=True))
    assert error is None, error
    assert table.values["li"].tolist() == [12, 0.25, 15, 20, 0.5, 13, 14, 16]
    assert any("2 of 8 value(s) in column 'li' are below a detection limit (lines 3, 6; "
               "e.g. '<LOD'): each is read as half its limit" in w for w in said), said


# --- two values at one place: the fix that fits first ---------------------------------------


def _surface_warnings(tmp_path: Path) -> list[str]:
    """The data warnings of an IDW surface of 12 SYNTHETIC wells in RD New, two of them
    at one place with 89 and 96 (two wells of one site, other depth intervals)."""
    rng = np.random.default_rng(11)
    xy = np.column_stack([rng.uniform(100500, 119500, 12), rng.uniform(400500, 419500, 12)])
    values = [f"{v:.2f}" for v in rng.uniform(50, 90, 12)]
    rows = [*zip(xy[:, 0], xy[:, 1], values, strict=True),
            (110000.0, 410000.0, "89"), (110000.0, 410000.0, "96")]
    path = tmp_path / "heatflow.csv"
    path.write_text("x,y,hf\n" + "".join(f"{x:.3f},{y:.3f},{v}\n" for x, y, v in rows))
    source = PointSource(kind="points", name="w", path=str(path), crs="EPSG:28992", x="x",
                         y="y", columns=["hf"], interpolate=["idw"])
    grid = RegionGrid(name="nlrd", crs="EPSG:28992", resolution=1000,
                      bounds=(100_000, 400_000, 120_000, 420_000))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        plan_points(source, grid)
    return [" ".join(str(w.message).split()) for w in said
            if issubclass(w.category, DataWarning)]


def test_two_values_at_one_place_give_the_fix_that_fits_first(tmp_path: Path) -> None:
    """SYNTHETIC: two wells of one site (89 and 96 mW/m2, other depth intervals, one
    location), as four places of the heat-flow job's table are. Before: "the surface
    averages them: remove the wrong record, or give each its own coordinates", where
    neither is wrong; now the fix that fits comes first, and removing a record only for
    one entered in error."""
    (said,) = [w for w in _surface_warnings(tmp_path) if "different values" in w]
    assert ("1 place(s) hold two or more records of 'hf' with different values (e.g. 89, 96 "
            "at x=110000, y=410000 in EPSG:28992); the surface averages them: give each "
            "record its own coordinates (two wells or samples of one site), or keep one "
            "record per place") in said, said
    assert "remove the wrong record" not in said, said
    assert said.endswith("only a record entered in error should be removed"), said


# --- controls ------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["precision", "li_err", "error"])
def test_control_a_laboratorys_precision_is_no_radius(tmp_path: Path, column: str) -> None:
    """SYNTHETIC control: a bare ``precision``, ``error`` or an element's ``li_err``
    column (a laboratory's, as often as a location's) is no radius: nothing said, every
    record read."""
    occ, said, error = _labels(_table(tmp_path, column, _RADII_M))
    assert error is None, error
    assert occ.values.tolist() == [10, 11, 12, 13, 14, 15, 16, 17]
    assert not any("location radius" in w for w in said), said


def test_control_radii_within_the_cells_say_nothing(tmp_path: Path) -> None:
    """SYNTHETIC control: radii of 10 to 900 m on 1 km cells: nothing said, nothing left
    out, the records' places as a table without the column gives them."""
    radii = [10, 900, 20, 30, 250, 15, 10, 10]
    occ, said, error = _labels(_table(tmp_path / "r", "radius_m", radii))
    plain, _, _ = _labels(_table(tmp_path / "p", None, radii))
    assert error is None, error
    assert occ.values.tolist() == plain.values.tolist()
    assert np.array_equal(occ.x, plain.x) and np.array_equal(occ.y, plain.y)
    assert not any("location radius" in w for w in said), said


def test_control_a_word_below_the_limit_without_a_limit_column(tmp_path: Path) -> None:
    """SYNTHETIC control: ``<LOD`` and ``BDL`` without a column of limits beside (its
    companion named for another element, ``cu_dl``): missing without a limit, said, as
    before."""
    occ, said, error = _labels(_limits_table(tmp_path, limits="cu_dl"))
    assert error is None, error
    assert np.isnan(occ.limit).all() and np.isnan(occ.values[[1, 4]]).all()
    assert any("2 of 8 value(s) in column 'li' are not finite numbers" in w for w in said), said
