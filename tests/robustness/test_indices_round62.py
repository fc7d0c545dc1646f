"""Screening and indices fuzzed by formulas copied from band-math tools and by a brine
laboratory's units, round 62 (2026-12-07).

A custom formula copied from ENVI's band math (``(float(b4) - float(b3)) / ...``, the cast
that keeps ENVI from dividing integers), ArcGIS's Raster Calculator (``Float(...)``) or
numpy (``N.astype(float)``, ``np.float32(N)``) was refused: ``float`` as "a numpy, math
or Python function that no index formula calls", ``Float``, ``double`` and ``float32`` as
"if 'Float' is a band, a product is written with '*'", ``astype`` without a word. A band
written in quotes, as those calculators name layers (``"B08@1"``), was "constant '"B08"'
is not allowed" without a word of the quotes. A lithium surface in ``g/kg`` or ``mg/g``
(mass fractions at another prefix), ``mg/kg brine``, ``mg/kg solution``, ``ppm by
weight`` or ``w/w%`` was refused as "not a lithium concentration". Bands whose
attributes state a packing not applied (``add_offset -0.1``, or two scales) were let
through by ``allow_out_of_range`` and their NDVI computed from the packed numbers.

Each non-control case failed before the round: checked in a copy of the tree at ``HEAD``
(``git archive``) holding this file (see ``docs/robustness.md``, round 62's indices
section). All data are SYNTHETIC.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from prospect.config.economics import EconomicsConfig
from prospect.errors import DataError, FormulaError
from prospect.indices import compute_indices, plan_indices
from prospect.screening import plan_economics

from .test_screening_round27 import _cube

NDVI = "(N - R) / (N + R)"
"""The formula the casts below are written around."""


@pytest.fixture(scope="module")
def bands() -> xr.Dataset:
    """SYNTHETIC Sentinel-2 reflectances (float32) with a NaN cell."""
    rng = np.random.default_rng(62)
    ds = xr.Dataset({k: (("y", "x"), rng.uniform(0.02, 0.5, (12, 16)).astype("f4"))
                     for k in ("B02", "B03", "B04", "B08", "B11", "B12")})
    ds["B08"][3, 4] = np.nan
    return ds


@pytest.fixture(scope="module")
def plain(bands: xr.Dataset) -> dict[str, bytes]:
    """The bytes of ``NDVI`` written without casts, per backend."""
    return {backend: compute_indices(bands, [], custom={"X": NDVI}, backend=backend)["X"]
            .values.tobytes() for backend in ("numba", "reference")}


# -- a cast to a float type, as band math is copied from ENVI, ArcGIS or numpy -------------


@pytest.mark.parametrize("formula", [
    "(float(N) - float(R)) / (float(N) + float(R))",
    "Float(N - R) / Float(N + R)",
    "(double(N) - R) / (N + R)",
    "(N.astype(float) - R) / (N + R)",
    "(N - R).astype('float32') / (N + R)",
    "(np.float32(N) - R) / (N + R.astype(np.float64))",
], ids=["envi-float", "arcgis-Float", "idl-double", "astype-float", "astype-f32-string",
        "np-float32"])
def test_a_float_cast_copied_from_band_math_is_read_as_its_operand(
    bands: xr.Dataset, plain: dict[str, bytes], formula: str
) -> None:
    """SYNTHETIC bands. Before: refused (``float()`` "is a numpy, math or Python function
    that no index formula calls", ``Float``/``double``/``float32`` "if 'Float' is a band,
    a product is written with '*'", ``astype`` with no fix); now read as its operand:
    every backend computes in floating point, so the bytes are the formula's without the
    casts, on numba and the reference evaluator."""
    for backend, expected in plain.items():
        out = compute_indices(bands, [], custom={"X": formula}, backend=backend)
        assert out["X"].dtype == np.float32, backend
        assert out["X"].values.tobytes() == expected, (backend, formula)


def test_a_float_cast_in_a_job_config_plans() -> None:
    """Before: the plan of a job's ``indices.custom`` of ENVI's form was refused."""
    plan = plan_indices([], sensor="sentinel2",
                        custom={"X": "(float(N) - float(R)) / (float(N) + float(R))"})
    assert plan is not None


def test_a_cast_to_an_integer_type_says_why_it_is_refused() -> None:
    """``N.astype(int)`` (a cast that drops the fraction). Before: "function 'N.astype' is
    not allowed" without a fix; now it says an index is computed in floating point."""
    with pytest.raises(FormulaError) as caught:
        plan_indices([], sensor="sentinel2", custom={"X": "N.astype(int) / R"})
    said = str(caught.value)
    assert ("function 'N.astype' at column 1 is not allowed in formula 'N.astype(int) / R'; "
            "an index is computed in floating point: write the band alone (a cast to an "
            "integer type would drop each value's fraction)") in said, said
    assert "\n" not in said, said


@pytest.mark.parametrize(("formula", "write"), [
    ('("B08" - "B04") / ("B08" + "B04")', "write B08"),
    ('("B08@1" - "B04@1") / ("B08@1" + "B04@1")', "write B08"),
    ("Float('band4.tif') / R", "write band4"),
    ("'red edge' / R", "write its name (letters, digits and '_') without them"),
], ids=["arcgis-quoted", "qgis-layer-band", "arcgis-file", "spaced"])
def test_a_band_in_quotes_is_told_to_drop_them(formula: str, write: str) -> None:
    """A band named in quotes, as ArcGIS's and QGIS's raster calculators write layers.
    Before: "constant '"B08"' ... is not allowed" and nothing of the quotes; now the fix
    names the band without them (QGIS's ``@1`` and a file's extension dropped)."""
    with pytest.raises(FormulaError) as caught:
        plan_indices([], sensor="sentinel2", custom={"X": formula})
    said = str(caught.value)
    assert "a band is named without quotes (raster calculators, ArcGIS's and QGIS's, quote " \
           "a layer's name, \"B08@1\")" in said, said
    assert f"{write} (or the band's common name, N, R, S1, ...;" in said, said


@pytest.mark.parametrize(("formula", "words"), [
    ("int(N)", "int() is a numpy, math or Python function that no index formula calls"),
    ("float(N, R)", "float() is a numpy, math or Python function"),
    ("N(R + 1)", "if 'N' is a band, a product is written with '*': write N * (R + 1)"),
], ids=["int", "float-of-two", "band-before-bracket"])
def test_control_other_calls_keep_their_refusal(formula: str, words: str) -> None:
    """Control: an integer cast, ``float`` of two operands and a band before a bracket
    are refused as before."""
    with pytest.raises(FormulaError, match=re.escape(words)):
        plan_indices([], sensor="sentinel2", custom={"X": formula})


def test_control_formulas_without_casts_compute_as_before(bands: xr.Dataset) -> None:
    """Control (SYNTHETIC bands): catalogue NDVI and the custom formulas of round 61b
    keep the reference evaluator's bytes on numba."""
    custom = {"A": "sqrt(N) - log10(R)", "B": "minimum(maximum((N - R) / (N + R), 0), 1)"}
    fast = compute_indices(bands, ["NDVI"], custom=custom, backend="numba")
    slow = compute_indices(bands, ["NDVI"], custom=custom, backend="reference")
    for name in ("NDVI", *custom):
        assert fast[name].values.tobytes() == slow[name].values.tobytes(), name


# -- packed bands let through by allow_out_of_range ----------------------------------------


def _packed(scales: tuple[float, float], offset: float) -> xr.Dataset:
    """SYNTHETIC Sentinel-2 digital numbers (uint16) whose attributes state a CF packing
    not applied (``xarray.open_dataset(mask_and_scale=False)``): B08 and B04 at
    ``scales``, every band at ``offset``."""
    rng = np.random.default_rng(7)
    ds = xr.Dataset({k: (("y", "x"), rng.integers(1000, 6000, (6, 8)).astype("u2"))
                     for k in ("B02", "B03", "B04", "B08", "B11", "B12")})
    for k in ds:
        scale = scales[0] if k == "B08" else scales[1] if k == "B04" else 1e-4
        ds[k].attrs.update(scale_factor=scale, add_offset=offset)
    return ds


@pytest.mark.parametrize(("scales", "offset", "why"), [
    ((1e-4, 1e-4), -0.1, "add_offset -0.1"),
    ((2.75e-5, 1e-4), 0.0, "scale_factor 2.75e-05 while another of its bands states 0.0001"),
], ids=["offset", "two-scales"])
def test_packed_bands_let_through_by_allow_out_of_range_are_refused(
    scales: tuple[float, float], offset: float, why: str
) -> None:
    """SYNTHETIC digital numbers whose attributes state ``add_offset -0.1`` (or two
    scales), with ``allow_out_of_range=True``. Before: NDVI of the packed numbers without
    a word (0.48 where the reflectances give 0.91); now refused, naming the band, the
    packing and how to decode it."""
    with pytest.raises(DataError) as caught:
        compute_indices(_packed(scales, offset), ["NDVI"], allow_out_of_range=True)
    said = str(caught.value)
    assert said.startswith("band 'B0"), said
    assert (f"read by index 'NDVI') holds packed values whose attributes state {why}, not "
            "applied: allow_out_of_range lets digital numbers through where their ratios "
            "are reflectance's") in said, said
    assert "xarray.decode_cf(ds)" in said and "\n" not in said, said


def test_control_one_scale_without_offset_under_allow_out_of_range_computes() -> None:
    """SYNTHETIC control: one ``scale_factor`` and no offset cancel in NDVI: computed from
    the digital numbers as before, the reflectances' ratio within float32's rounding."""
    ds = _packed((1e-4, 1e-4), 0.0)
    out = compute_indices(ds, ["NDVI"], allow_out_of_range=True)
    n, r = (ds[k].values.astype("f8") * 1e-4 for k in ("B08", "B04"))
    np.testing.assert_allclose(out["NDVI"].values, (n - r) / (n + r), rtol=1e-6)


# -- a lithium mass fraction at another prefix, or with words of the brine ------------------


@pytest.mark.parametrize(("units", "name", "per_unit"), [
    ("g/kg", "g/kg", 1200.0), ("mg/g", "mg/g", 1200.0), ("mg/kg brine", "mg/kg", 1.2),
    ("mg/kg solution", "mg/kg", 1.2), ("ug/g of brine", "ug/g", 1.2),
    ("ppm by weight", "ppm", 1.2), ("ppm by mass", "ppm", 1.2), ("w/w%", "wt%", 12000.0),
    ("wt/wt%", "wt%", 12000.0), ("mg/L brine", "mg/L", 1.0),
], ids=["g-per-kg", "mg-per-g", "mg-per-kg-brine", "solution", "of-brine", "by-weight",
        "by-mass", "w-w-percent", "wt-wt-percent", "per-litre-brine"])
def test_a_lithium_mass_fraction_at_another_prefix_or_with_words_screens(
    tmp_path: Path, units: str, name: str, per_unit: float
) -> None:
    """SYNTHETIC surface (0.02 g/kg; 20 mg/kg; 0.002 wt%) at 1.2 kg/L. Before: "not a
    lithium concentration", with the list of units; now the mass fraction (x its factor
    to mg/kg x the density) or the units before the brine's words, exactly."""
    value = 20.0 / (per_unit / 1.2 if name != "mg/L" else 1.0)
    cube, grid = _cube(tmp_path / "c.zarr", value, units)
    layers = plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=1.2),
                            cube, grid)
    assert layers[0].settings["concentration_units"] == name, layers[0].settings
    assert layers[0].scale == per_unit, layers[0].scale
    assert layers[0].variance_scale == per_unit ** 2, layers[0].variance_scale


@pytest.mark.parametrize("units", ["kg/kg", "mg/L by weight", "mg/kg dry weight",
                                   "mg/kg water"],
                         ids=["kg-per-kg", "per-litre-by-weight", "dry-weight", "water"])
def test_control_units_of_no_brine_stay_refused(tmp_path: Path, units: str) -> None:
    """SYNTHETIC control: a fraction of kilograms per kilogram, a concentration per litre
    said "by weight", a solid's dry weight and a kilogram of water stay refused (the last
    with round 61b's molality words)."""
    cube, grid = _cube(tmp_path / "c.zarr", 20.0, units)
    with pytest.raises(DataError) as caught:
        plan_economics(EconomicsConfig(concentration="li", density_kg_per_l=1.2), cube, grid)
    said = str(caught.value)
    assert said.startswith(f"economics: concentration 'li' has units {units!r}, not a "
                           "lithium concentration; "), said
    assert ("is per kilogram of water" in said) == (units == "mg/kg water"), said
