"""Cells carrying a comment after their number, heat flow and other physical figures read
as an element's grade by their abbreviation, and brine screenings of a surface kriged from a
figure derived from lithium's grade.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the surfaces' point reader (``prospect.ingest.surfaces.plan_points``), the economic
screening (``prospect.screening.plan_economics``) and plan's check of the labels' column
(``pipelines.plan.warn_labels_of_another_commodity``) what survey scientists keep
(2026-12-05): a grade written ``30 # re-assayed`` was read as missing (a positive lost, a
well left out of its surface); ``HF_mW_m2`` (heat flow) was "a grade of hafnium" and
``K_mD`` (permeability) potassium; a surface kriged from ``log_Li (mg/L)``, ``Li_sd`` or
``Li_DL`` was screened as lithium in mg/L. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospect.config.economics import EconomicsConfig
from prospect.errors import DataError
from prospect.screening import plan_economics

from .conftest import Sandbox
from .test_jobs_round12 import _model, _wells
from .test_labels_round31 import _surface_of_column
from .test_labels_round35 import WELLS, _labels, _table
from .test_labels_round36 import _plan
from .test_vectors_round22 import _caught

# --- a comment after a cell's number ----------------------------------------------------------

GRADES = [str(30 if i % 2 else 5) for i in range(8)]
"""SYNTHETIC grades of eight occurrences: 30 (positive at 20) on odd records, 5 on even."""


@pytest.mark.parametrize("cell", ["30 # re-assayed", "30 #dup", "30 // batch 2", "30#"],
                         ids=["hash", "hash-tight", "slashes", "bare-hash"])
def test_a_grade_with_a_comment_after_it_is_read_as_its_number(
        tmp_path: Path, cell: str) -> None:
    """S3 (line 5) graded ``30 # re-assayed``. Before: no number, read as missing, so the
    positive was lost (3 positives of 4) and only "not finite numbers" was said; now read
    as 30 (4 positives), with a warning naming the line, the cell and what it was read as."""
    cells = list(GRADES)
    cells[3] = cell
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.n_positive == 4, labels.counts
    note = [s for s in said if "comment after the number" in s]
    assert len(note) == 1 and "(line 5;" in note[0] and "read as '30'" in note[0], said
    assert not any("not finite numbers" in s for s in said), said


def test_a_limit_with_a_comment_after_it_is_read_as_the_limit(tmp_path: Path) -> None:
    """S2 (line 4) written ``<5 // batch 2`` at threshold 20. Before: no number, no limit:
    left out (7 records); now below 5, a negative (8 records, 1 below a limit)."""
    cells = list(GRADES)
    cells[2] = "<5 // batch 2"
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.counts["records"] == 8, labels.counts
    assert labels.counts["records_below_limit_as_negative"] == 1, labels.counts
    assert any("comment after the number" in s and "read as '<5'" in s for s in said), said


def test_a_well_with_a_comment_after_its_value_is_kriged(tmp_path: Path) -> None:
    """W3 (grade 25, line 5) written ``25 # re-sampled 2019``. Before: 9 values, W3 left out
    of the surface; now 10, 25 among them, said."""
    rows = [r.rsplit(",", 1)[0] + ",25 # re-sampled 2019" if i == 3 else r
            for i, r in enumerate(WELLS)]
    layers, said, error = _plan(tmp_path / "w.csv", "site,lon,lat,li\n" + "\n".join(rows))
    assert error is None and layers, error
    assert layers[0].settings["values"] == 10, layers[0].settings
    assert 25.0 in np.asarray(layers[0].z).tolist()
    assert any("comment after the number" in s and "(line 5;" in s for s in said), said


@pytest.mark.parametrize("cell", ["#30", "see note #3", "30 ppm?"],
                         ids=["hash-first", "text", "no-comment"])
def test_control_a_cell_of_no_number_before_a_comment_is_still_missing(
        tmp_path: Path, cell: str) -> None:
    """Control: a cell that does not start with a number (``#30``, ``see note #3``), or
    that has no comment, is read as missing as before, said as "not finite numbers"."""
    cells = list(GRADES)
    cells[3] = cell
    labels, said, error = _labels(tmp_path / "occ.csv", _table("li", cells),
                                  value_column="li", threshold=20)
    assert error is None and labels is not None, error
    assert labels.n_positive == 3, labels.counts
    assert not any("comment after the number" in s for s in said), said
    assert any("not finite numbers" in s for s in said), said


# --- a physical figure written with its unit, read as an element's grade --------------------


@pytest.mark.parametrize(("column", "what"), [
    ("HF_mW_m2", "a heat flow"), ("HF (mW/m²)", "a heat flow"), ("K_mD", "a permeability"),
    ("TI_degC", "a temperature")], ids=["heat-flow", "heat-flow-bracketed", "perm", "temp"])
def test_a_surface_of_a_physical_figure_is_refused_naming_it(
        tmp_path: Path, column: str, what: str) -> None:
    """A brine screening of a surface kriged from heat flow written ``HF_mW_m2`` (as the
    IHFC and many well tables name it), a permeability ``K_mD``, a temperature ``TI_degC``.
    Before: refused as "a grade of hafnium" (potassium, titanium), misleading; now as
    what the column's unit says it is."""
    cube, grid = _surface_of_column(tmp_path, column)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube,
                                                 grid))
    assert isinstance(error, DataError), error
    assert what in str(error) and "not a lithium concentration" in str(error), error
    assert "grade of" not in str(error), error


@pytest.mark.parametrize("column", ["q_mW_m2", "perm_mD"])
def test_a_surface_of_heat_flow_or_permeability_is_not_screened_as_lithium(
        tmp_path: Path, column: str) -> None:
    """A surface kriged from ``q_mW_m2`` (heat flow) or ``perm_mD`` recorded in mg/L (a
    source's ``units:`` given for its columns at once). Before: screened as lithium, exit
    0; now refused, naming the figure."""
    cube, grid = _surface_of_column(tmp_path, column)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube,
                                                 grid))
    assert isinstance(error, DataError), error
    assert "not a lithium concentration" in str(error), error


@pytest.mark.parametrize(("column", "warned"), [
    ("HF_mW_m2", None), ("K_mD", None),
    ("Hf_ppm", "the labels are grades of hafnium"), ("Zn_ppm", "the labels are grades of zinc")],
    ids=["heat-flow", "control-perm", "control-hafnium", "control-zinc"])
def test_labels_of_heat_flow_are_not_said_to_be_grades_of_hafnium(
        sandbox: Sandbox, cli: Any, column: str, warned: str | None) -> None:
    """``prospect plan`` of a lithium model labelled by high heat flow
    (``value_column: HF_mW_m2``). Before: warned the labels were "grades of hafnium" and
    to set ``model.mineral: hafnium``; now nothing of another commodity. Controls:
    permeability (``K_mD``) says nothing, as before; ``Hf_ppm`` and ``Zn_ppm`` are still
    warned of."""
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               _wells(sandbox, column)], model=_model(column, "lithium"))
    result = cli("plan", sandbox.job_path)
    assert result.code == 0, result.err[-3000:]
    if warned is None:
        assert "the labels are grades of" not in result.err, result.err[-3000:]
        return
    line = next(ln for ln in result.err.splitlines() if "the labels are grades of" in ln)
    assert line.startswith("warning:") and warned in line, line


# --- a surface of a figure derived from lithium's grade --------------------------------------


@pytest.mark.parametrize(("column", "what"), [
    ("log_Li (mg/L)", "logarithm"), ("log10_Li_mg_l", "logarithm"), ("ln(Li) [mg/L]", "logarithm"),
    ("Li_sd", "error"), ("Li_mg_l_err", "error"), ("Li_DL", "detection limit"),
    ("Li_ppm_LOD", "detection limit"), ("Li_zscore", "score")],
    ids=["log", "log10", "ln", "sd", "err", "dl", "lod", "zscore"])
def test_a_surface_derived_from_lithium_is_not_screened_as_lithium(
        tmp_path: Path, column: str, what: str) -> None:
    """A brine surface kriged from a log-transform of lithium (as skewed grades are kriged),
    its error, its detection limit or a z-score, recorded in mg/L (the header's units).
    Before: screened as lithium (a log of 50 mg/L is 1.7), exit 0; now refused, naming
    what the column is."""
    cube, grid = _surface_of_column(tmp_path, column)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube,
                                                 grid))
    assert isinstance(error, DataError), error
    assert what in str(error) and repr(column) in str(error), error


@pytest.mark.parametrize("column", ["Li_mg_l", "Li (mg/L)", "LI_PPM", "Li_mg_dl", "Li_g_t",
                                    "Li_total_mg_l", "conc"])
def test_control_a_surface_of_lithium_still_screens(tmp_path: Path, column: str) -> None:
    """Control: lithium grades (``dl`` after a mass is a decilitre, ``t`` a tonne) and a
    name that says nothing plan as before."""
    cube, grid = _surface_of_column(tmp_path, column)
    layers = plan_economics(EconomicsConfig(concentration="li"), cube, grid)
    assert layers and layers[0].scale == 1.0, layers
