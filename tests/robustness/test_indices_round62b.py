"""Screening fuzzed by brines whose density differs from cell to cell, round 62b
(2026-12-07).

A lithium surface in a mass fraction (ppm, mg/kg: as laboratories report brines) was made
per litre by one ``density_kg_per_l`` for every cell, while the job's own density,
salinity or TDS surface said the brines ran from fresh water to 1.2 kg/L: round 59's
warning said so, and the fix it could give was one figure for the richest cells. The
``economics`` config had no key naming such a surface (``density_surface: brine_tds`` was
"unknown key"). It now has: each cell's mg/kg and its kriging variance are made per litre
by that cell's density, and a surface with no value where the lithium has one, a density
outside the 0.95-1.4 kg/L of waters and brines, or units that give no density are
refused, naming the surface, the cells and the fix.

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 62b's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import xarray as xr

from pipelines import screen_report
from pipelines.stages import screen
from prospect.config.economics import EconomicsConfig
from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.ingest import ingest_layer
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.screening import ECONOMIC_OUTPUTS, plan_economics, read_window
from prospect.testing.cubes import float_layer

from .conftest import assert_clean_error
from .test_indices_round53 import _economics_job

GRID = RegionGrid("EPSG:32619", 100.0, (560000.0, 1331200.0, 560800.0, 1332000.0),
                  chunks=(4, 4), name="unit")

EAST = np.broadcast_to(np.linspace(0.0, 1.0, 8), (8, 8))
"""0 at the west edge to 1 at the east, the density's and the lithium's gradient."""

LI = 40.0 + 160.0 * EAST.T  # mg/kg, 40 in the north to 200 in the south
VAR = np.full((8, 8), 36.0)  # (mg/kg)2

FLOW, HOURS, RECOVERY = 150.0, 8000.0, 0.8


def _cube(path: Path, li_units: str, rho: np.ndarray, rho_units: str,
          provenance: dict[str, Any] | None = None,
          li_provenance: dict[str, Any] | None = None) -> Path:
    """A SYNTHETIC cube: ``li`` (``LI`` in ``li_units``), ``li_variance`` and ``rho``
    (``rho`` in ``rho_units``), with the provenances given (a kriged surface's)."""
    create_cube(path, GRID, attrs={"synthetic": True})
    like = open_cube(path)
    add_variables(path, xr.Dataset({
        "li": float_layer(LI.copy(), name="li", units=li_units, long_name="SYNTHETIC li",
                          like=like, provenance=li_provenance),
        "li_variance": float_layer(VAR.copy(), name="li_variance", units=f"({li_units})2",
                                   long_name="SYNTHETIC li variance", like=like),
        "rho": float_layer(np.asarray(rho, dtype="f8"), name="rho", units=rho_units,
                           long_name="SYNTHETIC brine figure", like=like,
                           **({"provenance": provenance} if provenance else {})),
    }))
    return path


def _cfg(**given: Any) -> EconomicsConfig:
    return EconomicsConfig(concentration="li", flow_m3_per_h=FLOW, hours_per_year=HOURS,
                           recovery=RECOVERY, cutoff_t_lce_per_year=50, **given)


def _written(cube: Path, layers: list[Any]) -> dict[str, np.ndarray]:
    """The stored values of the t LCE/yr layer and its sd (the class and p follow them)."""
    layers = layers[:2]
    for layer in layers:
        ingest_layer(cube, layer, GRID)
    return {la.name: np.vstack([np.hstack([read_window(cube, la.name, w)
                                           for w in GRID.chunk_windows() if w.iy == iy])
                                for iy in range(2)]) for la in layers}


def _said(cfg: EconomicsConfig, cube: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_economics(cfg, cube, GRID)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


# -- each cell's density makes its mg/kg per litre --------------------------------------


A = 0.0007  # kg/L per g of salt per kg of brine (prospect.economics, as of NaCl brines)

KINDS = {
    # units: (values stored, each cell's density in kg/L computed here)
    "kg/L": (1.0 + 0.2 * EAST, 1.0 + 0.2 * EAST),
    "kg/m3": (1000.0 + 200.0 * EAST, (1000.0 + 200.0 * EAST) / 1000.0),
    "g/kg": (300.0 * EAST, 1.0 + A * 300.0 * EAST),
    "g/L": (320.0 * EAST, (1.0 + np.sqrt(1.0 + 4.0 * A * 320.0 * EAST)) / 2.0),
    "mg/kg": (250000.0 * EAST, 1.0 + A * 250.0 * EAST),
}


@pytest.mark.parametrize("rho_units", list(KINDS),
                         ids=["density-kg-per-l", "density-kg-per-m3", "salinity-g-per-kg",
                              "tds-g-per-l", "tds-mg-per-kg"])
def test_a_density_surface_makes_each_cell_per_litre(tmp_path: Path, rho_units: str) -> None:
    """SYNTHETIC: lithium in mg/kg beside a density, salinity or TDS surface; each cell's
    t LCE/yr and its sd are those of its own density (computed here in numpy: mg/L = mg/kg
    x rho, LCE = 5.323 x mg/L x Q x hours x recovery x 1e-6). Before: "unknown key
    'density_surface'"."""
    stored, rho = KINDS[rho_units]
    cube = _cube(tmp_path / "c.zarr", "mg/kg", stored, rho_units)
    out = _written(cube, plan_economics(_cfg(density_surface="rho"), cube, GRID))
    k = 5.323 * FLOW * HOURS * RECOVERY * 1e-6
    li32 = LI.astype(np.float32).astype("f8")  # as the cube holds them
    rho32 = np.asarray(stored, "f4").astype("f8")
    rho_read = {"kg/L": rho32, "kg/m3": rho32 / 1000.0, "g/kg": 1.0 + A * rho32,
                "g/L": (1.0 + np.sqrt(1.0 + 4.0 * A * rho32)) / 2.0,
                "mg/kg": 1.0 + A * rho32 / 1000.0}[rho_units]
    np.testing.assert_allclose(rho_read, rho, rtol=1e-6)
    np.testing.assert_allclose(out["lce_t_per_year"], k * li32 * rho_read, rtol=1e-6)
    np.testing.assert_allclose(out["lce_t_per_year_sd"], k * 6.0 * rho_read, rtol=1e-6)


def test_a_kriged_tds_of_the_same_points_makes_each_cell_per_litre(tmp_path: Path) -> None:
    """SYNTHETIC: a TDS kriged from the wells' ``TDS_mg_l`` column (its provenance) in
    mg/L, 0 to 300 000 across the region: each cell's density is (1 + sqrt(1 + 4 a TDS))
    / 2 of its g/L, and its t LCE/yr follows."""
    tds = 300000.0 * EAST
    cube = _cube(tmp_path / "c.zarr", "ppm", tds, "mg/L",
                 provenance={"source": "brine", "column": "TDS_mg_l", "synthetic": True})
    layers = plan_economics(_cfg(density_surface="rho"), cube, GRID)
    assert layers[0].settings["density_surface_reading"].startswith(
        "total dissolved solids: 1 + 0.0007 x g of dissolved salt per kg of brine")
    out = _written(cube, layers)
    rho = (1.0 + np.sqrt(1.0 + 4.0 * A * tds.astype(np.float32).astype("f8") / 1000.0)) / 2
    k = 5.323 * FLOW * HOURS * RECOVERY * 1e-6
    np.testing.assert_allclose(out["lce_t_per_year"],
                               k * LI.astype(np.float32).astype("f8") * rho, rtol=1e-6)
    assert layers[0].settings["density_surface_kg_per_l"] == [1.0, float(rho.max())]


def test_a_density_surface_reaches_the_report(tmp_path: Path) -> None:
    """SYNTHETIC: the report's conversion and cut-off lines name the surface and the
    densities it gave (1 to 1.2 kg/L), the cut-off in mg/kg at each end."""
    cube = _cube(tmp_path / "c.zarr", "mg/kg", 1.0 + 0.2 * EAST, "kg/L")
    cfg = _cfg(density_surface="rho")
    layers = plan_economics(cfg, cube, GRID)
    ctx: Any = SimpleNamespace(job=SimpleNamespace(economics=cfg), grid=GRID,
                               cube_path=cube)
    econ = screen._economics(ctx, layers)
    cutoff = 50 / (5.323 * FLOW * HOURS * RECOVERY * 1e-6)
    assert screen_report._conversion(econ) == (
        "lithium in mg/kg; mg/L = mg/kg x each cell's density from 'rho' (in kg/L, "
        "density: as kriged), 1 to 1.2 kg/L"), econ
    assert screen_report._cutoff_concentration(econ) == (
        f"{cutoff:.3g} mg/L = {cutoff / 1.2:.3g} to {cutoff:.3g} mg/kg at the cells' "
        "densities (1 to 1.2 kg/L, 'rho')")
    high = EAST.T > 0.5  # the south's rich lithium: above the cut-off
    assert econ["share_mean_above_cutoff"] > 0 and high.any()


def test_the_warning_of_a_density_of_the_same_waters_names_the_key(tmp_path: Path) -> None:
    """SYNTHETIC: round 59's warning of a density surface of the same waters as a ppm
    lithium surface offered one density for the richest cells; it now names the surface
    as the job's density_surface too."""
    cube = _cube(tmp_path / "c.zarr", "ppm", 1.0 + 0.2 * EAST, "kg/L",
                 provenance={"source": "brine", "column": "density", "synthetic": True},
                 li_provenance={"source": "brine", "column": "li", "synthetic": True})
    said = [w for w in _said(_cfg(density_kg_per_l=1.0), cube) if "brine density" in w]
    assert len(said) == 1, said
    assert said[0].endswith("give the brines' density in economics.density_kg_per_l "
                            "(about 1 for the richest), or each cell its own: "
                            "economics.density_surface: rho, or krige lithium in mg/L"), said


# -- surfaces that give no density where the lithium has a value ------------------------


def _refused(tmp_path: Path, rho: np.ndarray, units: str, **kw: Any) -> str:
    cube = _cube(tmp_path / "c.zarr", "mg/kg", rho, units, **kw)
    with pytest.raises(DataError) as caught:
        plan_economics(_cfg(density_surface="rho"), cube, GRID)
    said = str(caught.value)
    assert "\n" not in said and "Traceback" not in said, said
    return said


def test_a_density_surface_with_holes_is_refused(tmp_path: Path) -> None:
    """SYNTHETIC: a density kriged over fewer cells than the lithium (3 of 64 NaN) is
    refused naming the cells and the first, not taken as fresh water's 1 kg/L."""
    rho = 1.0 + 0.2 * EAST
    rho[0, 5:8] = np.nan
    said = _refused(tmp_path, rho, "kg/L")
    assert said.startswith("economics: density_surface 'rho' holds no value in 3 of the 64 "
                           "cells where 'li' has one (the first at x 560550, y 1331950)"
                           ), said
    assert "give one density_kg_per_l" in said, said


@pytest.mark.parametrize(("rho", "units", "needles"), [
    (1000.0 + 200.0 * EAST, "kg/L", ["gives 1000 to 1200 kg/L", "64 of the 64 cells",
                                     "0.95-1.4 kg/L", "not in kg/L",
                                     "labelled kg/L is 1000 times high"]),
    (320000.0 * EAST, "g/L", ["gives 1 to 15.47 kg/L", "in g/L, total dissolved solids",
                                 "a TDS in mg labelled g is 1000 times high"]),
    (0.9 + 0.0 * EAST, "g/cm3", ["gives 0.9 to 0.9 kg/L", "at surface conditions"]),
], ids=["kg-per-m3-as-kg-per-l", "tds-mg-per-l-as-g-per-l", "too-light"])
def test_a_density_surface_outside_the_brines_is_refused(
    tmp_path: Path, rho: np.ndarray, units: str, needles: list[str]
) -> None:
    """SYNTHETIC: a density in kg/m3 labelled kg/L, a TDS in mg/L labelled g/L and a
    density under any water's are refused with the densities they give and the range."""
    said = _refused(tmp_path, rho, units)
    assert said.startswith("economics: density_surface 'rho' (in "), said
    for needle in needles:
        assert needle in said, said


@pytest.mark.parametrize("units", ["mS/cm", "mmol/L", "", "psi"],
                         ids=["conductivity", "molar", "none", "pressure"])
def test_a_salinity_surface_in_a_unit_of_no_density_is_refused(
    tmp_path: Path, units: str
) -> None:
    """SYNTHETIC: a salinity surface in a conductivity's, a molar or no unit is refused
    naming the units it needs (was "unknown key" before; a guess would be silent)."""
    said = _refused(tmp_path, 35.0 + 0.0 * EAST, units)
    assert said.startswith(f"economics: density_surface 'rho' has units {units!r}, which "
                           "give no brine density: it needs a density in kg/L"), said


@pytest.mark.parametrize(("column", "what"), [
    ("CL_PPM", "chloride, which gives only the least density"),
    ("LI_PPM", "lithium's grade"),
    ("B_PPM", "a grade of boron"),
], ids=["chloride", "lithium", "boron"])
def test_a_density_surface_of_another_figure_is_refused(
    tmp_path: Path, column: str, what: str
) -> None:
    """SYNTHETIC: a surface kriged from a chloride, lithium or boron column (its
    provenance) named as the density is refused naming the column."""
    said = _refused(tmp_path, 50000.0 * EAST, "mg/kg",
                    provenance={"source": "brine", "column": column, "synthetic": True})
    assert said.startswith(f"economics: density_surface 'rho' was kriged from column "
                           f"{column!r} of source 'brine', {what}"), said


def test_a_density_surface_not_in_the_cube_or_beside_a_density_is_refused(
    tmp_path: Path
) -> None:
    """SYNTHETIC: a name the cube does not hold is refused listing its variables; both
    density keys at once are refused by the config."""
    cube = _cube(tmp_path / "c.zarr", "mg/kg", 1.0 + 0.2 * EAST, "kg/L")
    with pytest.raises(DataError, match=r"no variable 'tds' \(density_surface\) in .*"
                                        r"variables are \['li', 'li_variance', 'rho',"):
        plan_economics(_cfg(density_surface="tds"), cube, GRID)
    with pytest.raises(ValueError, match=r"give either density_kg_per_l \(1.1 kg/L, "
                                         r".*\) or density_surface \('rho', .*not both"):
        _cfg(density_surface="rho", density_kg_per_l=1.1)


@pytest.mark.parametrize(("given", "needles"), [
    ({"density_surface": "brine_tds"},
     ["economics.density_surface: the ingest stage makes no variable 'brine_tds'",
      "'brine_li'"]),
    ({"density_surface": "brine_li_variance", "density_kg_per_l": 1.2},
     ["give either density_kg_per_l (1.2 kg/L", "not both"]),
], ids=["unmade", "both-densities"])
def test_a_job_naming_a_density_surface_it_cannot_use_is_refused_by_plan(
    cli: Any, tmp_path: Path, given: dict[str, Any], needles: list[str]
) -> None:
    """SYNTHETIC job: ``prospect plan`` refuses a density surface no stage makes, and both
    density keys at once, exit 2 (before: "unknown key 'density_surface'")."""
    line = assert_clean_error(cli("plan", _economics_job(tmp_path, **given)), 2, *needles)
    assert "unknown key" not in line, line


def test_a_density_surface_beside_a_surface_per_litre_is_said_unused(tmp_path: Path) -> None:
    """SYNTHETIC: lithium in mg/L needs no density: said, and the values stay mg/L."""
    cube = _cube(tmp_path / "c.zarr", "mg/L", 1.0 + 0.2 * EAST, "kg/L")
    said = _said(_cfg(density_surface="rho"), cube)
    assert any("density_surface 'rho' is not used: 'li' is in mg/L" in w for w in said), said
    layers = plan_economics(_cfg(density_surface="rho"), cube, GRID)
    assert all(la.density is None and la.scale == 1.0 for la in layers)


# -- controls: jobs without the key screen as before -------------------------------------


def test_control_one_density_screens_as_before(tmp_path: Path) -> None:
    """SYNTHETIC control: without ``density_surface`` the layers, their settings and
    values are those of one density (1.2 kg/L), as before the round."""
    cube = _cube(tmp_path / "c.zarr", "mg/kg", 1.0 + 0.2 * EAST, "kg/L")
    cfg = _cfg(density_kg_per_l=1.2)
    assert "density_surface" not in cfg.model_dump()
    layers = plan_economics(cfg, cube, GRID)
    assert layers[0].scale == 1.2 and layers[0].variance_scale == 1.2 ** 2
    assert not [k for k in layers[0].settings if k.startswith("density_surface")]
    out = _written(cube, layers)
    k = 5.323 * FLOW * HOURS * RECOVERY * 1e-6
    expected = np.where(True, k * (LI.astype(np.float32).astype("f8") * 1.2), np.nan)
    np.testing.assert_array_equal(out[ECONOMIC_OUTPUTS["lce"]], expected.astype(np.float32))


def test_control_the_density_warnings_without_the_key_stay(tmp_path: Path) -> None:
    """SYNTHETIC control: a ppm surface without a density is still warned of (1 kg/L
    taken), and a density surface of the same waters is still compared with it."""
    cube = _cube(tmp_path / "c.zarr", "mg/kg", 1.0 + 0.2 * EAST, "kg/L")
    said = _said(_cfg(), cube)
    assert any("economics.density_kg_per_l is not given" in w for w in said), said


def test_control_a_chloride_of_the_same_waters_is_not_offered_as_the_density(
    tmp_path: Path
) -> None:
    """SYNTHETIC control: round 60's warning of a chloride surface (the least density
    the brine has) keeps its words, and offers no density_surface (a chloride is
    refused as one)."""
    cube = _cube(tmp_path / "c.zarr", "ppm", 100000.0 * EAST, "mg/kg",
                 provenance={"source": "brine", "column": "CL_PPM", "synthetic": True},
                 li_provenance={"source": "brine", "column": "li", "synthetic": True})
    said = [w for w in _said(_cfg(density_kg_per_l=1.0), cube) if "brine density" in w]
    assert len(said) == 1 and "(chloride of the same waters as 'li'" in said[0], said
    assert "density_surface" not in said[0], said[0]
