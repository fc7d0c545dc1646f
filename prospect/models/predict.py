"""Block-wise scoring: probability and uncertainty over a whole feature stack with dask.

Each spatial block of the ``(feature, y, x)`` stack is flattened to rows; rows where any
cube variable is missing get NaN, the others the model's probability and uncertainty
(:func:`~prospect.models.uncertainty.predict_with_uncertainty`). The model travels to the
workers once (one delayed object), and memory is bounded by the chunk size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import dask
import dask.array as da
import numpy as np
import xarray as xr

from prospect.models.uncertainty import ProbabilisticClassifier, predict_with_uncertainty

__all__ = ["predict_block", "predict_map"]


def predict_block(block: np.ndarray, model: ProbabilisticClassifier,
                  base: Sequence[int]) -> np.ndarray:
    """``(2, rows, cols)`` float32: probability and uncertainty of a ``(feature, rows, cols)``
    block; NaN where any of the ``base`` columns is missing.

    The model gets the scored cells as one C-contiguous ``(cells, features)`` matrix, made
    with one copy (a transposing copy when every cell is scored, else the gather of the
    scored rows); the missing cells are found plane by plane on the block as it is.
    """
    n_feat, rows, cols = block.shape
    flat = block.reshape(n_feat, -1)
    ok = np.ones(flat.shape[1], dtype=bool)
    for i in base:
        ok &= np.isfinite(flat[i])
    out = np.full((2, flat.shape[1]), np.nan, dtype=np.float32)
    if ok.all():
        p, s = predict_with_uncertainty(model, np.ascontiguousarray(flat.T))
        out[0], out[1] = p, s
    elif ok.any():
        p, s = predict_with_uncertainty(model, flat.T[ok])
        out[0, ok] = p
        out[1, ok] = s
    return out.reshape(2, rows, cols)


def predict_map(stack: xr.DataArray, model: ProbabilisticClassifier, *,
                base: Sequence[int]) -> xr.Dataset:
    """Lazy ``probability`` and ``uncertainty`` maps of ``model`` over a feature stack.

    Parameters
    ----------
    stack
        ``(feature, y, x)`` array with one chunk along ``feature`` (from
        :func:`prospect.features.build_stack`).
    model
        A fitted pipeline or classifier.
    base
        Columns that must all be present for a cell to be scored.
    """
    data = stack.data
    if not isinstance(data, da.Array):
        data = da.from_array(np.asarray(data), chunks=(-1, 512, 512))
    data = data.rechunk({0: -1})
    # a fresh key instead of a token: tokenizing pickles the whole model (25 ms for a
    # 100-tree forest) on every call, and no two calls share a result anyway
    shared = dask.delayed(model, name=f"model-{uuid.uuid4().hex}", traverse=False)
    out = da.map_blocks(
        predict_block, data, shared, list(base), dtype=np.float32,
        chunks=((2,), data.chunks[1], data.chunks[2]), meta=np.array((), np.float32),
    )
    coords = {"y": stack.y, "x": stack.x}
    return xr.Dataset({
        name: xr.DataArray(_plane(out, i), dims=("y", "x"), coords=coords)
        for i, name in enumerate(("probability", "uncertainty"))
    })


def _first_plane(blocks: list[np.ndarray], i: int) -> np.ndarray:
    return blocks[0][i]


def _plane(out: da.Array, i: int) -> da.Array:
    """Plane ``i`` of the ``(2, y, x)`` predictions, as a blockwise layer (not a slice),
    so that dask fuses it into whatever consumes it block by block (the stage's write of
    both maps: one task per chunk instead of a slice task per map and chunk)."""
    return da.blockwise(_first_plane, "yx", out, "pyx", i, None, dtype=out.dtype,
                        concatenate=None, meta=np.array((), out.dtype))
