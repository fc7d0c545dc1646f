"""Round 13: indices, formulas, the bands they read, and changes between dates, fuzzed.

Custom formulas at IEEE's edges (powers that are 1 whatever the band, names meant as
constants or functions, long chains), catalogue indices fed bands whose metadata say they
hold something else (class codes, degrees Celsius, percent, a reflectance scaled twice),
and time-series changes of class codes, of values beyond float32 and of a date without data.
Each defect case failed before the round; the controls (marked) held before and must keep
holding: the fused kernel and the reference agree bit for bit on special values and odd
chunks, a NaN band cell gives NaN through every function, integer bands do not wrap.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

from prospect.errors import ConfigError, DataError, DataWarning, FormulaError
from prospect.indices import compute_indices
from prospect.indices.plan import plan_indices
from prospect.timeseries import change

from .conftest import Sandbox, assert_clean_error, write_tiny_raster

BANDS = {"N": "heat", "R": "heat"}
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
WAGENINGEN = DATA / "landsat8_sr_wageningen_nl"


def _plan_indices(sandbox: Sandbox, cli: Any, **indices: Any) -> Any:
    sandbox.write_job(indices={"sensor": "sentinel2", "bands": dict(BANDS), **indices})
    return cli("plan", sandbox.job_path)


def _bands(shape: tuple[int, int] = (16, 16), seed: int = 0, **attrs: dict[str, Any],
           ) -> xr.Dataset:
    """Sentinel-2 B02, B03, B04, B08, B11, B12 of plausible reflectance (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    names = ("B02", "B03", "B04", "B08", "B11", "B12")
    return xr.Dataset({n: (("y", "x"), rng.uniform(0.02, 0.5, shape).astype("float32"),
                           attrs.get(n, {})) for n in names})


def _run(ds: xr.Dataset, names: list[str], **kw: Any) -> tuple[xr.Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, names, **kw).compute()
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


# -- formulas: a power that is 1 whatever the band -----------------------------------------

@pytest.mark.parametrize("formula", ["N ** 0", "1 ** N + R", "N ** (2 - 2) * R"],
                         ids=["x-pow-0", "1-pow-x", "x-pow-folded-0"])
def test_a_power_that_is_one_whatever_the_band_is_refused(
    sandbox: Sandbox, cli: Any, formula: str,
) -> None:
    # IEEE pow(NaN, 0) = pow(1, NaN) = 1: a no-data cell became 1 on every backend, and
    # the index did not follow the band (planned and computed, exit 0)
    result = _plan_indices(sandbox, cli, custom={"X": formula})
    assert_clean_error(result, 2, "job.yaml", "is 1 whatever the bands",
                       "1 where they hold no data", "indices.custom.X")


def test_a_catalogue_exponent_of_zero_is_refused() -> None:
    # GDVI with nexp: 0 was (1 - 1) / (1 + 1) = 0 in every cell, no-data cells included
    with pytest.raises(ConfigError, match=r"N \*\* 0 is 1 whatever the bands.*nexp = 0"):
        plan_indices(["GDVI"], sensor="sentinel2", constants={"nexp": 0})


def test_a_nan_cell_stays_nan_through_a_power_of_zero_in_the_library() -> None:
    # compute_indices(..., custom={"X": "N ** 0"}) gave 1 where B08 was NaN
    ds = _bands()
    ds["B08"][0, 0] = np.nan
    with pytest.raises(ConfigError, match="1 where they hold no data"):
        compute_indices(ds, [], custom={"X": "N ** 0"})


# -- formulas: names meant as constants or functions, long chains ---------------------------

@pytest.mark.parametrize(("formula", "needles"), [
    ("N * pi", ["needs band 'pi'", "write the number", "3.141592653589793"]),
    ("exp + N", ["needs band 'exp'", "a function", "log(N)"]),
    ("ln(N)", ["function 'ln'"]),
], ids=["pi", "function-without-call", "ln"])
def test_a_name_meant_as_a_constant_or_function_says_so(
    sandbox: Sandbox, cli: Any, formula: str, needles: list[str],
) -> None:
    # 'N * pi' was "needs band 'pi' ... map it with indices.bands.pi": a constant read as
    # a band the sensor lacks, the fix given was to map a band named pi
    result = _plan_indices(sandbox, cli, custom={"X": formula})
    assert_clean_error(result, 2, "job.yaml", *needles)


def test_a_long_flat_sum_says_how_to_write_it(sandbox: Sandbox, cli: Any) -> None:
    # 70 bands summed were "nested too deeply", which a flat sum is not to its writer
    result = _plan_indices(sandbox, cli, custom={"X": " + ".join(["N"] * 70)})
    assert_clean_error(result, 2, "job.yaml", "nested too deeply",
                       "each operator of a chain", "(a + b) + (c + d)")


def test_a_long_sum_grouped_in_parentheses_plans() -> None:
    """Control: the same 70 terms in two groups of 35."""
    half = "(" + " + ".join(["N"] * 35) + ")"
    plan = plan_indices([], sensor="sentinel2", custom={"X": f"{half} + {half}"})
    assert plan.inputs == ("B08",)


# -- bands whose metadata say they are no reflectance ---------------------------------------

def test_class_codes_read_by_a_catalogue_index_are_refused() -> None:
    # a 0/1 geology mask mapped as R: median 0 passes the reflectance rule, NDVI of codes
    ds = _bands(B04={"prospect_kind": "categorical", "units": "1"})
    ds["B04"].values[:] = (np.arange(256).reshape(16, 16) % 2).astype("float32")
    with pytest.raises(DataError, match=r"band 'B04' \(R, read by index 'NDVI'\) holds "
                                        "class codes"):
        compute_indices(ds, ["NDVI"])


def test_class_codes_in_a_custom_formula_are_a_warning() -> None:
    # 'N * mask' may be meant; it is computed, with a warning naming the layer
    ds = _bands(B04={"prospect_kind": "categorical"})
    out, said = _run(ds, [], custom={"MASKED": "N * R"})
    assert any("'B04' (R, read by index 'MASKED') holds class codes" in s for s in said), said
    np.testing.assert_array_equal(out["MASKED"].values, (ds["B08"] * ds["B04"]).values)


def test_a_thermal_band_in_celsius_is_refused_for_a_catalogue_index() -> None:
    # NBLI (R - T) / (R + T) of 18 degC instead of 291 K: another number, exit 0
    rng = np.random.default_rng(3)
    ds = xr.Dataset({"B4": (("y", "x"), rng.uniform(0.02, 0.3, (8, 8)).astype("f4")),
                     "B10": (("y", "x"), rng.uniform(5, 30, (8, 8)).astype("f4"),
                             {"units": "degC"})})
    with pytest.raises(DataError, match=r"'B10' \(T, read by index 'NBLI'\) is in degrees "
                                        "Celsius"):
        compute_indices(ds, ["NBLI"], sensor="landsat8")
    ds["B10"] = (ds["B10"] + 273.15).assign_attrs(units="K")  # control: kelvin computes
    out, _ = _run(ds, ["NBLI"], sensor="landsat8")
    assert np.isfinite(out["NBLI"].values).all()


def test_a_reflective_band_in_percent_is_refused() -> None:
    # a dark scene in percent (median 1.2 %) passed the median rule: NDWI of percent
    ds = _bands(B03={"units": "%"})
    ds["B03"] = ds["B03"] * 4
    with pytest.raises(DataError, match=r"'B03' \(G, read by index 'NDWI'\) is in percent"):
        compute_indices(ds, ["NDWI"])
    out, _ = _run(ds, ["NDWI"], allow_out_of_range=True)  # control: the user knows
    assert np.isfinite(out["NDWI"].values).all()


def test_a_reflectance_scaled_twice_is_a_warning() -> None:
    # Sentinel-2's 1e-4 applied twice: 0..5e-5, median inside -0.5..1.5, NDVI the same
    # numbers (a ratio), every other index wrong, exit 0 without a word
    ds = _bands()
    twice = ds * 1e-4
    _, said = _run(twice, ["NDVI", "EVI"])
    assert any("'B08' (N, read by NDVI, EVI) varies by less than 0.002" in s
               for s in said), said
    _, said = _run(ds, ["NDVI", "EVI"])  # control: plausible reflectance is silent
    assert not said, said


@pytest.mark.realdata
def test_wageningen_reflectance_scaled_once_is_silent_and_twice_warned() -> None:
    """Real Landsat 8 surface reflectance (int16, scale 1e-4, nodata -9999)."""
    rasterio = pytest.importorskip("rasterio")
    if not WAGENINGEN.is_dir():
        pytest.skip("real data not present")
    arrays = {}
    for var, band in (("B4", 4), ("B5", 5)):
        path = next(WAGENINGEN.glob(f"*_sr_band{band}.tif"))
        with rasterio.open(path) as src:
            dn = src.read(1, window=((0, 400), (0, 400))).astype("float32")
        arrays[var] = np.where(dn == -9999, np.nan, dn * 1e-4).astype("float32")
    once = xr.Dataset({k: (("y", "x"), v) for k, v in arrays.items()})
    _, said = _run(once, ["NDVI"], sensor="landsat8")
    # no word of the scale; the 7 cells of a negative near infrared outside NDVI's range
    # are counted (round 61: the library counts them as the indices stage does)
    assert not [s for s in said if "fell outside its valid range" not in s], said
    _, said = _run(once * 1e-4, ["NDVI"], sensor="landsat8")
    assert any("varies by less than" in s for s in said), said


def test_class_codes_in_the_indices_stage_are_one_error_line(
    sandbox: Sandbox, cli: Any, scheduler: str,
) -> None:
    # through the CLI: the stage planned and computed NDVI-like values of codes
    codes = (np.arange(1600).reshape(40, 40) % 2).astype("uint8")
    write_tiny_raster(sandbox.root / "geo.tif", values=codes)
    sandbox.write_job(sources=[
        {"kind": "raster", "name": "heat", "path": "heat.tif", "units": "1"},
        {"kind": "raster", "name": "geo", "path": "geo.tif", "values": "categorical"}],
        indices={"sensor": "sentinel2", "names": ["NDVI"],
                 "bands": {"N": "heat", "R": "geo"}, "backend": "reference"})
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    assert_clean_error(result, 1, "'geo' (R, read by index 'NDVI') holds class codes")
    assert sandbox.untouched()


# -- changes between dates ------------------------------------------------------------------

def _stack(values: np.ndarray, **attrs: Any) -> xr.DataArray:
    times = np.array(["2014-04-19", "2020-06-01"], dtype="datetime64[ns]")
    return xr.DataArray(values, dims=("time", "y", "x"), coords={"time": times},
                        name="v", attrs=attrs)


def test_a_change_of_class_codes_is_refused() -> None:
    # land-cover code 4 minus code 2 was stored as a 'change' of 2
    codes = np.stack([np.full((4, 4), 2.0), np.full((4, 4), 4.0)]).astype("f4")
    with pytest.raises(DataError, match="'v' holds class codes"):
        change(_stack(codes, prospect_kind="categorical"))


def test_a_change_beyond_float32_is_nan_not_inf() -> None:
    # 3e38 - -3e38 was stored as inf, a value
    values = np.stack([np.full((2, 2), -3e38), np.full((2, 2), 3e38)]).astype("f4")
    values[0, 0, 0] = 0.5
    values[1, 0, 0] = 0.75
    out = change(_stack(values)).values
    assert not np.isinf(out).any()
    assert out[0, 0] == np.float32(0.25) and np.isnan(out[1, 1])


def test_a_change_of_continuous_values_is_exact() -> None:
    """Control: last minus first, NaN where either date is NaN."""
    rng = np.random.default_rng(2)
    values = rng.uniform(-1, 1, (2, 5, 7)).astype("f4")
    values[0, 0, 0] = np.nan
    out = change(_stack(values)).values
    np.testing.assert_array_equal(out, values[1] - values[0])


def test_a_date_without_data_warns_that_its_change_is_empty(
    sandbox: Sandbox, cli: Any, scheduler: str,
) -> None:
    # the 2021 scene all no data: the change layer was NaN in every cell and the report's
    # summary said n/a, exit 0 without a word
    empty = np.full((40, 40), -9999.0, dtype="float32")
    write_tiny_raster(sandbox.root / "cold.tif", values=empty, nodata=-9999.0)
    sandbox.write_job(sources=[{"kind": "raster", "name": "heat", "path": "heat.tif"},
                               {"kind": "raster", "name": "cold", "path": "cold.tif"}],
                      timeseries={"dates": [{"date": "2020-06-01", "bands": {"red": "heat"}},
                                            {"date": "2021-06-01", "bands": {"red": "cold"}}],
                                  "difference": ["red"]})
    result = cli("run", sandbox.job_path, "-o", sandbox.out, "--scheduler", scheduler)
    flat = " ".join((result.out + result.err).split())
    assert result.code == 0, flat[-3000:]
    assert "'red_change' has no cell with data on both 2020-06-01 and 2021-06-01" in flat, \
        flat[-3000:]
    assert sandbox.untouched()


# -- controls: the kernels' values -------------------------------------------------------

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 1e-45, 3e38, -3e38,
                     1.0, 0.5], np.float32)


@pytest.mark.parametrize("chunks", [None, {"y": 1, "x": 301}, {"y": 3, "x": 100}],
                         ids=["numpy", "1xN-chunks", "edge-chunks"])
def test_fused_and_reference_agree_bit_for_bit_on_special_values(chunks: Any) -> None:
    """Control: NaN, inf, denormals, -0.0 and values near float32's edge, in any chunks."""
    rng = np.random.default_rng(1)
    ds = _bands(shape=(7, 301))
    for name in ds.data_vars:
        a = ds[name].values
        hit = rng.random(a.shape) < 0.15
        a[hit] = rng.choice(SPECIALS, int(hit.sum()))
    names = ["NDVI", "EVI", "SAVI", "NBR", "CLAY_HYDROXYL", "FERROUS_IRON", "kNDVI"]
    custom = {"P": "(N - R) ** 0.37 + sqrt(abs(G)) - log(S1) * exp(-S2) + log10(B)",
              "M": "minimum(N, R) / maximum(G, S1)"}
    data = ds.chunk(chunks) if chunks else ds
    ref = compute_indices(data, names, custom=custom, backend="reference",
                          allow_out_of_range=True).compute()
    fused = compute_indices(data, names, custom=custom, backend="numba",
                            allow_out_of_range=True).compute()
    for name in ref.data_vars:
        a, b = ref[name].values, fused[name].values
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=str(name))
        same = np.isnan(a) | (a.view("u4") == b.view("u4"))
        assert same.all(), (name, a[~same][:3], b[~same][:3])
        assert not np.isinf(b).any(), name


@pytest.mark.parametrize("formula", [
    "sqrt(N)", "abs(N)", "exp(N)", "log(N)", "log10(N)", "minimum(N, R)", "maximum(R, N)",
    "N ** 0.37", "N ** 2", "R * 0 + N * 0", "(N - R) / (N + R)"])
def test_a_nan_band_cell_gives_nan_through_every_operation(formula: str) -> None:
    """Control: no function or operator turns a band's NaN into a number."""
    ds = _bands()
    ds["B08"].values[3, 4] = np.nan
    for backend in ("numba", "reference"):
        out, _ = _run(ds, [], custom={"X": formula}, backend=backend)
        assert np.isnan(out["X"].values[3, 4]), (formula, backend)


@pytest.mark.parametrize("dtype", ["uint16", "int16"])
def test_integer_bands_are_computed_in_float(dtype: str) -> None:
    """Control: a difference of DN bands does not wrap (100 - 4000 is -3900, not 61636)."""
    ds = xr.Dataset({"B08": (("y", "x"), np.full((4, 4), 100, dtype)),
                     "B04": (("y", "x"), np.full((4, 4), 4000, dtype))})
    for backend in ("numba", "reference"):
        out, _ = _run(ds, [], custom={"D": "N - R"}, backend=backend,
                      allow_out_of_range=True)
        assert (out["D"].values == -3900.0).all(), backend


def test_a_formula_without_a_band_and_comparisons_stay_refused() -> None:
    """Controls: '1 + 2', 'N > R', 'N and R' and a greek name are refused."""
    for formula, error in (("1 + 2", FormulaError), ("N > R", FormulaError),
                           ("N and R", FormulaError), ("\u03b1 * N", FormulaError)):
        with pytest.raises(error):
            plan_indices([], sensor="sentinel2", custom={"X": formula})
