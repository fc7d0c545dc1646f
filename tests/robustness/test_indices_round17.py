"""Indices and features fuzzed as survey scientists compute them (2026-12-02).

Index values outside their valid range (NDVI of negative reflectance), bands read under
another sensor's band numbers, radar backscatter in decibels, formulas that do not parse
(where, and what is missing), index names that differ only in case, band dtypes numba
lacks, and focal statistics at infinite and empty cells. Each defect case failed before
(checked with ``git show HEAD:`` of the modules); the controls held and must keep holding.
Real data: the Landsat 5 TM and Landsat 8 OLI surface reflectance scenes of Wageningen (cut
to 60 x 60 cells by the region), ingested once for the module through the real CLI.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.errors import ConfigError, DataError, DataWarning, FormulaError
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays
from prospect.io.cube import provenance_attr

from .conftest import Outcome, assert_clean_error, run_in_process

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
L5 = "LT51980241990098KIS00"
L8 = "LC81970242014109LGN00"
L5_DIR = DATA / "landsat5_sr_wageningen_nl_1990"
L8_DIR = DATA / "landsat8_sr_wageningen_nl"
L5_WINDOW = [687493.0, 5750606.0, 689293.0, 5752406.0]
"""60 x 60 cells of the 1990 TM scene by the Rhine at Arnhem: 43 cells whose red
reflectance is below 0 (NDVI up to 1.72)."""


def _reflectance(shape: tuple[int, int] = (12, 12), seed: int = 0) -> xr.Dataset:
    """Sentinel-2 B02..B12 of plausible reflectance (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    return xr.Dataset({n: (("y", "x"), rng.uniform(0.02, 0.5, shape).astype("float32"))
                       for n in ("B02", "B03", "B04", "B08", "B11", "B12")})


def _scene_attrs(*files: str) -> dict[str, Any]:
    """A band's attributes as ingest writes them for scenes of these files."""
    return {"units": "1", "provenance": provenance_attr(
        {"source": "sr", "scenes": [{"file": f, "band": 1, "scale": 1e-4} for f in files]})}


# -- values outside the index's valid range ----------------------------------------------

def test_ndvi_of_a_negative_band_is_no_data_not_minus_five() -> None:
    # R = -0.03, N = 0.02 gave NDVI -5, stored under valid_range [-1, 1]
    ds = _reflectance()
    ds["B04"].values[:3] = -0.03
    ds["B08"].values[:3] = 0.02
    for backend in ("numba", "reference"):
        out = compute_indices(ds, ["NDVI", "CLAY_HYDROXYL"], backend=backend).compute()
        ndvi = out["NDVI"].values
        assert np.isnan(ndvi[:3]).all(), backend
        assert np.isfinite(ndvi[3:]).all() and (np.abs(ndvi[3:]) <= 1).all(), backend
        assert out["NDVI"].attrs["valid_range"] == [-1.0, 1.0]


def test_a_ratio_below_its_valid_minimum_is_no_data_on_dask_chunks() -> None:
    # CLAY_HYDROXYL = S1 / S2 (valid_min 0) of a negative SWIR2 was a negative ratio
    ds = _reflectance((13, 11))
    ds["B12"].values[5, :4] = -0.01
    out = compute_indices(ds.chunk({"y": 4, "x": 3}), ["CLAY_HYDROXYL"]).compute()
    ratio = out["CLAY_HYDROXYL"].values
    assert np.isnan(ratio[5, :4]).all() and np.isfinite(ratio[5, 4:]).all()
    assert out["CLAY_HYDROXYL"].attrs["valid_min"] == 0.0


def test_a_custom_normalized_difference_gets_the_range_too() -> None:
    # a custom (a - b) / (a + b) had no valid_range and kept -5
    ds = _reflectance()
    ds["B04"].values[0] = -0.03
    ds["B08"].values[0] = 0.02
    out = compute_indices(ds, [], custom={"ND": "(N - R) / (N + R)", "D": "N - R"})
    assert out["ND"].attrs["valid_range"] == [-1.0, 1.0]
    assert np.isnan(out["ND"].values[0]).all()
    assert "valid_range" not in out["D"].attrs  # a difference has no stated range
    np.testing.assert_allclose(out["D"].values[0], 0.05, rtol=1e-6)


@pytest.fixture(scope="module")
def l5_cube(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> tuple[Path, Path]:
    """The real 1990 TM scene's B3, B4 and B5, ingested through the CLI: (job, out)."""
    if not L5_DIR.is_dir():
        pytest.skip("shared real data not present")
    root = tmp_path_factory.mktemp("l5")
    job = _l5_job(root, {"sensor": "landsat5", "names": ["NDVI"]})
    result = run_in_process("ingest", job, "-o", root / "out", "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    return job, root / "out"


def _l5_job(root: Path, indices: dict[str, Any]) -> Path:
    job = root / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "tm1990", "region": {"name": "arnhem", "crs": "EPSG:32631", "resolution": 30,
                                     "bounds": L5_WINDOW, "chunks": [25, 25]},
        "sources": [{"kind": "raster", "name": "tm", "metadata": str(L5_DIR / f"{L5}.xml"),
                     "bands": {f"B{b}": str(L5_DIR / f"{L5}_sr_band{b}.tif")
                               for b in (3, 4, 5)}}],
        "indices": indices}))
    return job


def _indices(l5_cube: tuple[Path, Path], scheduler: str, **indices: Any) -> Outcome:
    job, out = l5_cube
    _l5_job(job.parent, indices)
    return run_in_process("indices", job, "-o", out, "--scheduler", scheduler)


@pytest.mark.realdata
def test_real_tm_ndvi_outside_minus_one_one_is_no_data_and_said(
    l5_cube: tuple[Path, Path], scheduler: str,
) -> None:
    # 43 cells of red reflectance below 0 (the Rhine) gave NDVI up to 1.72, stored, silent
    result = _indices(l5_cube, scheduler, sensor="landsat5", names=["NDVI"])
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    assert "index 'NDVI'" in text and "outside its valid range -1..1 in 43 of the 3596 " \
        "cells where its bands hold data" in text, text[-3000:]
    assert "'B3' (R) in 43" in text, text[-3000:]
    ndvi = xr.open_zarr(l5_cube[1] / "cube.zarr")["NDVI"].values
    assert np.nanmax(ndvi) <= 1.0 and np.nanmin(ndvi) >= -1.0
    assert int(np.isnan(ndvi).sum()) == 43 + 4  # and 4 cells without data in the bands


# -- bands read under another sensor's band numbers --------------------------------------

@pytest.mark.realdata
def test_real_tm_scene_read_with_the_landsat8_mapping_is_refused(
    l5_cube: tuple[Path, Path], scheduler: str,
) -> None:
    # landsat8's R is B4, N is B5: on TM they are near infrared and SWIR 1; the NDVI of
    # a 1990 TM scene with 'sensor: landsat8' was computed from the wrong bands, exit 0
    result = _indices(l5_cube, scheduler, sensor="landsat8", names=["NDVI"])
    assert_clean_error(result, 1, "band 'B5' (read as N by index 'NDVI', sensor 'landsat8')",
                       f"Landsat 4/5 TM scene {L5}", "which is S1 on that sensor",
                       "set indices.sensor: landsat5")


def test_a_band_file_ingested_under_another_band_name_is_refused() -> None:
    # band 5's file (NIR) ingested as variable B4: NDVI read NIR as red, sign flipped
    ds = _reflectance()
    ds = xr.Dataset({"B4": ds["B04"].assign_attrs(_scene_attrs(
                         f"/data/{L8}_sr_band5.tif")),
                     "B5": ds["B08"].assign_attrs(_scene_attrs(f"/data/{L8}_sr_band4.tif"))})
    with pytest.raises(DataError, match=r"band 'B5' \(read as N .*holds band B4 of Landsat "
                                        r"8/9 OLI-TIRS scene .*which is R on that sensor, not N: "
                                        r"map N to the variable holding the scene's B5") as err:
        compute_indices(ds, ["NDVI"], sensor="landsat8")
    assert "indices.sensor" not in str(err.value)  # the sensor is right, the names are not


def test_an_aster_cube_read_with_a_landsat_mapping_is_refused() -> None:
    # landsat8's R is B4, ASTER's B4 is SWIR (1656 nm)
    granule = "AST_07XT_00303252004103212_20200101120000_1234_SRF_SWIR_B04.tif"
    ds = xr.Dataset({"B4": (("y", "x"), np.full((4, 4), 0.2, "f4"), _scene_attrs(granule)),
                     "B5": (("y", "x"), np.full((4, 4), 0.3, "f4"), _scene_attrs(granule))})
    with pytest.raises(DataError, match=r"holds band B\d of Terra ASTER scene .*"
                                        r"set indices\.sensor: aster"):
        compute_indices(ds, ["NDVI"], sensor="landsat8")


def test_controls_scenes_of_the_sensor_or_of_no_known_platform_compute() -> None:
    """Controls: Sentinel-2 band files under sentinel2, Collection 2 names under landsat8,
    bands whose provenance names no platform, a band mapped by hand."""
    s2 = _reflectance()
    for band in s2.data_vars:
        s2[band].attrs.update(_scene_attrs(f"T31UFT_20220101T104439_{band}_10m.jp2"))
    assert np.isfinite(compute_indices(s2, ["NDVI"])["NDVI"].values).all()
    c2 = "LC08_L2SP_198024_20200101_20200110_02_T1_SR_B{}.TIF"
    l8 = xr.Dataset({f"B{b}": (("y", "x"), np.full((3, 3), 0.1 * b, "f4"),
                               _scene_attrs(c2.format(b))) for b in (4, 5)})
    assert np.isfinite(compute_indices(l8, ["NDVI"], sensor="landsat8")["NDVI"].values).all()
    plain = xr.Dataset({"red": (("y", "x"), np.full((3, 3), 0.1, "f4"),
                                _scene_attrs("/data/red.tif")),
                        "nir": (("y", "x"), np.full((3, 3), 0.4, "f4"))})
    out = compute_indices(plain, ["NDVI"], sensor="landsat8", bands={"R": "red", "N": "nir"})
    np.testing.assert_allclose(out["NDVI"].values, 0.6, rtol=1e-6)


# -- radar backscatter in decibels -------------------------------------------------------

def _radar(db: bool) -> xr.Dataset:
    rng = np.random.default_rng(4)
    vv, vh = rng.uniform(-14, -6, (20, 20)), rng.uniform(-22, -14, (20, 20))
    if not db:
        vv, vh = 10 ** (vv / 10), 10 ** (vh / 10)
    return xr.Dataset({"VV": (("y", "x"), vv.astype("f4")), "VH": (("y", "x"), vh.astype("f4"))})


def test_radar_indices_of_decibels_are_refused() -> None:
    # DpRVIVV = 4 VH / (VV + VH) of dB values was 2.5 everywhere, NDPolI in -1..1: no meaning
    with pytest.raises(DataError, match=r"band 'VH' \(VH\) has a median of -1[78].*look like "
                                        r"decibels.*10 \*\* \(dB / 10\)"):
        compute_indices(_radar(db=True), ["DpRVIVV"], sensor="sentinel1")
    stated = _radar(db=True)
    stated["VV"].attrs["units"] = "dB"
    with pytest.raises(DataError, match=r"'VV' \(VV, read by index 'NDPolI'\) is in decibels"):
        compute_indices(stated, ["NDPolI"], sensor="sentinel1", allow_out_of_range=True)


def test_controls_linear_backscatter_and_a_custom_formula_of_decibels_compute() -> None:
    """Controls: linear sigma0 computes; a custom difference of dB (a log ratio) too."""
    out = compute_indices(_radar(db=False), ["DpRVIVV"], sensor="sentinel1")
    assert np.isfinite(out["DpRVIVV"].values).all()
    out = compute_indices(_radar(db=True), [], custom={"D": "VV - VH"}, sensor="sentinel1")
    assert 5 < float(out["D"].values.mean()) < 11


# -- formulas that do not parse ------------------------------------------------------------

@pytest.mark.parametrize(("formula", "needles"), [
    ("(N - R) / (N + R) -", ["ends after '-'",
                             "an operand or a closing parenthesis is missing"]),
    ("N  R", ["at column 4", "an operator (+ - * / **) is missing before 'R'"]),
    ("2N - R", ["('2N')", "write 2 * N"]),
    ("(N - R) # / (N + R)", ["'#' at column 9", "no comments"]),
], ids=["ends-early", "no-operator", "number-and-name", "comment"])
def test_a_formula_that_does_not_parse_says_where_and_what(
    tmp_path: Path, cli: Any, formula: str, needles: list[str],
) -> None:
    # 'N +' was "invalid syntax at column 0", 'N  R' "invalid syntax at column 4" with no
    # word of the operator missing, and '(N - R) # ...' computed N - R: Python read the
    # rest as a comment
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({"name": "f", "region": {
        "name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": L5_WINDOW},
        "sources": [{"kind": "raster", "name": "B4", "path": "b4.tif"}],
        "indices": {"sensor": "landsat8", "custom": {"X": formula}}}))
    assert_clean_error(cli("plan", job), 2, "job.yaml", "indices.custom", *needles)


def test_a_formula_written_over_two_lines_parses() -> None:
    # a YAML block scalar keeps its line break: '(N - R) /\n(N + R)' was refused as
    # "invalid syntax"
    text = yaml.safe_load("X: |\n  (N - R) /\n  (N + R)\n")["X"]
    plan = plan_indices([], sensor="sentinel2", custom={"X": text})
    assert plan.inputs == ("B08", "B04")


# -- index names that differ only in case --------------------------------------------------

def test_catalogue_names_differing_only_in_case_are_refused_when_the_job_loads(
    tmp_path: Path, cli: Any,
) -> None:
    # BAI (burned area) and BaI (bareness) are two folders of one name on a disk that
    # ignores case (macOS, Windows): one index's chunks overwrote the other's
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({"name": "c", "region": {
        "name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": L5_WINDOW},
        "sources": [{"kind": "raster", "name": "B4", "path": "b4.tif"}],
        "indices": {"sensor": "sentinel2", "names": ["BAI", "BaI"]}}))
    assert_clean_error(cli("plan", job), 2, "job.yaml", "'BAI' and 'BaI' differ only in case")


def test_a_custom_index_named_like_a_catalogue_index_but_for_case_is_refused() -> None:
    # custom 'ndvi' (N * 2) sat beside the catalogue's NDVI, read as NDVI by people
    with pytest.raises(ConfigError, match=r"'ndvi' is a catalogue index \(the catalogue's "
                                          r"'NDVI', but for case\)"):
        plan_indices([], sensor="sentinel2", custom={"ndvi": "N * 2"})


@pytest.mark.realdata
@pytest.mark.parametrize(("custom", "needle"), [
    ({"a": "N", "A": "R"}, "job.yaml"),
    ({"b3": "N * 2"}, "'b3' (the cube holds 'B3') differ from cube variables only"),
], ids=["two-customs", "a-band"])
def test_an_index_named_like_a_cube_variable_but_for_case_is_refused(
    l5_cube: tuple[Path, Path], scheduler: str, custom: dict[str, str], needle: str,
) -> None:
    # custom 'b3' beside band 'B3' is one folder on a disk that ignores case: the index
    # overwrote the band
    result = _indices(l5_cube, scheduler, sensor="landsat5", custom=custom)
    assert_clean_error(result, 2, needle, "only in case")
    assert "B3" in xr.open_zarr(l5_cube[1] / "cube.zarr").data_vars


def test_the_library_computes_both_bai_indices_in_memory() -> None:
    """Control: in memory (no folders), BAI and BaI are two indices."""
    out = compute_indices(_reflectance(), ["BAI", "BaI"])
    assert set(out.data_vars) == {"BAI", "BaI"}


# -- band dtypes ---------------------------------------------------------------------------

def test_a_float16_band_computes_on_the_fused_kernel() -> None:
    # numba has no float16: 'internal error: NotImplementedError: float16'
    ds = _reflectance().astype("float16")
    ds["B04"].values[0, 0] = np.float16(0.1)
    fused = compute_indices(ds, ["NDVI"], backend="numba", nodata=0.1)["NDVI"].values
    ref = compute_indices(ds, ["NDVI"], backend="reference", nodata=0.1)["NDVI"].values
    np.testing.assert_array_equal(fused, ref)
    assert np.isnan(fused[0, 0]) and np.isfinite(fused[1:]).all()


def test_a_complex_band_is_refused() -> None:
    # complex values were cast to float64 (the imaginary part dropped with a numpy warning)
    ds = _reflectance()
    ds["B08"] = ds["B08"].astype("complex64")
    with pytest.raises(DataError, match=r"'B08' \(needed by \['NDVI'\]\) holds complex64"):
        compute_indices(ds, ["NDVI"])


# -- focal statistics ----------------------------------------------------------------------

def test_one_infinite_cell_does_not_blank_the_std_of_its_block() -> None:
    # the std's shift was nanmean of the block, inf with one inf cell: every std NaN
    import dask.array as da

    from prospect.features.focal import focal_stats, focal_stats_numpy

    x = np.random.default_rng(3).normal(size=(9, 11))
    x[4, 5] = np.inf
    std = focal_stats_numpy(x, 1, ("std",))[0]
    assert np.isfinite(std).all()
    lazy = focal_stats(da.from_array(x, chunks=(4, 4)), 1, ("std",)).compute()[0]
    np.testing.assert_allclose(lazy, std, rtol=1e-5, atol=1e-6)


def test_a_window_of_one_cell_keeps_no_data_on_dask() -> None:
    # radius 0 on a dask array: std 0 where the cell is NaN (numpy: NaN), mean inf at inf
    import dask.array as da

    from prospect.features.focal import focal_stats, focal_stats_numpy

    x = np.array([[np.nan, 1.0, np.inf, 2.0]])
    lazy = focal_stats(da.from_array(x, chunks=(1, 2)), 0).compute()
    np.testing.assert_array_equal(lazy, focal_stats_numpy(x, 0))
    assert np.isnan(lazy[:, 0, [0, 2]]).all()


# -- controls: the fused kernel against the reference ---------------------------------------

def _formula(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.25:
        return rng.choice(["N", "R", "G", "S1", "S2", "0.5", "2.0", "1e-3", "0.37", "-1.0"])
    kind = rng.random()
    if kind < 0.55:
        op = rng.choice(["+", "-", "*", "/", "**"])
        right = rng.choice(["0.5", "2.0", "3.0", "0.37", "-1.5"]) if op == "**" else \
            _formula(rng, depth + 1)
        return f"({_formula(rng, depth + 1)} {op} {right})"
    if kind < 0.7:
        return f"(-{_formula(rng, depth + 1)})"
    func = rng.choice(["sqrt", "abs", "exp", "log", "log10", "minimum", "maximum"])
    args = 2 if func in ("minimum", "maximum") else 1
    return f"{func}({', '.join(_formula(rng, depth + 1) for _ in range(args))})"


def test_random_formulas_agree_bit_for_bit_with_the_reference() -> None:
    """Control: 80 random formulas (constant exponents) on bands holding NaN, inf, 0, -0,
    denormals, negatives and float32's edge, 3 x 257 cells (the kernel's tail loop).

    Each formula the planner accepts on its own is kept; the 80 are then computed as one
    job's custom indices, in one fused kernel (its groups, shared loops and shared
    sub-expressions across formulas), and each index is compared with the reference on
    its own. (One kernel per formula compiled 80 kernels: 90 s of the suite on two busy
    cores, for less of the kernel's machinery.)"""
    rng = random.Random(17)
    values = np.random.default_rng(17)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, 3e38, -3e38, 1.0, -0.3],
                       np.float32)
    bands = {v: values.uniform(-0.1, 1.2, (3, 257)).astype("f4")
             for v in ("B08", "B04", "B03", "B11", "B12")}
    for a in bands.values():
        hit = values.random(a.shape) < 0.2
        a[hit] = values.choice(special, int(hit.sum()))
    formulas: dict[str, str] = {}
    while len(formulas) < 80:
        formula = _formula(rng)
        try:
            plan_indices([], sensor="sentinel2", custom={"X": formula})
        except (ConfigError, FormulaError):
            continue
        formulas[f"X{len(formulas)}"] = formula
    plan = plan_indices([], sensor="sentinel2", custom=formulas)
    assert len(plan.names) == 80
    arrays = [bands[v] for v in plan.inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ref = compute_arrays(plan, arrays, "reference")
        fused = compute_arrays(plan, arrays, "numba", parallel=False)
    for k, name in enumerate(plan.names):
        same = (np.isnan(ref[k]) & np.isnan(fused[k])) | \
            (ref[k].view("u4") == fused[k].view("u4"))
        assert same.all(), (formulas[name], ref[k][~same][:3], fused[k][~same][:3])


@pytest.mark.parametrize("formula", ["(N - N) / (N + R)", "N / N + R", "exp(N) - exp(N)"],
                         ids=["difference", "ratio", "function"])
def test_a_band_minus_or_over_itself_in_a_custom_formula_is_refused(
    tmp_path: Path, cli: Any, formula: str,
) -> None:
    # '(N - N) / (N + R)' (a typo for N - R) was a layer of 0 wherever the bands held data,
    # computed and stored without a word
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({"name": "s", "region": {
        "name": "r", "crs": "EPSG:32631", "resolution": 30, "bounds": L5_WINDOW},
        "sources": [{"kind": "raster", "name": "B4", "path": "b4.tif"}],
        "indices": {"sensor": "landsat8", "custom": {"X": formula}}}))
    assert_clean_error(cli("plan", job), 2, "job.yaml", "whatever the bands",
                       "does not follow the bands", "indices.custom.X")


def test_two_bands_of_a_catalogue_index_mapped_to_one_variable_are_said() -> None:
    # 'bands: {N: heat, R: heat}' made NDVI 0 wherever heat held data, without a word
    ds = xr.Dataset({"heat": (("y", "x"), np.full((3, 3), 0.3, "f4"))})
    with pytest.warns(DataWarning, match=r"index 'NDVI' .*N and R are all 'heat', so heat "
                                         r"- heat is 0 whatever the bands"):
        out = compute_indices(ds, ["NDVI"], bands={"N": "heat", "R": "heat"})
    assert (out["NDVI"].values == 0).all()  # computed as asked, and said
