"""Unit columns of one unit, fills in grade columns without a unit, dates named as the grade
and brine surfaces in ppb, g/t, wt%, mol/L or mg/kgw.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the point reader of surfaces (``prospect.ingest.surfaces.plan_points`` over
``prospect.io.points``) and the economic screening (``prospect.screening.plan_economics``,
the screen report) the tables and cubes a survey scientist keeps (2026-12-05): a unit
column beside the grade (``Li_unit``, as lab exports and the USGS deposit tables give
``Grade_Unit``) was read only where its rows named several units, so ``Li_ppm`` beside
``Li_unit: ppb`` was graded as ppm and ``li`` beside ``li_unit: ug/L`` made a surface of no
units; one ``-999`` in a grade column whose header names no unit (``Li``, ``grade``) was a
grade of -999, the quantile's lowest and a negative label; a column of sampling dates
named as the grade was "no numeric grade" without a word of the dates; and the screening
refused brine surfaces in ppb, ug/kg, g/t, wt% and mol/L as "not a lithium concentration"
and PHREEQC's mg/kgw without saying why. Every file is small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from pipelines.screen_report import write_screen_report
from pipelines.stages import screen
from prospect.config.economics import EconomicsConfig
from prospect.config.sources import PointSource
from prospect.economics import lce_factor
from prospect.errors import DataError
from prospect.ingest.surfaces import plan_points
from prospect.screening import plan_economics

from .test_labels_round28 import RD, _labels, _table
from .test_screening_round27 import _cube, _layers
from .test_vectors_round22 import _caught

GRADES = [str(v) for v in range(10, 110, 10)]
"""Ten grades, 10 to 100."""


def _said(said: list[str], *words: str) -> list[str]:
    """The warnings holding every one of ``words``."""
    return [s for s in said if all(w in s for w in words)]


# --- a unit column of one unit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "column", "source", "shown"),
    [
        (
            {"Li_ppm": GRADES, "Li_unit": ["ppb"] * 10},
            "Li_ppm",
            None,
            "ppm by its header but ppb by its unit column 'Li_unit', 1000 times apart",
        ),
        (
            {"Li": GRADES, "unit": ["%"] * 10},
            "Li",
            {"columns": ["Li", "unit"], "units": {"Li": "ppm"}},
            "% by its unit column 'unit' but ppm by the source's 'units:', 10000 times apart",
        ),
    ],
    ids=["header-ppm-column-ppb", "units-ppm-column-pct"],
)
def test_a_unit_column_of_another_scale_is_refused(
    tmp_path: Path,
    columns: dict[str, list[str]],
    column: str,
    source: dict[str, object] | None,
    shown: str,
) -> None:
    """A grade column whose unit column names one unit on every row, on another scale than
    the header or ``units:`` (1000 or 10 000 times apart). Before: the unit column was read
    only where its rows named several units; the grades were compared with the threshold as
    ppm, exit 0. Now refused, naming both statements (as a row of units is)."""
    _, _, error = _labels(
        _table(tmp_path / "li.csv", columns), column, source, threshold=30, negatives="both"
    )
    assert isinstance(error, DataError), error
    assert shown in str(error) and "unit column" in str(error), error


def test_a_unit_column_agreeing_with_the_header_labels_as_before(tmp_path: Path) -> None:
    """Control: ``Li_ppm`` beside ``Li_unit: mg/kg`` (one scale) and beside a column of
    words that are no unit (``Map_Unit``: ``Qal``) label as without them."""
    plain, _, error = _labels(
        _table(tmp_path / "a.csv", {"Li_ppm": GRADES}), "Li_ppm", threshold=30, negatives="both"
    )
    assert error is None and plain is not None, error
    for extra in ({"Li_unit": ["mg/kg"] * 10}, {"Map_Unit": ["Qal", "Tv"] * 5}):
        counts, said, error = _labels(
            _table(tmp_path / "b.csv", {"Li_ppm": GRADES, **extra}),
            "Li_ppm",
            threshold=30,
            negatives="both",
        )
        assert error is None, error
        assert counts == plain, (counts, plain)
        assert not _said(said, "unit"), said


def test_a_geological_unit_column_is_no_unit_column(tmp_path: Path) -> None:
    """A sample table's ``Unit`` column names the geological unit each sample was taken on
    (``Qal``, ``Tv``, ``Kgr``). Before: it was refused as "in different units row by row"
    (``companions._names_a_unit``); a ``Unit`` column of mg/L and ug/L still is (round 13)."""
    counts, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": GRADES, "Unit": ["Qal", "Tv"] * 5}),
        "Li_ppm",
        threshold=30,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None and counts["positive_cells"] == 8, counts


def _surface_units(path: Path, **source: Any) -> tuple[list[str], list[str]]:
    """The units of the IDW surface ``plan_points`` plans for column ``li`` of ``path``,
    and the warnings."""
    src = PointSource(
        kind="points", name="w", path=str(path), columns=["li"], interpolate=["idw"], **source
    )
    layers, said, error = _caught(lambda: plan_points(src, RD))
    assert error is None, error
    return [layer.units for layer in layers], said


def test_a_unit_column_gives_a_surface_its_units(tmp_path: Path) -> None:
    """``li`` beside ``li_unit: ug/L``. Before: the surface recorded no units (the
    screening then refused it as "units ''"); now ``ug/L``, and a ``units: {li: mg/L}``
    that contradicts the unit column is warned of (the surface records ``mg/L``)."""
    path = _table(tmp_path / "w.csv", {"li": GRADES, "li_unit": ["ug/L"] * 10})
    units, said = _surface_units(path)
    assert units == ["ug/L"], (units, said)
    units, said = _surface_units(path, units={"li": "mg/L"})
    assert units == ["mg/L"], units
    assert _said(said, "ug/L in its unit column 'li_unit'", "'units' gives 'mg/L'"), said


def test_a_surface_without_a_unit_column_keeps_its_units(tmp_path: Path) -> None:
    """Control: without a unit column (or beside a column of words that are no unit), a
    surface's units are the header's or ``units:``'s, as before."""
    path = _table(tmp_path / "w.csv", {"li": GRADES, "Map_Unit": ["Qal", "Tv"] * 5})
    assert _surface_units(path)[0] == [""]
    units, said = _surface_units(path, units={"li": "mg/L"})
    assert units == ["mg/L"], units
    # (the SYNTHETIC places lie on one line: round 55 warns of that for IDW; of units nothing)
    assert [s for s in said if "lie on one line" not in s] == [], said


# --- a fill value in a grade column without a unit ----------------------------------------


@pytest.mark.parametrize("column", ["Li", "grade", "Li_ICP"])
def test_a_fill_in_a_grade_column_without_a_unit_is_no_grade(tmp_path: Path, column: str) -> None:
    """Ten grades of 10..100 and one ``-999`` under a header that names no unit,
    ``threshold_quantile: 0.5``. Before: -999 was a grade, the quantile's lowest (the median
    50, not 55) and a negative label, without a word (round 29 read it as missing only in a
    concentration column). Now missing, said, and no label."""
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {column: [*GRADES, "-999"]}),
        column,
        threshold_quantile=0.5,
        negatives="both",
    )
    assert error is None, error
    assert counts is not None
    assert counts["threshold"] == 55.0, counts
    assert (counts["positive_cells"], counts["negative_cells"]) == (5, 5), counts
    assert counts["records_without_grade"] == 1, counts
    assert _said(said, "holds -999 on 1 of 11", "line 12", "nodata: -999"), said


def test_a_negative_grade_that_is_no_fill_stays_a_grade(tmp_path: Path) -> None:
    """Control: ``-5`` in ``Li`` (no unit, so not read as below a limit of 5) stays a
    grade, a negative at 30; nothing is said of fills."""
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li": [*GRADES, "-5"]}), "Li", threshold=30, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert (counts["positive_cells"], counts["negative_cells"]) == (8, 3), counts
    assert not _said(said, "no data"), said


# --- a laboratory's qualifier after the number -------------------------------------------


def test_a_lab_qualifier_after_the_number_is_read_as_it_means(tmp_path: Path) -> None:
    """EPA-style cells: ``5 U`` and ``0.5 UJ`` (not detected at 5, at 0.5), ``12 J`` and
    ``45 J`` (estimated values) beside six grades, ``threshold: 30``. Before: four cells
    that are no number, read as missing: two lost negatives, a lost negative and a lost
    positive (6 cells labelled). Now below 5 and 0.5 (negatives under 30), 12 and 45, said
    in a warning."""
    cells = ["5 U", "0.5 UJ", "12 J", "45 J", *GRADES[:6]]
    counts, said, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": cells}), "Li_ppm", threshold=30, negatives="both"
    )
    assert error is None, error
    assert counts is not None
    assert (counts["positive_cells"], counts["negative_cells"]) == (5, 5), counts
    assert counts["records_below_limit_as_negative"] == 2, counts
    assert _said(said, "data qualifier", "2 not detected at the number", "e.g. '5 U'"), said
    assert _said(said, "2 an estimated value (J)", "e.g. '12 J'"), said


# --- dates named as the grade ---------------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [[f"2021-0{1 + i % 9}-1{i % 9}" for i in range(10)], [f"1{i}/03/2019" for i in range(10)]],
    ids=["iso", "day-month-year"],
)
def test_dates_named_as_the_grade_are_said_to_be_dates(tmp_path: Path, dates: list[str]) -> None:
    """``value_column: sampled``, a column of sampling dates beside the grades. Before:
    "holds no numeric grade in any record; check ... the table's decimal separator", not a
    word of the dates (a warning before it had one). Now the refusal says they are dates
    and to name the column of numbers meant."""
    _, _, error = _labels(
        _table(tmp_path / "li.csv", {"Li_ppm": GRADES, "sampled": dates}),
        "sampled",
        threshold=30,
        negatives="both",
    )
    assert isinstance(error, DataError), error
    text = str(error)
    assert "holds no numeric grade" in text and "look like dates" in text, text
    assert repr(dates[0]) in text and "name the column of numbers meant" in text, text


# --- brine surfaces in other mass fractions, mol/L and mg/kgw --------------------------------


@pytest.mark.parametrize(
    ("units", "per_unit"),
    [
        ("ppb", 1.2e-3),
        ("ug/kg", 1.2e-3),
        ("g/t", 1.2),
        ("wt%", 1.2e4),
        ("mol/L", 6941.0),
    ],
    ids=["ppb", "ug-per-kg", "g-per-t", "wt-pct", "mol-per-l"],
)
def test_a_mass_fraction_or_molar_surface_is_converted(
    tmp_path: Path, units: str, per_unit: float
) -> None:
    """A lithium surface in ppb, ug/kg, g/t, wt% (at a density of 1.2 kg/L) or mol/L.
    Before: refused as "not a lithium concentration" (only ppm and mg/kg were mass
    fractions); now converted to mg/L (ppb x 0.001, wt% x 10 000, times the density; mol/L
    x 6941), the variance by the square."""
    cube, grid = _cube(tmp_path / "c.zarr", 150.0 / per_unit, units)
    cfg = EconomicsConfig(concentration="li", density_kg_per_l=1.2)
    layers, _, error = _caught(lambda: plan_economics(cfg, cube, grid))
    assert error is None, error
    assert layers[0].scale == pytest.approx(per_unit, rel=1e-12), layers[0].scale
    assert layers[0].variance_scale == pytest.approx(per_unit**2, rel=1e-12)


def test_a_ppb_surfaces_tonnages_are_its_mg_per_l(tmp_path: Path) -> None:
    """The layers written from a ppb surface (150 000 ppb at 1.2 kg/L: 180 mg/L) hold 180
    mg/L's tonnage and its s.d."""
    cube, grid = _cube(tmp_path / "c.zarr", 150_000.0, "ppb", variance=15_000.0**2)
    out = _layers(cube, grid, EconomicsConfig(concentration="li", density_kg_per_l=1.2))
    factor = lce_factor(flow_m3_per_h=150.0, hours_per_year=8000.0, recovery=0.8)
    lce, sd = out["lce_t_per_year"], out["lce_t_per_year_sd"]
    assert np.allclose(lce, np.float32(180.0 * factor), rtol=1e-6), lce[0, 0]
    assert np.allclose(sd, np.float32(18.0 * factor), rtol=1e-6), sd[0, 0]


def test_a_ppm_surface_is_screened_as_before(tmp_path: Path) -> None:
    """Control: ppm at 1.2 kg/L is 1.2 mg/L per ppm, to the bit, as before."""
    cube, grid = _cube(tmp_path / "c.zarr", 150.0, "ppm", variance=225.0)
    layers = plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=1.2), cube, grid)
    assert layers[0].scale == 1.2 and layers[0].variance_scale == 1.2**2


@pytest.mark.parametrize("units", ["mg/kgw", "mmol/kgw"])
def test_a_surface_per_kilogram_of_water_is_refused_saying_why(tmp_path: Path, units: str) -> None:
    """PHREEQC's molality units. Before: "not a lithium concentration" and the list of
    units; now also that they are per kilogram of water and how mg/L follows (density and
    salinity), before anything is written."""
    cube, grid = _cube(tmp_path / "c.zarr", 150.0, units)
    with pytest.raises(DataError) as err:
        plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=1.2), cube, grid)
    text = str(err.value)
    assert f"{units} is per kilogram of water" in text and "salinity" in text, text
    assert "ppb" in text and "wt%" in text, text


def test_the_report_says_how_a_ppb_surface_became_mg_per_l(tmp_path: Path) -> None:
    """The report's conversion line of a ppb surface names the x 0.001 and the density (it
    had only the density's line, for ppm and mg/kg)."""
    cube, grid = _cube(tmp_path / "c.zarr", 150_000.0, "ppb", variance=1.0)
    cfg = EconomicsConfig(concentration="li", density_kg_per_l=1.2)
    layers = plan_economics(cfg, cube, grid)
    ctx: Any = SimpleNamespace(job=SimpleNamespace(economics=cfg), grid=grid, cube_path=cube)
    facts = {"job": "unit", "synthetic": True, "region": {}, "surfaces": []}
    facts["economics"] = screen._economics(ctx, layers)
    text = write_screen_report(tmp_path / "screen", facts, cube=cube).read_text()
    assert "lithium in ppb; mg/L = ppb x 0.001 x density 1.2 kg/L" in text, text
    assert "ppb at density 1.2 kg/L" in text, text


# --- a model's units spelled as geophysical tables write them ------------------------------


@pytest.mark.parametrize(
    ("model", "cube"),
    [
        ("ohm m", "ohm-m"),
        ("ohm.m", "Ωm"),
        ("ohm m", "ohmm"),
        ("degC", "deg C"),
        ("nT", "nanoTesla"),
        ("nT", "gammas"),
        ("mGal", "mgal"),
        ("ppm", "parts per million"),
        ("ft", "feet"),
        ("1", "dimensionless"),
    ],
)
def test_one_unit_in_a_tables_spelling_is_one_unit(model: str, cube: str) -> None:
    """A model trained on ``ohm m`` reused on a cube in ``ohm-m`` (as resistivity grids
    and logs write it), ``deg C``, ``nanoTesla``, ``mgal``, ``parts per million``. Before:
    "units 'ohm-m', model needs 'ohm m'", a refusal of a valid cube (ingest takes most of
    these as one unit). Now one unit (``registry.units.canonical_units``)."""
    from prospect.registry.units import same_units

    assert same_units(model, cube) and same_units(cube, model)


@pytest.mark.parametrize(
    ("model", "cube"),
    [("ohm m", "ohm"), ("mGal", "MGal"), ("MW", "mW"), ("ppm", "ppb"), ("nT", "T")],
)
def test_other_units_stay_other_units(model: str, cube: str) -> None:
    """Control: units that differ in fact (a factor, a dimension) stay different."""
    from prospect.registry.units import same_units

    assert not same_units(model, cube)


# --- a fill value below absolute zero -------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "units"),
    [("temp", {"temp": "degC"}), ("temp", {"temp": "K"}), ("T (°C)", None)],
    ids=["degC", "kelvin", "header"],
)
def test_a_temperature_below_absolute_zero_is_no_measurement(
    tmp_path: Path, column: str, units: dict[str, str] | None
) -> None:
    """A well's temperature of ``-999`` (one row) in a column in degC or K. Before: read as
    -999 degC and interpolated into the temperature surface without a word (a fill was
    said only on two rows, and read as missing only in a concentration column). Now
    missing, with a warning naming the row and ``nodata:``."""
    from prospect.io.points import read_points

    path = _table(tmp_path / "w.csv", {column: [*GRADES, "-999"]})
    table, said, error = _caught(
        lambda: read_points(path, columns=[column], units=units, to_crs=RD.crs)
    )
    assert error is None, error
    values = table.values[column]
    assert np.isnan(values[-1]) and np.nanmin(values) == 10.0, values
    assert _said(said, "holds -999 on 1 of 11", "below absolute zero", "nodata: -999"), said


def test_a_temperature_that_can_be_is_kept(tmp_path: Path) -> None:
    """Control: -99 degC (above absolute zero) and -999 in metres stay measurements."""
    from prospect.io.points import read_points

    path = _table(tmp_path / "w.csv", {"temp": [*GRADES, "-99"], "elev": [*GRADES, "-999"]})
    table, said, error = _caught(
        lambda: read_points(
            path, columns=["temp", "elev"], units={"temp": "degC", "elev": "m"}, to_crs=RD.crs
        )
    )
    assert error is None, error
    assert table.values["temp"][-1] == -99.0 and table.values["elev"][-1] == -999.0
    assert not _said(said, "absolute zero"), said
