"""Indices fuzzed as a job over water, round 60 (2026-12-07).

The Wageningen ``FERROUS_IRON`` (``S2 / N + G / R``, valid range ``>= 0``) holds a value in
every cell where SWIR2 is below 0 (water; ESPA's valid range reaches -0.2) but those where
the sum is negative; the indices stage's warning of the cells it dropped listed each band's
cells below 0 wherever the bands hold data as their cause ("'swir2' (S2) in 505" for 68
cells dropped), and said nothing of the cells it kept beside a negative band, where the
index reads a negative reflectance as one. The counts are now of the cells dropped, and
the cells kept beside a negative band are said apart (also where none was dropped).

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 60's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from prospect.errors import DataWarning
from prospect.grid import RegionGrid
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

from .conftest import assert_clean_error, run_in_process

GRID = RegionGrid(
    crs="EPSG:32619",
    resolution=10.0,
    bounds=(570000.0, 1340000.0, 570300.0, 1340200.0),
    chunks=(16, 16),
    name="water",
)
DATES = pd.to_datetime(["2020-06-01", "2021-06-01"])
BANDS = {"B03": (0.1, 0.15), "B04": (0.03, 0.2), "B08": (0.2, 0.5), "B12": (0.05, 0.3)}


def _bands(*, stacked: bool, dark_nir_rows: int, water_rows: int) -> dict[str, np.ndarray]:
    """SYNTHETIC Sentinel-2 green, red, near infrared and SWIR2 reflectance; SWIR2 is
    -0.08 to -0.03 in the first ``water_rows`` rows (water, as ESPA and Sen2Cor write it),
    and the near infrared 0.001 to 0.003 in the first ``dark_nir_rows`` of them (so
    FERROUS_IRON's sum is negative there: below -10 + G / R, G / R at most 5)."""
    rng = np.random.default_rng(60)
    shape = (2, *GRID.shape) if stacked else GRID.shape
    out = {name: rng.uniform(low, high, shape).astype("f4")
           for name, (low, high) in BANDS.items()}
    water = out["B12"][..., :water_rows, :]
    water[...] = rng.uniform(-0.08, -0.03, water.shape).astype("f4")
    dark = out["B08"][..., :dark_nir_rows, :]
    dark[...] = rng.uniform(0.001, 0.003, dark.shape).astype("f4")
    return out


def _cube(tmp_path: Path, bands: dict[str, np.ndarray]) -> Path:
    """A SYNTHETIC cube of ``bands``, 2-D or stacked over two dates."""
    out = tmp_path / "out"
    out.mkdir()
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    layers = {}
    for name, data in bands.items():
        stacked = data.ndim == 3
        flat = float_layer(data[0] if stacked else data, name=name, units="1", like=like,
                           long_name=f"SYNTHETIC {name}", provenance={"synthetic": True})
        layers[name] = flat if not stacked else xr.DataArray(
            data, dims=("time", "y", "x"), coords={"time": DATES, "y": like.y, "x": like.x},
            name=name, attrs=flat.attrs)
    add_variables(cube, xr.Dataset(layers))
    return cube


def _stage(tmp_path: Path, scheduler: str, bands: dict[str, np.ndarray],
           names: list[str], custom: dict[str, str] | None = None) -> tuple[Path, str]:
    """Run the indices stage over a SYNTHETIC cube; the cube and the output in one line."""
    cube = _cube(tmp_path, bands)
    job = tmp_path / "job.yaml"
    region = {"name": "water", "crs": GRID.crs, "resolution": GRID.resolution,
              "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)}
    job.write_text(yaml.safe_dump({
        "name": "water", "synthetic": True, "region": region,
        "indices": {"sensor": "sentinel2", "names": names, "custom": custom or {}},
    }))
    result = run_in_process("indices", job, "-o", cube.parent, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    assert result.code == 0, text[-3000:]
    return cube, text


def _kernel(bands: dict[str, np.ndarray], names: list[str],
            custom: dict[str, str] | None = None) -> np.ndarray:
    """The indices as the kernel computes them (values outside a range set to NaN)."""
    plan = plan_indices(names, sensor="sentinel2", custom=custom)
    return np.asarray(compute_arrays(plan, [bands[v] for v in plan.inputs], "numba"))


def _ferrous(bands: dict[str, np.ndarray]) -> np.ndarray:
    """FERROUS_IRON in float64 (NaN nowhere: no band is 0)."""
    b = {k: v.astype("f8") for k, v in bands.items()}
    return b["B12"] / b["B08"] + b["B03"] / b["B04"]


# -- FERROUS_IRON over water: the cells dropped and the cells kept beside a negative band --


@pytest.mark.parametrize("stacked", [False, True], ids=["fused", "stacked-dates"])
def test_ferrous_iron_over_water_counts_what_it_dropped_and_says_what_it_kept(
    tmp_path: Path, scheduler: str, stacked: bool
) -> None:
    """SYNTHETIC: SWIR2 -0.08 to -0.03 in 5 rows of 30 (water), the near infrared dark in 2 of
    them: FERROUS_IRON is negative (dropped) in those 2 rows and holds 0.1 to 5 in the
    other 3. The warning said "'B12' (S2) in 150" of the 60 cells dropped, and nothing of
    the 90 kept; now 60 below 0 among those dropped, and 90 kept said apart."""
    bands = _bands(stacked=stacked, dark_nir_rows=2, water_rows=5)
    wide = _ferrous(bands)
    negative = bands["B12"] < 0
    dropped = int((wide < 0).sum())
    kept = int((negative & (wide >= 0)).sum())
    assert (dropped, kept) == ((60, 90) if not stacked else (120, 180))
    cube, text = _stage(tmp_path, scheduler, bands, ["FERROUS_IRON"])
    assert f"fell outside its valid range >= 0 in {dropped} of the {wide.size} cells" in text, \
        text[-3000:]
    assert f"(cells below 0 among them: 'B12' (S2) in {dropped})" in text, text[-3000:]
    assert f"'B12' (S2) in {int(negative.sum())}" not in text, text[-3000:]
    assert (f"it holds a value in {kept} other cells though a band it reads is below 0 "
            f"there (cells below 0: 'B12' (S2) in {kept})") in text, text[-3000:]
    stored = open_cube(cube)["FERROUS_IRON"].values
    assert int(np.isnan(stored).sum()) == dropped
    np.testing.assert_array_equal(stored, _kernel(bands, ["FERROUS_IRON"])[0])


def test_ferrous_iron_kept_beside_a_negative_band_is_said_where_none_is_dropped(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC: SWIR2 -0.08 to -0.03 in 5 rows of 30, the near infrared bright: FERROUS_IRON is
    0.1 to 5 in every cell, 150 of them a ratio of a negative reflectance, stored without
    a word; now said, with the share."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=5)
    wide = _ferrous(bands)
    assert (wide >= 0).all()
    cube, text = _stage(tmp_path, scheduler, bands, ["FERROUS_IRON"])
    assert ("index 'FERROUS_IRON' (S2 / N + G / R): it holds a value in 150 of the 600 "
            "cells where its bands hold data (25 %) though a band it reads is below 0 there "
            "(cells below 0: 'B12' (S2) in 150)") in text, text[-3000:]
    assert "fell outside" not in text, text[-3000:]
    stored = open_cube(cube)["FERROUS_IRON"].values
    assert not np.isnan(stored).any()
    np.testing.assert_array_equal(stored, _kernel(bands, ["FERROUS_IRON"])[0])


# -- a formula beyond float32 wherever reflectance is positive -----------------------------


def _plan_job(tmp_path: Path, custom: dict[str, str]) -> Path:
    """A job of one raster source (never read: ``plan`` stops at its config) computing the
    SYNTHETIC ``custom`` indices."""
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "s",
        "region": {"name": "r", "crs": "EPSG:32631", "resolution": 30,
                   "bounds": [687493.0, 5750606.0, 689293.0, 5752406.0]},
        "sources": [{"kind": "raster", "name": "b4", "path": "b4.tif"}],
        "indices": {"sensor": "sentinel2", "custom": custom},
    }))
    return job


@pytest.mark.parametrize(
    ("formula", "reached"),
    [("N * 1e300 * 1e300", "infinite, beyond float64's 1.8e+308 too"),
     ("exp(exp(N + 10))", "infinite, beyond float64's 1.8e+308 too"),
     ("N * 1e38 * 1e38", "at least 1.06e+72")],
    ids=["infinite-product", "infinite-exp", "beyond-float32-only"],
)
def test_a_formula_beyond_float32_wherever_its_bands_are_positive_is_refused_as_such(
    cli: Any, tmp_path: Path, formula: str, reached: str
) -> None:
    """SYNTHETIC: ``N * 1e300 * 1e300`` (infinite) was refused as "a divisor that is 0
    whatever the bands (a factor of 0), or a square root, log or fractional power of a
    part that is negative", neither of which it has; ``N * 1e38 * 1e38`` (1e72 and more,
    beyond float32 only) planned and ran, its layer NaN in every cell. Both are refused as
    the overflow they are, with the least value computed in float64."""
    line = assert_clean_error(cli("plan", _plan_job(tmp_path, {"X": formula})), 2,
                              f"index 'X' ({formula}) lies beyond float32's 3.4e+38",
                              "wherever its bands hold reflectance (positive values)",
                              f"(computed in float64: {reached})", "indices.custom.X")
    assert "divisor" not in line and "square root" not in line, line


def test_the_library_says_an_index_beyond_float32_in_every_cell_as_an_overflow() -> None:
    """SYNTHETIC: ``compute_indices`` of ``N * 1e38 * 1e38`` (beyond float32 in every cell)
    said "undefined there (a division by 0, a log or square root of a negative, a value
    beyond float32)"; now the overflow, its count and its largest value, as the indices
    stage and a partly overflowing index say it."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=0)
    ds = xr.Dataset({k: (("y", "x"), v) for k, v in bands.items()})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, [], sensor="sentinel2", custom={"X": "N * 1e38 * 1e38"})
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    largest = float(np.max(bands["B08"].astype("f8") * 1e38 * 1e38))
    assert said == [
        f"index 'X' (N * 1e38 * 1e38) is NaN (no data) in 600 of the 600 cells where its "
        "bands hold data (100 %) because its value there lies beyond float32's 3.4e+38, "
        f"the largest number its float32 layer holds (computed in float64, up to "
        f"{largest:.3g}); check the formula's factors and the bands' values (their scale), "
        "or give the index in a smaller unit (a factor of 1e-3 in the formula)"], said
    assert np.isnan(out["X"].values).all()


# -- controls --------------------------------------------------------------------------------


def test_control_land_without_negative_bands_says_nothing_and_keeps_its_bytes(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC land (every band above 0): FERROUS_IRON and NDVI say nothing of ranges
    or negative bands, and their bytes are the kernel's."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=0)
    cube, text = _stage(tmp_path, scheduler, bands, ["FERROUS_IRON", "NDVI"])
    assert "below 0" not in text and "fell outside" not in text, text[-3000:]
    ds = open_cube(cube)
    expected = _kernel(bands, ["FERROUS_IRON", "NDVI"])
    np.testing.assert_array_equal(ds["FERROUS_IRON"].values, expected[0])
    np.testing.assert_array_equal(ds["NDVI"].values, expected[1])


def test_control_a_custom_formula_beside_a_negative_band_says_nothing(
    tmp_path: Path, scheduler: str
) -> None:
    """SYNTHETIC: a custom difference ``S2 - N`` (no valid range) over water with SWIR2
    below 0 is a value like any other: nothing said, bytes the kernel's."""
    bands = _bands(stacked=False, dark_nir_rows=0, water_rows=5)
    custom = {"SWIRDIFF": "S2 - N"}
    cube, text = _stage(tmp_path, scheduler, bands, [], custom)
    assert "below 0" not in text and "fell outside" not in text, text[-3000:]
    np.testing.assert_array_equal(open_cube(cube)["SWIRDIFF"].values,
                                  _kernel(bands, [], custom)[0])


@pytest.mark.parametrize(
    ("formula", "planned"),
    [("(N - R) / (0 * N)", False), ("N / R * 1e38", True), ("N ** 1000", True)],
    ids=["zero-divisor-keeps-its-words", "partly-beyond-plans", "partly-underflowing-plans"],
)
def test_control_a_zero_divisor_keeps_its_words_and_a_partial_overflow_plans(
    cli: Any, tmp_path: Path, formula: str, planned: bool
) -> None:
    """SYNTHETIC: a division by 0 (infinite too) is refused in round 55's words; a formula
    beyond float32 in part of the cells (or below it) still plans."""
    result = cli("plan", _plan_job(tmp_path, {"X": formula}))
    if planned:
        assert result.code == 0, result.out + result.err
    else:
        line = assert_clean_error(result, 2, "is infinite or NaN (no data) wherever its bands "
                                  "hold reflectance", "a divisor that is 0", "indices.custom.X")
        assert "beyond float32" not in line, line


# -- the brines' chloride, interpolated from another source of the same table -------------

SCREEN_GRID = RegionGrid(crs="EPSG:28992", resolution=1000.0,
                         bounds=(100000.0, 400000.0, 120000.0, 420000.0), chunks=(16, 16),
                         name="nl")
TABLE = {"waters.csv": "0" * 63 + "1"}
"""The provenance of a surface of the SYNTHETIC waters table (its path and SHA-256)."""


def _surfaces(root: Path, chloride: tuple[float, float], *, other_source: str = "waters",
              other_file: dict[str, str] | None = None) -> Path:
    """A SYNTHETIC cube of lithium in mg/kg kriged from source 'brine' of ``TABLE`` (and
    its variance) and chloride in mg/kg interpolated from source ``other_source`` of
    ``other_file`` (``TABLE`` by default), rising west to east over ``chloride``."""
    root.mkdir(parents=True, exist_ok=True)
    cube = root / "cube.zarr"
    create_cube(cube, SCREEN_GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    east = np.broadcast_to(np.linspace(0, 1, SCREEN_GRID.shape[1]), SCREEN_GRID.shape)
    made = {
        "brine_LI_PPM": (20 + 200 * east, "mg/kg", "brine", "LI_PPM", TABLE),
        "brine_LI_PPM_variance": (np.full(SCREEN_GRID.shape, 25.0), "(mg/kg)2", "brine",
                                  "LI_PPM", TABLE),
        f"{other_source}_CL_PPM": (chloride[0] + (chloride[1] - chloride[0]) * east, "mg/kg",
                                   other_source, "CL_PPM", other_file or TABLE),
    }
    add_variables(cube, xr.Dataset({
        name: float_layer(data, name=name, units=units, like=like,
                          long_name=f"SYNTHETIC {column}",
                          provenance={"sources": files, "source": source, "column": column,
                                      "synthetic": True})
        for name, (data, units, source, column, files) in made.items()}))
    return cube


def _economics_said(cube: Path, density: float = 1.0) -> list[str]:
    from prospect.config.economics import EconomicsConfig
    from prospect.screening import plan_economics

    cfg = EconomicsConfig(concentration="brine_LI_PPM", flow_m3_per_h=150, hours_per_year=8000,
                          recovery=0.8, cutoff_t_lce_per_year=500, density_kg_per_l=density)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_economics(cfg, cube, SCREEN_GRID)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _least_density(chloride: np.ndarray) -> np.ndarray:
    """The brine density of chloride in mg/kg read as NaCl (58.443 / 35.453 g a gram)."""
    return 1.0 + 0.0007 * chloride * (58.443 / 35.453) / 1000.0


def test_the_brines_chloride_from_another_source_of_the_same_table_is_read_for_density(
    tmp_path: Path,
) -> None:
    """SYNTHETIC: the Great Basin job's layout: lithium in mg/kg kriged from source 'brine',
    chloride in mg/kg (20 to 190 000, a Bonneville brine in the east) interpolated from
    source 'waters' of the same table, the job's density 1.0 kg/L: the east's lithium per
    litre, and every tonnage there, is a sixth low, the chloride (as NaCl, 313 g/kg: at
    least 1.22 kg/L) saying so; nothing was said (the check read surfaces of the
    concentration's own source, and no chloride)."""
    cube = _surfaces(tmp_path, (20.0, 190000.0))
    said = [s for s in _economics_said(cube) if "density" in s]
    chloride = open_cube(cube)["waters_CL_PPM"].values.astype("f8")
    rho = _least_density(chloride)
    off = int((rho - 1.0 > 0.05).sum())
    assert 0 < off < rho.size
    assert len(said) == 1, said
    for needle in (
        "economics: 'waters_CL_PPM' (chloride of the same waters as 'brine_LI_PPM': column "
        "'CL_PPM' of source 'waters', in mg/kg) implies a brine density of "
        f"{rho.min():.3g} to {rho.max():.3g} kg/L (its chloride as sodium chloride (x 1.65)",
        f"more than 5 % above the job's density_kg_per_l 1 in {off} of the {rho.size} cells",
        f"up to {100 * (1 - 1 / rho.max()):.0f} % low where denser",
        "give the brines' density in economics.density_kg_per_l",
    ):
        assert needle in said[0], said[0]
    assert "lighter" not in said[0], said[0]


@pytest.mark.parametrize(
    "case", ["fresh-chloride", "another-table", "dense-job-beside-little-chloride"])
def test_control_chloride_says_nothing_where_it_implies_no_denser_brine(
    tmp_path: Path, case: str
) -> None:
    """SYNTHETIC controls: fresh waters (chloride up to 2 000 mg/kg); a Bonneville chloride
    of another table (other waters); a job's 1.2 kg/L beside little chloride (chloride is
    the least salt: it says nothing of brines lighter than the job's)."""
    if case == "another-table":
        cube = _surfaces(tmp_path, (20.0, 190000.0), other_source="springs",
                         other_file={"springs.csv": "2" * 64})
    else:
        cube = _surfaces(tmp_path, (20.0, 2000.0))
    said = _economics_said(cube, 1.2 if case.startswith("dense") else 1.0)
    assert not [s for s in said if "density" in s], said
