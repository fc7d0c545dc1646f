"""Fused GPU backend: one cupy ``ElementwiseKernel``, generated from the trees, for all indices.

Each thread reads a pixel's bands once, promotes them to double, computes every index and
writes the float32 results: one pass over device memory for any number of indices. IEEE
semantics as on the CPU (division by zero gives +-inf or NaN, NaN propagates; non-finite
results are stored as NaN; subnormals kept, no fused multiply-adds: :data:`COMPILE_OPTIONS`),
so the GPU writes the CPU kernel's bytes. cupy caches the compiled kernel on disk by its source;
compiled kernel objects are also kept per process. cupy is optional (``pip install
prospect[gpu]``); nothing here is imported until a GPU backend is asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

from prospect.indices.codegen import c_index, local_names, nodata_literals
from prospect.indices.formula import Expr, variables

__all__ = ["compute_cupy", "cupy_available", "kernel_operation"]

_PREAMBLE = r"""
#ifdef __CUDA_ARCH__
/* cupy compiles every kernel with -ftz=true (cupy/cuda/compiler.py), which flushes float32
   subnormals in conversions and divisions; these PTX instructions keep them, as the CPU does */
__device__ __forceinline__ double _f2d(float x) {
    double r; asm("cvt.f64.f32 %0, %1;" : "=d"(r) : "f"(x)); return r;
}
__device__ __forceinline__ float _d2f(double x) {
    float r; asm("cvt.rn.f32.f64 %0, %1;" : "=f"(r) : "d"(x)); return r;
}
__device__ __forceinline__ float _fdiv(float a, float b) {
    float r; asm("div.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b)); return r;
}
#else
static inline double _f2d(float x) { return (double)x; }
static inline float _d2f(double x) { return (float)x; }
static inline float _fdiv(float a, float b) { return a / b; }
#endif
#define _NAN __longlong_as_double(0x7ff8000000000000ULL)
#define _INF __longlong_as_double(0x7ff0000000000000ULL)
#define _NANF __int_as_float(0x7fc00000)
__device__ __forceinline__ double _p2(double x) { return x * x; }
__device__ __forceinline__ double _p3(double x) { return x * x * x; }
__device__ __forceinline__ double _p4(double x) { double y = x * x; return y * y; }
__device__ __forceinline__ double _pmin(double a, double b) {
    return (a != a || b != b) ? _NAN : (a < b ? a : b);
}
__device__ __forceinline__ double _pmax(double a, double b) {
    return (a != a || b != b) ? _NAN : (a > b ? a : b);
}
"""

COMPILE_OPTIONS = ("--prec-div=true", "--prec-sqrt=true", "--fmad=false")
"""IEEE arithmetic as on the CPU: divisions and square roots correctly rounded, and no fused
multiply-adds (``v3 - 0.1 * v0`` contracted to one FMA rounds once where the CPU kernel and
numpy round twice: another float32 in 13 of 28 million values of the benchmark's 100 indices
on an H200). cupy adds ``-ftz=true`` after these whatever they say, so the float32 steps
(reading a float32 band, rounding to float32, the root division) are PTX instructions
without ``.ftz`` in :data:`_PREAMBLE`: a flushed subnormal made NDVI of two 1e-40 bands NaN
where the CPU gives 0 (56 thousand of 28 million values on the H200)."""

MAX_FUSED = 32
"""Indices per generated kernel: keeps the kernel's parameters (one array per input and
output) well under CUDA's 4 KiB limit and its registers in check."""

_LOCK = threading.Lock()
_KERNELS: dict[str, Any] = {}


def cupy_available() -> bool:
    """True when cupy imports and sees at least one CUDA device."""
    try:
        import cupy

        return bool(cupy.cuda.runtime.getDeviceCount() > 0)
    except Exception:
        return False


def kernel_operation(exprs: Sequence[Expr], inputs: Sequence[str],
                     nodata: Sequence[str | None] | None = None,
                     dtypes: Sequence[str] | None = None) -> tuple[str, str, str]:
    """``(in_params, out_params, operation)`` of the ElementwiseKernel for ``exprs``.

    ``nodata`` gives, per input, a float literal that reads as NaN; ``dtypes``, per input,
    its numpy dtype name (default ``float32``): cupy takes a parameter's type as a dtype
    name or a one-letter placeholder, so each input is declared with its own dtype (and the
    kernel is built once per combination of them).
    """
    names = local_names(inputs)
    nodata = list(nodata) if nodata is not None else [None] * len(inputs)
    dtypes = list(dtypes) if dtypes is not None else ["float32"] * len(inputs)
    in_params = ", ".join(f"{dtypes[i]} b{i}" for i in range(len(inputs)))
    out_params = ", ".join(f"float32 o{k}" for k in range(len(exprs)))
    lines = []
    for i in range(len(inputs)):
        load = f"_f2d(b{i})" if dtypes[i] == "float32" else f"(double)b{i}"
        lines.append(f"double v{i} = {load};")
        if nodata[i] is not None:
            literal = str(nodata[i]).replace("(-math.inf)", "(-_INF)").replace("math.inf", "_INF")
            lines.append(f"if (v{i} == {literal}) v{i} = _NAN;")
    for k, expr in enumerate(exprs):
        lines.append(f"float t{k} = {c_index(expr, names)};")
        lines.append(f"o{k} = isfinite(t{k}) ? t{k} : _NANF;")
    return in_params, out_params, "\n".join(lines)


def _kernel(exprs: Sequence[Expr], inputs: Sequence[str],
            nodata: Sequence[str | None] | None = None,
            dtypes: Sequence[str] | None = None) -> Any:
    in_params, out_params, operation = kernel_operation(exprs, inputs, nodata, dtypes)
    digest = hashlib.sha256((in_params + out_params + operation).encode()).hexdigest()[:16]
    kern = _KERNELS.get(digest)
    if kern is None:
        import cupy

        with _LOCK:
            kern = _KERNELS.get(digest)
            if kern is None:
                kern = cupy.ElementwiseKernel(in_params, out_params, operation,
                                              name=f"prospect_indices_{digest}",
                                              preamble=_PREAMBLE, options=COMPILE_OPTIONS)
                _KERNELS[digest] = kern
    return kern


def compute_cupy(exprs: Sequence[Expr], inputs: Sequence[str], arrays: Sequence[Any], *,
                 nodata: float | None = None, max_fused: int = MAX_FUSED) -> Any:
    """Compute every tree in fused kernel launches; inputs and output are cupy arrays.

    One launch per ``max_fused`` indices (each reads the bands its indices use once).
    numpy inputs are copied to the device first. Returns a float32 cupy array of shape
    ``(len(exprs), *shape)``; every index's value is the same whatever ``max_fused``.
    """
    import cupy

    arrays = [cupy.asarray(a) for a in arrays]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise ValueError(f"input arrays differ in shape: {[a.shape for a in arrays]}")
    out = cupy.empty((len(exprs), *shape), dtype=cupy.float32)
    by_name = dict(zip(inputs, arrays, strict=True))
    for start in range(0, len(exprs), max(1, max_fused)):
        group = list(exprs[start:start + max(1, max_fused)])
        used = [name for name in inputs if any(name in variables(e) for e in group)]
        literals = nodata_literals(nodata, [by_name[name].dtype for name in used])
        dtypes = [by_name[name].dtype.name for name in used]
        _kernel(group, used, literals, dtypes)(*(by_name[name] for name in used),
                                       *[out[start + k] for k in range(len(group))])
    return out
