"""Model-stage config: labels, features, estimator, validation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from prospect.config._base import StrictModel

__all__ = ["CVConfig", "LabelsConfig", "ModelConfig"]


class LabelsConfig(StrictModel):
    """Where positives come from: a points source, with an optional grade threshold."""

    source: str = Field(description="name of a points source in 'sources'")
    value_column: str | None = None
    threshold: float | None = Field(
        default=None, description="a point is a positive when value_column >= threshold"
    )
    background: Literal["random", "all"] = "random"
    background_ratio: float = Field(default=10.0, gt=0)


class CVConfig(StrictModel):
    """Cross-validation scheme."""

    kind: Literal["spatial_block", "random"] = "spatial_block"
    n_splits: int = Field(default=5, ge=2)
    block_size: float = Field(default=1000.0, gt=0, description="block edge in CRS units")
    buffer: float = Field(default=0.0, ge=0)


class ModelConfig(StrictModel):
    """A prospectivity model for one mineral."""

    mineral: str
    deposit_type: str = ""
    estimator: Literal[
        "random_forest", "extra_trees", "hist_gradient_boosting", "logistic_regression", "mlp",
        "weights_of_evidence", "bagging_pu",
    ] = "random_forest"
    params: dict[str, Any] = Field(default_factory=dict)
    features: list[str] | None = Field(
        default=None, description="cube variables to use; default: every variable"
    )
    labels: LabelsConfig
    cv: CVConfig = Field(default_factory=CVConfig)
    seed: int = 0
