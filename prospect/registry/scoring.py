"""Apply a loaded model to a cube: the one scoring path of the score stage and of
``prospect model score``.

The model's input schema says which features it takes: a schema written by the train
stage carries a ``feature_spec`` (cube variables plus derived focal statistics), a plain
one only the ``feature_order`` of cube variables. Either way the stack is built with
:func:`prospect.features.build_stack` and scored block by block with
:func:`prospect.models.predict.predict_map`; memory is bounded by the cube's chunk size.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import xarray as xr

from prospect.errors import DataWarning, ModelError
from prospect.features import FeatureSpec, build_stack
from prospect.io.cube import provenance_attr, synthetic_attr
from prospect.models.predict import predict_map
from prospect.models.uncertainty import CalibratedModel, ProbabilisticClassifier
from prospect.registry.applicability import input_warnings
from prospect.registry.consistency import n_features_in

__all__ = ["OUTPUTS", "model_feature_spec", "score_model"]

OUTPUTS: dict[str, tuple[str, str]] = {
    "probability": ("probability", "relative prospectivity (uncalibrated score, not a "
                                   "probability)"),
    "uncertainty": ("uncertainty", "uncertainty: standard deviation of the ensemble members' "
                                   "scores"),
}
"""Output variable -> its ``prospect_kind`` and long name."""


def model_feature_spec(schema: Mapping[str, Any], cube: xr.Dataset) -> FeatureSpec:
    """The feature spec a model with input ``schema`` takes, on ``cube``.

    A plain schema (no ``feature_spec``) takes its ``feature_order`` of cube variables as
    they are, without focal statistics and without recoding categories.
    """
    spec_data = schema.get("feature_spec")
    if spec_data:
        return FeatureSpec.from_dict(dict(spec_data))
    order = list(schema.get("feature_order") or [])
    if not order:
        raise ModelError("the model's input schema names no features (no feature_order)")
    from prospect.io.cube import cube_grid

    return FeatureSpec(variables=tuple(order), resolution=cube_grid(cube).resolution)


def score_model(
    estimator: ProbabilisticClassifier, schema: Mapping[str, Any], cube: xr.Dataset, *,
    provenance: Mapping[str, Any] | None = None, mineral: str | None = None,
    synthetic: bool | None = None, check_inputs: bool = True,
) -> xr.Dataset:
    """Lazy ``probability`` and ``uncertainty`` of ``estimator`` over ``cube``.

    Parameters
    ----------
    estimator
        A fitted probabilistic classifier (``predict_proba``).
    schema
        The model's input schema; ``cube`` must already match it
        (:func:`prospect.registry.check_schema`).
    cube
        The cube to score.
    provenance
        Recorded as each output's JSON ``provenance`` attribute (model, hash, features).
    mineral
        Named in the outputs' long names (e.g. ``"lithium prospectivity: ..."``).
    synthetic
        Recorded as each output's ``synthetic`` attribute
        (:func:`prospect.io.cube.synthetic_attr`, a boolean).
    check_inputs
        Compare the cube's evidence with the training evidence first
        (:func:`prospect.registry.applicability.input_warnings`); ``False`` where the
        caller does so itself (the score stage, while its cluster scores).

    Warns
    -----
    DataWarning
        Per variable unlike the model's training evidence: a continuous layer of another
        scale or range (percent vs fraction), a categorical layer holding codes the model
        never saw (named with their cell counts).

    Raises
    ------
    ModelError
        The estimator gives no probabilities, or the schema names no features.
    """
    if not isinstance(estimator, ProbabilisticClassifier):
        raise ModelError(
            f"{type(estimator).__name__} gives no probabilities (no predict_proba); only "
            "classifiers can make a prospectivity map"
        )
    spec = model_feature_spec(schema, cube)
    n_in = n_features_in(estimator)
    if n_in is not None and n_in != len(spec.names()):  # scikit-learn's error came mid-map
        raise ModelError(
            f"the estimator takes {n_in} columns, its input schema gives {len(spec.names())}"
            f" ({', '.join(spec.names()[:10])}{', ...' if len(spec.names()) > 10 else ''}); "
            "the schema is another model's: use the schema the model was saved with"
        )
    for line in input_warnings(cube, schema) if check_inputs else []:  # was silent
        warnings.warn(DataWarning(line), stacklevel=2)
    maps = predict_map(build_stack(cube, spec), estimator, base=spec.base_indices())
    prov = provenance_attr(provenance or {})
    for name, (kind, long_name) in OUTPUTS.items():
        attrs: dict[str, Any] = {
            "units": "1", "long_name": f"{mineral} {long_name}" if mineral else long_name,
            "prospect_kind": kind, "provenance": prov}
        if synthetic is not None:
            attrs.update(synthetic_attr(synthetic))
        maps[name].attrs = attrs
    if isinstance(estimator, CalibratedModel):  # a probability only when calibrated
        maps["probability"].attrs.update(
            long_name=f"{mineral + ' ' if mineral else ''}probability (calibrated, "
                      f"{estimator.method}, on spatial out-of-fold scores)",
            prospect_scale="calibrated probability")
    else:
        maps["probability"].attrs["prospect_scale"] = "relative prospectivity"
    return maps
