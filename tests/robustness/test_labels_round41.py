"""Values and detection limits written in another size of the unit their column states
(``<5 µg/L`` or ``800 µg/L`` among mg/L, ``<50 ppb`` under ``Li_ppm``), cells written in a
unit the column does not state, a grade below a limit said to be missing before it is
labelled a negative, and the half-limit warning's example not the cell as written.

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) and
the train stage's label reading (``prospect.models.training.read_labels``) geochemistry
tables as laboratories and hand-kept spreadsheets write them (2026-12-06). Every file is
small and SYNTHETIC (round 35's ten Dutch wells, round 35's Great Basin places).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .test_labels_round35 import WELLS, _labels, _table
from .test_labels_round36 import _plan

MISSING = "are not finite numbers and are read as missing"
"""What the warning of cells read as no value says."""


def _wells(header: str, cell: str) -> str:
    """:data:`WELLS` (ten SYNTHETIC wells, lithium 10 to 55) under ``header``, W9 (line 11)
    written ``cell``."""
    rows = [*WELLS[:9], f'W9,5.410000,52.220000,"{cell}"']
    return f'site,lon,lat,"{header}"\n' + "\n".join(rows) + "\n"


# --- a grade below a limit said to be missing, then a negative ----------------------------------


@pytest.mark.parametrize("cell", ["<5", "ND(5)", "<5 U"], ids=["lt", "nd", "u"])
def test_a_grade_below_a_limit_is_not_said_to_be_missing(tmp_path: Path, cell: str) -> None:
    """S2 (line 4) graded ``<5`` under a threshold of 20. Before: said twice, first as "not
    finite numbers and are read as missing ... a label without a grade is never a
    positive", then as a negative below its limit; now only as the negative it is."""
    cells = ["5", "30", cell, "30", "5", "5", "5", "5"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records_below_limit_as_negative"] == 1, labels.counts
    assert not any(MISSING in s for s in said), said
    assert any("(line 4: below 5): each is a negative" in s for s in said), said


def test_control_a_not_detected_without_a_limit_is_still_said_missing(tmp_path: Path) -> None:
    """Control: ``ND`` alone (no limit) in the labels is a record without a grade, said as
    "not finite numbers" (line 4)."""
    cells = ["5", "30", "ND", "30", "5", "5", "5", "5"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records_without_grade"] == 1, labels.counts
    assert any(MISSING in s and "(line 4;" in s for s in said), said


# --- a limit or a value in another size of the column's unit -----------------------------------


@pytest.mark.parametrize(("header", "cell", "units", "half"), [
    ("li [mg/L]", "<5 µg/L", None, "0.0025 mg/L"),
    ("Li_ppm", "<50 ppb", None, "0.025 ppm"),
    ("li", "<5 ug/L", {"li": "mg/L"}, "0.0025 mg/L"),
    ("li_mg_l", "ND(5 ug/l)", None, "0.0025 mg/l"),
], ids=["ug-under-mg", "ppb-under-ppm", "units-key", "nd-ug"])
def test_a_limit_in_another_size_of_the_columns_unit_is_converted(
        tmp_path: Path, header: str, cell: str, units: dict[str, str] | None,
        half: str) -> None:
    """W9 (line 11) below a limit written in µg/L (ppb) under a column of mg/L (ppm).
    Before: missing (9 values), said as "give them as numbers (e.g. half the limit)";
    now half the limit converted to the column's unit (10 values), said with the cell as
    written and the half in the column's unit."""
    extra = {"units": units} if units else {}
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, cell), column=header,
                                **extra)
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    z = np.asarray(layers[0].z)
    assert np.isclose(z, float(half.split()[0]), rtol=1e-9).sum() == 1, z
    told = [s for s in said if "below a detection limit" in s]
    assert len(told) == 1 and f"e.g. {cell!r}" in told[0], said
    assert f"half its limit ({half})" in told[0], told
    assert not any(MISSING in s for s in said), said


@pytest.mark.parametrize(("header", "cell", "value"), [
    ("li [mg/L]", "800 µg/L", 0.8),
    ("li_mg_l", "0.06 g/L", 60.0),
    ("Li_ppm", "2500 ppb", 2.5),
], ids=["ug-under-mg", "g-under-mg", "ppb-under-ppm"])
def test_a_value_in_another_size_of_the_columns_unit_is_converted(
        tmp_path: Path, header: str, cell: str, value: float) -> None:
    """W9 (line 11) typed into the export in another size of the column's unit. Before:
    missing (9 values), "write numbers only"; now converted (10 values, ``value`` among
    them), with one warning naming the line, the cell and what it is read as."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells(header, cell), column=header)
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    z = np.asarray(layers[0].z)
    assert np.isclose(z, value, rtol=1e-9).sum() == 1, z
    told = [s for s in said if "another unit than the column's" in s]
    assert len(told) == 1 and "(line 11;" in told[0] and f"e.g. {cell!r}" in told[0], said
    assert not any(MISSING in s for s in said), said


def test_a_grade_below_a_limit_in_ppb_under_ppm_is_a_negative(tmp_path: Path) -> None:
    """An assay table graded by ``Li_ppm`` (threshold 20) whose S2 (line 4) is ``<50 ppb``
    (under 0.05 ppm). Before: a record without a grade (left out, said as missing); now a
    negative below its limit."""
    cells = ["5", "30", "<50 ppb", "30", "5", "5", "5", "5"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("Li_ppm", cells),
                                  value_column="Li_ppm", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records_below_limit_as_negative"] == 1, labels.counts
    assert labels.counts["records_without_grade"] == 0, labels.counts
    assert not any(MISSING in s for s in said), said


# --- a cell written in a unit the column does not state ----------------------------------------


@pytest.mark.parametrize("cell", ["<5.0 mg/L", "30 mg/L"], ids=["limit", "value"])
def test_a_cell_in_a_unit_the_column_does_not_state_names_units_as_the_fix(
        tmp_path: Path, cell: str) -> None:
    """``<5.0 mg/L`` (or ``30 mg/L``) under ``li``, a column stating no unit (no header
    unit, row of units, unit column or ``units:``). Before: "give them as numbers (e.g.
    half the limit)" or "write numbers only", not what keeps it from being read; now the
    unit is named, with ``units: {li: mg/L}`` (or a header) as the fix. Still missing: the
    plain numbers' unit is not known."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells("li", cell))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 9, layers[0].settings
    told = [s for s in said if MISSING in s]
    assert len(told) == 1 and "a unit the column does not state" in told[0], said
    assert "'units: {li: mg/L}'" in told[0] and "'li [mg/L]'" in told[0], told
    assert "give them as numbers" not in told[0], told


def test_a_value_in_another_quantitys_unit_is_said_as_such(tmp_path: Path) -> None:
    """``30 mg/L`` under ``Li_ppm`` (a mass per volume under a mass fraction). Before:
    "write numbers only (units belong in the header)"; now named as no size of the
    column's ppm, with the fix (convert it). Still missing (9 values)."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells("Li_ppm", "30 mg/L"),
                                column="Li_ppm")
    assert error is None and layers, error
    assert layers[0].settings["values"] == 9, layers[0].settings
    told = [s for s in said if MISSING in s]
    assert len(told) == 1 and "no size of the column's ppm" in told[0], said
    assert "convert them to ppm" in told[0], told


def test_control_a_value_in_the_columns_own_unit_is_read_as_before(tmp_path: Path) -> None:
    """Control: ``30 ppm`` under ``Li_ppm`` is read as 30 with round 38's warning, and
    ``<5`` (no unit) as half its limit, 2.5."""
    rows = [*WELLS[:8], "W8,5.370000,52.190000,30 ppm", "W9,5.410000,52.220000,<5"]
    layers, said, error = _plan(tmp_path / "w.csv",
                                "site,lon,lat,Li_ppm\n" + "\n".join(rows) + "\n",
                                column="Li_ppm")
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert any("written with the unit the column states, ppm" in s for s in said), said
    assert any("e.g. '<5'): each is read as half its limit (2.5)" in s for s in said), said


# --- the half-limit warning's example ------------------------------------------------------------


@pytest.mark.parametrize("cell", ["ND(5)", "BDL (5)", "<5 UJ"], ids=["nd", "bdl", "uj"])
def test_the_half_limit_example_is_the_cell_as_written(tmp_path: Path, cell: str) -> None:
    """W9 (line 11) written ``ND(5)``. Before: the warning's example was ``'<5'``, a cell the
    table does not hold (nothing to search for); now the cell as written."""
    layers, said, error = _plan(tmp_path / "w.csv", _wells("li", cell))
    assert error is None and layers, error
    told = [s for s in said if "below a detection limit" in s]
    assert len(told) == 1 and f"(line 11; e.g. {cell!r})" in told[0], said
    assert "half its limit (2.5)" in told[0], told


def test_a_value_in_another_size_written_in_decimal_commas_is_converted(
        tmp_path: Path) -> None:
    """A European export (semicolons, decimal commas) under ``units: {li: mg/L}`` whose W9
    (line 11) is ``800,5 µg/L``. Before: missing (9 values); now 0.8005 mg/L, read in the
    table's notation (not 8005 nor 0.8)."""
    rows = [";".join(p.replace(".", ",") for p in w.split(",")) for w in WELLS[:9]]
    text = "site;lon;lat;li\n" + "\n".join([*rows, "W9;5,41;52,22;800,5 µg/L"]) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text, units={"li": "mg/L"})
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    z = np.asarray(layers[0].z)
    assert np.isclose(z, 0.8005, rtol=1e-9).sum() == 1, z
    assert any("read as 0.8005 mg/L" in s for s in said), said


# --- a site named twice at two places -------------------------------------------------------------

PLACES_AGAIN = "given at two or more places"
"""What the warning of one ID at several places says."""


def test_a_site_given_again_at_another_place_is_said(tmp_path: Path) -> None:
    """W3 of a ``site`` column given again 10 km off with another value (its row's
    coordinates copied wrong). Before: a sample of its own without a word (``site`` was no
    ID column, though ``sample_id`` and ``well_name`` were); now said, naming both
    lines and places."""
    text = "site,lon,lat,li\n" + "\n".join([*WELLS, "W3,5.300000,52.100000,99"]) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    told = [s for s in said if PLACES_AGAIN in s]
    assert len(told) == 1 and "column 'site'" in told[0] and "'W3'" in told[0], said
    assert "line 5 at 5.17, 52.04; line 12 at 5.3, 52.1" in told[0], told


def test_an_occurrence_site_given_again_at_another_place_is_said(tmp_path: Path) -> None:
    """The labels read through the same check: ``Site Name`` S2 listed again 0.2 degrees
    off (two positives). Before: nothing said; now said."""
    cells = ["5", "30", "30", "30", "5", "5", "5", "5"]
    text = _table("li", cells).replace("site,", "Site Name,") + "S2,-118.1,38.1,40\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert any(PLACES_AGAIN in s and "column 'Site Name'" in s for s in said), said


def test_control_a_site_sampled_again_nearby_or_of_several_samples_says_nothing(
        tmp_path: Path) -> None:
    """Control: W3 sampled again 20 m off (a spring's place surveyed again), and a table
    whose ``sample_id`` names each record beside ``site`` (W3's two samples 10 km apart
    read as a group): no word of places."""
    near = "site,lon,lat,li\n" + "\n".join([*WELLS, "W3,5.170200,52.040100,27"]) + "\n"
    layers, said, error = _plan(tmp_path / "near.csv", near)
    assert error is None and layers, error
    assert not any(PLACES_AGAIN in s for s in said), said
    rows = [f"{w},S{i}" for i, w in enumerate([*WELLS, "W3,5.300000,52.100000,99"])]
    group = "site,lon,lat,li,sample_id\n" + "\n".join(rows) + "\n"
    layers, said, error = _plan(tmp_path / "group.csv", group)
    assert error is None and layers, error
    assert not any(PLACES_AGAIN in s for s in said), said
