"""Benchmark: Prospect's fused index kernel vs spyndex and plain numpy, and the bandwidth bound.

One process, identical float32 arrays (a SYNTHETIC Sentinel-2-like scene of uniform random
reflectances), every method warmed up once, then alternating runs and medians:

* ``prospect``: the fused numba CPU kernel (``prange`` over rows), all indices in one pass,
  writing into a preallocated float32 buffer (``prospect_alloc``: the same, allocating its
  output each call, as ``compute_indices`` does);
* ``spyndex``: ``spyndex.computeIndex(names, params)`` (its own Python ``eval`` per index);
* ``numpy``: each formula evaluated with numpy operators on the float32 arrays;
* ``copy``: a plain parallel copy (numba ``prange``) of a large array, giving the machine's
  copy bandwidth in this run; the bandwidth bound of a method is (bytes of bands read +
  bytes of indices written) / that bandwidth.

With 100 indices the scene is processed in row strips (same strips for every method) so that
no method holds 100 full-scene outputs at once. On a machine with cupy and a CUDA device,
``--gpu`` adds the fused cupy kernel and the device's copy bandwidth (``cupy.copyto`` of a
device array); ``--gpu-only`` times the GPU alone (10 and 100 indices on a larger scene
made on the device, default 8192 x 8192; also in launches of 8, 16 and 64 indices beside
the default ``MAX_FUSED``), for a device's short lease.

Last line: ``RESULT indices speedup_vs_spyndex=<x> over_bandwidth_bound=<time/bound>``
(10-index figures).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from prospect.indices import list_indices, load_sensor, plan_indices
from prospect.indices.catalogue import is_kernel_term
from prospect.indices.formula import variables
from prospect.indices.reference import evaluate_many

TEN = ["NDVI", "EVI", "SAVI", "GNDVI", "NDWI", "MNDWI", "NBR", "NBR2", "NDBI", "DBSI"]


@numba.njit(parallel=True, nogil=True)
def _parallel_copy(src: np.ndarray, dst: np.ndarray) -> None:  # pragma: no cover - timed
    for i in numba.prange(src.shape[0]):
        dst[i] = src[i]


def hundred() -> list[str]:
    """100 Awesome Spectral Indices computable on Sentinel-2 without extra inputs."""
    usable = [e.name for e in list_indices(sensor="sentinel2",
                                           source="awesome-spectral-indices")
              if "PAR" not in e.constants
              and not any(is_kernel_term(v) or v.startswith("lambda")
                          for v in variables(e.expr))]
    usable = sorted(set(usable) - set(TEN))
    step = len(usable) / 90
    return TEN + [usable[int(i * step)] for i in range(90)]


def scene(n: int, variables: list[str], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v: rng.uniform(0.01, 0.6, (n, n)).astype(np.float32) for v in variables}


def spyndex_params(names: list[str], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    import spyndex

    sensor = load_sensor("sentinel2")
    params: dict[str, Any] = {k: c.default for k, c in spyndex.constants.items()
                              if c.default is not None}
    for common, band in sensor.bands.items():
        if band.variable in arrays:
            params[common] = arrays[band.variable]
        if band.wavelength_nm is not None:
            params[f"lambda{common}"] = band.wavelength_nm
    return params


def median_times(methods: dict[str, Callable[..., Any]], repeats: int) -> dict[str, float]:
    """Warm each method once, then ``repeats`` rounds alternating between them; medians.

    The warm-up call gets ``warm=True``: strip-wise methods then run the first strip only
    (enough to import, compile and fault in their code paths).
    """
    times: dict[str, list[float]] = {k: [] for k in methods}
    for fn in methods.values():
        fn(warm=True)
    for _ in range(repeats):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def run_case(names: list[str], n: int, repeats: int, strip: int | None,
             copy_src: np.ndarray, copy_dst: np.ndarray, gpu: bool) -> dict[str, float]:
    import spyndex

    from prospect.indices.numba_backend import _empty_aligned, compute_numba

    plan = plan_indices(names, sensor="sentinel2")
    arrays = scene(n, list(plan.inputs))
    ordered = [arrays[v] for v in plan.inputs]
    rows = strip or n
    strips = [slice(r, min(r + rows, n)) for r in range(0, n, rows)]
    # the output buffer starts on a 64-byte line, as compute_numba's own allocation does
    buf = _empty_aligned((len(names), rows, n))
    params = [spyndex_params(names, {k: v[s] for k, v in arrays.items()}) for s in strips]

    def prospect(warm: bool = False) -> None:
        for s in strips[:1] if warm else strips:
            compute_numba(plan.exprs, plan.inputs, [a[s] for a in ordered],
                          out=buf[:, : s.stop - s.start])

    def prospect_alloc(warm: bool = False) -> None:
        for s in strips[:1] if warm else strips:
            compute_numba(plan.exprs, plan.inputs, [a[s] for a in ordered])

    def spy(warm: bool = False) -> None:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for p in params[:1] if warm else params:
                spyndex.computeIndex(names, params=p)

    def plain_numpy(warm: bool = False) -> None:
        for s in strips[:1] if warm else strips:
            evaluate_many(plan.exprs, {k: v[s] for k, v in zip(plan.inputs, ordered,
                                                                 strict=True)},
                          xp=np, compute_dtype=None)

    def copy(warm: bool = False) -> None:
        _parallel_copy(copy_src, copy_dst)

    methods: dict[str, Callable[..., Any]] = {
        "prospect": prospect, "prospect_alloc": prospect_alloc, "spyndex": spy,
        "numpy": plain_numpy, "copy": copy,
    }
    if gpu:
        methods.update(_gpu_methods(plan, ordered, copy_src.nbytes))
    t = median_times(methods, repeats)
    bandwidth = 2 * copy_src.nbytes / t["copy"]
    moved = (len(plan.inputs) + len(names)) * n * n * 4
    t["bandwidth_gbs"] = bandwidth / 1e9
    t["bound"] = moved / bandwidth
    t["n_inputs"] = len(plan.inputs)
    if gpu:
        gbw = 2 * copy_src.nbytes / t["gpu_copy"]
        t["gpu_bandwidth_gbs"] = gbw / 1e9
        t["gpu_bound"] = moved / gbw
    return t


def _gpu_methods(plan: Any, ordered: list[np.ndarray], copy_bytes: int
                 ) -> dict[str, Callable[..., Any]]:
    import cupy

    from prospect.indices.cupy_backend import compute_cupy

    dev = [cupy.asarray(a) for a in ordered]
    src = cupy.ones(copy_bytes // 4, dtype=cupy.float32)
    dst = cupy.empty_like(src)

    def gpu_fused(warm: bool = False) -> None:
        compute_cupy(plan.exprs, plan.inputs, dev)
        cupy.cuda.Device().synchronize()

    def gpu_copy(warm: bool = False) -> None:
        cupy.copyto(dst, src)
        cupy.cuda.Device().synchronize()

    return {"gpu_fused": gpu_fused, "gpu_copy": gpu_copy}


def run_gpu_case(plan: Any, n: int, repeats: int) -> dict[str, float]:
    """The fused cupy kernel alone on an ``n`` x ``n`` scene made on the device."""
    import cupy

    from prospect.indices.cupy_backend import MAX_FUSED, compute_cupy

    cupy.random.seed(0)
    dev = [cupy.random.uniform(0.01, 0.6, (n, n), dtype=cupy.float32) for _ in plan.inputs]
    src = cupy.ones(4 * n * n, dtype=cupy.float32)  # 4 bands' worth, as on the CPU
    dst = cupy.empty_like(src)

    def timed(fn: Callable[[], Any]) -> float:
        fn()
        cupy.cuda.Device().synchronize()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            cupy.cuda.Device().synchronize()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    t: dict[str, float] = {}
    t["gpu_copy"] = timed(lambda: cupy.copyto(dst, src))
    t["gpu_fused"] = timed(lambda: compute_cupy(plan.exprs, plan.inputs, dev))
    n_exprs = len(plan.exprs)
    for size in (8, 16, 64):  # launches of other sizes: fewer registers or fewer band reads
        if -(-n_exprs // size) != -(-n_exprs // MAX_FUSED):
            try:
                t[f"gpu_fused_{size}"] = timed(functools.partial(
                    compute_cupy, plan.exprs, plan.inputs, dev, max_fused=size))
            except Exception as exc:  # a kernel over the device's parameter limit
                print(f"  launches of {size} indices failed: {type(exc).__name__}: {exc}")
    gbw = 2 * src.nbytes / t["gpu_copy"]
    t["gpu_bandwidth_gbs"] = gbw / 1e9
    t["gpu_bound"] = (len(plan.inputs) + len(plan.exprs)) * n * n * 4 / gbw
    t["n_inputs"] = len(plan.inputs)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2048 x 2048, fewer repeats")
    parser.add_argument("--size", type=int, default=None, help="scene edge (pixels)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--gpu", action="store_true", help="add the cupy kernel (needs CUDA)")
    parser.add_argument("--gpu-only", action="store_true",
                        help="only the cupy kernel and the device's copy (needs CUDA)")
    parser.add_argument("--skip-100", action="store_true", help="only the 10-index case")
    args = parser.parse_args()
    if args.gpu_only:
        return gpu_only(args)
    n = args.size or (2048 if args.quick else 4096)
    repeats = args.repeats or (3 if args.quick else 5)
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numba {numba.__version__} threads={numba.get_num_threads()}")
    print(f"# scene: SYNTHETIC {n} x {n} float32, Sentinel-2 band names; repeats={repeats}")
    copy_src = np.ones((4 * n, n), np.float32)  # 4 bands' worth: far beyond any cache
    copy_dst = np.empty_like(copy_src)
    results = {}
    cases = [("10", TEN, None)] + ([] if args.skip_100 else [("100", hundred(), 256)])
    for label, names, strip in cases:
        t = run_case(names, n, repeats if label == "10" else max(1, repeats - 2), strip,
                     copy_src, copy_dst, args.gpu)
        results[label] = t
        print(f"\n## {label} indices ({t['n_inputs']:.0f} bands in, {len(names)} out"
              + (f", row strips of {strip}" if strip else "") + ")")
        for key in ("prospect", "prospect_alloc", "spyndex", "numpy", "copy"):
            print(f"  {key:15s} {t[key] * 1e3:10.1f} ms")
        print(f"  copy bandwidth  {t['bandwidth_gbs']:10.2f} GB/s (read + write)")
        print(f"  bandwidth bound {t['bound'] * 1e3:10.1f} ms")
        print(f"  speedup vs spyndex  {t['spyndex'] / t['prospect']:7.1f}x "
              f"(allocating: {t['spyndex'] / t['prospect_alloc']:.1f}x)")
        print(f"  speedup vs numpy    {t['numpy'] / t['prospect']:7.1f}x")
        print(f"  time / bound        {t['prospect'] / t['bound']:7.2f}")
        if args.gpu:
            print(f"  gpu fused {t['gpu_fused'] * 1e3:.2f} ms, device copy "
                  f"{t['gpu_bandwidth_gbs']:.0f} GB/s, bound {t['gpu_bound'] * 1e3:.2f} ms, "
                  f"time / bound {t['gpu_fused'] / t['gpu_bound']:.2f}")
    ten = results["10"]
    extra = ""
    if "100" in results:
        h = results["100"]
        extra = (f" speedup_vs_spyndex_100={h['spyndex'] / h['prospect']:.1f}"
                 f" over_bandwidth_bound_100={h['prospect'] / h['bound']:.2f}")
    if args.gpu:
        extra += f" gpu_over_bandwidth_bound={ten['gpu_fused'] / ten['gpu_bound']:.2f}"
        if "100" in results:
            h = results["100"]
            extra += f" gpu_over_bandwidth_bound_100={h['gpu_fused'] / h['gpu_bound']:.2f}"
    print(f"RESULT indices speedup_vs_spyndex={ten['spyndex'] / ten['prospect']:.1f} "
          f"over_bandwidth_bound={ten['prospect'] / ten['bound']:.2f}"
          f" speedup_vs_numpy={ten['numpy'] / ten['prospect']:.1f} size={n}{extra}")


def gpu_only(args: argparse.Namespace) -> None:
    """``--gpu-only``: the fused cupy kernel against the device's own copy bandwidth."""
    import cupy

    n = args.size or 8192
    repeats = args.repeats or 20
    props = cupy.cuda.runtime.getDeviceProperties(0)
    print(f"# device: {props['name'].decode()}, cupy {cupy.__version__}, "
          f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}")
    print(f"# scene: SYNTHETIC {n} x {n} float32 made on the device; repeats={repeats}")
    results = {}
    for label, names in [("10", TEN)] + ([] if args.skip_100 else [("100", hundred())]):
        plan = plan_indices(names, sensor="sentinel2")
        try:
            t = run_gpu_case(plan, n, repeats)
        except Exception as exc:  # report it and go on to the next case
            print(f"\n## {label} indices: failed: {type(exc).__name__}: {exc}")
            continue
        results[label] = t
        print(f"\n## {label} indices ({t['n_inputs']:.0f} bands in, {len(names)} out)")
        print(f"  device copy     {t['gpu_bandwidth_gbs']:10.0f} GB/s (read + write)")
        print(f"  bandwidth bound {t['gpu_bound'] * 1e3:10.2f} ms")
        print(f"  fused           {t['gpu_fused'] * 1e3:10.2f} ms  time / bound "
              f"{t['gpu_fused'] / t['gpu_bound']:.2f}")
        for key in sorted(k for k in t if k.startswith("gpu_fused_")):
            print(f"  launches of {key.rsplit('_', 1)[1]:>3s} {t[key] * 1e3:9.2f} ms  time / bound "
                  f"{t[key] / t['gpu_bound']:.2f}")
    if "10" not in results:
        raise SystemExit("the 10-index case failed: no RESULT")
    line = (f"RESULT indices_gpu gpu_over_bandwidth_bound="
            f"{results['10']['gpu_fused'] / results['10']['gpu_bound']:.2f}")
    if "100" in results:
        h = results["100"]
        line += f" gpu_over_bandwidth_bound_100={h['gpu_fused'] / h['gpu_bound']:.2f}"
        for key in sorted(k for k in h if k.startswith("gpu_fused_")):
            line += f" {key.replace('gpu_fused', 'launches')}={h[key] / h['gpu_bound']:.2f}"
    print(f"{line} device_copy_gbs={results['10']['gpu_bandwidth_gbs']:.0f} size={n}")


if __name__ == "__main__":
    main()
