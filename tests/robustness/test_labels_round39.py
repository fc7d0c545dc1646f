"""Geochemistry tables' quality-control records read as samples, and the screen stage's
leave-one-out check scoring a surface by how near it comes to half a detection limit.

Found by feeding the surfaces' point reader (``prospect.ingest.surfaces.plan_points``), the
train stage's label reading (``prospect.models.training.read_labels``) and the screen
stage's check (``pipelines.stages.screen.check_surface``) what survey scientists keep
(2026-12-05): a laboratory's table keeps its certified standards, blanks and duplicates
beside the samples, told apart by a ``SampleType`` column; a standard's 950 mg/L was
kriged as a well's lithium, a blank's 0.1 as a barren well and a standard's grade of
3500 ppm labelled an occurrence, without a word; the leave-one-out check compared each
well written ``<5`` (read as 2.5 since round 38) with its prediction, so its errors were
distances from a substitute. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.sources import PointSource
from prospect.errors import DataError
from prospect.ingest.surfaces import KrigingLayer, plan_points

from .test_labels_round35 import DUTCH, WELLS, _labels, _table
from .test_labels_round36 import _plan
from .test_vectors_round22 import _caught

QC = "quality-control records"
"""What the warning of a table's standards, blanks and duplicates says they are."""


def _wells_with(extra: list[str], header: str = "sample_type", kind: str = "SAMPLE") -> str:
    """:data:`WELLS` (ten SYNTHETIC wells, lithium 10 to 55 mg/L) typed ``kind`` in a
    ``header`` column, followed by the ``extra`` rows (``site,lon,lat,li,<type>``)."""
    return (f"site,lon,lat,li,{header}\n" + "\n".join(f"{w},{kind}" for w in WELLS)
            + "\n" + "\n".join(extra) + "\n")


QC_ROWS = ["OREAS-45e,5.100000,51.980000,950,STD",
           "BLK-1,5.100000,51.980000,0.1,BLANK",
           "W3-DUP,5.170000,52.040000,26,DUP"]
"""A SYNTHETIC batch's standard, blank and field duplicate (lines 12-14), at the
coordinates of the batch's samples as laboratories' exports copy them."""


# --- a geochemistry table's standards, blanks and duplicates -------------------------------------


def test_a_tables_standard_blank_and_duplicate_are_not_kriged(tmp_path: Path) -> None:
    """A standard (950), a blank (0.1) and a duplicate (26) typed in ``sample_type``.
    Before: kriged as wells (13 values, 950 among them) with only the duplicate's place
    said ("averages them"); now left out (10 values), said naming the column, the types
    and lines 12-14."""
    layers, said, error = _plan(tmp_path / "qc.csv", _wells_with(QC_ROWS))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    z = np.asarray(layers[0].z).tolist()
    assert 950.0 not in z and 0.1 not in z, z
    told = [s for s in said if QC in s]
    assert len(told) == 1 and "'sample_type'" in told[0], said
    assert "lines 12, 13, 14" in told[0] and "'STD'" in told[0] and "'BLANK'" in told[0], told


@pytest.mark.parametrize(("header", "cells"), [
    ("SampleType", ["Standard OREAS 45e", "Field Blank", "Field Duplicate"]),
    ("QC_Type", ["CRM", "BLK", "Pulp Dup"]),
    ("QAQC", ["std", "blank", "repeat"]),
    ("Sample Type", ["Reference material", "Blank", "Replicate"]),
], ids=["words", "codes", "lower", "spaced"])
def test_quality_control_types_spelt_otherwise_are_read(tmp_path: Path, header: str,
                                                        cells: list[str]) -> None:
    """The types as other laboratories and databases write them (acQuire's
    ``SampleType``, ``QC_Type``, ``QAQC``; words, codes, lower case). Before: every record
    kriged (13 values); now the three left out (10), said."""
    rows = [r.rsplit(",", 1)[0] + f",{c}" for r, c in zip(QC_ROWS, cells, strict=True)]
    layers, said, error = _plan(tmp_path / "qc.csv", _wells_with(rows, header, "Sample"))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert any(QC in s and repr(header) in s for s in said), said


@pytest.mark.parametrize(("header", "yes", "no"), [("is_QC", "Y", "N"), ("QC", "TRUE", "FALSE"),
                                                  ("qc_flag", "1", "0")],
                         ids=["y-n", "true-false", "one-zero"])
def test_a_yes_no_quality_control_column_is_read(tmp_path: Path, header: str, yes: str,
                                                 no: str) -> None:
    """The three records marked by a yes/no column (``is_QC``: ``Y``/``N``; ``TRUE``/
    ``FALSE``; 1/0). Before: kriged as wells (13 values); now left out (10), said naming
    the column."""
    rows = [r.rsplit(",", 1)[0] + f",{yes}" for r in QC_ROWS]
    layers, said, error = _plan(tmp_path / "qc.csv", _wells_with(rows, header, no))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert any(QC in s and repr(header) in s and "lines 12, 13, 14" in s for s in said), said


def test_a_standards_grade_is_no_occurrence(tmp_path: Path) -> None:
    """An assay table graded by ``li`` (threshold 20) holding a certified standard at
    3500 and a blank, typed in ``sample_type``. Before: the standard was a positive (3 of
    10 records), the blank a negative; now both are left out of the labels (2 positives,
    8 records), said."""
    cells = ["5", "30", "5", "30", "5", "5", "5", "5"]
    text = _table("li,sample_type", [f"{c},Sample" for c in cells])
    text += "STD-OREAS,-118.4,38.3,3500,STD\nBLANK-1,-118.3,38.4,0.1,Blank\n"
    labels, said, error = _labels(tmp_path / "occ.csv", text, value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.n_positive == 2, labels.counts
    assert labels.counts["records"] == 8, labels.counts
    told = [s for s in said if QC in s]
    assert len(told) == 1 and "left out of the labels" in told[0], said
    assert "lines 10, 11" in told[0], told


def test_a_table_of_quality_control_records_only_is_refused(tmp_path: Path) -> None:
    """Every record typed ``STD``. Before: kriged as wells; now refused naming the
    column's word and how to fix it."""
    text = "site,lon,lat,li,sample_type\n" + "\n".join(f"{w},STD" for w in WELLS) + "\n"
    layers, _, error = _plan(tmp_path / "qc.csv", text)
    assert isinstance(error, DataError), (layers, error)
    assert "every record's 'sample_type' names a quality-control record" in str(error)
    assert "'STD' (10)" in str(error) and "SAMPLE" in str(error), error


def test_control_a_type_column_of_sample_kinds_keeps_every_record(tmp_path: Path) -> None:
    """Control: a ``type`` column of what the samples are (``groundwater``, ``brine``,
    ``Reference well``, ``Routine``, ``Original``) leaves every record in (10 values), no
    word of quality control."""
    kinds = ["groundwater", "brine", "Reference well", "Routine", "Original"]
    text = "site,lon,lat,li,type\n" + "\n".join(
        f"{w},{kinds[i % len(kinds)]}" for i, w in enumerate(WELLS)) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text)
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert not any(QC in s for s in said), said


# --- the leave-one-out check of values below a detection limit -----------------------------------


def _check(tmp_path: Path, rows: list[str]) -> tuple[KrigingLayer, dict[str, Any]]:
    """The screen stage's check of the kriged ``li`` of a ``site,lon,lat,li`` table."""
    from pipelines.stages.screen import check_surface

    path = tmp_path / "w.csv"
    path.write_text("site,lon,lat,li\n" + "\n".join(rows) + "\n", "utf-8")
    src = PointSource(kind="points", name="w", path=str(path), x="lon", y="lat",
                      crs="EPSG:4326", columns=["li"], interpolate=["kriging"])
    layers, _, error = _caught(lambda: plan_points(src, DUTCH))
    assert error is None and layers, error
    surface = next(la for la in layers if isinstance(la, KrigingLayer) and not la.variance)
    return surface, check_surface(src, surface, DUTCH)


def _grid_wells(cells: dict[int, str]) -> list[str]:
    """Sixteen SYNTHETIC wells on a 4 x 4 grid of 0.05 degrees, lithium rising to the
    east (10 to 85 mg/L), well ``i`` written ``cells[i]``."""
    out = []
    for i in range(16):
        r, c = divmod(i, 4)
        value = f"{10 + 25 * c + 2 * r + (i * 7) % 5}"
        out.append(f"W{i},{5.05 + 0.05 * c:.6f},{51.95 + 0.05 * r:.6f},{cells.get(i, value)}")
    return out


def test_the_leave_one_out_errors_leave_out_values_below_a_limit(tmp_path: Path) -> None:
    """Four wells written ``<5`` (read as 2.5). Before: their errors (prediction minus
    2.5) were in the check's RMSE, MAE and mean error (n = 16); now the summaries are of
    the 12 measured wells (the four still predict the others), and the check counts the
    four it left out."""
    _, check = _check(tmp_path, _grid_wells({0: "<5", 4: "<5", 8: "<5", 12: "<5"}))
    assert check["points"] == 16 and check["kriging"]["n"] == 12, check["kriging"]
    assert check["idw"]["n"] == 12 and check["below_limit_left_out"] == 4, check["idw"]
    observed = np.asarray(check["loo"]["observed"])
    measured = observed != 2.5
    e = np.asarray(check["loo"]["kriging"])[measured] - observed[measured]
    assert np.isclose(check["kriging"]["rmse"], np.sqrt(np.mean(e ** 2))), check["kriging"]
    assert np.isclose(check["kriging"]["mean_error"], np.mean(e)), check["kriging"]


def test_the_screen_report_says_the_values_below_a_limit_left_out(tmp_path: Path) -> None:
    """The screen report of those wells. Before: the table's errors said nothing of the
    four wells below the limit; now a sentence says they are predicted from but left out
    of the errors."""
    from pipelines.screen_report import write_screen_report

    from .test_screening_round27 import _cube

    _, check = _check(tmp_path, _grid_wells({0: "<5", 4: "<5", 8: "<5", 12: "<5"}))
    cube, _ = _cube(tmp_path / "c.zarr", 12.0, "mg/L")
    check["variable"] = "li"  # (the small cube's surface, for the report's maps)
    facts = {"job": "unit", "synthetic": True, "region": {}, "surfaces": [check]}
    text = write_screen_report(tmp_path / "screen", facts, cube=cube).read_text()
    assert "The 4 point(s) below a detection limit" in text, text


def test_control_a_check_of_measured_values_counts_every_point(tmp_path: Path) -> None:
    """Control: sixteen measured wells: every one in the errors (n = 16), nothing left
    out, no sentence in the report's data."""
    _, check = _check(tmp_path, _grid_wells({}))
    assert check["kriging"]["n"] == 16 and check.get("below_limit_left_out", 0) == 0, check
    assert "left_out" not in check["kriging"], check["kriging"]


# --- a negative fill under a column named by its element alone ----------------------------------


def _with(cells: dict[int, str]) -> list[str]:
    """:data:`WELLS` with well ``i``'s value written ``cells[i]``."""
    return [w.rsplit(",", 1)[0] + f",{cells[i]}" if i in cells else w
            for i, w in enumerate(WELLS)]


@pytest.mark.parametrize(("column", "fill"), [("li", "-999"), ("lithium", "-9999"),
                                              ("Li", "-99"), ("grade", "-999")])
def test_a_negative_fill_under_an_elements_name_is_not_kriged(
        tmp_path: Path, column: str, fill: str) -> None:
    """W3 (line 5) written ``-999`` (``-9999``, ``-99``) under ``li`` (no unit; round 38
    reads its ``-5`` as minus a detection limit). Before: kriged as lithium of -999 (a
    warning said it was "read as a measurement"); now missing (9 values), said as under
    ``Li_mg_l``, naming what the column's name says."""
    text = f"site,lon,lat,{column}\n" + "\n".join(_with({3: fill})) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text, column)
    assert error is None and layers, error
    z = np.asarray(layers[0].z).tolist()
    assert layers[0].settings["values"] == 9 and float(fill) not in z, z
    told = [s for s in said if f"holds {fill} on 1" in s]
    assert len(told) == 1 and "read as missing" in told[0], said
    assert "(line 5)" in told[0] and "as the column's name" in told[0], told


def test_control_a_negative_fill_under_a_generic_name_is_still_said_as_a_measurement(
        tmp_path: Path) -> None:
    """Control: ``-999`` under ``value`` (no element, no unit: a log-ratio or an
    elevation may be negative) is read as written, with the warning naming
    ``nodata:``, as before."""
    text = "site,lon,lat,value\n" + "\n".join(_with({3: "-999"})) + "\n"
    layers, said, error = _plan(tmp_path / "w.csv", text, "value")
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert any("read as a measurement" in s and "'nodata: -999'" in s for s in said), said


# --- barren sites in words round 35 did not read ---------------------------------------------


@pytest.mark.parametrize("word", ["Not a deposit", "Non-deposit", "NSR", "No significant results",
                                  "Dry well", "geen mineralisatie", "pas de minéralisation"],
                         ids=["not-a-deposit", "non-deposit", "nsr", "no-significant-results",
                              "dry-well", "dutch", "french"])
def test_a_status_saying_not_a_deposit_is_no_positive(tmp_path: Path, word: str) -> None:
    """An occurrence table (no grade) whose ``status`` says two sites (lines 5 and 8) are
    ``Not a deposit`` (or a drilling database's ``NSR``, "no significant results", a dry
    well, in Dutch or French). Before: every record a positive, those two too (8
    positives), without a word; now they are left out (6), said as barren sites are."""
    statuses = ["Past producer", "Prospect", "Showing", word, "Occurrence", "Producer", word,
                "Prospect"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("status", statuses))
    assert error is None and labels is not None, error
    assert labels.n_positive == 6, labels.counts
    told = [s for s in said if "barren by their 'status'" in s]
    assert len(told) == 1 and "lines 5, 8" in told[0] and repr(word) in told[0], said


def test_control_statuses_of_deposits_and_prospects_are_all_positives(tmp_path: Path) -> None:
    """Control: ``Developed deposit``, ``Raw prospect``, ``Not drilled``, ``Mineral
    occurrence``, ``Unknown`` and ``Dry lake brine`` say nothing barren: every record a
    positive (8), no word of barren sites."""
    statuses = ["Developed deposit", "Raw prospect", "Not drilled", "Mineral occurrence",
                "Unknown", "Dry lake brine", "Past producer", "Showing"]
    labels, said, error = _labels(tmp_path / "occ.csv", _table("status", statuses))
    assert error is None and labels is not None, error
    assert labels.n_positive == 8, labels.counts
    assert not any("barren" in s for s in said), said


# --- two records a few centimetres apart in a kriged surface -------------------------------------


def _utm_surface(tmp_path: Path, apart: float) -> tuple[KrigingLayer, list[str]]:
    """The kriged ``li`` (exponential variogram) of 30 SYNTHETIC wells in a 10 km UTM 31N
    region (lithium rising to the east, 20 to 60) and a well written twice ``apart``
    metres apart with 10 and 60 (a re-assay entered at rounded coordinates)."""
    from prospect.grid import RegionGrid

    grid = RegionGrid(name="utm", crs="EPSG:32631", resolution=100,
                      bounds=(600000, 5750000, 610000, 5760000))
    rng = np.random.default_rng(1)
    rows = []
    for i in range(30):
        x, y = 600500 + 9000 * rng.random(), 5750500 + 9000 * rng.random()
        rows.append(f"W{i},{x:.3f},{y:.3f},{20 + 0.004 * (x - 600000) + 5 * rng.random():.2f}")
    rows += ["A,605000.000,5755000.000,10", f"B,{605000 + apart:.3f},5755000.000,60"]
    path = tmp_path / "u.csv"
    path.write_text("site,x,y,li\n" + "\n".join(rows) + "\n", "utf-8")
    src = PointSource(kind="points", name="w", path=str(path), x="x", y="y",
                      crs="EPSG:32631", columns=["li"], interpolate=["kriging"],
                      variogram="exponential")
    layers, said, error = _caught(lambda: plan_points(src, grid))
    assert error is None and layers, error
    return next(la for la in layers if isinstance(la, KrigingLayer) and not la.variance), said


def test_a_well_written_twice_a_few_centimetres_apart_is_kriged_as_one_place(
        tmp_path: Path) -> None:
    """The well written 3 cm apart with 10 and 60. Before: two points to krige (the
    warning said "the surface averages them"); the fitted variogram had no nugget, and the
    surface stepped from about 10 five metres west of the well to about 60 five metres
    east; now one place of their mean (35), said as merged, the surface about 35 on both
    sides."""
    from prospect.ingest.surfaces import kriging_estimate

    layer, said = _utm_surface(tmp_path, 0.03)
    assert layer.settings.get("coincident_points_averaged") == 1, layer.settings
    q = np.array([[604995.0, 5755000.0], [605005.0, 5755000.0]])
    z = kriging_estimate(layer.model, q, neighbours=layer.neighbours, variance=False)
    assert abs(z[1] - z[0]) < 5 and z.min() > 30 and z.max() < 40, z
    assert any("the surface averages them" in s for s in said), said


def test_control_two_wells_two_metres_apart_stay_two_places(tmp_path: Path) -> None:
    """Control: wells 2 m apart (beyond the metre of one place) are two points, as
    before (nothing merged)."""
    layer, _ = _utm_surface(tmp_path, 2.0)
    assert not layer.settings.get("coincident_points_averaged"), layer.settings
    assert len(layer.model.Z) == 32
