"""Run a backend on in-memory arrays, or on every block of dask arrays with ``map_blocks``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from prospect.errors import ConfigError
from prospect.indices.plan import IndexPlan

__all__ = ["BACKENDS", "compute_arrays", "compute_dask", "host_array", "mask_outside_ranges",
           "outside_range", "resolve_backend"]

BACKENDS = ("auto", "reference", "numba", "cupy")
"""Backend names accepted by :func:`prospect.indices.compute_indices`."""


def _is_cupy(array: Any) -> bool:
    meta = getattr(array, "_meta", array)
    return type(meta).__module__.split(".")[0] == "cupy"


def host_array(array: Any) -> np.ndarray:
    """``array`` in host memory: a cupy array copied off the device (cupy refuses numpy's
    implicit conversion), anything else through :func:`numpy.asarray`."""
    if _is_cupy(array):
        return np.asarray(array.get())
    return np.asarray(array)


def resolve_backend(backend: str, arrays: Sequence[Any]) -> str:
    """The concrete backend for ``backend`` (``auto``: cupy for GPU arrays, else numba)."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown index backend {backend!r}; choose one of {list(BACKENDS)}")
    on_gpu = any(_is_cupy(a) for a in arrays)
    if backend == "auto":
        if on_gpu:
            return "cupy"
        from prospect.indices.numba_backend import numba_available

        return "numba" if numba_available() else "reference"
    if backend == "numba" and on_gpu:
        raise ConfigError("backend 'numba' needs CPU arrays; the bands are cupy arrays "
                          "(use backend 'cupy' or 'auto')")
    if backend == "cupy":
        from prospect.indices.cupy_backend import cupy_available

        if not cupy_available():
            raise ConfigError("backend 'cupy' needs cupy and a CUDA device; none found "
                              "(install prospect[gpu] or use backend 'auto')")
    return backend


def compute_arrays(plan: IndexPlan, arrays: Sequence[Any], backend: str, *,
                   parallel: bool = True, nodata: float | None = None,
                   mask_ranges: bool = True) -> Any:
    """All of ``plan``'s indices over in-memory arrays: shape ``(n_indices, *shape)``.

    ``backend`` must be concrete (see :func:`resolve_backend`). The result lives where the
    backend computes: numpy for ``numba``, cupy for ``cupy``, the inputs' namespace for
    ``reference``. Values outside an index's valid range are NaN
    (:func:`mask_outside_ranges`) unless ``mask_ranges`` is false (the caller masks them
    itself and counts them).
    """
    if backend == "numba":
        from prospect.indices.numba_backend import compute_numba

        out = compute_numba(plan.exprs, plan.inputs, arrays, parallel=parallel, nodata=nodata)
    elif backend == "cupy":
        from prospect.indices.cupy_backend import compute_cupy

        out = compute_cupy(plan.exprs, plan.inputs, arrays, nodata=nodata)
    else:
        from prospect.indices.reference import array_namespace, evaluate_many

        xp = array_namespace(*arrays)
        results = evaluate_many(plan.exprs, dict(zip(plan.inputs, arrays, strict=True)),
                                xp=xp, nodata=nodata)
        out = xp.stack(results, axis=0)
    if mask_ranges:
        mask_outside_ranges(out, plan)
    return out


def outside_range(values: Any, valid_range: tuple[float | None, float | None]) -> Any:
    """Where ``values`` (numpy, cupy or another array-API namespace) fall outside
    ``valid_range`` (``None`` ends are open), as a boolean array of their shape; ``None``
    where both ends are open. NaN is never outside."""
    low, high = valid_range
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        return (values < low) | (values > high)
    return values < low if low is not None else values > high


def mask_outside_ranges(stacked: Any, plan: IndexPlan, *,
                        outside: Sequence[Any] | None = None) -> list[int]:
    """Set to NaN, in place, each index's values outside its valid range, and count them.

    A normalized difference such as NDVI lies in -1..1 and a ratio of reflectances is at
    least 0 only for inputs that are reflectances (at least 0): a band below 0 (the
    negative surface reflectance Landsat and Sentinel-2 products hold over water and
    shadow, or a wrong offset) gave NDVI of -7.7 or 7, stored under ``valid_range: [-1,
    1]`` (a CF reader takes such a value as missing, another reader as a value).

    Parameters
    ----------
    stacked
        ``(n_indices, ...)`` float array (numpy, cupy or another array-API namespace), in
        ``plan``'s order.
    plan
        The indices computed; each :attr:`~prospect.indices.plan.PlannedIndex.valid_range`
        (``None`` ends are open).
    outside
        For each index, its cells outside its valid range as already compared
        (:func:`~prospect.indices.ranges.warn_outside_ranges` returns them), ``None``
        where none is: each layer is then compared with its range once, not again here.

    Returns
    -------
    list of int
        For each index, the cells set to NaN.
    """
    xp = None
    if not hasattr(stacked, "sum"):  # an array-API namespace without methods
        from prospect.indices.reference import array_namespace

        xp = array_namespace(stacked)
    counts = []
    for k, item in enumerate(plan.indices):
        values = stacked[k, ...]
        cells = (outside_range(values, item.valid_range) if outside is None
                 else outside[k])
        if cells is None:
            counts.append(0)
            continue
        if xp is not None:
            n = int(xp.sum(xp.astype(cells, xp.int64)))
        else:  # numpy (count_nonzero: a third of a boolean sum's time) or cupy
            n = int(np.count_nonzero(cells) if isinstance(cells, np.ndarray)
                    else cells.sum())
        if n and xp is not None:
            stacked[k, ...] = xp.where(cells, xp.asarray(float("nan"), dtype=values.dtype),
                                       values)
        elif n:
            values[cells] = float("nan")  # a view of ``stacked``
        counts.append(n)
    return counts


def _block(*blocks: Any, plan: IndexPlan, backend: str, to_host: bool,
           nodata: float | None, mask_ranges: bool = True) -> Any:
    out = compute_arrays(plan, blocks, backend, parallel=False, nodata=nodata,
                         mask_ranges=mask_ranges)
    if to_host and backend == "cupy":
        return out.get()
    return out


def compute_dask(plan: IndexPlan, arrays: Sequence[Any], backend: str, *,
                 nodata: float | None = None, mask_ranges: bool = True) -> Any:
    """A lazy dask array ``(n_indices, *shape)`` computing ``plan`` block by block.

    One task per block computes every index (a fused kernel call); numpy blocks stay numpy
    (backend ``cupy`` copies each block to the GPU and back), cupy blocks stay on the GPU.
    ``mask_ranges=False`` keeps values outside an index's valid range (the caller masks
    and counts them, as the indices stage does for stacked dates).
    """
    import dask.array as da

    on_gpu = any(_is_cupy(a) for a in arrays)
    first = arrays[0]
    arrays = [a if a.chunks == first.chunks else a.rechunk(first.chunks) for a in arrays]
    if on_gpu:
        import cupy

        meta: Any = cupy.empty((0,) * (first.ndim + 1), dtype=cupy.float32)
    else:
        meta = np.empty((0,) * (first.ndim + 1), dtype=np.float32)
    return da.map_blocks(
        _block, *arrays, plan=plan, backend=backend, to_host=not on_gpu, nodata=nodata,
        mask_ranges=mask_ranges, new_axis=0, chunks=((len(plan.indices),), *first.chunks),
        dtype=np.float32,
        meta=meta, token=f"prospect-indices-{backend}{'' if mask_ranges else '-raw'}",
    )
