"""Indices, features and geostatistics fuzzed as survey scientists compute them
(2026-12-02).

Indices of stacked dates counted like the fused path's, powers whose exponent reads a band
against the reference, and the new defect classes of this round (see each case). Each
defect case failed before (checked with ``git show HEAD:`` of the modules); the controls
held and must keep holding. All data here are small and SYNTHETIC.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from prospect.errors import DataError, DataWarning
from prospect.grid import RegionGrid
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays
from prospect.io.cube import add_variables, create_cube, open_cube
from prospect.testing import float_layer

from .conftest import run_in_process

GRID = RegionGrid(crs="EPSG:32619", resolution=10.0,
                  bounds=(570000.0, 1340000.0, 570300.0, 1340200.0), chunks=(16, 16),
                  name="dates")
TIMES = np.array(["2020-06-01", "2021-06-01"], dtype="datetime64[ns]")


def _dated_cube(out: Path, values: dict[str, np.ndarray]) -> Path:
    """A cube holding ``(time, y, x)`` bands (SYNTHETIC), as stacked dates are."""
    cube = out / "cube.zarr"
    create_cube(cube, GRID, attrs={"synthetic": True})
    like = open_cube(cube)
    layers = {}
    for name, v in values.items():
        flat = float_layer(v[0], name=name, units="1", like=like, long_name=f"SYNTHETIC {name}",
                           provenance={"synthetic": True})
        layers[name] = xr.DataArray(v, dims=("time", "y", "x"),
                                    coords={"time": TIMES, "y": flat.y, "x": flat.x},
                                    attrs=flat.attrs)
    add_variables(cube, xr.Dataset(layers))
    return cube


def _dated_job(root: Path, indices: dict[str, Any]) -> Path:
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump({
        "name": "dates", "synthetic": True,
        "region": {"name": "dates", "crs": GRID.crs, "resolution": GRID.resolution,
                   "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)},
        "indices": indices}))
    return path


# -- one count on both paths ------------------------------------------------------------

def test_indices_of_stacked_dates_are_counted_like_the_fused_path(
    tmp_path: Path, scheduler: str,
) -> None:
    # negative red reflectance on one date: NDVI outside -1..1 masked but never said;
    # a formula undefined on most cells: stored as NaN without a word (xarray's path)
    out = tmp_path / "out"
    out.mkdir()
    rng = np.random.default_rng(18)
    shape = (2, *GRID.shape)
    red = rng.uniform(0.02, 0.3, shape).astype("f4")
    nir = rng.uniform(0.2, 0.5, shape).astype("f4")
    red[1, :5, :] = -0.05       # 5 rows x 30 of the second date: water
    nir[1, :5, :] = 0.01        # NDVI (0.01 + 0.05) / (0.01 - 0.05) = -1.5
    _dated_cube(out, {"B04": red, "B08": nir})
    job = _dated_job(tmp_path, {"sensor": "sentinel2", "names": ["NDVI"],
                                "custom": {"LOGDIFF": "log(R - N)"}})
    result = run_in_process("indices", job, "-o", out, "--scheduler", scheduler)
    text = " ".join((result.out + result.err).split())
    assert result.code == 0, text[-3000:]
    cells = 2 * GRID.shape[0] * GRID.shape[1]
    assert f"index 'NDVI' (N - R) / (N + R) fell outside its valid range -1..1 in 150 of " \
        f"the {cells} cells" in text.replace("((", "(").replace("))", ")") or \
        f"fell outside its valid range -1..1 in 150 of the {cells} cells" in text, text[-3000:]
    assert "'B04' (R) in 150" in text, text[-3000:]
    assert "index 'LOGDIFF'" in text and "is undefined (NaN) in" in text, text[-3000:]
    ndvi = open_cube(out / "cube.zarr")["NDVI"]
    assert ndvi.dims == ("time", "y", "x")
    assert int(np.isnan(ndvi.values).sum()) == 150


# -- powers whose exponent reads a band: the reference and the kernel agree ---------------

@pytest.mark.parametrize("formula", ["N ** R - G", "2.5 ** R - G", "N ** 1.37 - G"],
                         ids=["band-exponent", "band-exponent-constant-base", "constant"])
def test_powers_agree_bit_for_bit_with_the_reference(formula: str) -> None:
    # numpy's SIMD pow differs from the C library's in the last bit of ~5 % of float64
    # results; against a band holding the power rounded to float32 (G), 202 of 20 000
    # cells of 'N ** R - G' differed by a float32 ulp between the reference and the kernel
    rng = np.random.default_rng(18)
    n = rng.uniform(0.5, 3, 20_000).astype("f4")
    r = rng.uniform(-5, 5, 20_000).astype("f4")
    base = np.float64(2.5) if formula.startswith("2.5") else n.astype("f8")
    exponent = np.float64(1.37) if "1.37" in formula else r.astype("f8")
    g = np.power(base, exponent).astype("f4")
    plan = plan_indices([], sensor="sentinel2", custom={"X": formula})
    arrays = [{"B08": n, "B04": r, "B03": g}[v] for v in plan.inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ref = compute_arrays(plan, arrays, "reference")[0]
        fused = compute_arrays(plan, arrays, "numba", parallel=False)[0]
    same = (np.isnan(ref) & np.isnan(fused)) | (ref.view("u4") == fused.view("u4"))
    assert same.all(), (int((~same).sum()), ref[~same][:3], fused[~same][:3])
    assert np.isfinite(ref).mean() > 0.99  # the values compared are values


# -- feature stacks ------------------------------------------------------------------------

def _feature_cube(resolution: float = 10.0) -> xr.Dataset:
    rng = np.random.default_rng(4)
    coords = {"y": 1000.0 - resolution * np.arange(32), "x": resolution * np.arange(32)}
    ds = xr.Dataset({"heat": (("y", "x"), rng.random((32, 32)).astype("f4")),
                     "NDVI": (("time", "y", "x"), rng.random((2, 32, 32)).astype("f4"))},
                    coords={**coords, "time": TIMES})
    return ds.chunk({"y": 16, "x": 16})


def test_an_index_of_stacked_dates_as_a_feature_is_refused_naming_it() -> None:
    # 'model.features: [heat, NDVI]' with NDVI (time, y, x): dask's "Chunks and shape
    # must be of the same length/dimension" (a ValueError: an internal error)
    from prospect.features import FeatureSpec, build_stack, make_spec

    ds = _feature_cube()
    with pytest.raises(DataError, match=r"'NDVI' \('time', 'y', 'x'\) are not one \(y, x\) "
                                        r"layer.*timeseries.difference"):
        make_spec(ds, variables=["heat", "NDVI"], resolution=10.0)
    with pytest.raises(DataError, match="'NDVI'"):  # a stored spec on such a cube
        build_stack(ds, FeatureSpec(variables=("heat", "NDVI"), resolution=10.0))


def test_focal_windows_of_another_cell_size_are_refused() -> None:
    # a spec made at 30 m (radius 60 m: 2 cells) on a cube of 10 m cells: windows of 20 m,
    # stored under the name '..._r60', without a word
    from prospect.features import build_stack, make_spec

    spec = make_spec(_feature_cube(30.0), variables=["heat"], resolution=30.0,
                     focal_radii=[60.0])
    with pytest.raises(DataError, match=r"cells of 30, but the cube's cells are 10"):
        build_stack(_feature_cube(10.0), spec)
    stack = build_stack(_feature_cube(30.0), spec)  # control: the spec's own grid
    assert stack.sizes["feature"] == 3


# -- band mappings -------------------------------------------------------------------------

ASTER_L1B = "AST_L1B_00306142003172412_20200101000000_1234"


def _aster(n_attrs: dict[str, Any] | None = None, n_name: str = "B3N") -> xr.Dataset:
    rng = np.random.default_rng(7)
    ds = xr.Dataset({v: (("y", "x"), rng.uniform(0.05, 0.4, (8, 8)).astype("f4"))
                     for v in ("B1", "B2", n_name)})
    ds[n_name].attrs.update(n_attrs or {})
    return ds


def _scene(file: str) -> dict[str, Any]:
    from prospect.io.cube import provenance_attr

    return {"units": "1", "provenance": provenance_attr(
        {"source": "aster", "scenes": [{"file": file, "band": 1}]})}


@pytest.mark.parametrize(("attrs", "name", "bands"), [
    (None, "B3B", {"N": "B3B"}),
    (_scene(f"/data/{ASTER_L1B}_ImageData3B.tif"), "B3N", None),
    (_scene(f'HDF4_EOS:EOS_SWATH:"/data/{ASTER_L1B}.hdf":VNIR_Backward:ImageData3B'),
     "B3N", None),
], ids=["mapped", "file", "subdataset"])
def test_aster_band_3b_read_as_near_infrared_is_refused(
    attrs: dict[str, Any] | None, name: str, bands: dict[str, str] | None,
) -> None:
    # the backward-looking stereo view (27.6 degrees off nadir) lies tens of metres from
    # bands 1 and 2 over relief: NDVI of 3B mixed other ground, computed without a word
    ds = _aster(attrs, name)
    with pytest.raises(DataError, match=r"is ASTER band 3B, the backward-looking stereo "
                                        r"view.*ingest the granule's band 3N"):
        compute_indices(ds, ["NDVI"], sensor="aster", bands=bands)


def test_aster_band_3n_is_computed() -> None:
    # control: the nadir band's own file
    ds = _aster(_scene(f"/data/{ASTER_L1B}_ImageData3N.tif"))
    out = compute_indices(ds, ["NDVI"], sensor="aster")
    assert np.isfinite(out["NDVI"].values).all()


def test_landsat7_thermal_gains_are_named_when_b6_is_missing() -> None:
    # a Level-1 ETM+ scene ingests B6_VCID_1 and B6_VCID_2; an index reading T (B6) said
    # only "not in the dataset ... run ingest with those bands"
    ds = xr.Dataset({v: (("y", "x"), np.full((4, 4), 300.0, "f4"))
                     for v in ("B3", "B6_VCID_1", "B6_VCID_2")})
    with pytest.raises(DataError) as info:
        compute_indices(ds, [], sensor="landsat7", custom={"TK": "T / 300"})
    text = str(info.value)
    assert "B6_VCID_1 (low gain" in text and "B6_VCID_2 (high gain" in text, text
    assert "indices.bands (T: B6_VCID_1)" in text, text
    out = compute_indices(ds, [], sensor="landsat7", custom={"TK": "T / 300"},
                          bands={"T": "B6_VCID_1"})  # control: the fix given works
    assert float(out["TK"].values[0, 0]) == 1.0


# -- geostatistics -------------------------------------------------------------------------

def test_kriging_checks_without_variance_are_undefined_not_nan() -> None:
    # no point with a kriging variance above 0: 'msdr' NaN and numpy's "Mean of empty
    # slice" RuntimeWarning on the console; the report printed nan
    from prospect.geostats import LooResult

    result = LooResult("ordinary kriging", np.array([1.0, 2.0, 3.0]),
                       np.array([1.1, 2.0, 2.9]), np.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = result.summary()
    assert summary["msdr"] is None and summary["mean_standardised_error"] is None
    assert summary["points_without_variance"] == 3
    assert summary["rmse"] == pytest.approx(np.sqrt(0.02 / 3))


@pytest.mark.parametrize(("radii", "words"), [
    ([15.0, 25.0], "15 and 25 are all 2 cell(s) (20 CRS units) on cells of 10"),
    ([4.0], "4 is under half a cell (10 CRS units)"),
], ids=["one-window", "under-half-a-cell"])
def test_focal_radii_that_are_not_their_window_are_refused(radii: list[float],
                                                           words: str) -> None:
    # radii 15 and 25 on 10 m cells: two columns of one window ('r15', 'r25'); radius 4:
    # a window of half-width 10 stored as 'r4'
    from prospect.errors import ConfigError
    from prospect.features import make_spec

    with pytest.raises(ConfigError, match=r"model\.focal\.radii") as info:
        make_spec(_feature_cube(), variables=["heat"], resolution=10.0, focal_radii=radii)
    assert words in str(info.value)
    spec = make_spec(_feature_cube(), variables=["heat"], resolution=10.0,
                     focal_radii=[10.0, 20.0, 30.0])  # control: whole cells
    assert spec.names()[-1] == "heat__focal_std_r30"


# -- the command line --------------------------------------------------------------------

def test_list_with_a_job_is_refused_not_the_catalogue_printed(tmp_path: Path, cli: Any) -> None:
    # 'prospect indices job.yaml --list' printed the whole catalogue (hundreds of indices),
    # exit 0, as if they were the job's
    from .conftest import assert_clean_error

    job = _dated_job(tmp_path, {"sensor": "sentinel2", "names": ["NDVI"]})
    assert_clean_error(cli("indices", job, "--list"), 2, "--list", "job.yaml",
                       "takes no job")
    listing = cli("indices", "--list", "--sensor", "aster", "--json")  # control
    assert listing.code == 0 and '"KAOLINITE_KLI"' in listing.out


# -- prospect plan counts the stacked dates' indices exactly ------------------------------

def _dated_rasters(root: Path, allow_out_of_range: bool) -> Path:
    """A job of two dated raster sources (red, nir; SYNTHETIC GeoTIFFs on :data:`GRID`)
    stacked as ``(time, y, x)`` bands by ``timeseries``, and NDVI of them."""
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(180)
    x0, _, _, y1 = GRID.bounds
    sources, dates = [], []
    for when, tag in (("2020-06-01", "a"), ("2021-06-01", "b")):
        bands = {}
        for band, (low, high) in {"red": (0.02, 0.3), "nir": (0.2, 0.5)}.items():
            path = root / f"{tag}_{band}.tif"
            data = rng.uniform(low, high, GRID.shape).astype("float32")
            with rasterio.open(path, "w", driver="GTiff", width=GRID.shape[1],
                               height=GRID.shape[0], count=1, dtype="float32", crs=GRID.crs,
                               transform=from_origin(x0, y1, GRID.resolution,
                                                     GRID.resolution)) as dst:
                dst.write(data, 1)
            bands[f"{tag}_{band}"] = path.name
        sources.append({"kind": "raster", "name": tag, "bands": bands, "units": "1"})
        dates.append({"date": when, "bands": {"red": f"{tag}_red", "nir": f"{tag}_nir"}})
    path = root / "job.yaml"
    path.write_text(yaml.safe_dump({
        "name": "dates", "synthetic": True,
        "region": {"name": "dates", "crs": GRID.crs, "resolution": GRID.resolution,
                   "bounds": list(GRID.bounds), "chunks": list(GRID.chunks)},
        "sources": sources, "timeseries": {"dates": dates},
        "indices": {"sensor": "landsat8", "names": ["NDVI"],
                    "custom": {"RATIO": "N / R"}, "bands": {"R": "red", "N": "nir"},
                    "allow_out_of_range": allow_out_of_range}}, sort_keys=False))
    return path


@pytest.mark.parametrize("allow_out_of_range", [False, True],
                         ids=["reflectance-sampled", "out-of-range-allowed"])
def test_plan_counts_the_tasks_of_stacked_dates_indices_exactly(
    tmp_path: Path, scheduler: str, allow_out_of_range: bool,
) -> None:
    # the stage masks and counts each block of stacked dates in tasks of their own (beside
    # the indices' and the write's); the plan counted only xarray's indices and the write,
    # so 'prospect plan' promised fewer tasks than the run made
    import json

    from pipelines.plan import plan_job
    from prospect.config import load_job, resolve_grid

    job_path = _dated_rasters(tmp_path, allow_out_of_range)
    job = load_job(job_path)
    planned = {s.name: s.tasks for s in plan_job(job, resolve_grid(job)).stages}
    out = tmp_path / "out"
    result = run_in_process("run", job_path, "-o", out, "--scheduler", scheduler)
    assert result.code == 0, (result.out + result.err)[-3000:]
    cube = open_cube(out / "cube.zarr")
    assert cube["NDVI"].dims == ("time", "y", "x")  # the stacked-dates path ran
    stages = json.loads((out / "manifest.json").read_text())["stages"]
    ran = {name: stage["cluster"]["tasks"] for name, stage in stages.items()}
    assert ran["indices"] > 0
    assert planned["indices"] == ran["indices"], (planned, ran)


# -- focal std where a window's spread is tiny beside the block's range --------------------

def _window_std(values: np.ndarray, radius: int) -> np.ndarray:
    """Each cell's window std by brute force (numpy's two-pass nanstd), float64."""
    import warnings

    from numpy.lib.stride_tricks import sliding_window_view

    size = 2 * radius + 1
    padded = np.pad(values.astype("f8"), radius, constant_values=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(sliding_window_view(padded, (size, size)), axis=(2, 3))


@pytest.mark.parametrize("radius", [1, 3, 6])
def test_focal_std_beside_a_large_step_is_the_windows_own_spread(radius: int) -> None:
    """Before: a layer stepping from 0 to 1e6 (a SYNTHETIC contact) with a spread of 0.001
    read a focal std off by 0.04-0.05 away from the step (window sums cancelling in
    float64); now within 1e-6 of each window's own std, through the dask path too, and a
    flat window is 0."""
    import dask.array as da

    from prospect.features.focal import focal_stats, focal_stats_numpy

    rng = np.random.default_rng(0)
    values = np.where(np.arange(120)[None, :] < 60, 0.0, 1e6) \
        + rng.random((120, 120)) * 0.001
    values[5:9, 5:9] = np.nan
    values[100:, :20] = 42.0  # a flat corner
    want = _window_std(values, radius)
    small = want < 1  # windows on one side of the step: spreads of about 3e-4
    for got in (focal_stats_numpy(values, radius, ("std",))[0],
                np.asarray(focal_stats(da.from_array(values, chunks=40), radius,
                                       ("std",))[0])):
        np.testing.assert_allclose(got[small], want[small], atol=1e-6)
        np.testing.assert_allclose(got[~small], want[~small], rtol=1e-6)
        assert (got[100 + radius:, :20 - radius] == 0).all()
