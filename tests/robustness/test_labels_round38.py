"""Surfaces of point tables whose values below a detection limit were left out, a well's
``9999`` kriged as lithium, and negative values under a column named by its element alone.

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``, the
one ingest and the fold-aware rebuild use) what survey scientists keep (2026-12-05): a
well's ``<5`` (or ``-5``, or a value under its detection-limit column's) was left out of
the surface, which was then interpolated there from the measured values about it, all
above the limit (lifted where low values cluster); a well's ``9999`` (a fill) among lithium
of 10 to 55 mg/L was kriged as a measurement without a word; a well's ``-5`` under a column
named ``li`` (no unit) was kriged as lithium at -5. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .test_labels_round35 import WELLS, _labels, _table
from .test_labels_round36 import _plan

HALF = "read as half its limit"
"""What the warning of a cell below a detection limit says is done with it."""

HALF_OF_FLAGGED = "read as half its detection limit"
"""What the warning of values a companion column or a negative sign puts below a limit
says is done with them."""


def _rows(cells: dict[int, str], values: list[str] | None = None) -> list[str]:
    """:data:`WELLS` (ten SYNTHETIC wells, values 10 to 55) with well ``i``'s value written
    ``cells[i]`` (``values``: every well's, in place of 10 to 55)."""
    out = []
    for i, row in enumerate(WELLS):
        head, value = row.rsplit(",", 1)
        value = values[i] if values is not None else value
        out.append(f"{head},{cells.get(i, value)}")
    return out


def _surface(tmp_path: Path, rows: list[str], column: str = "li", *,
             interpolate: tuple[str, ...] = ("idw",), extra: str = "",
             **source: Any) -> tuple[Any, list[str]]:
    """The first layer ``plan_points`` makes of a ``site,lon,lat,<column>`` table of
    ``rows`` (each followed by ``extra`` columns' cells where given), and the warnings."""
    header = f"site,lon,lat,{column}" + (f",{extra}" if extra else "")
    layers, said, error = _plan(tmp_path / "wells.csv", header + "\n" + "\n".join(rows) + "\n",
                                column, interpolate=interpolate, **source)
    assert error is None and layers, error
    return layers[0], said


# --- values below a detection limit: half the limit, not left out ------------------------------


@pytest.mark.parametrize(("cell", "value"), [("<5", 2.5), ("< 0.5", 0.25), ("<=5", 2.5)],
                         ids=["lt", "lt-space", "le"])
def test_a_value_below_a_detection_limit_is_half_the_limit_in_the_surface(
        tmp_path: Path, cell: str, value: float) -> None:
    """W3 (line 5) written ``<5``. Before: left out of the surface (9 values), which was
    interpolated there from its neighbours (20 and 30: about 25) as if W3 were not below 5;
    now W3 is half the limit (2.5) among 10 values, said, and the layer records it."""
    layer, said = _surface(tmp_path, _rows({3: cell}))
    assert layer.settings["values"] == 10, layer.settings
    z = np.asarray(layer.z)
    assert np.isclose(z, value, rtol=1e-9).sum() == 1, z
    assert layer.settings["values_below_detection_limit"] == 1, layer.settings
    assert "half the detection limit" in layer.settings["below_detection_limit_as"]
    told = [s for s in said if HALF in s]
    assert len(told) == 1 and "(line 5;" in told[0] and "'li'" in told[0], said
    assert not any("not finite numbers" in s for s in said), said


def test_a_kriged_surface_takes_its_values_below_a_limit_as_half_the_limit(
        tmp_path: Path) -> None:
    """Two wells below ``<5`` (lines 3 and 4) kriged. Before: the variogram and surface of
    8 wells, the low ones left out; now 10, the kriging layer and its variance recording
    the two values below the limit."""
    layer, said = _surface(tmp_path, _rows({1: "<5", 2: "<5"}), interpolate=("kriging",))
    assert layer.settings["values"] == 10, layer.settings
    assert layer.settings["values_below_detection_limit"] == 2, layer.settings
    assert sorted(np.asarray(layer.model.Z).tolist())[:2] == [2.5, 2.5]
    assert any(HALF in s and "lines 3, 4" in s for s in said), said


def test_a_negative_concentration_is_half_its_limit_in_the_surface(tmp_path: Path) -> None:
    """W3 written ``-5`` under ``Li_mg_l`` (minus the limit, as exports write ``<5``).
    Before: read as missing, left out of the surface; now half the limit, 2.5, said."""
    layer, said = _surface(tmp_path, _rows({3: "-5"}), "Li_mg_l")
    z = np.asarray(layer.z).tolist()
    assert layer.settings["values"] == 10 and 2.5 in z and -5.0 not in z, z
    assert any("are negative (line 5" in s and HALF_OF_FLAGGED in s for s in said), said


def test_a_value_under_its_detection_limit_column_is_half_that_limit(tmp_path: Path) -> None:
    """W2 and W3 measured 1 under their ``Li_mg_l_DL`` of 2 (below the limit). Before: left
    out (8 values); now 1, half their limit, said."""
    rows = [f"{r},2" for r in _rows({2: "1", 3: "1"})]
    layer, said = _surface(tmp_path, rows, "Li_mg_l", extra="Li_mg_l_DL")
    z = np.asarray(layer.z).tolist()
    assert layer.settings["values"] == 10 and z.count(1.0) == 2, z
    assert layer.settings["values_below_detection_limit"] == 2, layer.settings
    assert any("'Li_mg_l_DL'" in s and HALF_OF_FLAGGED in s for s in said), said


@pytest.mark.parametrize("cell", ["n.d.", "BDL", "<LOD"])
def test_control_a_value_below_an_unknown_limit_is_still_missing(
        tmp_path: Path, cell: str) -> None:
    """Control: ``n.d.``, ``BDL``, ``<LOD`` give no limit to halve: left out (9 values) as
    before, with the fix "give them as numbers (e.g. half the limit)"."""
    layer, said = _surface(tmp_path, _rows({3: cell}))
    assert layer.settings["values"] == 9, layer.settings
    assert "values_below_detection_limit" not in layer.settings
    assert any("not finite numbers" in s and "(e.g. half the limit)" in s for s in said), said


def test_control_a_surface_of_half_limits_and_two_measured_values_is_refused(
        tmp_path: Path) -> None:
    """Control: eight wells ``<5`` and two measured: refused as before (3 measured values
    are needed), now naming the eight read as half their limit, which alone say nothing
    of where the values are higher (a surface of them was one number)."""
    path = tmp_path / "wells.csv"
    rows = _rows({i: "<5" for i in range(2, 10)})
    _, _, error = _plan(path, "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert error is not None and "at least 3 are needed to interpolate" in str(error), error
    assert "has 2 numeric values" in str(error), error


def test_control_a_labels_limit_is_still_a_negative_not_half_its_limit(tmp_path: Path) -> None:
    """Control: an occurrence label's ``<5`` at threshold 20 is a negative below its limit,
    as before: no made-up grade (half the limit is for surfaces only)."""
    cells = [str(30 if i % 2 else 5) for i in range(8)]
    cells[2] = "<5"
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records_below_limit_as_negative"] == 1, labels.counts
    assert not any(HALF in s for s in said), said


# --- a fill of nines among values far below it --------------------------------------------


@pytest.mark.parametrize("cell", ["9999", "99999", "32767"])
def test_a_lone_fill_far_above_the_other_values_is_said(tmp_path: Path, cell: str) -> None:
    """W3's lithium written ``9999`` (a fill) among 10 to 55 mg/L. Before: kriged as a
    measurement 180 times its neighbours, without a word (a positive fill was said only on
    two rows, 9999 never); now said, naming the value, the line, the others' largest and
    ``nodata:``."""
    layer, said = _surface(tmp_path, _rows({3: cell}), "Li_mg_l")
    told = [s for s in said if "commonly used to mark no data" in s]
    assert len(told) == 1, said
    assert float(cell) in np.asarray(layer.z).tolist()  # (read as written, said)
    assert f"holds {cell} on 1 of 10 rows (line 5)" in told[0], told
    assert "(at most 55)" in told[0] and f"'nodata: {cell}'" in told[0], told


def test_a_fill_of_nines_declared_nodata_is_left_out(tmp_path: Path) -> None:
    """With ``nodata: 9999`` (the fix the warning gives), W3 is left out (9 values), said
    as the declared nodata. Before: the same, but the table had said nothing to lead there,
    and the surface held 9999: the case fails before on its first check, of the warning
    given without ``nodata:``."""
    _, said = _surface(tmp_path, _rows({3: "9999"}), "Li_mg_l")
    assert any("'nodata: 9999'" in s for s in said), said
    layer, said = _surface(tmp_path, _rows({3: "9999"}), "Li_mg_l", nodata=9999)
    assert layer.settings["values"] == 9 and 9999.0 not in np.asarray(layer.z), layer.z
    assert any("declared nodata" in s for s in said), said


def test_control_a_value_of_nines_among_values_of_its_size_is_a_measurement(
        tmp_path: Path) -> None:
    """Control: 9999 mg/L among brines of 5 000 to 12 200 mg/L is a measurement: kept and
    not said."""
    values = [str(5000 + 800 * i) for i in range(10)]
    layer, said = _surface(tmp_path, _rows({3: "9999"}, values), "Li_mg_l")
    assert 9999.0 in np.asarray(layer.z).tolist()
    assert not any("commonly used to mark no data" in s for s in said), said


# --- a negative value under a column named by its element alone ------------------------------


@pytest.mark.parametrize("column", ["li", "Li", "lithium", "Cu", "grade", "conc"])
def test_a_negative_value_under_an_elements_name_is_below_a_limit(
        tmp_path: Path, column: str) -> None:
    """W3 written ``-5`` under a column named ``li`` (or ``grade``; no unit). Before:
    kriged as lithium at -5, a negative concentration about it, without a word; now minus
    the limit, half of it (2.5) in the surface, said naming what the column's name says."""
    layer, said = _surface(tmp_path, _rows({3: "-5"}), column)
    z = np.asarray(layer.z).tolist()
    assert -5.0 not in z and 2.5 in z, z
    assert any("are negative (line 5" in s and "as the column's name" in s and HALF_OF_FLAGGED in s
               for s in said), said


def test_control_a_log_ratio_under_an_elements_name_keeps_its_signs(tmp_path: Path) -> None:
    """Control: a column ``li`` of log-ratios (compositional analysis: half of them
    negative) is read as written, nothing said of limits."""
    values = [f"{(-1) ** i * (0.3 + 0.1 * i):.2f}" for i in range(10)]
    layer, said = _surface(tmp_path, _rows({}, values))
    assert np.allclose(np.asarray(layer.z), [float(v) for v in values])
    assert not any("are negative" in s for s in said), said


# --- a cell written with the column's own unit among plain numbers --------------------------


@pytest.mark.parametrize(("column", "cell"), [
    ("Li_ppm", "30 ppm"), ("Li_ppm", "30 ppm # dup"), ("Li (mg/L)", "30 mg/l"),
    ("Li_mg_kg", "30 ppm")], ids=["ppm", "ppm-comment", "bracketed", "mg-kg-as-ppm"])
def test_a_value_written_with_the_columns_own_unit_is_read(
        tmp_path: Path, column: str, cell: str) -> None:
    """W3 (line 5) typed ``30 ppm`` among plain numbers under ``Li_ppm``. Before: read as
    missing ("write numbers only"), the well left out of the surface (9 values), though
    the header says the plain numbers are ppm too; now 30, said."""
    layer, said = _surface(tmp_path, _rows({3: cell}), column)
    assert layer.settings["values"] == 10, layer.settings
    assert np.asarray(layer.z).tolist().count(30.0) == 2, layer.z
    assert any("written with the unit the column states" in s and "(line 5;" in s
               for s in said), said
    assert not any("not finite numbers" in s for s in said), said


@pytest.mark.parametrize(("column", "cell"), [("Li_ppm", "30 mg/L"), ("li", "30 ppm")],
                         ids=["another-unit", "no-unit-stated"])
def test_control_a_value_written_with_another_or_an_unstated_unit_is_missing(
        tmp_path: Path, column: str, cell: str) -> None:
    """Control: ``30 mg/L`` under ``Li_ppm`` (another unit), or ``30 ppm`` under ``li``
    (the plain numbers' unit unknown): missing as before, said as "not finite numbers"."""
    layer, said = _surface(tmp_path, _rows({3: cell}), column)
    assert layer.settings["values"] == 9, layer.settings
    assert any("not finite numbers" in s and "units belong in the header" in s
               for s in said), said
