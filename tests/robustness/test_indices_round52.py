"""Indices and screening fuzzed as a remote-sensing scientist and an economist write
them, round 52 (2026-12-06).

A custom formula choosing per cell (``where(N > R, N, R)``, numpy's ``np.where``,
``clip``) was told "if 'where' is a band, a product is written with '*': write where *
(N > R, N, R)"; one holding ``nan`` or ``inf`` was told to map a band of that name
(``indices.bands.nan: <cube variable>``). A sensor file giving one variable to two common
names at different wavelengths (``R`` and ``N`` both ``b3``, a typo) loaded, and every
index of ``N`` alone read red as near infrared. A band whose own attributes state its fill
(``_FillValue: 0`` beside another band's -9999) had its fill cells computed as values
where ``nodata`` was the other band's, without a word.

A brine density in pounds per gallon (9.5) or per cubic foot (75) was told "a density in
kg/m3 divided by 1000 is kg/L" (0.0095), and one under any brine's (0.0012, 0.5) was
taken, multiplying a ppm surface's tonnages by it; ``hours_per_year: 525600`` (the minutes
of a year) was "Input should be less than or equal to 8784".

Each non-control case failed before the round: checked in a copy of the tree holding
``git show HEAD:`` of ``prospect/indices/formula.py``, ``prospect/indices/plan.py``,
``prospect/indices/ranges.py``, ``prospect/config/indices.py`` and
``prospect/config/economics.py``. All data are SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from pydantic import ValidationError

from prospect.config.economics import EconomicsConfig
from prospect.errors import ConfigError, DataWarning, FormulaError
from prospect.indices import compute_indices, plan_indices
from prospect.indices.bands import load_sensor

from .conftest import assert_clean_error

WINDOW = [687493.0, 5750606.0, 689293.0, 5752406.0]


def _indices_job(tmp_path: Path, formula: str | None = None, sensor: str = "sentinel2") -> Path:
    """A job of one raster source (never read: ``plan`` stops at its config), NDWI and one
    custom index ``X`` (SYNTHETIC)."""
    indices: dict[str, Any] = {"sensor": sensor, "names": ["NDWI"]}
    if formula is not None:
        indices["custom"] = {"X": formula}
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "region": {"name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": WINDOW},
                "sources": [{"kind": "raster", "name": "b4", "path": "b4.tif"}],
                "indices": indices,
            }
        )
    )
    return job


def _line_of(path: Path, key: str) -> int:
    """The 1-based line of ``key:`` in the file at ``path``."""
    lines = path.read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))


# -- formulas: a choice per cell, nan and inf ---------------------------------------------


@pytest.mark.parametrize(
    "formula",
    ["where(N > R, N, R)", "np.where(N > 0.3, N, 0)", "clip(N, 0, 1)"],
    ids=["where", "np-where", "clip"],
)
def test_a_choice_per_cell_is_told_an_index_has_no_conditions(
    tmp_path: Path, cli: Any, formula: str
) -> None:
    """SYNTHETIC: ``where(N > R, N, R)`` was "if 'where' is a band, a product is written
    with '*': write where * (N > R, N, R)", a fix of no formula."""
    line = assert_clean_error(
        cli("plan", _indices_job(tmp_path, formula)),
        2,
        "job.yaml",
        "without comparisons or conditions",
        "maximum(a, b)",
        "minimum(x, 1)",
    )
    assert "a product is written" not in line


def test_control_a_product_after_a_bracket_is_still_told() -> None:
    """Control (SYNTHETIC): ``N(R)`` (a band before a bracket) keeps its fix."""
    with pytest.raises(FormulaError, match=r"write N \* \(R\)"):
        plan_indices([], custom={"X": "N(R) + 1"})


@pytest.mark.parametrize(
    ("formula", "name", "said"),
    [
        ("N / R + nan", "nan", "cannot hold inf or nan"),
        ("N * inf", "inf", "cannot hold inf or nan"),
        ("pi * N", "pi", "write the number"),
    ],
    ids=["nan", "inf", "pi"],
)
def test_nan_and_inf_in_a_formula_are_not_told_to_be_mapped(
    tmp_path: Path, cli: Any, formula: str, name: str, said: str
) -> None:
    """SYNTHETIC: ``N / R + nan`` was "needs band 'nan' ... map it with
    indices.bands.nan: <cube variable>", a band no cube holds."""
    line = assert_clean_error(
        cli("plan", _indices_job(tmp_path, formula)),
        2,
        "job.yaml",
        f"needs band {name!r}",
        "which is no band to map in indices.bands",
        said,
        "fix the formula in indices.custom.X",
    )
    assert f"indices.bands.{name}" not in line


def test_control_a_band_the_sensor_lacks_is_still_told_to_be_mapped() -> None:
    """Control (SYNTHETIC): a band name the sensor lacks keeps "map it with indices.bands"."""
    with pytest.raises(ConfigError, match=r"map it with indices\.bands\.Q"):
        plan_indices([], custom={"X": "N * Q"})


# -- a sensor file giving one variable to two wavelengths ---------------------------------


def _sensor(tmp_path: Path, n_variable: str, n2_nm: float = 865.0) -> Path:
    """A SYNTHETIC camera's sensor file: N on ``n_variable``, N2 on b4 at ``n2_nm``."""
    path = tmp_path / "mycam.yaml"
    path.write_text(
        "name: mycam\ntitle: My camera\nbands:\n"
        "  G: {variable: b2, wavelength_nm: 560.0}\n"
        "  R: {variable: b3, wavelength_nm: 655.0}\n"
        f"  N: {{variable: {n_variable}, wavelength_nm: 842.0}}\n"
        f"  N2: {{variable: b4, wavelength_nm: {n2_nm}}}\n"
    )
    return path


def test_a_sensor_giving_one_variable_two_wavelengths_is_refused(tmp_path: Path, cli: Any) -> None:
    """SYNTHETIC: N on b3 (red's variable, a typo for b4) loaded, and NDWI (G and N) was
    computed from the red band without a word."""
    sensor = _sensor(tmp_path, "b3")
    with pytest.raises(ConfigError) as err:
        load_sensor(sensor)
    said = str(err.value)
    assert "mycam.yaml" in said
    assert "variable 'b3' is given to R (655 nm) and N (842 nm)" in said
    assert_clean_error(
        cli("plan", _indices_job(tmp_path, sensor=str(sensor))),
        2,
        "mycam.yaml",
        "variable 'b3' is given to R (655 nm) and N (842 nm)",
        "fix the variable",
    )


def test_two_bands_of_sentinel2_on_one_variable_are_refused(tmp_path: Path) -> None:
    """SYNTHETIC: N (842 nm) and N2 (865 nm, Sentinel-2's B8A) on one variable are two
    bands read as one."""
    with pytest.raises(ConfigError, match=r"'b4' is given to N \(842 nm\) and N2 \(865 nm\)"):
        load_sensor(_sensor(tmp_path, "b4", 865.0))


def test_control_one_band_under_two_names_loads(tmp_path: Path) -> None:
    """Control (SYNTHETIC): N and N2 on one variable at one wavelength (rounded apart), and
    every shipped sensor (Landsat 8's N and N2 on B5, ASTER's S2 and SW5 on B5), load."""
    cam = load_sensor(_sensor(tmp_path, "b4", 842.5))
    assert cam.bands["N"].variable == cam.bands["N2"].variable == "b4"
    for name in ("landsat8", "aster", "sentinel2", "landsat7", "landsat5", "sentinel1"):
        load_sensor(name)


# -- a band's own fill, not the nodata given ----------------------------------------------


def _two_fills(**attrs: dict[str, Any]) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 red (fill -9999 in 3 cells) and near infrared (fill 0 in 3
    cells) of plausible reflectance; ``attrs``: each variable's attributes."""
    rng = np.random.default_rng(52)
    red = rng.uniform(0.02, 0.3, (10, 10)).astype("float32")
    nir = rng.uniform(0.2, 0.5, (10, 10)).astype("float32")
    red[0, :3] = -9999
    nir[1, :3] = 0
    return xr.Dataset(
        {
            "B04": (("y", "x"), red, attrs.get("B04", {})),
            "B08": (("y", "x"), nir, attrs.get("B08", {})),
        }
    )


@pytest.mark.parametrize("key", ["_FillValue", "nodata"])
def test_a_bands_own_fill_other_than_nodata_is_said(key: str) -> None:
    """SYNTHETIC: with ``nodata=-9999`` (red's fill), NIR's fill 0, stated in its
    attributes, gave NDVI of -1 in its cells without a word."""
    ds = _two_fills(B04={key: -9999.0}, B08={key: 0.0})
    with pytest.warns(DataWarning) as said:
        out = compute_indices(ds, ["NDVI"], nodata=-9999.0)
    texts = [str(w.message) for w in said if issubclass(w.category, DataWarning)]
    assert any(
        f"band 'B08' (N, read by NDVI) states {key} 0" in t
        and "nodata is -9999, one value for every band" in t
        and "ds['B08'].where(ds['B08'] != 0)" in t
        for t in texts
    ), texts
    assert not any("band 'B04'" in t for t in texts), texts
    assert np.allclose(out["NDVI"].values[1, :3], -1.0)  # computed as before: said


def test_control_fills_masked_or_not_held_are_not_said() -> None:
    """Control (SYNTHETIC): a fill equal to ``nodata``, or stated and held by no cell, is
    not warned of, and the values are the formula's."""
    ds = _two_fills(B04={"_FillValue": -9999.0}, B08={"_FillValue": 65535.0})
    ds["B08"][1, :3] = 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        out = compute_indices(ds, ["NDVI"], nodata=-9999.0)
    n, r = ds["B08"].values, ds["B04"].values
    want = np.where(r == -9999, np.nan, (n - r) / (n + r))
    np.testing.assert_allclose(out["NDVI"].values, want, rtol=1e-6)


# -- screening: a density and hours in other units ----------------------------------------


@pytest.mark.parametrize(
    ("density", "needle"),
    [
        (9.5, "9.5 lb/US gal (ppg) is density_kg_per_l: 1.138"),
        (75, "75 lb/ft3 is density_kg_per_l: 1.201"),
    ],
    ids=["ppg", "lb-per-ft3"],
)
def test_a_density_in_another_unit_names_it(density: float, needle: str) -> None:
    """SYNTHETIC: 9.5 ppg and 75 lb/ft3 were "a density in kg/m3 divided by 1000 is
    kg/L" (0.0095, 0.075: refused again)."""
    with pytest.raises(ValidationError) as err:
        EconomicsConfig(concentration="li", density_kg_per_l=density)
    assert needle in str(err.value)


@pytest.mark.parametrize("density", [0.0012, 0.5], ids=["thousandth", "half"])
def test_a_density_under_any_brines_is_refused(tmp_path: Path, cli: Any, density: float) -> None:
    """SYNTHETIC: taken, every tonnage of a ppm surface multiplied by it without a word."""
    job = tmp_path / "job.yaml"
    job.write_text(
        yaml.safe_dump(
            {
                "name": "brine",
                "region": {"name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": WINDOW},
                "sources": [{"kind": "raster", "name": "li", "path": "li.tif"}],
                "economics": {"concentration": "li", "density_kg_per_l": density},
            },
            sort_keys=False,
        )
    )
    assert_clean_error(
        cli("plan", job),
        2,
        f"job.yaml:{_line_of(job, 'density_kg_per_l')}:",
        f"{density:g} kg/L is no brine density",
        "from 0.8 to 3 accepted",
        "g/cm3 and a specific gravity are the same figure",
    )


def test_control_brine_densities_are_kept() -> None:
    """Control (SYNTHETIC): fresh water, hot reservoir water and a dense brine load; a
    density in kg/m3 is still told as one (round 9)."""
    for density in (1.0, 0.9, 1.25, 3.0):
        assert EconomicsConfig(concentration="li", density_kg_per_l=density).density_kg_per_l == (
            density
        )
    with pytest.raises(ValidationError, match="kg/m3"):
        EconomicsConfig(concentration="li", density_kg_per_l=1200)


@pytest.mark.parametrize(
    ("hours", "needle"),
    [
        (525600, "525600 minutes a year are 8760 hours"),
        (31536000, "3.1536e+07 seconds a year are 8760 hours"),
        (87600, "87600 hours a year is more than a year holds"),
        (8785, "8785 hours a year is more than a year holds"),
    ],
    ids=["minutes", "seconds", "ten-years", "past-a-leap-year"],
)
def test_hours_above_a_year_say_the_unit_meant(hours: float, needle: str) -> None:
    """SYNTHETIC: each was "Input should be less than or equal to 8784", no word of a year
    or of the unit meant."""
    with pytest.raises(ValidationError) as err:
        EconomicsConfig(concentration="li", hours_per_year=hours)
    said = str(err.value)
    assert needle in said
    assert "8784 in a leap year" in said
    assert "1460 hours" not in said  # 87600 minutes are no year's operation


def test_control_a_leap_years_hours_are_kept() -> None:
    """Control (SYNTHETIC): 8760 and 8784 hours load."""
    for hours in (8760.0, 8784.0):
        assert EconomicsConfig(concentration="li", hours_per_year=hours).hours_per_year == hours
