"""Apply a loaded model to a cube, block by block.

The features are stacked in the model's order as a dask array ``(feature, y, x)`` with one
chunk along ``feature``; each spatial block is flattened to rows, cells with any missing
feature get NaN, the others the estimator's positive-class probability. Memory is bounded
by the cube's chunk size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import dask.array as dsa
import numpy as np
import xarray as xr

from prospect.errors import ModelError

__all__ = ["predict_block", "score_cube", "score_model"]


def predict_block(estimator: Any, block: np.ndarray) -> np.ndarray:
    """Positive-class probability for a ``(feature, rows, cols)`` block; NaN where data miss."""
    n_feat, rows, cols = block.shape
    X = block.reshape(n_feat, -1).T
    out = np.full(X.shape[0], np.nan, dtype=np.float32)
    ok = np.all(np.isfinite(X), axis=1)
    if ok.any():
        if hasattr(estimator, "predict_proba"):
            proba = np.asarray(estimator.predict_proba(X[ok]))
            classes = list(getattr(estimator, "classes_", range(proba.shape[1])))
            col = classes.index(1) if 1 in classes else proba.shape[1] - 1
            out[ok] = proba[:, col]
        else:
            out[ok] = np.asarray(estimator.predict(X[ok]), dtype=np.float32)
    return out.reshape(rows, cols)


def score_cube(
    estimator: Any, cube: xr.Dataset, feature_order: Sequence[str], *,
    name: str = "prospectivity", provenance: Mapping[str, Any] | None = None,
) -> xr.DataArray:
    """Lazy probability map of ``estimator`` over ``cube``'s variables ``feature_order``.

    Parameters
    ----------
    estimator
        A fitted classifier (``predict_proba``) or regressor.
    cube
        The cube, already checked against the model's schema.
    feature_order
        Variables in the order the estimator takes them.
    name
        Name of the output variable.
    provenance
        Recorded as the output's JSON ``provenance`` attribute (model name, version, hash).
    """
    missing = [f for f in feature_order if f not in cube.data_vars]
    if missing:
        raise ModelError(f"the cube lacks the model's features {missing}")
    arrays = [cube[f].data if hasattr(cube[f].data, "chunks") else dsa.from_array(cube[f].data)
              for f in feature_order]
    arrays = [a.astype(np.float32) for a in arrays]
    chunks = arrays[0].chunks
    stacked = dsa.stack([a.rechunk(chunks) for a in arrays]).rechunk({0: len(arrays)})
    probs = dsa.map_blocks(
        lambda b: predict_block(estimator, b), stacked, drop_axis=0, dtype=np.float32,
        name=f"score-{name}",
    )
    ref = cube[feature_order[0]]
    return xr.DataArray(
        probs, dims=("y", "x"), coords={"y": ref.y, "x": ref.x}, name=name,
        attrs={"units": "1", "long_name": f"{name} (model probability)",
               "prospect_kind": "probability",
               "provenance": json.dumps(dict(provenance or {}), sort_keys=True, default=str)},
    )


def score_model(
    estimator: Any, schema: Mapping[str, Any], cube: xr.Dataset, *,
    provenance: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Lazy ``probability`` (and ``uncertainty`` where the model gives one) over ``cube``.

    A schema written by the train stage carries a ``feature_spec`` (cube variables plus
    derived focal statistics); the stack is then rebuilt exactly as in training with
    :func:`prospect.features.build_stack` and scored with
    :func:`prospect.models.predict.predict_map`. A plain schema is scored column by column
    with :func:`score_cube`.
    """
    prov = json.dumps(dict(provenance or {}), sort_keys=True, default=str)
    spec_data = schema.get("feature_spec")
    if spec_data:
        from prospect.features import FeatureSpec, build_stack
        from prospect.models.predict import predict_map

        spec = FeatureSpec.from_dict(dict(spec_data))
        maps = predict_map(build_stack(cube, spec), estimator, base=spec.base_indices())
        kinds = {"probability": ("probability", "model probability"),
                 "uncertainty": ("uncertainty", "model uncertainty")}
        for name, (kind, long_name) in kinds.items():
            maps[name].attrs = {"units": "1", "long_name": long_name, "prospect_kind": kind,
                                "provenance": prov}
        return maps
    order = list(schema.get("feature_order") or [])
    probs = score_cube(estimator, cube, order, name="probability", provenance=provenance)
    return xr.Dataset({"probability": probs})
