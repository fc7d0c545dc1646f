"""Plausible inputs to indices: range checks, CF range attributes, per-index constants."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from prospect.config.indices import IndicesConfig
from prospect.errors import ConfigError, DataError
from prospect.indices import compute_indices

S2 = {"R": "B04", "N": "B08", "B": "B02"}


def _cube(scale: float = 1.0, *, chunked: bool = False) -> xr.Dataset:
    rng = np.random.default_rng(3)
    red = rng.uniform(0.02, 0.15, (60, 50)).astype(np.float32)
    nir = rng.uniform(0.2, 0.5, (60, 50)).astype(np.float32)
    blue = rng.uniform(0.01, 0.1, (60, 50)).astype(np.float32)
    bands = {"B04": red * scale, "B08": nir * scale, "B02": blue * scale}
    wrap = (lambda a: da.from_array(a, chunks=(20, 25))) if chunked else (lambda a: a)
    return xr.Dataset({k: (("y", "x"), wrap(v)) for k, v in bands.items()},
                      attrs={"synthetic": True})


@pytest.mark.parametrize("chunked", [False, True])
def test_digital_numbers_are_refused_naming_band_and_fix(chunked: bool) -> None:
    cube = _cube(10000.0, chunked=chunked)
    with pytest.raises(DataError, match=r"band 'B08' \(N\) has a median of \d+.* outside "
                                        r"-0\.5\.\.1\.5 .*needed by NDVI.*'metadata:'.*"
                                        r"indices\.allow_out_of_range: true"):
        compute_indices(cube, ["NDVI"], sensor="sentinel2")
    out = compute_indices(cube, ["NDVI"], sensor="sentinel2", allow_out_of_range=True)
    assert np.isfinite(out["NDVI"].values).all()


def test_percent_reflectance_is_refused_but_reflectance_passes() -> None:
    with pytest.raises(DataError, match="B08"):
        compute_indices(_cube(100.0), ["NDVI"], sensor="sentinel2")
    compute_indices(_cube(), ["NDVI"], sensor="sentinel2")  # no error
    assert IndicesConfig.model_validate({"names": ["NDVI"],
                                         "allow_out_of_range": True}).allow_out_of_range


def test_valid_range_is_a_cf_numeric_pair() -> None:
    out = compute_indices(_cube(), ["NDVI", "IRON_OXIDE"], sensor="sentinel2")
    assert out["NDVI"].attrs["valid_range"] == [-1.0, 1.0]
    assert "valid_range" not in out["IRON_OXIDE"].attrs  # a ratio: only the lower bound
    assert out["IRON_OXIDE"].attrs["valid_min"] == 0.0


def test_constants_per_index_leave_other_indices_alone() -> None:
    cube = _cube()
    red, nir, blue = (cube[v].values.astype(np.float64) for v in ("B04", "B08", "B02"))
    out = compute_indices(cube, ["SAVI", "EVI"], sensor="sentinel2",
                          constants={"SAVI": {"L": 0.5}}, backend="reference")
    np.testing.assert_allclose(out["SAVI"].values, 1.5 * (nir - red) / (nir + red + 0.5),
                               rtol=1e-5)
    evi = 2.5 * (nir - red) / (nir + 6.0 * red - 7.5 * blue + 1.0)  # EVI keeps L = 1
    np.testing.assert_allclose(out["EVI"].values, evi, rtol=1e-4)
    glob = compute_indices(cube, ["EVI"], sensor="sentinel2", constants={"L": 0.5},
                           backend="reference")
    assert not np.allclose(glob["EVI"].values, out["EVI"].values)
    with pytest.raises(ConfigError,
                       match="constants for index 'NDWI', which this job does not compute"):
        compute_indices(cube, ["SAVI"], sensor="sentinel2", constants={"NDWI": {"L": 0.5}})
    cfg = IndicesConfig.model_validate({"names": ["SAVI", "EVI", "kNDVI"],
                                        "constants": {"SAVI": {"L": 0.5}, "g": 2.5,
                                                      "kNDVI": {"sigma": "data"}}})
    assert cfg.constants["SAVI"] == {"L": 0.5}


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_kndvi_sigma_from_the_data(backend: str) -> None:
    cube = _cube()
    red, nir = (cube[v].values.astype(np.float64) for v in ("B04", "B08"))
    out = compute_indices(cube, ["kNDVI"], sensor="sentinel2",
                          constants={"kNDVI": {"sigma": "data"}}, backend=backend)
    ndvi = (nir - red) / (nir + red)
    # Camps-Valls et al. (2021): with sigma = 0.5 (N + R), kNDVI = tanh(NDVI^2)
    np.testing.assert_allclose(out["kNDVI"].values, np.tanh(ndvi**2), rtol=1e-4, atol=1e-6)
    fixed = compute_indices(cube, ["kNDVI"], sensor="sentinel2", backend=backend)
    assert not np.allclose(fixed["kNDVI"].values, out["kNDVI"].values)
    with pytest.raises(ConfigError, match="only 'sigma: data' is text"):
        compute_indices(cube, ["SAVI"], sensor="sentinel2", constants={"L": "data"})


@pytest.mark.parametrize("shape,chunks", [((1000, 700), (512, 300)),
                                          ((3, 999, 1001), (1, 250, 333)),
                                          ((600, 600), (600, 600))])
def test_reflectance_sample_of_a_dask_array_is_the_strided_slice(shape, chunks) -> None:
    from prospect.indices.ranges import _sample

    data = np.random.default_rng(0).random(shape).astype(np.float32)
    lazy = da.from_array(data, chunks=chunks)
    sample = _sample(lazy)
    step = int(np.ceil(np.sqrt(data.size / 250_000)))
    assert step > 1
    np.testing.assert_array_equal(sample.compute(), data[..., ::step, ::step])
    # one task per block: the stride is taken where the block is read
    assert len(sample.__dask_graph__().layers) == 2
