"""Model-stage config: labels, features, estimator, validation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from prospect.config._base import PlainName, StrictModel

__all__ = ["CVConfig", "FocalConfig", "LabelsConfig", "ModelConfig"]


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
    n_splits: int = Field(default=5, ge=2)
    block_size: float = Field(default=1000.0, gt=0, description="block edge in CRS units")
    buffer: float = Field(
        default=0.0, ge=0,
        description="training samples closer than this (CRS units) to a test sample are dropped",
    )
    compare_random: bool = Field(default=True, description="also run random CV, side by side")


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
    """

    mineral: str
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
    uncertainty_members: int = Field(default=10, ge=2)
    calibration: Literal["none", "sigmoid", "isotonic"] = "none"
    permutation_repeats: int = Field(default=3, ge=0)
    partial_dependence: int = Field(default=4, ge=0, description="features to plot")
    seed: int = 0
