"""The fused cupy kernel: same numbers as the reference, GPU chunks stay on the GPU.

Skips cleanly without cupy or a CUDA device. The kernel source itself is checked on every
machine (it is generated from the same trees as the CPU kernel).
"""

from __future__ import annotations

import numpy as np
import pytest
from _index_inputs import all_bands_sensor, band_arrays

from prospect.indices import compute_indices, plan_indices
from prospect.indices.cupy_backend import cupy_available, kernel_operation

NAMES = ["NDVI", "EVI", "kNDVI", "CLAY_HYDROXYL", "FERROUS_IRON", "IRON_OXIDE", "QUARTZ_QI"]
CUSTOM = {"ND": "(N - R) / (N + R)", "ROOT": "sqrt(N - R)", "MM": "minimum(N, R) ** 1.5",
          "LOGS": "log(R) + log10(G) + exp(N) + abs(R - N)"}


def test_generated_cuda_source_is_built_from_the_tree_only() -> None:
    plan = plan_indices(NAMES, custom=CUSTOM, sensor=all_bands_sensor())
    in_params, out_params, op = kernel_operation(plan.exprs, plan.inputs)
    assert in_params.count(",") == len(plan.inputs) - 1
    assert out_params.count("float32") == len(plan.indices)
    assert op.count("isfinite(") == len(plan.indices)
    for token in ("import", "eval", ";;", "__"):
        assert token not in op
    assert "pow(" in op and "_pmin(" in op and "sqrt(" in op


gpu = pytest.mark.skipif(not cupy_available(), reason="needs cupy and a CUDA device")


@pytest.mark.gpu
@gpu
def test_cupy_kernel_matches_reference_including_nan_and_zero_division() -> None:
    import cupy
    import xarray as xr

    bands = band_arrays((203, 157), seed=7)
    bands["N"][0, :5] = np.nan
    bands["R"][1, :5] = 0.0
    bands["N"][1, :3] = 0.0
    ds = xr.Dataset({k: (("y", "x"), v) for k, v in bands.items()})
    ref = compute_indices(ds, NAMES, custom=CUSTOM, sensor=all_bands_sensor(),
                          backend="reference")
    gds = ds.copy(data={k: cupy.asarray(v.values) for k, v in ds.data_vars.items()})
    got = compute_indices(gds, NAMES, custom=CUSTOM, sensor=all_bands_sensor())
    for name in ref.data_vars:
        assert isinstance(got[name].data, cupy.ndarray)
        assert '"backend": "cupy"' in got[name].attrs["provenance"]
        g = cupy.asnumpy(got[name].data)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(ref[name].values), err_msg=name)
        np.testing.assert_allclose(g, ref[name].values, rtol=1e-6, err_msg=name)


@pytest.mark.gpu
@gpu
def test_dask_cupy_chunks_stay_on_the_gpu_and_numpy_chunks_can_use_it() -> None:
    import cupy
    import dask.array as da
    import xarray as xr

    bands = band_arrays((128, 96), seed=8)
    ds = xr.Dataset({k: (("y", "x"), da.from_array(cupy.asarray(v), chunks=32,
                                                  asarray=False))
                     for k, v in bands.items()})
    out = compute_indices(ds, ["NDVI", "CLAY_HYDROXYL"], sensor=all_bands_sensor())
    assert isinstance(out["NDVI"].data._meta, cupy.ndarray)
    block = out["NDVI"].data.blocks[0, 0].compute()
    assert isinstance(block, cupy.ndarray)
    host = xr.Dataset({k: (("y", "x"), v) for k, v in bands.items()}).chunk(32)
    via_gpu = compute_indices(host, ["NDVI"], sensor=all_bands_sensor(), backend="cupy")
    assert isinstance(via_gpu["NDVI"].data._meta, np.ndarray)
    ref = compute_indices(host, ["NDVI"], sensor=all_bands_sensor(), backend="reference")
    np.testing.assert_allclose(via_gpu["NDVI"].values, ref["NDVI"].values, rtol=1e-6)
    np.testing.assert_allclose(cupy.asnumpy(out["NDVI"].data.compute()),
                               ref["NDVI"].values, rtol=1e-6)
