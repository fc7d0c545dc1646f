"""Economic screening layers: the surface's units choose the conversion to mg/L, wrong
variables are refused before computing, and the report states the confidence of ``z``."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import xarray as xr

from pipelines.screen_report import write_screen_report
from pipelines.stages import screen
from prospect.config.economics import EconomicsConfig
from prospect.economics import lce_factor
from prospect.errors import DataError
from prospect.grid import RegionGrid
from prospect.ingest import ingest_layer
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.screening import confidence_text, plan_economics, read_window

KW = {"flow_m3_per_h": 150.0, "hours_per_year": 8000.0, "recovery": 0.8}
FACTOR = lce_factor(**KW)


def _grid() -> RegionGrid:
    left, top, res = 560000.0, 1332000.0, 100.0
    return RegionGrid("EPSG:32619", res, (left, top - 8 * res, left + 8 * res, top),
                      chunks=(4, 4), name="unit")


def _cube(path: Path, variables: dict[str, tuple[float, str]]) -> tuple[Path, RegionGrid]:
    """A 8 x 8 cube with constant variables ``name -> (value, units)``."""
    grid = _grid()
    create_cube(path, grid, attrs={"synthetic": True})
    like = open_cube(path)
    from prospect.testing.cubes import float_layer

    ds = xr.Dataset({
        name: float_layer(np.full(grid.shape, value), name=name, units=units,
                          long_name=name, like=like)
        for name, (value, units) in variables.items()})
    add_variables(path, ds)
    return path, grid


def _lce(cube: Path, grid: RegionGrid, cfg: EconomicsConfig) -> float:
    """The (constant) t LCE/yr the economics layers write for ``cfg``."""
    layers = plan_economics(cfg, cube, grid)
    ingest_layer(cube, layers[0], grid)
    window = next(iter(grid.chunk_windows()))
    return float(np.nanmax(read_window(cube, "lce_t_per_year", window)))


@pytest.mark.parametrize(("units", "variance_units", "density", "mg_per_l"), [
    ("mg/L", "(mg/L)2", 1.25, 100.0),       # density does not apply to mg/L
    ("mg l-1", "(mg l-1)2", 1.0, 100.0),
    ("ug/L", "(ug/L)2", 1.25, 0.1),         # ug/L / 1000
    ("µg L-1", "(µg L-1)2", 1.0, 0.1),
    ("ppm", "(ppm)2", 1.25, 125.0),         # mass fraction x density
    ("mg/kg", "(mg/kg)2", 1.1, 110.0),
])
def test_units_choose_the_conversion(tmp_path: Path, units: str, variance_units: str,
                                     density: float, mg_per_l: float) -> None:
    cube, grid = _cube(tmp_path / "c.zarr", {"li": (100.0, units),
                                              "li_variance": (25.0, variance_units)})
    cfg = EconomicsConfig(concentration="li", density_kg_per_l=density)
    assert _lce(cube, grid, cfg) == pytest.approx(mg_per_l * FACTOR, rel=1e-5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = plan_economics(cfg, cube, grid)
    # a density given for a surface per litre is said to be unused, never applied quietly
    unused = [w for w in caught if "is not used" in str(w.message)]
    assert len(unused) == (density != 1.0 and "/" in units and "kg" not in units)
    ingest_layer(cube, layers[1], grid)
    window = next(iter(grid.chunk_windows()))
    sd = float(np.nanmax(read_window(cube, "lce_t_per_year_sd", window)))
    assert sd == pytest.approx(5.0 * mg_per_l / 100.0 * FACTOR, rel=1e-5)


def test_a_non_concentration_is_refused(tmp_path: Path) -> None:
    cube, grid = _cube(tmp_path / "c.zarr", {"heatflow": (80.0, "mW m-2"),
                                              "li": (100.0, "mg/L"),
                                              "li_variance": (25.0, "(mg/L)2")})
    with pytest.raises(DataError, match=r"'heatflow' has units 'mW m-2'.*units:"):
        plan_economics(EconomicsConfig(concentration="heatflow", variance="heatflow"),
                       cube, grid)
    for variance in ("heatflow", "li"):
        with pytest.raises(DataError, match=rf"variance '{variance}'.*not the kriging variance"):
            plan_economics(EconomicsConfig(concentration="li", variance=variance), cube, grid)


def test_a_surface_without_units_is_refused(tmp_path: Path) -> None:
    cube, grid = _cube(tmp_path / "c.zarr", {"li": (100.0, ""), "li_variance": (25.0, "")})
    with pytest.raises(DataError, match="'li' has units ''"):
        plan_economics(EconomicsConfig(concentration="li"), cube, grid)


def test_the_unit_consistent_case_is_unchanged(tmp_path: Path) -> None:
    cube, grid = _cube(tmp_path / "c.zarr", {"li": (100.0, "mg/L"),
                                              "li_variance": (25.0, "(mg/L)2")})
    assert _lce(cube, grid, EconomicsConfig(concentration="li")) == pytest.approx(
        100.0 * FACTOR, rel=1e-6)


def test_confidence_of_z() -> None:
    assert confidence_text(1.645) == "95 %"
    assert confidence_text(3.09) == "99.9 %"
    assert confidence_text(1.2816) == "90 %"
    assert confidence_text(4.0) == "99.997 %"  # never rounded up to 100 %


def _report(tmp_path: Path, units: str, cfg: EconomicsConfig) -> str:
    cube, grid = _cube(tmp_path / "c.zarr", {"li": (100.0, units),
                                              "li_variance": (25.0, f"({units})2")})
    ctx: Any = SimpleNamespace(job=SimpleNamespace(economics=cfg), grid=grid, cube_path=cube)
    econ = screen._economics(ctx, plan_economics(cfg, cube, grid))
    facts = {"job": "unit", "region": {}, "surfaces": [], "economics": econ}
    report = write_screen_report(tmp_path / "screen", facts, cube=cube)
    return report.read_text(encoding="utf-8")


def test_report_states_the_confidence_of_z(tmp_path: Path) -> None:
    text = _report(tmp_path, "mg/L", EconomicsConfig(concentration="li", confidence_z=3.09))
    assert "95 %" not in text
    assert "| above at 99.9 % |" in text and "upper 99.9 % bound" in text


def test_report_cutoff_in_the_surface_units(tmp_path: Path) -> None:
    cfg = EconomicsConfig(concentration="li", density_kg_per_l=1.25)
    text = _report(tmp_path, "ppm", cfg)
    mg = 500 / FACTOR
    assert f"= {mg:.3g} mg/L = {mg / 1.25:.3g} ppm at density 1.25 kg/L" in text
    # a mg/L surface: the cut-off is the same whatever the density
    text = _report(tmp_path / "b", "mg/L", cfg)
    assert f"t LCE/yr per doublet = {mg:.3g} mg/L |" in text
