"""Indices fuzzed as a hostile but realistic user writes them (round 25, 2026-12-04).

Constants written in a band's place or for an index that does not read them, band names
in another case read as the catalogue's constants, formulas with operators and functions
of other languages, bands named as the sensor or the cube names them, and reflective bands
whose median is outside 0..1 (see each case). Each value is checked against one computed
by hand in numpy (float64) from the same bands. Each defect case failed before the round;
the controls held and must keep holding. All data here are small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.errors import ConfigError, DataError, DataWarning, FormulaError
from prospect.grid import RegionGrid
from prospect.indices import compute_indices, plan_indices
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

from .conftest import assert_clean_error, run_in_process

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(570000.0, 1340000.0, 570300.0, 1340200.0), chunks=(16, 16),
                  name="flat")


def _bands(seed: int = 25, shape: tuple[int, int] = (12, 10), **scale: float) -> xr.Dataset:
    """Sentinel-2 B02, B03, B04, B08 of plausible reflectance (SYNTHETIC), each band
    multiplied by ``scale[name]`` where given."""
    rng = np.random.default_rng(seed)
    low = {"B02": 0.02, "B03": 0.03, "B04": 0.02, "B08": 0.2}
    high = {"B02": 0.15, "B03": 0.2, "B04": 0.2, "B08": 0.5}
    return xr.Dataset({n: (("y", "x"), (rng.uniform(low[n], high[n], shape)
                                        * scale.get(n, 1.0)).astype("f4"))
                       for n in low})


def _f64(ds: xr.Dataset, name: str) -> np.ndarray:
    return ds[name].values.astype("f8")


def _quiet(ds: xr.Dataset, names: list[str], **kw: Any) -> tuple[xr.Dataset, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute_indices(ds, names, **kw)
        out = out.compute()
    return out, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _cube(out: Path, values: dict[str, np.ndarray]) -> Path:
    """A cube of plain (y, x) bands (SYNTHETIC)."""
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    add_variables(cube, xr.Dataset({
        n: float_layer(v, name=n, units="1", like=like, long_name=f"SYNTHETIC {n}",
                       provenance={"synthetic": True}) for n, v in values.items()}))
    return cube


def _job(root: Path, indices: dict[str, Any]) -> Path:
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump({
        "name": "flat", "synthetic": True,
        "region": {"name": "flat", "crs": GRID.crs, "resolution": GRID.resolution,
                   "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)},
        "indices": indices}))
    return path


# -- constants in a band's place, or for an index that does not read them -----------------

@pytest.mark.parametrize("constants", [{"N": 0.3}, {"NDVI": {"N": 0.3}}, {"NDVI": {"R": 0.1}}],
                         ids=["every-index", "under-the-index", "red"])
def test_a_constant_named_like_a_band_is_refused(constants: dict[str, Any]) -> None:
    # 'constants: {N: 0.3}' replaced band N by 0.3 in every cell: NDVI was
    # (0.3 - R) / (0.3 + R), exit 0, without a word
    with pytest.raises(ConfigError, match=r"indices\.constants\..*is a band .*not a constant"):
        compute_indices(_bands(), ["NDVI"], constants=constants)


@pytest.mark.parametrize(("name", "constants", "needle"), [
    ("SAVI", {"SAVI": {"l": 0.5}}, "did you mean 'L'"),
    ("SAVI", {"SAVI": {"g": 2.0}}, "its constants: L"),
    ("NDVI", {"NDVI": {"L": 0.5}}, "it has no constants"),
], ids=["savi-l", "savi-g", "ndvi-L"])
def test_a_constant_an_index_does_not_read_is_refused(
    name: str, constants: dict[str, Any], needle: str,
) -> None:
    # '{SAVI: {l: 0.5}}' left SAVI's L at 1 (0.4 where 0.45 was asked), without a word;
    # the same key for every index ('constants: {l: 0.5}') was refused already
    index, key = next((k, next(iter(v))) for k, v in constants.items())
    with pytest.raises(ConfigError, match=rf"indices\.constants\.{index}\.{key}: index "
                       rf"'{name}'.*does not use '{key}'") as err:
        compute_indices(_bands(), [name], constants=constants)
    assert needle in str(err.value)


def test_evi_gain_written_as_the_green_band_names_the_constant() -> None:
    # '{EVI: {G: 2.0}}' (the papers' G) was ignored: EVI's gain is 'g', G the green band
    with pytest.raises(ConfigError, match=r"indices\.constants\.EVI\.G: 'G' is a band .*"
                       r"index 'EVI''s constant is 'g'"):
        compute_indices(_bands(), ["EVI"], constants={"EVI": {"G": 2.0}})


def test_a_custom_index_with_a_constant_it_does_not_read_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"indices\.constants\.X\.L: index 'X'"):
        compute_indices(_bands(), [], custom={"X": "N - R"}, constants={"X": {"L": 0.5}})


def test_savi_and_evi_with_their_constants_match_numpy() -> None:
    """Control: constants overridden per index are taken (values by hand, float64)."""
    ds = _bands()
    out, _ = _quiet(ds, ["SAVI", "EVI"], constants={"SAVI": {"L": 0.5},
                                                    "EVI": {"g": 2.0, "C1": 5.0, "C2": 7.0,
                                                            "L": 0.8}})
    b, r, n = _f64(ds, "B02"), _f64(ds, "B04"), _f64(ds, "B08")
    savi = 1.5 * (n - r) / (n + r + 0.5)
    evi = 2.0 * (n - r) / (n + 5.0 * r - 7.0 * b + 0.8)
    np.testing.assert_allclose(out["SAVI"].values, savi, rtol=2e-7, atol=0)
    np.testing.assert_allclose(out["EVI"].values, evi, rtol=2e-7, atol=0)


def test_a_constant_a_job_gives_an_index_it_does_not_read_stops_the_job_at_load(
    tmp_path: Path, cli: Any,
) -> None:
    # through 'prospect indices': found when the job loads, naming the file and the key
    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["SAVI"],
                          "constants": {"SAVI": {"l": 0.5}}})
    result = cli("indices", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "job.yaml", "indices.constants.SAVI.l", "did you mean 'L'")


def test_a_constant_no_index_of_a_job_reads_stops_it_at_load(tmp_path: Path, cli: Any) -> None:
    # 'names: [NDVI, MSAVI], constants: {L: 0.5}': MSAVI has no L (it is SAVI's), and the
    # value was passed over without a word, as if MSAVI had been computed with it
    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["NDVI", "MSAVI"],
                          "constants": {"L": 0.5}})
    result = cli("indices", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "job.yaml", "indices.constants.L",
                       "no index of this job (NDVI, MSAVI) reads 'L'", "SAVI")


def test_a_constant_given_to_every_index_still_computes_in_the_library() -> None:
    """Control: the library takes a constant for every index, read or not (the catalogue's
    property tests give PAR to all), and SAVI reads it (value by hand)."""
    ds = _bands()
    out, _ = _quiet(ds, ["NDVI", "SAVI"], constants={"L": 0.5, "PAR": 1.0})
    n, r = _f64(ds, "B08"), _f64(ds, "B04")
    np.testing.assert_allclose(out["SAVI"].values, 1.5 * (n - r) / (n + r + 0.5), rtol=2e-7)


# -- a band name in another case read as a constant --------------------------------------

@pytest.mark.parametrize(("formula", "constant", "band"), [
    ("(n - R) / (n + R)", "n", "N"), ("(g - N) / (g + N)", "g", "G"),
], ids=["n-for-N", "g-for-G"])
def test_a_band_written_in_lower_case_is_not_read_as_a_constant(
    formula: str, constant: str, band: str,
) -> None:
    # 'n' is spyndex's constant n = 5, 'g' EVI's gain 2.5: '(n - R) / (n + R)' was
    # (5 - R) / (5 + R) in every cell, exit 0, without a word
    with pytest.raises(ConfigError, match=rf"'{constant}' is the catalogue constant "
                       rf"{constant} = .*not band '{band}'.*write {band} for the band"):
        compute_indices(_bands(), [], custom={"X": formula})


def test_a_lower_case_constant_given_by_the_job_is_the_constant() -> None:
    """Control: a constant the job sets is taken as meant (value by hand)."""
    ds = _bands()
    out, _ = _quiet(ds, [], custom={"X": "(N - R) / (N + R + n)"}, constants={"n": 0.25})
    n, r = _f64(ds, "B08"), _f64(ds, "B04")
    np.testing.assert_allclose(out["X"].values, (n - r) / (n + r + 0.25), rtol=2e-7)


def test_a_lower_case_constant_in_a_job_stops_it_at_load(tmp_path: Path, cli: Any) -> None:
    job = _job(tmp_path, {"sensor": "sentinel2", "custom": {"NDVI_LC": "(n - R) / (n + R)"}})
    result = cli("indices", job, "-o", tmp_path / "out")
    assert_clean_error(result, 2, "job.yaml", "'n' is the catalogue constant n = 5",
                       "write N for the band")


# -- operators and functions of other languages: the token, its column and the fix -------

@pytest.mark.parametrize(("formula", "needles"), [
    ("(N - R) ^ 2", ["operator '^'", "at column 9", "write ** for a power"]),
    ("  N // R", ["operator '//'", "at column 5", "write /"]),
    ("min(N, R)", ["function 'min'", "at column 1", "minimum(a, b)"]),
    ("N + ln(R)", ["function 'ln'", "at column 5", "write log(x)"]),
    ("np.log(N)", ["function 'np.log'", "without the prefix"]),
    ("N - sqrtt(R)", ["function 'sqrtt'", "at column 5", "did you mean sqrt()"]),
    ("N if N > R else R", ["'N if N > R else R'", "maximum(a, b)"]),
    ("log(N, 10)", ["log() at column 1 takes 1 argument(s), not 2",
                    "log(x) / log(b)"]),
    ("1,5 * N - R", ["comma in '1,5 * N - R' at column 2", "1.5, not 1,5"]),
    ("(N - R) / (N + R),", ["comma in", "at column 18"]),
], ids=["caret", "floor-division", "min", "ln", "numpy-prefix", "near-name", "conditional",
        "log-base", "decimal-comma", "trailing-comma"])
def test_a_formula_off_the_whitelist_names_the_token_its_column_and_the_fix(
    formula: str, needles: list[str],
) -> None:
    # was "operator in 'N - R ^ 2' is not allowed" (the parentheses lost, no column,
    # no word that ^ is xor) and "function 'min' is not allowed" without the whitelist's name
    with pytest.raises(FormulaError) as err:
        plan_indices([], custom={"X": formula})
    for needle in needles:
        assert needle in str(err.value), str(err.value)


# -- bands named as the sensor or the cube names them ------------------------------------

@pytest.mark.parametrize(("formula", "needle"), [
    ("B8 - R", "the sensor's band 'B08' is read under its common name 'N' in a formula: "
               "write N"),
    ("B11 - R", "common name 'S1'"),
    ("N - r", "band names are case-sensitive: did you mean 'R'"),
], ids=["sensor-band-unpadded", "sensor-band", "lower-case-band"])
def test_a_band_named_another_way_in_a_formula_says_the_name_to_write(
    formula: str, needle: str,
) -> None:
    with pytest.raises(ConfigError) as err:
        plan_indices([], sensor="sentinel2", custom={"X": formula})
    assert needle in str(err.value), str(err.value)


def test_cube_variables_in_another_case_are_named_with_the_mapping() -> None:
    # cube variables 'b04'/'b08' were "not in the dataset", the present ones listed
    # without a word that they are the same bands in another case
    ds = _bands().rename({"B04": "b04", "B08": "b08"})
    with pytest.raises(DataError) as err:
        compute_indices(ds, ["NDVI"])
    text = str(err.value)
    assert "the cube holds 'B08' as 'b08'" in text and "indices.bands (N: b08)" in text, text
    assert "indices.bands (R: b04)" in text, text


def test_a_band_the_cube_lacks_names_the_common_name_the_formula_reads() -> None:
    # 'S1 - R' on a cube without B11 said "band variable(s) ['B11'] not in the dataset
    # (needed by {'B11': ['X']})": the formula's writer wrote S1, not B11
    with pytest.raises(DataError, match=r"\['B11'\] \(common names B11 = S1\) not in the "
                       r"dataset"):
        compute_indices(_bands(), [], custom={"X": "S1 - R"})


# -- reflectance of median outside 0..1 -----------------------------------------------------

@pytest.mark.parametrize(("scale", "needle"), [
    ({"B03": 10.0}, "band 'B03' (G, read by NDWI) has a median reflectance of 1."),
    ({"B08": -1.0}, "band 'B08' (N, read by NDWI) has a median reflectance of -0."),
], ids=["above-one", "negative"])
def test_a_band_of_median_outside_zero_to_one_is_warned_of(
    scale: dict[str, float], needle: str,
) -> None:
    # a green band of median 0.115 x 10 and NIR 0.35 passed the -0.5..1.5 rule meant for
    # digital numbers: NDWI 0.55 ("water") in every cell, without a word
    ds = _bands(**scale)
    out, said = _quiet(ds, ["NDWI"])
    g, n = _f64(ds, "B03"), _f64(ds, "B08")
    expected = (g - n) / (g + n)
    expected[(expected < -1) | (expected > 1)] = np.nan
    np.testing.assert_allclose(out["NDWI"].values, expected, rtol=2e-7)
    assert any(needle in s for s in said), said


def test_bands_of_plausible_reflectance_stay_silent() -> None:
    """Control: bands in 0.02..0.5 give no warning; NDVI of two zero bands is NaN, of one
    band with NaN NaN there, the rest by hand."""
    ds = _bands()
    ds["B04"].values[0, 0] = np.nan
    ds["B04"].values[1, :] = 0.0
    ds["B08"].values[1, :] = 0.0
    out, said = _quiet(ds, ["NDVI"])
    assert said == []
    n, r = _f64(ds, "B08"), _f64(ds, "B04")
    with np.errstate(invalid="ignore"):
        expected = (n - r) / (n + r)
    np.testing.assert_allclose(out["NDVI"].values, expected, rtol=2e-7)
    assert np.isnan(out["NDVI"].values[1]).all() and np.isnan(out["NDVI"].values[0, 0])


def test_the_indices_stage_warns_of_a_band_of_median_above_one(
    tmp_path: Path, scheduler: str,
) -> None:
    # the stage's fused path judges the chunk tasks' sample: the same warning
    out = tmp_path / "out"
    out.mkdir()
    rng = np.random.default_rng(25)
    green = rng.uniform(1.1, 1.3, GRID.shape).astype("f4")
    nir = rng.uniform(0.2, 0.5, GRID.shape).astype("f4")
    _cube(out, {"B03": green, "B08": nir})
    job = _job(tmp_path, {"sensor": "sentinel2", "names": ["NDWI"]})
    result = run_in_process("indices", job, "-o", out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "band 'B03' (G, read by NDWI) has a median reflectance of 1.2" in text, text[-3000:]
    np.testing.assert_allclose(open_cube(out / "cube.zarr")["NDWI"].values,
                               (green.astype("f8") - nir) / (green.astype("f8") + nir),
                               rtol=2e-7)


# -- a nodata value the bands cannot hold -------------------------------------------------

@pytest.mark.parametrize("nodata", [-1, 70000, 0.5], ids=["negative", "too-large", "fraction"])
def test_a_nodata_value_an_integer_band_cannot_hold_is_warned_of(nodata: float) -> None:
    # uint16 digital numbers with no data 65535 and 'nodata: -1' (the product's float
    # convention): compared in uint16, -1 matched no cell, and the 65535 cells were
    # computed as values (NDVI -0.98 beside real ones), without a word
    red = np.array([[100, 65535, 300], [200, 300, 400]], "u2")
    nir = np.array([[400, 500, 600], [700, 65535, 900]], "u2")
    ds = xr.Dataset({"B04": (("y", "x"), red), "B08": (("y", "x"), nir)})
    out, said = _quiet(ds, ["NDVI"], nodata=nodata, allow_out_of_range=True)
    n, r = nir.astype("f8"), red.astype("f8")
    np.testing.assert_allclose(out["NDVI"].values, (n - r) / (n + r), rtol=2e-7)
    assert any(f"indices.nodata {nodata:g} is no value of band(s) 'B08' (uint16, 0..65535)"
               in s for s in said), said


def test_a_nodata_value_the_bands_hold_is_no_data_and_silent() -> None:
    """Control: 'nodata: 65535' on uint16 bands makes those cells NaN, without a warning."""
    red = np.array([[100, 65535, 300], [200, 300, 400]], "u2")
    nir = np.array([[400, 500, 600], [700, 65535, 900]], "u2")
    ds = xr.Dataset({"B04": (("y", "x"), red), "B08": (("y", "x"), nir)})
    out, said = _quiet(ds, ["NDVI"], nodata=65535, allow_out_of_range=True)
    n, r = nir.astype("f8"), red.astype("f8")
    expected = (n - r) / (n + r)
    expected[(red == 65535) | (nir == 65535)] = np.nan
    np.testing.assert_allclose(out["NDVI"].values, expected, rtol=2e-7)
    assert said == []
