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
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from prospect.errors import DataWarning, ModelError, ProspectError
from prospect.features import FeatureSpec, build_stack
from prospect.grid import crs_units
from prospect.models.predict import predict_block, predict_map
from prospect.models.uncertainty import (
    CalibratedModel,
    ProbabilisticClassifier,
    probability_problem,
    uncertainty_meaning,
)
from prospect.provenance import provenance_attr, synthetic_attr
from prospect.registry.applicability import input_warnings, mask_far_fills
from prospect.registry.consistency import n_features_in

__all__ = ["OUTPUTS", "POSTERIOR_SCALE", "class_problem", "model_feature_spec", "output_scale",
           "probe_model", "score_model"]

OUTPUTS: dict[str, tuple[str, str]] = {
    "probability": ("probability", "relative prospectivity (uncalibrated score, not a "
                                   "probability)"),
    "uncertainty": ("uncertainty", "uncertainty (what it is a spread of, and over how many "
                                   "members, is the variable's prospect_uncertainty)"),
}
"""Output variable -> its ``prospect_kind`` and long name."""

POSTERIOR_SCALE = "posterior probability"
"""The ``prospect_scale`` of a weights-of-evidence map: Bonham-Carter's posterior
probability of a deposit per unit cell (:func:`output_scale`)."""


def _units_of(cube: xr.Dataset) -> str:
    """The unit of length of ``cube``'s CRS in words (``CRS units`` where none is read)."""
    try:
        return crs_units(cube.rio.crs)
    except Exception:  # rioxarray's own errors (variables of several CRSs): no unit known
        return "CRS units"


def output_scale(estimator: Any, *, units: str = "CRS units") -> tuple[str, str]:
    """What ``estimator``'s ``probability`` map is, in words: ``(scale, long name)``.

    * a :class:`~prospect.models.uncertainty.CalibratedModel`: a *calibrated probability*
      (to the training rows' base rate);
    * weights of evidence (alone or as a pipeline's last step): the *posterior
      probability* of a deposit per unit cell (Bonham-Carter 1994, ch. 9), its prior the
      deposits per unit cell of the training area, ``N(D) / N(T)``, the background rows
      weighing as the area they stand for. It was labelled "relative prospectivity
      (uncalibrated score, not a probability)" beside an uncertainty layer that called it
      the posterior probability, and its card gave the training rows' share of positives
      (0.09 at 10 background cells per positive) as its base rate, where its prior was
      0.0075;
    * any other estimator: a *relative prospectivity*, a ranking.

    Parameters
    ----------
    estimator
        The fitted estimator a map is scored with.
    units
        The grid's unit of length in the plural (:func:`prospect.grid.crs_units`), for the
        unit cell's area.
    """
    from sklearn.pipeline import Pipeline

    from prospect.models.woe import WeightsOfEvidenceClassifier

    if isinstance(estimator, CalibratedModel):
        return "calibrated probability", (
            f"probability (calibrated, {estimator.method}, on spatial out-of-fold scores)")
    model = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    if isinstance(model, WeightsOfEvidenceClassifier) and hasattr(model, "prior_logit_"):
        unit_cell = float(model.unit_cell_area or model.cell_area)
        deposits, area = float(model.n_deposits_), float(model.area_total_)
        return POSTERIOR_SCALE, (
            f"posterior probability of a deposit per unit cell of {unit_cell:g} square "
            f"{units} (weights of evidence, Bonham-Carter 1994: the prior, {deposits:g} "
            f"deposits in {area:g} unit cells of the training area = {deposits / area:.3g}, "
            "updated by the layers' weights; it overstates where the layers are not "
            "conditionally independent given the deposits)")
    return "relative prospectivity", OUTPUTS["probability"][1]


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


_POSITIVE_PAIRS: tuple[frozenset[str], ...] = (
    frozenset({"0", "1"}), frozenset({"-1", "1"}), frozenset({"false", "true"}))
"""Class labels (as text, lower case) whose occurrence class a map can tell: 1 (or true)
against 0 (or -1, or false), the labels Prospect's training and scikit-learn's own binary
metrics (``pos_label=1``) take."""


def _label_text(label: Any) -> str:
    """A class label as text: ``1``, ``1.0``, ``np.int64(1)`` and ``"1"`` alike."""
    if isinstance(label, bool) or type(label).__name__ == "bool_":
        return str(bool(label)).lower()
    try:
        number = float(label)
    except (TypeError, ValueError):
        return str(label).strip().lower()
    return str(int(number)) if number.is_integer() else str(number)


def class_problem(estimator: Any) -> str | None:
    """Why a map of ``estimator`` could not say which class it is the probability of
    (``None``: two classes, one of them the occurrence class 1 or true).

    The map is the probability of the class labelled 1 (else of the second of two). A
    model of three classes (barren, minor, major) mapped the probability of class 1
    alone; one of two labels such as ``deposit``/``non-deposit`` or 1/2 (1 absent, 2
    present) mapped whichever sorts second, which may be the background: an inverted
    map, without a word. Scikit-learn's binary metrics refuse such labels likewise
    unless told the positive one.
    """
    try:
        found = getattr(estimator, "classes_", None)
        classes = None if found is None else list(found)
    except Exception:  # a property of an unfitted step, labels that are no list
        return None
    if classes is None:
        return None
    shown = ", ".join(repr(_label_text(c)) for c in classes[:6]) + \
        (", ..." if len(classes) > 6 else "")
    if len(classes) != 2:
        return (f"the model's estimator is a classifier of {len(classes)} classes ({shown});"
                " a prospectivity map is the probability of one class against the rest, "
                "so it needs two: 0 (background) and 1 (occurrence); retrain it on those "
                "labels")
    if frozenset(_label_text(c) for c in classes) not in _POSITIVE_PAIRS:
        return (f"the model's estimator has the classes {shown}: which of them is the "
                "occurrence cannot be told (the map would be the probability of whichever "
                "sorts second); retrain it with labels 0 (background) and 1 (occurrence)")
    return None


PROBE_CELLS = 16
"""Side of each square window of cells :func:`probe_model` scores before the map."""


def probe_model(estimator: ProbabilisticClassifier, stack: xr.DataArray, *,
                base: Sequence[int], version_note: str | None = None) -> int:
    """Score a few windows of ``stack`` with the map's own predict path, before the map.

    A model whose ``predict_proba`` gives no probabilities (a margin, one column, a
    wrong shape) was refused only inside the map's dask tasks, after the chunks before
    the first bad one had been read and scored. Three windows of
    ``PROBE_CELLS`` x ``PROBE_CELLS`` cells (at the first cell of the first, the middle
    and the last chunk, so each reads one chunk of a layer; a focal feature reads the
    chunks around it) are read here, in this process, one after the other until one
    holds cells with every feature (usually the first: one chunk of each layer read and a
    256-cell predict before the map), and scored by
    :func:`prospect.models.predict.predict_block`, which refuses what the map would.

    An estimator that fails there (a model saved by another scikit-learn whose state
    this one reads otherwise, a ``--trust``-ed class with a bug) is one ModelError naming
    it, the cells and ``version_note`` (the load's version mismatch line), where the map's
    tasks gave an internal error.

    Returns
    -------
    int
        The number of cells scored (0 when every probed cell lacks a value; the map's
        own check then stands).

    Raises
    ------
    ModelError
        As :func:`prospect.models.uncertainty.predict_with_uncertainty`, or the estimator
        raised.
    """
    import numpy as np

    from prospect.models.uncertainty import _estimator_name

    version_hint = f" ({version_note})" if version_note else ""

    side = PROBE_CELLS
    firsts = []  # the first cell of the first, middle and last chunk along each axis:
    for axis, dim in ((1, "y"), (2, "x")):  # each window inside one chunk
        sizes = stack.data.chunks[axis] if getattr(stack.data, "chunks", None) \
            else (int(stack.sizes[dim]),)
        edges = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        firsts.append([int(edges[0]), int(edges[len(edges) // 2]), int(edges[-1])])
    scored = 0
    for y0, x0 in sorted(set(zip(*firsts, strict=True))):
        # read in this process, off the cluster: the stage's tasks stay those `prospect
        # plan` counts
        window = np.asarray(stack.isel(y=slice(y0, y0 + side), x=slice(x0, x0 + side))
                            .compute(scheduler="synchronous").values)
        try:
            out = predict_block(window, estimator, base)
        except ProspectError:
            raise
        except Exception as exc:  # in a dask task it was an internal error, mid-map
            raise ModelError(
                f"the model's estimator ({_estimator_name(estimator)}) failed on "
                f"{window.shape[1]} x {window.shape[2]} cells of the cube at row {y0}, "
                f"column {x0}: {type(exc).__name__}: {exc}{version_hint}; nothing was "
                "written") from None
        scored += int(np.isfinite(out[0]).sum())
        if scored:  # the model has answered on cells of the cube: one window is enough
            break
    return scored


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
        The estimator gives no probabilities
        (:func:`prospect.models.uncertainty.probability_problem`), not of two classes one
        of which is the occurrence (:func:`class_problem`), or the schema names no
        features.
    """
    # on the instance: a hard voting's predict_proba is on its class, not on it
    problem = probability_problem(estimator) or class_problem(estimator)
    if problem is not None:
        raise ModelError(problem)
    spec = model_feature_spec(schema, cube)
    n_in = n_features_in(estimator)
    if n_in is not None and n_in != len(spec.names()):  # scikit-learn's error came mid-map
        raise ModelError(
            f"the estimator takes {n_in} columns, its input schema gives {len(spec.names())}"
            f" ({', '.join(spec.names()[:10])}{', ...' if len(spec.names()) > 10 else ''}); "
            "the schema is another model's: use the schema the model was saved with"
        )
    for line in input_warnings(cube, schema, estimator=estimator) if check_inputs else []:
        warnings.warn(DataWarning(line), stacklevel=2)
    # a common fill far outside a layer's training range is no data, on every chunk
    stack = build_stack(mask_far_fills(cube, schema), spec)
    note = (provenance or {}).get("version_warning")
    probe_model(estimator, stack, base=spec.base_indices(),  # not after chunks are spent
                version_note=note if isinstance(note, str) else None)
    maps = predict_map(stack, estimator, base=spec.base_indices())
    prov = provenance_attr(provenance or {})
    for name, (kind, long_name) in OUTPUTS.items():
        attrs: dict[str, Any] = {
            "units": "1", "long_name": f"{mineral} {long_name}" if mineral else long_name,
            "prospect_kind": kind, "provenance": prov}
        if synthetic is not None:
            attrs.update(synthetic_attr(synthetic))
        maps[name].attrs = attrs
    meaning, members = uncertainty_meaning(estimator)  # of what, over how many members
    maps["uncertainty"].attrs.update(
        long_name=f"{mineral + ' ' if mineral else ''}uncertainty: {meaning}",
        prospect_uncertainty=meaning,
        **({"prospect_uncertainty_members": members} if members is not None else {}))
    # a probability when calibrated, or weights of evidence's posterior; else a ranking
    scale, words = output_scale(estimator, units=_units_of(cube))
    maps["probability"].attrs.update(
        long_name=f"{mineral + ' ' if mineral else ''}{words}", prospect_scale=scale)
    return maps
