"""Wells listed on both sides of the antimeridian, depths written with decimal commas or a
unit in their cells, and the economic screening's figures against a hand computation.

Found by feeding the train stage's label reading (``prospect.models.training.read_labels``),
the point reader (``points.read_points``) and the economic screening
(``screening.plan_economics``) what a survey scientist keeps (2026-12-05): one well listed at
180.05 and at -179.95 (one place) was "given at two or more places ... coordinates copied
onto the wrong row"; the samples down a deviated well whose depth cells read ``1000,5``,
``1000 m`` or ``3280 ft`` were said the same, their depths not read as depths. Every file is
small and SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prospect.config.economics import EconomicsConfig
from prospect.config.model import LabelsConfig
from prospect.config.sources import PointSource
from prospect.economics import LI_TO_LCE
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.io.points import read_points
from prospect.models.training import read_labels
from prospect.screening import plan_economics

from .test_labels_round31b import FIJI, WEST
from .test_screening_round27 import _cube, _layers
from .test_vectors_round22 import _caught

PLACES = "two or more places"
"""What the warning of one ID at several places says."""


# --- one well on both sides of 180 (or on 0..360) ----------------------------------------


def _said_of_places(
    path: Path, grid: RegionGrid, rows: list[tuple[str, float, float]]
) -> list[str]:
    """The warnings of one ID at several places from the train stage's labels of a
    SYNTHETIC ``Well, lon, lat, li`` table of ``rows`` (each graded 30, threshold 20)."""
    path.write_text("Well,lon,lat,li\n" + "".join(f"{w},{x},{y},30\n" for w, x, y in rows), "utf-8")
    source = PointSource(kind="points", name="occ", path=str(path))
    config = LabelsConfig(source="occ", value_column="li", threshold=20, negatives="both")
    out, said, error = _caught(lambda: read_labels(source, grid, config))
    assert error is None and out is not None, error
    return [s for s in said if PLACES in s]


@pytest.mark.parametrize(
    ("grid", "first", "again"),
    [(FIJI, (180.05, -17.0), (-179.95, -17.0)), (WEST, (354.97, 52.02), (-5.03, 52.02))],
    ids=["180.05-and-minus-179.95", "354.97-and-minus-5.03"],
)
def test_a_well_listed_on_both_sides_of_a_turn_is_at_one_place(
    tmp_path: Path, grid: RegionGrid, first: tuple[float, float], again: tuple[float, float]
) -> None:
    """W0 listed twice at one place, once east of 180 written past it (180.05) and once
    written -179.95 (or at 354.97 E and 5.03 W). Before: "1 ID(s) in column 'Well' are given
    at two or more places ... coordinates copied onto the wrong row" (the check ran before
    the records were turned about the region). Now a longitude is compared within one turn
    (``points._place_keys``): nothing said."""
    x0, y0 = first
    rows = [("W0", *first), ("W0", *again)]
    rows += [(f"W{i}", x0 - 0.02 * i, y0 - 0.01 * (i % 2)) for i in range(1, 4)]
    assert _said_of_places(tmp_path / "occ.csv", grid, rows) == []


def test_control_a_well_listed_either_side_of_180_is_said(tmp_path: Path) -> None:
    """Control: W0 at 179.95 and at -179.95 (0.1 degree apart across 180) is still two
    places, said."""
    rows = [("W0", 179.95, -17.0), ("W0", -179.95, -17.0)]
    rows += [(f"W{i}", 179.95 - 0.02 * i, -17.0) for i in range(1, 4)]
    said = _said_of_places(tmp_path / "occ.csv", FIJI, rows)
    assert len(said) == 1 and "'W0'" in said[0], said


# --- depths with decimal commas or a unit in their cells ----------------------------------


def _wells(path: Path, depth: str, cells: list[str], sep: str = ",", far: float = 0.0) -> Path:
    """Ten SYNTHETIC wells in RD New, two of them deviated and sampled at three depths
    (``cells``, under the header ``depth``) 150 m apart sideways; ``far`` moves W1's
    deepest sample east."""
    rows = []
    for w in range(10):
        down = cells if w < 2 else [cells[1]]
        for k, cell in enumerate(down):
            x = 140_000 + w * 3000 + k * 150 + (far if (w, k) == (1, 2) else 0.0)
            rows.append(sep.join([f"W{w}", cell, f"{x:.0f}", str(450_000 + k * 100), str(20 + w)]))
    path.write_text(
        sep.join(["Well", depth, "x", "y", "temp"]) + "\n" + "\n".join(rows) + "\n", "utf-8"
    )
    return path


def _places_said(path: Path) -> list[str]:
    table, said, error = _caught(
        lambda: read_points(
            path, x="x", y="y", crs="EPSG:28992", columns=["temp"], to_crs="EPSG:28992"
        )
    )
    assert error is None and table is not None, error
    return [s for s in said if PLACES in s]


@pytest.mark.parametrize(
    ("depth", "cells", "sep"),
    [
        ("MD", ["1000,5", "2000,5", "3000,5"], ";"),
        ("Depth", ["1.000,5", "2.000,5", "3.000,5"], ";"),
        ("MD", ["1000 m", "2000 m", "3000 m"], ","),
        ("TVD", ["1000,5 m", "2000,5 m", "3000,5 m"], ";"),
        ("Depth", ["1000 m MD", "2000 m MD", "3000 m MD"], ","),
        ("Depth", ["1640 ft", "3280 ft", "4920 ft"], ","),
        ("MD", ["1 km", "2 km", "3 km"], ","),
        ("Depth_km", ["1.0", "2.0", "3.0"], ","),
    ],
    ids=["comma", "comma-thousands", "m", "comma-m", "m-md", "ft", "km", "km-header"],
)
def test_depths_written_another_way_are_read_down_the_well(
    tmp_path: Path, depth: str, cells: list[str], sep: str
) -> None:
    """Two deviated wells with each sample's depth written in decimal commas (a European
    export), with its unit (``1000 m``, ``1000 m MD``), in feet or in kilometres. Before:
    the cells were no numbers to ``pd.to_numeric`` (``Depth_km``'s 1..3 were metres), so
    "2 ID(s) in column 'Well' are given at two or more places ... coordinates copied onto
    the wrong row". Now they are read as depths in the table's notation and unit
    (``points._depth_values``): nothing said."""
    path = _wells(tmp_path / "w.csv", depth, cells, sep)
    assert _places_said(path) == []


def test_control_a_depth_column_in_feet_reads_down_the_well(tmp_path: Path) -> None:
    """Control: ``Depth (ft)`` of plain numbers (1640..4920 ft, 500..1500 m; the samples
    300 m apart sideways) is one well's, as it was when read as metres."""
    path = _wells(tmp_path / "w.csv", "Depth (ft)", ["1640", "3280", "4920"])
    assert _places_said(path) == []


def test_a_depth_column_in_feet_is_no_metres(tmp_path: Path) -> None:
    """``Depth (ft)`` of 500..1500 ft (457 m at most), W1's deepest sample 1.3 km east of
    its first: farther than the well reaches. Before: the feet were read as metres (1500
    m), so the sample was one well's and its copied coordinates went without a word. Now
    a header naming feet is read in feet: said."""
    path = _wells(tmp_path / "w.csv", "Depth (ft)", ["500", "1000", "1500"], far=1_000.0)
    said = _places_said(path)
    assert len(said) == 1 and "'Well' are given at two or more places" in said[0], said


@pytest.mark.parametrize(
    ("depth", "cells", "sep"),
    [
        ("MD", ["1000,5", "2000,5", "3000,5"], ";"),
        ("Depth", ["500 ft", "1000 ft", "1500 ft"], ","),
    ],
    ids=["comma-90-km", "ft-1-km"],
)
def test_control_a_sample_farther_than_its_well_is_deep_is_still_said(
    tmp_path: Path, depth: str, cells: list[str], sep: str
) -> None:
    """Control: W1's deepest sample 90 km east of its first (farther than 3000 m), or 1 km
    east in a well of ``1500 ft`` (457 m) cells, is still said."""
    far = 90_000.0 if "comma" in depth or "," in cells[0] else 1_000.0
    said = _places_said(_wells(tmp_path / "w.csv", depth, cells, sep, far=far))
    assert len(said) == 1 and "'Well' are given at two or more places" in said[0], said


# --- the screening's figures against a hand computation -----------------------------------


@pytest.mark.parametrize(
    ("units", "value", "density", "mg_per_l"),
    [
        ("ppm", 100.0, 1.2, 120.0),
        ("mmol/L", 10.0, 1.0, 69.41),
        ("meq/L", 2.0, 1.0, 13.882),
        ("µg/L", 150_000.0, 1.0, 150.0),
    ],
)
def test_control_screening_figures_are_the_hand_computation(
    tmp_path: Path, units: str, value: float, density: float, mg_per_l: float
) -> None:
    """Control: t LCE/yr per doublet = Li (mg/L) x 5.323 x flow x hours x recovery x 1e-6,
    Li in mg/L from ppm by mass times the brine's density, and from mmol/L (or meq/L, lithium
    being monovalent) times 6.941; its s.d. the same of the kriging s.d. (2 units here)."""
    cube, grid = _cube(tmp_path / "c.zarr", value, units, variance=4.0)
    cfg = EconomicsConfig(concentration="li", density_kg_per_l=density)
    out = _layers(cube, grid, cfg)
    per = LI_TO_LCE * cfg.flow_m3_per_h * cfg.hours_per_year * cfg.recovery * 1e-6
    assert LI_TO_LCE == 5.323
    np.testing.assert_allclose(out["lce_t_per_year"], np.float32(mg_per_l * per), rtol=1e-6)
    np.testing.assert_allclose(
        out["lce_t_per_year_sd"], np.float32(2.0 * mg_per_l / value * per), rtol=1e-6
    )


# --- drill holes ------------------------------------------------------------------------------


def _holes(path: Path, header: str, far: float, intervals: bool = False) -> Path:
    """Ten SYNTHETIC drill holes in RD New (``From, x, y, temp``) under the ID column
    ``header``; H3 given again ``far`` metres east of its collar, ``From`` 150 m (a collar
    copied onto the wrong row, or its deepest interval); with ``intervals``, each hole
    sampled ``From`` 0, 50 and 100 m, 20 m apart sideways."""
    rows = []
    for h in range(10):
        for k in range(3 if intervals else 1):
            rows.append(f"H{h},{k * 50},{140_000 + h * 3000 + k * 20},{450_000},{100 + h}")
    rows.append(f"H3,150,{140_000 + 9000 + far:.0f},{450_000},{100}")
    path.write_text(f"{header},From,x,y,temp\n" + "\n".join(rows) + "\n", "utf-8")
    return path


@pytest.mark.parametrize("header", ["HoleID", "BHID", "API_Number"])
def test_a_drill_hole_listed_at_two_places_is_said(tmp_path: Path, header: str) -> None:
    """A drill-hole table (``HoleID``, Leapfrog's and Datamine's ``BHID``, a well's
    ``API_Number``) with H3 given again 5 km east of its collar, 150 m down. Before: no
    word (the ID column was not known as one); H3 was two samples, or two occurrences.
    Now said, as for ``Well`` (``points._ID_NAMES``)."""
    said = _places_said(_holes(tmp_path / "h.csv", header, far=5_000.0))
    assert len(said) == 1 and f"column {header!r}" in said[0] and "'H3'" in said[0], said


def test_control_intervals_down_a_hole_are_no_copying_error(tmp_path: Path) -> None:
    """Control: each hole's intervals ``From`` 0..150 m, 20 to 60 m apart sideways: one
    hole's samples (``From`` is a depth down the hole, ``points._DEPTH_NAME``), nothing
    said."""
    said = _places_said(_holes(tmp_path / "h.csv", "HoleID", far=60.0, intervals=True))
    assert said == [], said


# --- surface units in capitals or naming lithium's ion ---------------------------------------


@pytest.mark.parametrize(
    ("units", "density", "scale"),
    [
        ("MG/L", 1.0, 1.0),
        ("PPM", 1.2, 1.2),
        ("MMOL/L", 1.0, 6.941),
        ("MG/L AS LI", 1.0, 1.0),
        ("mg/L Li+", 1.0, 1.0),
        ("mg Li⁺/L", 1.0, 1.0),
    ],
)
def test_units_in_capitals_or_of_lithiums_ion_are_read(
    tmp_path: Path, units: str, density: float, scale: float
) -> None:
    """A brine surface whose units a laboratory export writes in capitals (``MG/L``,
    ``PPM``) or name lithium's ion (``mg/L Li+``). Before: "has units 'MG/L', not a lithium
    concentration", exit 1. Now read as ``mg/L``, ``ppm`` (times the density)...
    (``screening._in_capitals``, ``_AS_LITHIUM``), the variance's squares too."""
    cube, grid = _cube(tmp_path / "c.zarr", 50.0, units)
    cfg = EconomicsConfig(concentration="li", density_kg_per_l=density)
    layers, _, error = _caught(lambda: plan_economics(cfg, cube, grid))
    assert error is None and layers, error
    assert {(la.scale, la.variance_scale) for la in layers} == {(scale, scale**2)}


@pytest.mark.parametrize("units", ["Mg/L", "MG/L LI2O", "MM"])
def test_control_megagrams_compounds_and_millimetres_stay_refused(
    tmp_path: Path, units: str
) -> None:
    """Control: ``Mg/L`` (megagrams: case kept where a lower-case letter shows), a compound
    in capitals and ``MM`` (millimetres) are still no lithium concentration."""
    cube, grid = _cube(tmp_path / "c.zarr", 50.0, units)
    _, _, error = _caught(lambda: plan_economics(EconomicsConfig(concentration="li"), cube, grid))
    assert isinstance(error, DataError) and repr(units) in str(error), error
