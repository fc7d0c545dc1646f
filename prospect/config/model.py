"""Model-stage config: labels, features, estimator, validation."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from prospect.config._base import PlainName, StrictModel, number_text_hint, repeated

__all__ = [
    "CVConfig", "FocalConfig", "LabelsConfig", "ModelConfig", "check_params", "model_overrides",
]


class LabelsConfig(StrictModel):
    """Where positives come from: a points source, with an optional grade threshold.

    Attributes
    ----------
    source
        Name of a ``kind: points`` source (occurrences, wells or samples).
    value_column
        Grade column (e.g. ``li_mg_l``); with ``threshold`` or ``threshold_quantile`` a
        point is a positive when its value reaches the threshold. Without it, every point
        is an occurrence.
    background
        ``random``: a seeded uniform sample of unlabelled cells (``background_ratio`` per
        positive); ``all``: every unlabelled cell (small grids only).
    background_exclusion
        Distance (CRS units) around positives inside which no background is drawn.
    negatives
        ``background``: negatives are sampled cells; ``below_threshold``: the points below
        the grade threshold; ``both``: the two together.
    polygons
        Polygon occurrences (mine outlines, deposit footprints): ``cells``, every cell
        whose centre the polygon holds is a positive (its cells kept in one CV fold; a
        data warning gives its share of the positives); ``centroid``, one positive cell
        per polygon, at its centroid, so that a large outline weighs as one occurrence.
    intervals
        A drill-hole assay table's depth intervals (a hole column, ``from``/``to``):
        ``each``, every interval a record (a cell a positive where any one reaches the
        threshold; said once); ``composite``, one record a hole at its first interval's
        place, graded by its intervals' length-weighted mean of ``value_column``.
    """

    source: str = Field(description="name of a points source in 'sources'")
    value_column: str | None = Field(default=None, min_length=1)
    threshold: float | None = Field(
        default=None, description="a point is a positive when value_column >= threshold"
    )
    threshold_quantile: float | None = Field(
        default=None, gt=0, lt=1,
        description="a point is a positive when value_column >= this quantile of the "
        "records' grades (one per record; those below or above a detection limit ranked by "
        "it, never given a made-up value)",
    )
    background: Literal["random", "all"] = "random"
    background_ratio: float = Field(default=10.0, gt=0)
    background_exclusion: float = Field(default=0.0, ge=0)
    negatives: Literal["background", "below_threshold", "both"] = "background"
    polygons: Literal["cells", "centroid"] = Field(
        default="cells", exclude_if=lambda v: v == "cells",
        description="polygon occurrences: every cell they cover (kept in one CV fold), or "
                    "one cell at the centroid",
    )
    intervals: Literal["each", "composite"] = Field(
        default="each", exclude_if=lambda v: v == "each",
        description="a drill-hole table's depth intervals (hole_id/from/to): each a record "
                    "(said), or one record a hole, its intervals' length-weighted mean grade",
    )

    @field_validator("threshold_quantile", mode="before")
    @classmethod
    def _quantile_a_share(cls, value: Any) -> Any:
        """A share from 0 to 1; ``threshold_quantile: 90`` (a percentile) was "Input should
        be less than 1", no word of the form meant."""
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1:
            from prospect.config.stac import ordinal  # "the 1th percentile" was written

            share = f": the {ordinal(value)} percentile is {value / 100:g}" if value < 100 else ""
            raise ValueError(f"{value:g} is no quantile: give it as a share from 0 to 1, not "
                             f"as a percentile{share}")
        return value

    @model_validator(mode="after")
    def _threshold_rules(self) -> LabelsConfig:
        if self.threshold is not None and self.threshold_quantile is not None:
            raise ValueError("give either 'threshold' or 'threshold_quantile', not both")
        if (self.threshold is not None or self.threshold_quantile is not None) and \
                self.value_column is None:
            raise ValueError("a grade threshold needs 'value_column' (the grade column)")
        if self.intervals == "composite" and self.value_column is None:
            raise ValueError("intervals: composite needs 'value_column' (the grade column "
                             "its intervals' mean is of)")
        if self.negatives != "background" and self.threshold is None and \
                self.threshold_quantile is None:
            raise ValueError(
                f"negatives: {self.negatives} needs a grade threshold ('threshold' or "
                "'threshold_quantile')"
            )
        return self


class CVConfig(StrictModel):
    """Cross-validation: spatial blocks (the honest estimate) and random folds beside it."""

    kind: Literal["spatial_block", "random"] = Field(
        default="spatial_block",
        description="random: also run random folds (as compare_random); the headline stays "
                    "spatial blocks, the honest estimate")
    n_splits: int = Field(default=5, ge=2, le=100)
    block_size: float | Literal["auto"] = Field(
        default="auto",
        description="block edge in CRS units; auto: the range of the labels' empirical "
                    "variogram (fitted and reported), in whole cells",
    )
    buffer: float | Literal["auto"] = Field(
        default="auto",
        description="training samples closer than this (CRS units) to a test sample are "
                    "dropped; auto: 1.5 cells (every cell touching a test cell)",
    )
    compare_random: bool = Field(default=True, description="also run random CV, side by side")
    seeds: int = Field(
        default=5, ge=1, le=100,
        description="estimator seeds the spatial CV is repeated with (spread reported)",
    )
    bootstrap: int = Field(
        default=1000, ge=0, le=100_000,
        description="bootstrap replicates of the 95 % interval of the pooled out-of-fold AUC",
    )

    @model_validator(mode="after")
    def _positive(self) -> CVConfig:
        if self.block_size != "auto" and not self.block_size > 0:
            raise ValueError(f"cv.block_size must be positive or 'auto', got {self.block_size}")
        if self.buffer != "auto" and not self.buffer >= 0:
            raise ValueError(f"cv.buffer must be >= 0 or 'auto', got {self.buffer}")
        from prospect.models.metrics import replicates_problem

        problem = replicates_problem(self.bootstrap)  # 1..39 gave a "95 %" interval
        if problem:
            raise ValueError(f"cv.bootstrap = {self.bootstrap}: {problem}")
        return self


class FocalConfig(StrictModel):
    """Neighbourhood statistics added as features (square windows of half-width ``radius``)."""

    radii: list[float] = Field(min_length=1, description="window half-widths in CRS units")
    stats: list[Literal["mean", "std"]] = Field(default=["mean", "std"], min_length=1)
    variables: list[PlainName] | None = Field(
        default=None, description="variables to summarise; default: every continuous feature"
    )

    @model_validator(mode="after")
    def _positive(self) -> FocalConfig:
        bad = [r for r in self.radii if not r > 0]
        if bad:
            raise ValueError(f"focal radii must be positive CRS distances, got {bad}")
        for key, values in (("radii", self.radii), ("stats", self.stats),
                            ("variables", self.variables or [])):
            dupes = repeated(str(v) for v in values)
            if dupes:  # one feature twice: the same column named twice
                raise ValueError(f"focal.{key} must be unique; repeated: {dupes}")
        return self


class ModelConfig(StrictModel):
    """A prospectivity model for one mineral.

    Attributes
    ----------
    estimator
        One of the estimators of :func:`prospect.models.make_estimator`.
    params
        Keyword arguments of the estimator (checked against its parameters).
    features
        Cube variables to use; default: every data variable except model outputs.
    categorical
        How categorical layers (geology codes) enter models other than weights of
        evidence: ``onehot`` or ``target`` (target encoding, fitted inside each CV fold).
    focal
        Optional neighbourhood statistics.
    uncertainty_members
        Bootstrap members used for the uncertainty of estimators that are not ensembles
        (hist_gradient_boosting, logistic_regression, mlp).
    calibration
        Post-hoc probability calibration fitted on spatial out-of-fold predictions.
    fold_aware_interpolation
        Surfaces interpolated from the label points (or a table sharing their sites) are
        refused as features unless this is set: then each CV fold re-interpolates them
        from its training points only; the final model uses the cube's surfaces.
    mineral
        The commodity the model prospects for, which labels the model, its maps and its
        card: a name or chemical symbol of :data:`prospect.config.commodities.COMMODITIES`
        (``lithium``, ``Li``, ``rare earths``).
    allow_unlisted_mineral
        Accept a ``mineral`` that is not listed (a typo is refused otherwise).
    """

    mineral: str
    allow_unlisted_mineral: bool = Field(default=False, exclude_if=lambda v: not v)
    deposit_type: str = ""
    estimator: Literal[
        "random_forest", "extra_trees", "hist_gradient_boosting", "logistic_regression", "mlp",
        "weights_of_evidence", "bagging_pu",
    ] = "random_forest"
    params: dict[str, Any] = Field(default_factory=dict)
    features: list[PlainName] | None = Field(
        default=None, description="cube variables to use; default: every variable"
    )
    categorical: Literal["onehot", "target"] = "onehot"
    focal: FocalConfig | None = None
    labels: LabelsConfig
    cv: CVConfig = Field(default_factory=CVConfig)
    uncertainty_members: int = Field(default=10, ge=2, le=1000)
    calibration: Literal["none", "sigmoid", "isotonic"] = "none"
    fold_aware_interpolation: bool = Field(
        default=False,
        description="allow surfaces interpolated from the label points as features, "
                    "re-interpolated inside each CV fold from its training points",
    )
    permutation_repeats: int = Field(default=3, ge=0, le=100)
    partial_dependence: int = Field(default=4, ge=0, description="features to plot")
    seed: int = Field(default=0, ge=0, le=2**32 - 1,
                      description="random seed (numpy's and scikit-learn's range: 0 to 2^32 - 1)")

    @model_validator(mode="after")
    def _mineral_known(self) -> ModelConfig:
        from prospect.config.commodities import check_commodity

        if not self.allow_unlisted_mineral:
            check_commodity("model.mineral", self.mineral)  # a ConfigError is a ValueError
        return self

    @model_validator(mode="after")
    def _area_for_weights_of_evidence(self) -> ModelConfig:
        # weights of evidence counts the study area in unit cells: the prior is
        # N(D) / N(T) and every weight a ratio of areas (Bonham-Carter 1994, ch. 9). With
        # the low-grade sites as the only negatives its rows are sample sites, so N(T) was
        # the number of sites and the prior, each weight and the posterior "probability"
        # were shares of sites (16 of 155 Meuse samples: a prior of 0.10), not of unit
        # cells, without a word.
        if self.estimator == "weights_of_evidence" and \
                self.labels.negatives == "below_threshold":
            raise ValueError(
                "model.estimator: weights_of_evidence counts the study area in unit cells "
                "(Bonham-Carter 1994: prior N(D) / N(T), each weight a ratio of the areas "
                "of its pattern), but model.labels.negatives: below_threshold gives it the "
                "sample sites only, so N(T) would be the number of sites and every weight "
                "and probability a share of sites, not of area; use negatives: both (the "
                "background cells stand for the rest of the area, the low-grade sites stay "
                "negatives) or negatives: background")
        if self.estimator == "weights_of_evidence" and self.labels.background_exclusion > 0:
            # the background rows are the sample of the study area whose unit cells every
            # weight counts; a zone without background around the deposits left the
            # ground next to them out of that sample: the patterns there held less area
            # than they have, and W+ read higher than the data give
            raise ValueError(
                "model.estimator: weights_of_evidence counts every unit cell of the study "
                "area (Bonham-Carter 1994) and its background cells are the sample of that "
                f"area, but model.labels.background_exclusion = "
                f"{self.labels.background_exclusion:g} keeps them off the ground around the "
                "positives, so the patterns near the deposits would hold less area than "
                "they have and their W+ would read high; leave background_exclusion out "
                "(0) for weights of evidence")
        return self

    @model_validator(mode="after")
    def _features_listed_once(self) -> ModelConfig:
        if self.features is None:
            return self
        if not self.features:  # was "the cube has no data variables", at plan or train
            raise ValueError("model.features: [] names no feature; list cube variables, or "
                             "leave 'features' out to use every variable")
        dupes = repeated(self.features)
        if dupes:  # a column twice: its importance split in two, without a word
            raise ValueError(f"model.features must be unique; repeated: {dupes}")
        outputs = [name for name in self.features if name in MODEL_OUTPUTS]
        if outputs:  # trained on its own last map, which the score stage then overwrote
            raise ValueError(
                f"model.features: {', '.join(repr(n) for n in outputs)} "
                f"{'is a map' if len(outputs) == 1 else 'are maps'} the score stage writes "
                "into the job's cube (the last run's model's output, drawn from these very "
                "labels), not evidence: a model trained on it leaks the labels into every "
                "skill figure, and each run would then replace the feature it was trained "
                f"on; leave {'it' if len(outputs) == 1 else 'them'} out of model.features")
        return self


MODEL_OUTPUTS = ("probability", "uncertainty")
"""The variables the score stage writes into the job's cube (never features)."""


_SET_BY_PROSPECT: dict[str, str] = {
    "random_state": "from model.seed, one per CV seed; set model.seed",
    "estimator": "the base learner of bagging_pu, a decision tree",
    "categorical_features": "from the cube's categorical layers",
    "cell_area": "from the region's cell size",
    "feature_names": "from the cube's variables",
    "n_jobs": "1: the dask workers run the fits in parallel, and n_jobs: -1 in each of "
              "them started a thread per core per fit",
}
"""Estimator parameters Prospect derives from the config or the cube, which ``params``
would overwrite (weights of evidence with ``categorical_features: from_dtype`` failed in
the middle of train)."""


def _check_annotated(model: ModelConfig, cls: type) -> None:
    """``params`` of an estimator without scikit-learn's parameter constraints, checked
    against the types of its ``__init__`` (``count: x`` or ``selection: 5`` were taken)."""
    import inspect
    import typing

    from pydantic import TypeAdapter, ValidationError

    from prospect.errors import ConfigError

    init = next(vars(k)["__init__"] for k in cls.__mro__ if "__init__" in vars(k))
    hints = typing.get_type_hints(init,
                                  globalns=vars(inspect.getmodule(cls)))
    for key, value in model.params.items():
        if key not in hints or key == "evidence":  # evidence: check_evidence's
            continue
        try:
            TypeAdapter(hints[key]).validate_python(value, strict=True)
        except ValidationError as exc:
            if isinstance(value, int) and not isinstance(value, bool):
                try:  # a whole number where a float goes
                    TypeAdapter(hints[key]).validate_python(float(value), strict=True)
                    continue
                except ValidationError:
                    pass
            msg = exc.errors()[0]["msg"]
            raise ConfigError(f"model.params.{key} = {value!r}: {msg} (a parameter of "
                              f"{model.estimator})") from None


def _check_sizes_listed(model: ModelConfig) -> None:
    """``hidden_layer_sizes`` and ``max_samples``, which scikit-learn checks only in ``fit``."""
    from prospect.errors import ConfigError

    sizes = model.params.get("hidden_layer_sizes")
    if "hidden_layer_sizes" in model.params and not (
            (isinstance(sizes, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                            and v > 0 for v in sizes))
            or (isinstance(sizes, int) and not isinstance(sizes, bool) and sizes > 0)):
        raise ConfigError(f"model.params.hidden_layer_sizes = {sizes!r}: give the neurons of "
                          "each hidden layer as positive whole numbers, e.g. [32, 16]")
    share = model.params.get("max_samples")
    if model.estimator == "bagging_pu" and share is not None and not (
            (isinstance(share, float) and 0 < share <= 1)
            or (isinstance(share, int) and not isinstance(share, bool) and share >= 1)):
        raise ConfigError(f"model.params.max_samples = {share!r}: give a share of the "
                          "unlabelled rows in (0, 1] or a whole number of rows >= 1")


def _check_unit_cell(model: ModelConfig) -> None:
    """Weights of evidence's ``unit_cell_area``, an area: a positive number. ``0`` was
    taken as no value (the cell area, without a word) and ``-2500`` refused at train, after
    ingest, as "larger than a cell"."""
    from prospect.errors import ConfigError

    unit = model.params.get("unit_cell_area")
    if model.estimator != "weights_of_evidence" or unit is None or isinstance(unit, bool) \
            or not isinstance(unit, int | float):
        return  # absent, or not a number: the type check's
    if not (math.isfinite(unit) and unit > 0):
        raise ConfigError(
            f"model.params.unit_cell_area = {unit!r}: the area of Bonham-Carter's unit cell "
            "(CRS units², each deposit occupying one) must be a positive number, e.g. 2500 "
            "for 50 x 50 metres; leave it out for the grid's cell")


def _check_class_weight(model: ModelConfig) -> None:
    """``class_weight`` as a mapping of the two classes, 0 (background and negatives) and 1
    (positives), to positive weights, or a named scheme: another class
    (``{2: 5}``) ended train in ``internal error: ValueError``, and a weight of 0 for the
    positives (``{1: 0}``) trained and saved a constant map without a word. Quoted keys
    (``{"0": 1, "1": 10}``, as JSON writes them) are named as text, not as no class."""
    from prospect.errors import ConfigError

    weights = model.params.get("class_weight")
    if weights is None or isinstance(weights, str):  # 'balanced': scikit-learn's check
        return
    example = "e.g. {0: 1, 1: 10}, or 'balanced'"
    if not isinstance(weights, dict):
        raise ConfigError(f"model.params.class_weight = {weights!r}: give a mapping of the "
                          f"classes 0 (negatives) and 1 (positives) to weights, {example}")
    for key, value in weights.items():
        if isinstance(key, str) and key.strip() in ("0", "1"):  # '"1": 10' (JSON's keys)
            raise ConfigError(
                f"model.params.class_weight = {weights!r}: class {key!r} is text (a quoted "
                f"key, as JSON writes every key), not the class {key.strip()} of the labels; "
                f"write the keys unquoted, {example}")
        if isinstance(key, bool) or key not in (0, 1):
            raise ConfigError(
                f"model.params.class_weight = {weights!r}: class {key!r} is not a class of "
                f"the labels (0: negatives and background, 1: positives); {example}")
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value) or value <= 0:
            raise ConfigError(
                f"model.params.class_weight = {weights!r}: the weight of class {key} must be "
                "a positive number (a weight of 0 leaves that class out of every fit and "
                f"the map constant); {example}")


_PER_COLUMN = frozenset({"monotonic_cst", "interaction_cst"})
"""Parameters with an entry per feature column, which stand-in rows cannot be given."""


def _check_combination(model: ModelConfig, clf: Any) -> None:
    """Refuse ``params`` that scikit-learn accepts one by one but refuses together, when
    fitted: ``penalty: l1`` with the logistic regression's default solver (lbfgs),
    ``max_samples`` with ``bootstrap: false``. They passed the config's checks and ended
    train in ``internal error: ValueError`` on a worker, after ingest and the features.

    ``clf`` (the estimator as the train stage builds it, the bagged one's inner
    estimator) is fitted once on a few SYNTHETIC rows of two classes, with its size
    capped (two trees, five iterations) so the check stays in milliseconds; a refusal of
    a combination is a ``ValueError`` from the fit.
    """
    import contextlib
    import io
    import warnings

    import numpy as np
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    from prospect.errors import ConfigError

    if model.estimator == "weights_of_evidence" or not hasattr(clf, "_parameter_constraints"):
        return  # Prospect's own estimators check their params themselves
    if set(model.params) & _PER_COLUMN:
        return  # one entry per layer: the layers are not known here
    trial = clone(clf)
    caps = {"n_estimators": 2, "max_iter": 5}
    trial.set_params(**{k: min(v, trial.get_params()[k]) for k, v in caps.items()
                        if isinstance(trial.get_params().get(k), int)})
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    # one thread: the trial is 400 rows, and OpenMP's threads (histogram gradient
    # boosting's) took 0.3 to 3.5 s to start and meet on a busy machine, at every load of
    # a config (plan, ingest, each stage), where one thread fits in 0.05 s
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            threadpool_limits(1):
        warnings.simplefilter("ignore")  # convergence and the like: not the question here
        try:
            trial.fit(X, y)
        except ValueError as exc:
            said = " ".join(str(exc).split())
            raise ConfigError(
                f"model.params {dict(model.params)!r}: {model.estimator} refuses these "
                f"settings together (scikit-learn: {said}); change model.params as it "
                "says") from None


def _leaves(value: Any, where: str) -> list[tuple[str, Any]]:
    """Every value in ``value`` (mappings and lists followed) with its dotted key."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{where}.{k}")]
    if isinstance(value, list | tuple):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{where}.{i}")]
    return [(where, value)]


def check_params(model: ModelConfig) -> None:
    """Refuse ``model.params`` its estimator would refuse, before anything is computed.

    A job's model section is checked so at load (:class:`~prospect.config.job.JobConfig`)
    and so is ``--estimator``/``--param`` (:func:`model_overrides`): the train stage
    checked them after ingest and indices had run over the region, and ``prospect plan``
    said nothing. A ``true``/``false`` where the estimator takes a number is refused (a
    bool is an int to Python: ``n_estimators: yes`` was one tree).

    The estimator is built as the train stage builds it
    (:func:`prospect.models.make_estimator`) on stand-in feature names, so every rule it
    applies holds here too; a boolean is refused where the parameter takes no boolean.

    Raises
    ------
    ValueError
        A :class:`~prospect.errors.ConfigError` naming ``model.params``, the key and value.
    """
    from prospect.errors import ConfigError
    from prospect.models.factory import _classifier, make_estimator

    for where, value in _leaves(model.params, "model.params"):
        hint = number_text_hint(value)
        if hint:  # 'n_estimators: 1e2' unquoted: "Got '1e2'" from scikit-learn
            raise ConfigError(f"{where} = {value!r}: {hint}")
    for key, value in model.params.items():
        if key in _SET_BY_PROSPECT:
            raise ConfigError(f"model.params.{key} = {value!r}: Prospect sets {key} itself "
                              f"({_SET_BY_PROSPECT[key]}); remove it from params")
    evidence = model.params.get("evidence")
    if evidence is not None and not isinstance(evidence, dict):  # was AttributeError
        raise ConfigError(f"model.params.evidence = {evidence!r}: give a mapping of feature "
                          "to settings, e.g. {dem: {type: descending}}")
    keys = list(evidence) if isinstance(evidence, dict) else []
    columns = max((k + 1 for k in keys if isinstance(k, int) and not isinstance(k, bool)),
                  default=0)
    names = [f"column{j}" for j in range(columns)] + [str(k) for k in keys
                                                       if not isinstance(k, int)]
    bare = type(_classifier(model.estimator, 0, 1.0, ()))
    own = bare.__module__.startswith("prospect.")
    if own:  # the types of their __init__ first: 'ci_draws: 1.5' is no whole number
        _check_annotated(model, bare)
    try:
        pipeline = make_estimator(model, n_features=max(1, len(names)),
                                  feature_names=names or None)
    except (TypeError, AttributeError, KeyError) as exc:  # a value of the wrong shape
        raise ConfigError(f"model.params: {exc}") from None
    clf = pipeline.named_steps["model"]
    inner = getattr(clf, "estimator", None)
    if model.estimator in ("hist_gradient_boosting", "logistic_regression", "mlp") and \
            inner is not None:
        clf = inner  # bagged for its uncertainty: the params are the inner estimator's
    _check_sizes_listed(model)
    _check_unit_cell(model)
    if "class_weight" in model.params:
        _check_class_weight(model)
    _check_combination(model, clf)
    defaults = type(clf)().get_params(deep=False)
    constraints = getattr(clf, "_parameter_constraints", None)
    # Prospect's own estimators (their types checked above): numbers >= 0, and booleans
    # by their defaults (their _parameter_constraints rule the sizes of the fit alone)
    for key, value in model.params.items():
        default = defaults.get(key)
        takes_bool = "boolean" in constraints.get(key, ()) if not own and \
            constraints is not None else isinstance(default, bool) or default is None
        if isinstance(value, bool) and not takes_bool:
            raise ConfigError(
                f"model.params.{key} = {str(value).lower()}: {model.estimator} takes no "
                "true/false here (YAML reads yes/no/on/off as true/false); give a value "
                f"such as {default!r}")
        if own and isinstance(default, int | float) and \
                not isinstance(default, bool) and (
                    isinstance(value, bool) or not isinstance(value, int | float)
                    or (isinstance(default, int) and not isinstance(value, int))
                    or not math.isfinite(value) or value < 0):
            kind = "a whole number" if isinstance(default, int) else "a finite number"
            raise ConfigError(f"model.params.{key} = {value!r}: {model.estimator} takes "
                              f"{kind} >= 0 here, e.g. {default!r}")


def model_overrides(
    model: ModelConfig, *, estimator: str | None = None, params: list[str] | tuple[str, ...] = (),
) -> ModelConfig:
    """``model`` with the estimator and parameters given on a command line, validated.

    Parameters
    ----------
    model
        The job's model section.
    estimator
        Another estimator: the config's ``params`` belong to its own estimator and are
        dropped; only ``params`` given here apply.
    params
        ``key=value`` strings; values are read as YAML scalars (``200``, ``0.1``, ``true``,
        ``[50, 100]``); they update ``model.params``.

    Raises
    ------
    ConfigError
        A ``params`` entry that is not ``key=value``, or an invalid result.
    """
    import yaml
    from pydantic import ValidationError

    from prospect.errors import ConfigError

    data = model.model_dump(mode="python")
    if estimator is not None and estimator != model.estimator:
        data["estimator"] = estimator
        data["params"] = {}
    for item in params:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r}: give key=value, e.g. --param n_estimators=300")
        try:
            data["params"][key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            data["params"][key.strip()] = raw
    try:
        out = ModelConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"--estimator/--param: model.{where}: {first.get('msg')}") from None
    try:
        check_params(out)
    except ConfigError as exc:
        raise ConfigError(f"--estimator/--param: {exc}") from None
    return out
