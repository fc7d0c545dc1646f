"""Laboratories' quality-control records known only by their sample IDs, and values below
a detection limit written with a word for "not detected" or a qualifier after the limit.

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``) and
the train stage's label reading (``prospect.models.training.read_labels``) geochemistry
tables as laboratories deliver them (2026-12-05): a table without a type column whose
standards, blanks and duplicates are told apart by their IDs alone (``STD-OREAS45e``,
``BLK-01``, ``W3-DUP``) had the standard's 950 mg/L kriged as a well's lithium and its
grade of 3500 ppm labelled an occurrence; a cell ``ND<5``, ``ND(5)``, ``BDL (5)`` or
``<5U`` was read as missing, not as below a limit of 5 (half of it in a surface, a negative
under a threshold of 20). Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prospect.errors import DataError

from .test_labels_round35 import WELLS, _labels, _table
from .test_labels_round36 import _plan

QC = "quality-control records"
"""What the warning of a table's standards, blanks and duplicates says they are."""

HALF = "read as half its limit"
"""What the warning of a surface's values below a detection limit says is done."""


def _wells_and(extra: list[str]) -> str:
    """:data:`WELLS` (ten SYNTHETIC wells, lithium 10 to 55 mg/L, ``site`` W0-W9) with the
    ``extra`` rows (``site,lon,lat,li``) after them (lines 12 on), no type column."""
    return "site,lon,lat,li\n" + "\n".join(WELLS) + "\n" + "\n".join(extra) + "\n"


QC_ROWS = ["STD-OREAS45e,5.100000,51.980000,950",
           "BLK-01,5.100000,51.980000,0.1",
           "W3-DUP,5.170000,52.040000,26"]
"""A SYNTHETIC batch's standard, blank and field duplicate, known by their IDs alone."""


# --- quality-control records known by their sample IDs ------------------------------------------


def test_quality_control_records_known_by_their_ids_are_not_kriged(tmp_path: Path) -> None:
    """A standard (950), a blank (0.1) and a duplicate (26), no type column. Before: kriged
    as wells (13 values, 950 among them); now left out (10 values), one warning naming the
    IDs' column, the IDs, lines 12-14 and the fix (a type column)."""
    layers, said, error = _plan(tmp_path / "qc.csv", _wells_and(QC_ROWS))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    z = np.asarray(layers[0].z).tolist()
    assert 950.0 not in z and 0.1 not in z, z
    told = [s for s in said if QC in s]
    assert len(told) == 1 and "sample ID in 'site'" in told[0], said
    assert "lines 12, 13, 14" in told[0] and "'STD-OREAS45e'" in told[0], told
    assert "'sample_type'" in told[0] and "'SAMPLE'" in told[0], told


@pytest.mark.parametrize("sample_id", ["OREAS 45e", "CRM_GBM908-10", "BLANK", "Blank-2",
                                       "W3 FDUP", "STD3", "AMIS0341", "W7/dup"],
                         ids=["oreas", "crm-gbm", "blank", "blank-numbered", "fdup", "std3",
                              "amis", "slash-dup"])
def test_quality_control_ids_spelt_otherwise_are_read(tmp_path: Path, sample_id: str) -> None:
    """One QC record (value 950, line 12) by IDs as other laboratories write them. Before:
    kriged (11 values); now left out (10), said."""
    layers, said, error = _plan(tmp_path / "qc.csv",
                                _wells_and([f"{sample_id},5.100000,51.980000,950"]))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert any(QC in s and "line 12" in s for s in said), said


def test_a_standards_grade_known_by_its_id_is_no_occurrence(tmp_path: Path) -> None:
    """An assay table graded by ``li`` (threshold 20), no type column, holding a standard
    ``STD-OREAS`` at 3500 and a blank ``BLK-1``. Before: the standard was a positive (3 of
    10 records); now both are left out of the labels (2 positives, 8 records), said."""
    cells = ["5", "30", "5", "30", "5", "5", "5", "5"]
    text = _table("li", cells) + "STD-OREAS,-118.4,38.3,3500\nBLK-1,-118.3,38.4,0.1\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, labels.counts
    assert labels.counts["records"] == 8, labels.counts
    told = [s for s in said if QC in s]
    assert len(told) == 1 and "left out of the labels" in told[0] and "lines 10, 11" in told[0]


def test_a_table_of_ids_of_quality_control_records_only_is_refused(tmp_path: Path) -> None:
    """Every record's ID a standard's (``STD-0`` ... ``STD-9``). Before: kriged as wells;
    now refused naming the IDs' column and the fix."""
    rows = ["STD-" + w for w in WELLS]
    _, _, error = _plan(tmp_path / "qc.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert isinstance(error, DataError), error
    assert "every record's sample ID in 'site' names a quality-control record" in str(error)
    assert "'sample_type'" in str(error), error


def test_control_wells_named_like_words_of_quality_control_are_kept(tmp_path: Path) -> None:
    """Control: wells named ``Standard Oil 1``, ``Blank Ranch``, ``Dupont 2``, ``Check 3``,
    ``STDN-4``, ``Blanket Flat`` (words a place is named by) are all kriged (10 values), no
    word of quality control."""
    names = ["Standard Oil 1", "Blank Ranch", "Dupont 2", "Check 3", "STDN-4", "Blanket Flat"]
    rows = [(names[i] if i < len(names) else f"W{i}") + "," + w.split(",", 1)[1]
            for i, w in enumerate(WELLS)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert not any(QC in s for s in said), said


def test_control_a_type_column_still_decides_over_the_ids(tmp_path: Path) -> None:
    """Control: with a ``sample_type`` column writing ``STD-OREAS45e`` ``SAMPLE`` (the
    fix the warning gives), every record is read (13 values), no word of quality
    control."""
    text = "site,lon,lat,li,sample_type\n" + "\n".join(
        f"{r},SAMPLE" for r in [*WELLS, *QC_ROWS]) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    assert layers[0].settings["values"] == 13, layers[0].settings
    assert not any(QC in s for s in said), said


# --- values below a limit written with "not detected" or a qualifier ------------------------------


@pytest.mark.parametrize("cell", ["ND<5", "ND(5)", "ND (5)", "n.d. <5", "BDL (5)", "<DL 5",
                                  "<5U", "<5 U", "<5 UJ", "ND<5U"],
                         ids=["nd-lt", "nd-paren", "nd-space-paren", "n.d.", "bdl", "lt-dl",
                              "u", "space-u", "uj", "nd-lt-u"])
def test_a_value_not_detected_at_a_limit_is_half_the_limit_in_the_surface(
        tmp_path: Path, cell: str) -> None:
    """W9 (line 11) written ``ND<5`` and as other laboratories write "not detected at 5".
    Before: missing (9 values), said as "not finite numbers"; now half its limit, 2.5
    (10 values), said as below a detection limit."""
    rows = [*WELLS[:9], f"W9,5.410000,52.220000,{cell}"]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert 2.5 in np.asarray(layers[0].z).tolist(), layers[0].z
    assert any(HALF in s and "line 11" in s for s in said), said
    assert not any("not finite numbers" in s for s in said), said


def test_a_grade_not_detected_at_a_limit_is_a_negative(tmp_path: Path) -> None:
    """An assay grade ``ND(5)`` (line 4) under a threshold of 20. Before: a label without a
    grade (undecided, left out); now a negative below its limit, as ``<5`` is."""
    cells = [str(30 if i % 2 else 5) for i in range(8)]
    cells[2] = "ND(5)"
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records_below_limit_as_negative"] == 1, labels.counts
    assert any("(line 4: below 5): each is a negative" in s for s in said), said


@pytest.mark.parametrize("cell", ["ND", "n.d.", "<DL", "5 UJ"], ids=["nd", "n.d.", "lt-dl", "uj"])
def test_control_not_detected_without_a_limit_stays_missing(tmp_path: Path, cell: str) -> None:
    """Control: ``ND``, ``n.d.`` and ``<DL`` give no limit: W9 is missing (9 values), said,
    as before; ``5 UJ`` (EPA's qualifier, round 33) is read below 5 as before (10)."""
    rows = [*WELLS[:9], f"W9,5.410000,52.220000,{cell}"]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows) + "\n")
    assert error is None and layers, error
    assert layers[0].settings["values"] == (10 if "U" in cell else 9), layers[0].settings
    assert "U" in cell or any("not finite numbers" in s and "line 11" in s for s in said), said


# --- a limit written with the unit a unit column states ---------------------------------------


def test_a_limit_in_the_unit_columns_unit_is_not_said_to_be_missing(tmp_path: Path) -> None:
    """W9 (line 11) written ``<5.0 mg/L`` under ``li``, whose ``unit`` column says
    ``mg/L`` on every row. It was read as half its limit (2.5) but first said "not finite
    numbers and are read as missing ... give them as numbers" (the check read the limit
    without the unit column's unit): two warnings saying opposite things. Now one, that
    it is below a limit, read as 2.5."""
    rows = [*WELLS[:9], "W9,5.410000,52.220000,<5.0 mg/L"]
    text = "site,lon,lat,li,unit\n" + "\n".join(f"{r},mg/L" for r in rows) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert 2.5 in np.asarray(layers[0].z).tolist(), layers[0].z
    assert any(HALF in s and "line 11" in s for s in said), said
    assert not any("read as missing" in s for s in said), said
