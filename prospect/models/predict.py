"""Block-wise scoring: probability and uncertainty over a whole feature stack with dask.

Each spatial block of the ``(feature, y, x)`` stack is flattened to rows; rows where any
cube variable is missing get NaN, the others the model's probability and uncertainty
(:func:`~prospect.models.uncertainty.predict_with_uncertainty`). A model that scores
missing evidence (weights of evidence: W = 0 for a layer without data, its missing-data
variance in the uncertainty; Bonham-Carter 1994, as ArcSDM) scores every row where at least
one cube variable has data (:func:`scores_missing_evidence`); :func:`unscored_block` counts
how many cells were left unscored, or scored without a layer, per layer. The model travels to the
workers once (one delayed object), and memory is bounded by the chunk size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np
import xarray as xr

from prospect.models.uncertainty import (
    CalibratedModel,
    ProbabilisticClassifier,
    predict_with_uncertainty,
)

__all__ = ["predict_block", "predict_map", "scores_missing_evidence", "unscored_block"]


def scores_missing_evidence(model: Any) -> bool:
    """Whether ``model`` scores a cell where some of its layers have no data.

    True when the final estimator (through a :class:`~sklearn.pipeline.Pipeline` and a
    :class:`~prospect.models.uncertainty.CalibratedModel`) declares the class attribute
    ``scores_missing_evidence`` (weights of evidence: a layer without data adds no weight,
    the prior's contribution only, and its missing-data variance to the uncertainty).
    Other models leave such cells unscored (NaN): they have no value for a missing layer.
    """
    for _ in range(16):  # a wrapper of a wrapper, not a cycle
        if getattr(type(model), "scores_missing_evidence", False) is True:
            return True
        if isinstance(model, CalibratedModel):
            model = getattr(model, "model_", None) or model.model
        elif isinstance(getattr(model, "steps", None), list) and model.steps:
            model = model.steps[-1][1]
        else:
            return False
    return False


def _present(flat: np.ndarray, base: Sequence[int], any_layer: bool) -> np.ndarray:
    """Rows of ``flat`` (``(features, cells)``) to score: every ``base`` column set, or
    (``any_layer``) at least one; every row when ``base`` is empty."""
    if not base:
        return np.ones(flat.shape[1], dtype=bool)
    if any_layer:
        ok = np.zeros(flat.shape[1], dtype=bool)
        for i in base:
            ok |= np.isfinite(flat[i])
        return ok
    ok = np.ones(flat.shape[1], dtype=bool)
    for i in base:
        ok &= np.isfinite(flat[i])
    return ok


def _named(model: Any, X: np.ndarray) -> Any:
    """``X`` as a table with the column names ``model`` was fitted on (scikit-learn's
    ``feature_names_in_``: a model fitted elsewhere on a data frame), else as it is.

    Such a model given arrays warned "X does not have valid feature names" from every map
    task, a warning a user cannot act on; the names were compared with the input schema's
    columns when the model was loaded
    (:func:`prospect.registry.consistency.part_differences`), so the map's columns are
    those, in that order. A model fitted on arrays (Prospect's training) gets the array.
    """
    try:
        names = getattr(model, "feature_names_in_", None)
    except Exception:  # a pipeline whose first step has none: its property raises
        return X
    if names is None or len(names) != X.shape[1]:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=[str(n) for n in names], copy=False)


def predict_block(block: np.ndarray, model: ProbabilisticClassifier,
                  base: Sequence[int]) -> np.ndarray:
    """``(2, rows, cols)`` float32: probability and uncertainty of a ``(feature, rows, cols)``
    block; NaN where any of the ``base`` columns is missing (a model that
    :func:`scores_missing_evidence`: where all of them are).

    The model gets the scored cells as one C-contiguous ``(cells, features)`` matrix, made
    with one copy (a transposing copy when every cell is scored, else the gather of the
    scored rows); the missing cells are found plane by plane on the block as it is.
    """
    n_feat, rows, cols = block.shape
    flat = block.reshape(n_feat, -1)
    ok = _present(flat, list(base), scores_missing_evidence(model))
    out = np.full((2, flat.shape[1]), np.nan, dtype=np.float32)
    if ok.all():
        p, s = predict_with_uncertainty(model, _named(model, np.ascontiguousarray(flat.T)))
        out[0], out[1] = p, s
    elif ok.any():
        p, s = predict_with_uncertainty(model, _named(model, flat.T[ok]))
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
        Columns that must all be present for a cell to be scored (one of them, for a model
        that :func:`scores_missing_evidence`).
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


def unscored_block(present: np.ndarray, *, any_layer: bool) -> np.ndarray:
    """The counts of the cells a map leaves unscored, and why, over one block: ``present``
    is ``(layers, y, x)``, True where each of the model's cube layers has data.

    Returns one int64 vector: ``[unscored, no_layer, missing..., scored_without...]``:
    the cells without a score, those of them where no layer has data (outside every
    layer's extent), per layer the unscored cells it has no data at and, for a model that
    :func:`scores_missing_evidence` (``any_layer``), per layer the cells scored without it
    (W = 0 there, its missing-data variance in the uncertainty; zeros for other models).
    Blocks' vectors add up to the map's (the score stage sums them over its chunks, read
    once with its other counts: :func:`pipelines.stages.score.coverage`).
    """
    n = present.shape[0]
    if not n:
        return np.zeros(2, dtype=np.int64)
    ok = present.any(axis=0) if any_layer else present.all(axis=0)
    gap = ~present
    missing = (gap & ~ok).sum(axis=(1, 2), dtype=np.int64)
    without = (gap & ok).sum(axis=(1, 2), dtype=np.int64) if any_layer \
        else np.zeros(n, dtype=np.int64)
    head = [np.count_nonzero(~ok), np.count_nonzero(gap.all(axis=0))]
    return np.concatenate([np.asarray(head, dtype=np.int64), missing, without])
