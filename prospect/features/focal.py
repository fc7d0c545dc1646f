"""Neighbourhood (focal) statistics: NaN-aware moving-window mean and standard deviation.

Windows are squares of ``2 r + 1`` cells. Cells outside the grid and NaN cells are left
out of each window, so edges need no padding values and the result does not depend on how
the array is chunked (dask arrays are processed with ``map_overlap``, depth ``r``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

__all__ = ["focal_stats", "focal_stats_numpy"]


def focal_stats_numpy(
    data: np.ndarray, radius: int, stats: Sequence[str] = ("mean", "std"),
) -> np.ndarray:
    """Focal statistics of a 2-D numpy array, stacked along a new first axis.

    Parameters
    ----------
    data
        2-D array; NaN marks missing cells.
    radius
        Window half-width in cells (window ``2 r + 1`` square).
    stats
        Any of ``mean`` and ``std`` (population standard deviation), in output order.
    """
    x = np.asarray(data, dtype="f8")
    ok = np.isfinite(x)
    size = 2 * int(radius) + 1
    filled = np.where(ok, x, 0.0)
    kw: dict[str, Any] = {"size": size, "mode": "constant", "cval": 0.0}
    n = ndimage.uniform_filter(ok.astype("f8"), **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = ndimage.uniform_filter(filled, **kw) / n
        out = []
        for stat in stats:
            if stat == "mean":
                out.append(mean)
            elif stat == "std":
                out.append(_std(x, ok, mean, n, int(radius), kw))
            else:
                raise ValueError(f"unknown focal statistic {stat!r}; use 'mean' or 'std'")
    result = np.stack(out).astype("f4")
    result[:, n <= 1e-9] = np.nan
    return result


_EXACT_BELOW = 1e5
"""A cell's variance from the window sums is recomputed from its window's values where it
is under this many times the sums' rounding bound: there it may be mostly rounding."""


def _std(x: np.ndarray, ok: np.ndarray, mean: np.ndarray, n: np.ndarray, radius: int,
         kw: dict[str, Any]) -> np.ndarray:
    """Population standard deviation of each cell's window, from window sums centred on
    the block's mean (of the finite cells: one inf cell made every std of the block NaN).

    The sums cancel where a window's spread is tiny beside the block's range (a step of
    1e6 with a spread of 0.001 beside it read 0.03): the running sums' rounding is at most
    about ``eps * line length * largest squared deviation`` of the block, and the cells
    whose variance is within :data:`_EXACT_BELOW` times that bound are recomputed from
    their window's values (two passes, exact to float64; flat windows give 0, not a
    rounding residue). Other cells keep the sums: relative error under about 1e-4.
    """
    shift = float(x[ok].mean()) if ok.any() else 0.0
    dev = np.where(ok, (x - shift) ** 2, 0.0)
    sq = ndimage.uniform_filter(dev, **kw) / n
    var = sq - (mean - shift) ** 2
    bound = np.finfo("f8").eps * (max(x.shape) + 2 * radius + 1) * float(dev.max(initial=0))
    doubtful = np.nonzero((n > 1e-9) & (var < _EXACT_BELOW * bound))
    if doubtful[0].size:
        var[doubtful] = _window_var(x, ok, radius, doubtful)
    return np.sqrt(np.maximum(var, 0.0))


def _window_var(x: np.ndarray, ok: np.ndarray, radius: int,
                cells: tuple[np.ndarray, ...]) -> np.ndarray:
    """The variance of the finite values in the window of each of ``cells`` (two passes),
    a batch of cells at a time (bounded memory)."""
    from numpy.lib.stride_tricks import sliding_window_view

    size = 2 * radius + 1
    padded = np.pad(np.where(ok, x, np.nan), radius, constant_values=np.nan)
    windows = sliding_window_view(padded, (size, size))
    rows, cols = cells
    out = np.empty(rows.size)
    step = max(1, 2_000_000 // (size * size))
    for k in range(0, rows.size, step):
        values = windows[rows[k:k + step], cols[k:k + step]].reshape(-1, size * size)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.nanmean(values, axis=1, keepdims=True)
            out[k:k + step] = np.nanmean((values - centre) ** 2, axis=1)
    return out


def focal_stats(data: Any, radius: int, stats: Sequence[str] = ("mean", "std")) -> Any:
    """Focal statistics of a 2-D numpy or dask array (stacked along a new first axis).

    Dask arrays stay lazy: each chunk is processed with ``r`` cells of its neighbours
    (``map_overlap``), so memory is bounded by the chunk size.
    """
    stats = tuple(stats)
    if not hasattr(data, "map_overlap"):
        return focal_stats_numpy(data, radius, stats)
    import dask.array as da

    depth = int(radius)
    if depth == 0:  # a window of one cell: its value, spread 0, NaN where it has none
        value = da.where(da.isfinite(data), data, np.nan).astype("f4")
        return da.stack([value if s == "mean" else da.where(da.isnan(value), np.nan, 0)
                         .astype("f4") for s in stats])
    layers = []
    for stat in stats:
        layers.append(
            data.astype("f8").map_overlap(
                _one_stat, depth=depth, boundary=np.nan, trim=True, dtype="f4",
                radius=depth, stat=stat, meta=np.array((), "f4"),
            )
        )
    return da.stack(layers)


def _one_stat(block: np.ndarray, *, radius: int, stat: str) -> np.ndarray:
    return focal_stats_numpy(block, radius, (stat,))[0]
