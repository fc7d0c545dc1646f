"""The fused cupy kernel: same numbers as the reference, GPU chunks stay on the GPU.

Skips cleanly without cupy or a CUDA device. The kernel source itself is checked on every
machine (it is generated from the same trees as the CPU kernel).
"""

from __future__ import annotations

import numpy as np
import pytest
from _index_inputs import (
    HUNDRED,
    HUNDRED_DIGESTS,
    SPECIAL_FORMULAS,
    all_bands_sensor,
    band_arrays,
    hundred_inputs,
    special_bands,
)

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


_C_SHIM = r"""
#include <math.h>
#include <string.h>
static inline double __longlong_as_double(unsigned long long x) {
    double d; memcpy(&d, &x, 8); return d;
}
static inline float __int_as_float(int x) { float f; memcpy(&f, &x, 4); return f; }
#define __device__
#define __forceinline__ inline
"""


def test_generated_cuda_kernel_body_compiles_and_agrees_on_the_cpu(tmp_path) -> None:
    """The exact CUDA operation text, compiled by a real C compiler (no fast-math) around a
    loop, gives the reference's numbers: a CPU check of the GPU kernel's source."""
    import ctypes
    import shutil
    import subprocess

    from prospect.indices.blocks import compute_arrays
    from prospect.indices.cupy_backend import _PREAMBLE

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    from prospect.indices.codegen import nodata_literals

    plan = plan_indices(NAMES, custom=CUSTOM, sensor=all_bands_sensor())
    literals = nodata_literals(-9999.0, [np.float32] * len(plan.inputs))
    _, _, op = kernel_operation(plan.exprs, plan.inputs, literals)
    n_in, n_out = len(plan.inputs), len(plan.indices)
    args = ", ".join([f"const float* in{i}" for i in range(n_in)]
                     + [f"float* out{k}" for k in range(n_out)])
    loads = " ".join(f"float b{i} = in{i}[p];" for i in range(n_in))
    decls = " ".join(f"float o{k};" for k in range(n_out))
    stores = " ".join(f"out{k}[p] = o{k};" for k in range(n_out))
    source = (_C_SHIM + _PREAMBLE + f"\nvoid run(long n, {args}) {{\n"
              f"  for (long p = 0; p < n; p++) {{ {loads} {decls}\n{op}\n {stores} }}\n}}\n")
    (tmp_path / "k.c").write_text(source)
    lib = tmp_path / "k.so"
    subprocess.run([compiler, "-O2", "-fno-fast-math", "-shared", "-fPIC", "-o", str(lib),
                    str(tmp_path / "k.c"), "-lm"], check=True, capture_output=True)
    bands = band_arrays((37, 41), seed=9)
    bands["N"][0, :4] = np.nan
    bands["R"][1, :4] = 0.0
    bands["N"][1, :2] = 0.0
    bands["G"][2, :3] = -9999.0  # nodata
    inputs = [np.ascontiguousarray(bands[v].ravel()) for v in plan.inputs]
    outputs = [np.empty(inputs[0].size, np.float32) for _ in range(n_out)]
    ptr = ctypes.POINTER(ctypes.c_float)
    fn = ctypes.CDLL(str(lib)).run
    fn(ctypes.c_long(inputs[0].size),
       *[a.ctypes.data_as(ptr) for a in inputs], *[o.ctypes.data_as(ptr) for o in outputs])
    ref = compute_arrays(plan, [bands[v] for v in plan.inputs], "reference", nodata=-9999.0)
    assert np.isnan(ref[plan.names.index("FERROUS_IRON"), 2, :3]).all()
    for k, item in enumerate(plan.indices):
        got = outputs[k].reshape(ref[k].shape)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref[k]), err_msg=item.name)
        np.testing.assert_allclose(got, ref[k], rtol=1e-6, err_msg=item.name)


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


def _host(array) -> np.ndarray:
    import cupy

    return cupy.asnumpy(array) if isinstance(array, cupy.ndarray) else np.asarray(array)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("chunked", [False, True])
def test_cupy_kernel_keeps_the_ieee_rules_on_special_values(chunked: bool, allbands) -> None:
    """NaN, 0/0, x/0, negative radicands and powers: as the reference, on the GPU."""
    import cupy
    import xarray as xr

    bands = special_bands((61, 47))
    ds = xr.Dataset({k: (("y", "x"), v) for k, v in bands.items()})
    ref = compute_indices(ds, [], custom=SPECIAL_FORMULAS, sensor=allbands, backend="reference")
    gds = ds.copy(data={k: cupy.asarray(v.values) for k, v in ds.data_vars.items()})
    if chunked:
        gds = gds.chunk({"y": 17, "x": 23})
    got = compute_indices(gds, [], custom=SPECIAL_FORMULAS, sensor=allbands, backend="cupy")
    for name in SPECIAL_FORMULAS:
        g = _host(got[name].data.compute() if chunked else got[name].data)
        assert g.dtype == np.float32
        np.testing.assert_array_equal(np.isnan(g), np.isnan(ref[name].values), err_msg=name)
        np.testing.assert_allclose(g, ref[name].values, rtol=1e-6, err_msg=name)


@pytest.mark.gpu
@gpu
def test_every_catalogue_index_on_the_cupy_kernel_matches_the_reference() -> None:
    """The whole catalogue in one call: several fused launches (more than MAX_FUSED
    indices), each index as the reference computes it; other group sizes give the same
    bits (an index's value does not depend on the indices launched beside it)."""
    import cupy
    import xarray as xr

    from prospect.indices import load_catalogue
    from prospect.indices.cupy_backend import MAX_FUSED, compute_cupy

    sensor = all_bands_sensor()
    names = []
    for name in sorted(load_catalogue()):
        try:
            plan_indices([name], sensor=sensor, constants={"PAR": 1.7})
        except Exception:
            continue
        names.append(name)
    assert len(names) > 3 * MAX_FUSED
    bands = band_arrays((41, 37), seed=11)
    bands["N"][0, :5] = np.nan
    ds = xr.Dataset({k: (("y", "x"), v) for k, v in bands.items()})
    ref = compute_indices(ds, names, sensor=sensor, constants={"PAR": 1.7},
                          backend="reference")
    gds = ds.copy(data={k: cupy.asarray(v.values) for k, v in ds.data_vars.items()})
    got = compute_indices(gds, names, sensor=sensor, constants={"PAR": 1.7}, backend="cupy")
    for name in names:
        g = _host(got[name].data)
        r = ref[name].values
        np.testing.assert_array_equal(np.isnan(g), np.isnan(r), err_msg=name)
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-30, err_msg=name)
    plan = plan_indices(names, sensor=sensor, constants={"PAR": 1.7})
    dev = [cupy.asarray(bands[v]) for v in plan.inputs]
    grouped = cupy.asnumpy(compute_cupy(plan.exprs, plan.inputs, dev))
    smaller = cupy.asnumpy(compute_cupy(plan.exprs, plan.inputs, dev, max_fused=24))
    np.testing.assert_array_equal(grouped.view(np.uint32), smaller.view(np.uint32))


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize(("case", "dtype", "nodata"), [
    ("float32", np.float32, None), ("uint16-nodata0", np.uint16, 0.0)])
def test_hundred_indices_on_the_gpu_give_the_cpu_kernels_bytes(case: str, dtype: type,
                                                               nodata: float | None) -> None:
    """The benchmark's 100 indices over zeros, -0, negatives, NaN, infinities, subnormals,
    huge values and uint16 counts with a no-data value: the GPU writes the bytes the CPU
    kernel writes (pinned by SHA-256 in test_kernel_bytes.py)."""
    import hashlib

    import cupy

    from prospect.indices.cupy_backend import compute_cupy
    from prospect.indices.formula import variables

    plan = plan_indices(HUNDRED, sensor="sentinel2")
    arrays = hundred_inputs(len(plan.inputs), dtype)
    got = cupy.asnumpy(compute_cupy(plan.exprs, plan.inputs, arrays, nodata=nodata))
    if hashlib.sha256(got.tobytes()).hexdigest() == HUNDRED_DIGESTS[case]:
        return
    from prospect.indices.numba_backend import compute_numba

    cpu = compute_numba(plan.exprs, plan.inputs, arrays, nodata=nodata)
    differ = (got.view(np.uint32) != cpu.view(np.uint32)) & ~(np.isnan(got) & np.isnan(cpu))
    worst = sorted(((int(differ[k].sum()), plan.names[k]) for k in range(len(plan.names))),
                   reverse=True)[:8]
    ulps = np.abs(got.view(np.int32).astype(np.int64) - cpu.view(np.int32).astype(np.int64))
    examples = []
    for k, *pixel in zip(*np.nonzero(differ), strict=True):
        if len(examples) == 4:
            break
        bands = {v: float(arrays[i][tuple(pixel)]) for i, v in enumerate(plan.inputs)
                 if v in variables(plan.exprs[k])}
        examples.append(f"{plan.names[k]} {bands}: gpu {got[(k, *pixel)]!r} "
                        f"cpu {cpu[(k, *pixel)]!r}")
    pytest.fail(f"{int(differ.sum())} of {differ.size} values differ from the CPU kernel's "
                f"(max {int(ulps[differ].max()) if differ.any() else 0} ulp); by index: {worst}; "
                f"e.g. {examples}")


def _cuda_ptx(tmp_path, custom: dict[str, str], names: list[str]) -> str:
    """The PTX of the generated kernel for float32 bands, as cupy would build it (its
    COMPILE_OPTIONS, then the -ftz=true cupy appends), by nvcc; skips without nvcc."""
    import shutil
    import subprocess

    from prospect.indices.codegen import nodata_literals
    from prospect.indices.cupy_backend import _PREAMBLE, COMPILE_OPTIONS

    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("no nvcc")
    plan = plan_indices(names, custom=custom, sensor=all_bands_sensor())
    n_in = len(plan.inputs)
    _, _, op = kernel_operation(plan.exprs, plan.inputs,
                                nodata_literals(-9999.0, [np.float32] * n_in), ["float32"] * n_in)
    args = ", ".join([f"const float* _b{i}" for i in range(n_in)]
                     + [f"float* _o{k}" for k in range(len(plan.exprs))])
    loads = " ".join(f"const float b{i} = _b{i}[i];" for i in range(n_in))
    refs = " ".join(f"float& o{k} = _o{k}[i];" for k in range(len(plan.exprs)))
    (tmp_path / "k.cu").write_text(
        _PREAMBLE + f'\nextern "C" __global__ void k({args}, long n) {{\n'
        "long i = blockIdx.x * (long)blockDim.x + threadIdx.x; if (i >= n) return;\n"
        f"{loads} {refs}\n{op}\n}}\n")
    options = [o.replace("--", "-", 1) for o in COMPILE_OPTIONS]
    subprocess.run([nvcc, "-arch=sm_90", *options, "-ftz=true", "-ptx", str(tmp_path / "k.cu"),
                    "-o", str(tmp_path / "k.ptx")], check=True, capture_output=True)
    return (tmp_path / "k.ptx").read_text()


def test_generated_cuda_kernel_keeps_subnormals_under_cupys_ftz(tmp_path) -> None:
    """cupy compiles every kernel with -ftz=true; the kernel's float32 steps (reading a
    float32 band, rounding to float32, the root division) must still be the PTX
    instructions without ``.ftz`` (nvcc where installed: the PTX is checked, nothing runs)."""
    import re

    ptx = _cuda_ptx(tmp_path, CUSTOM, NAMES)
    assert re.search(r"\bcvt\.f64\.f32\b", ptx) and re.search(r"\bcvt\.rn\.f32\.f64\b", ptx)
    assert re.search(r"\bdiv\.rn\.f32\b", ptx)
    assert not re.search(r"\b(cvt|div)\.[a-z0-9.]*ftz[a-z0-9.]*f32", ptx), "a flushing step"
    assert not re.search(r"\bdiv\.(approx|full)\.", ptx)


def test_generated_cuda_kernel_fuses_no_multiply_add(tmp_path) -> None:
    """``N - 0.1 * R`` rounds twice on the CPU and in numpy: the GPU must not contract it
    into one fused multiply-add (nvcc's default)."""
    ptx = _cuda_ptx(tmp_path, {"C": "N - 0.1 * R", "D": "(N * R + G) / (N + R)"}, [])
    assert "fma." not in ptx
    assert "mul.rn.f64" in ptx or "mul.f64" in ptx
