"""Every backend computes the same numbers from the same tree, with the same NaN rules."""

from __future__ import annotations

import json

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from _index_inputs import SPECIAL_FORMULAS as CUSTOM
from _index_inputs import special_bands

from prospect.errors import ConfigError
from prospect.indices import compute_indices, plan_indices
from prospect.indices.blocks import compute_arrays
from prospect.indices.numba_backend import PARALLEL_MIN_PIXELS, kernel_cache_dir


def _dataset(bands: dict[str, np.ndarray]) -> xr.Dataset:
    ny, nx = next(iter(bands.values())).shape
    return xr.Dataset({k: (("y", "x"), v) for k, v in bands.items()},
                      coords={"y": np.arange(ny) * -10.0, "x": np.arange(nx) * 10.0})


def _run(backend: str, bands: dict[str, np.ndarray], allbands) -> dict[str, np.ndarray]:
    ds = _dataset(bands)
    if backend.startswith("dask-"):
        ds = ds.chunk({"y": 17, "x": 23})
        backend = backend.removeprefix("dask-")
    out = compute_indices(ds, [], custom=CUSTOM, sensor=allbands, backend=backend)
    return {k: np.asarray(v.values) for k, v in out.items()}


@pytest.mark.parametrize("backend", ["numba", "dask-numba", "dask-reference"])
def test_backends_agree_with_the_reference_on_special_values(backend: str, allbands) -> None:
    bands = special_bands((61, 47))
    ref = _run("reference", bands, allbands)
    got = _run(backend, bands, allbands)
    for name in CUSTOM:
        assert got[name].dtype == np.float32
        np.testing.assert_array_equal(np.isnan(got[name]), np.isnan(ref[name]), err_msg=name)
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-6, err_msg=name)


def test_parallel_kernel_agrees_with_the_serial_one(allbands) -> None:
    side = int(np.ceil(np.sqrt(PARALLEL_MIN_PIXELS))) + 3
    bands = special_bands((side, side), seed=1)
    plan = plan_indices([], custom={k: CUSTOM[k] for k in ("ND", "POLY")},
                        sensor=allbands)
    arrays = [bands[v] for v in plan.inputs]
    par = compute_arrays(plan, arrays, "numba", parallel=True)
    ser = compute_arrays(plan, arrays, "numba", parallel=False)
    np.testing.assert_array_equal(par, ser)
    assert any(p.name.startswith("prospect_kernel_") for p in kernel_cache_dir().iterdir())


def test_ieee_rules_division_by_zero_and_nan_become_nan(allbands) -> None:
    bands = {"N": np.array([[0.0, 0.5, np.nan, 0.3, 0.2]], np.float32),
             "R": np.array([[0.0, 0.0, 0.1, 0.3, np.nan]], np.float32),
             "G": np.array([[0.2, 0.2, 0.2, 0.2, 0.2]], np.float32)}
    for backend in ("reference", "numba"):
        out = _run(backend, bands, allbands)
        nd, ratio = out["ND"][0], out["RATIO"][0]
        assert np.isnan(nd[0]) and np.isnan(ratio[0])            # 0 / 0
        assert nd[1] == 1.0 and np.isnan(ratio[1])               # x / 0 = inf -> NaN
        assert np.isnan(nd[2]) and np.isnan(nd[4])               # NaN propagates
        assert nd[3] == 0.0 and ratio[3] == 1.0
        assert np.isnan(out["MINMAX"][0][2])                     # NaN-propagating minimum
        assert np.isnan(out["CONSTDIV"]).all()                   # N * inf - N
        assert np.isnan(out["NEG"]).all() or not np.isfinite(out["NEG"]).any()


def test_dask_in_dask_out_with_coords_chunks_and_attrs(allbands) -> None:
    bands = special_bands((40, 30))
    ds = _dataset(bands).chunk({"y": 16, "x": 16})
    ds.attrs["synthetic"] = True
    out = compute_indices(ds, ["NDVI"], custom={"ND": CUSTOM["ND"]}, sensor=allbands)
    for name in ("NDVI", "ND"):
        var = out[name]
        assert isinstance(var.data, da.Array)
        assert var.chunks == ds["N"].chunks
        assert var.dims == ("y", "x") and var.dtype == np.float32
        np.testing.assert_array_equal(var.x.values, ds.x.values)
        assert var.attrs["units"] == "1" and var.attrs["prospect_kind"] == "index"
        prov = json.loads(var.attrs["provenance"])
        assert prov["backend"] == "numba" and prov["catalogue_version"]
        assert prov["synthetic"] is True and var.attrs["synthetic"] is True
    prov = json.loads(out["NDVI"].attrs["provenance"])
    assert prov["formula"] == "(N - R)/(N + R)" and prov["bands"] == {"N": "N", "R": "R"}
    assert prov["catalogue"] == "awesome-spectral-indices"
    graph = out["NDVI"].data.__dask_graph__()
    assert len([k for k in graph if "prospect-indices" in str(k)]) == 6  # one task per block
    np.testing.assert_array_equal(out["NDVI"].values, out["ND"].values)


def test_one_fused_task_per_block_computes_every_index() -> None:
    rng = np.random.default_rng(2)
    names = ["NDVI", "CLAY_HYDROXYL", "FERROUS_IRON", "FERRIC_IRON", "IRON_OXIDE"]
    ds = xr.Dataset({b: (("y", "x"), rng.uniform(0.01, 0.5, (64, 64)).astype(np.float32))
                     for b in ("B02", "B03", "B04", "B08", "B11", "B12")}).chunk(32)
    out = compute_indices(ds, names)
    merged = xr.merge([out[n] for n in names])
    graph = dict(merged.__dask_graph__())
    fused = [k for k in graph if "prospect-indices" in str(k)]
    assert len(fused) == 4  # 4 blocks, each one task for all five indices
    b = {k: ds[k].values.astype(np.float64) for k in ds.data_vars}
    np.testing.assert_allclose(out["FERROUS_IRON"].values,
                               b["B12"] / b["B08"] + b["B03"] / b["B04"], rtol=1e-6)


def test_backend_errors_are_config_errors(allbands) -> None:
    ds = _dataset(special_bands((4, 4)))
    with pytest.raises(ConfigError, match="unknown index backend"):
        compute_indices(ds, ["NDVI"], sensor=allbands, backend="fortran")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="needs cupy"):
            compute_indices(ds, ["NDVI"], sensor=allbands, backend="cupy")


def test_reference_backend_runs_on_array_api_strict(allbands) -> None:
    xp = pytest.importorskip("array_api_strict")
    bands = special_bands((9, 11))
    plan = plan_indices([], custom=CUSTOM, sensor=allbands)
    strict = compute_arrays(plan, [xp.asarray(bands[v]) for v in plan.inputs], "reference")
    assert type(strict).__module__.startswith("array_api_strict")
    ref = compute_arrays(plan, [bands[v] for v in plan.inputs], "reference")
    np.testing.assert_array_equal(np.asarray(strict), ref)


def test_other_sensors_use_their_own_variables() -> None:
    rng = np.random.default_rng(5)
    l8 = xr.Dataset({f"B{i}": (("y", "x"), rng.uniform(0.01, 0.5, (8, 8)).astype(np.float32))
                     for i in range(1, 8)})
    out = compute_indices(l8, ["NDVI", "CLAY_HYDROXYL"], sensor="landsat9")
    np.testing.assert_allclose(out["CLAY_HYDROXYL"].values,
                               l8["B6"].values.astype(np.float64) / l8["B7"].values, rtol=1e-6)
    renamed = l8.rename({"B6": "swir16", "B7": "swir22"})
    out2 = compute_indices(renamed, ["CLAY_HYDROXYL"], sensor="landsat8",
                           bands={"S1": "swir16", "S2": "swir22"})
    np.testing.assert_array_equal(out2["CLAY_HYDROXYL"].values, out["CLAY_HYDROXYL"].values)
    aster = xr.Dataset({b: (("y", "x"), rng.uniform(0.05, 0.5, (8, 8)).astype(np.float32))
                        for b in ("B10", "B11", "B12")})
    qi = compute_indices(aster, ["QUARTZ_QI"], sensor="aster")["QUARTZ_QI"].values
    a = {k: aster[k].values.astype(np.float64) for k in aster.data_vars}
    np.testing.assert_allclose(qi, a["B11"] ** 2 / (a["B10"] * a["B12"]), rtol=1e-6)


def test_time_stacks_keep_their_dims_on_numpy_and_dask() -> None:
    rng = np.random.default_rng(6)
    ds = xr.Dataset({b: (("time", "y", "x"), rng.uniform(0.01, 0.5, (3, 20, 30))
                         .astype(np.float32)) for b in ("B04", "B08")})
    eager = compute_indices(ds, ["NDVI"])["NDVI"]
    lazy = compute_indices(ds.chunk({"time": 1, "y": 10}), ["NDVI"])["NDVI"]
    assert eager.dims == lazy.dims == ("time", "y", "x")
    assert lazy.chunks == ((1, 1, 1), (10, 10), (30,))
    b = {k: ds[k].values.astype(np.float64) for k in ds.data_vars}
    want = (b["B08"] - b["B04"]) / (b["B08"] + b["B04"])
    np.testing.assert_allclose(eager.values, want, rtol=1e-6)
    np.testing.assert_array_equal(lazy.values, eager.values)


def test_kernel_cache_refuses_folders_others_can_write(tmp_path, monkeypatch) -> None:
    shared = tmp_path / "shared"
    (shared / "kernels").mkdir(parents=True)
    (shared / "kernels").chmod(0o777)
    monkeypatch.setenv("PROSPECT_CACHE_DIR", str(shared))
    chosen = kernel_cache_dir()
    assert chosen != shared / "kernels"
    assert not chosen.stat().st_mode & 0o022
    private = tmp_path / "private"
    monkeypatch.setenv("PROSPECT_CACHE_DIR", str(private))
    assert kernel_cache_dir() == private / "kernels"


@pytest.mark.parametrize("backend", ["reference", "numba", "dask-numba"])
def test_nodata_value_reads_as_nan_on_every_backend(backend: str, allbands) -> None:
    bands = special_bands((23, 19), seed=3)
    bands["N"][4, :5] = -9999.0
    bands["R"][5, :3] = 0.1  # float32(0.1): nodata is compared in the band's dtype
    ds = _dataset(bands)
    if backend.startswith("dask-"):
        ds, backend = ds.chunk({"y": 8, "x": 8}), backend.removeprefix("dask-")
    plain = compute_indices(ds, ["NDVI"], custom={"RATIO": "N / R"}, sensor=allbands,
                            backend=backend)
    for nodata, row, cols in ((-9999.0, 4, 5), (0.1, 5, 3)):
        out = compute_indices(ds, ["NDVI"], custom={"RATIO": "N / R"}, sensor=allbands,
                              backend=backend, nodata=nodata)
        for name in ("NDVI", "RATIO"):
            got, base = out[name].values, plain[name].values
            assert np.isnan(got[row, :cols]).all(), (name, nodata)
            if name == "RATIO" or nodata != -9999.0:  # NDVI of -9999 lies outside -1..1:
                assert np.isfinite(base[row, :cols]).all(), (name, nodata)  # no data too
            rest = np.ones(got.shape, bool)
            rest[row, :cols] = False
            np.testing.assert_array_equal(got[rest], base[rest])
        assert json.loads(out["NDVI"].attrs["provenance"])["nodata"] == nodata


def test_nodata_on_integer_bands(allbands) -> None:
    dn = {"N": np.array([[0, 200, 255]], np.uint8), "R": np.array([[10, 100, 20]], np.uint16)}
    for backend in ("reference", "numba"):
        out = compute_indices(_dataset(dn), [], custom={"ND": CUSTOM["ND"]}, sensor=allbands,
                              backend=backend, nodata=255,
                              allow_out_of_range=True)["ND"].values  # DN, on purpose
        assert np.isnan(out[0, 2]) and out[0, 0] == -1.0
