"""Model-stage config: labels, features, estimator, validation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from prospect.config._base import PlainName, StrictModel

__all__ = ["CVConfig", "FocalConfig", "LabelsConfig", "ModelConfig", "model_overrides"]


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
    """

    source: str = Field(description="name of a points source in 'sources'")
    value_column: str | None = None
    threshold: float | None = Field(
        default=None, description="a point is a positive when value_column >= threshold"
    )
    threshold_quantile: float | None = Field(
        default=None, gt=0, lt=1,
        description="a point is a positive when value_column >= this quantile of the values",
    )
    background: Literal["random", "all"] = "random"
    background_ratio: float = Field(default=10.0, gt=0)
    background_exclusion: float = Field(default=0.0, ge=0)
    negatives: Literal["background", "below_threshold", "both"] = "background"

    @model_validator(mode="after")
    def _threshold_rules(self) -> LabelsConfig:
        if self.threshold is not None and self.threshold_quantile is not None:
            raise ValueError("give either 'threshold' or 'threshold_quantile', not both")
        if (self.threshold is not None or self.threshold_quantile is not None) and \
                self.value_column is None:
            raise ValueError("a grade threshold needs 'value_column' (the grade column)")
        if self.negatives != "background" and self.threshold is None and \
                self.threshold_quantile is None:
            raise ValueError(
                f"negatives: {self.negatives} needs a grade threshold ('threshold' or "
                "'threshold_quantile')"
            )
        return self


class CVConfig(StrictModel):
    """Cross-validation: spatial blocks (the honest estimate) and random folds beside it."""

    kind: Literal["spatial_block", "random"] = "spatial_block"
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
        return ModelConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"--estimator/--param: model.{where}: {first.get('msg')}") from None
